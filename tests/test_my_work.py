"""My work: where mission staff land, the count in the navigation, returned records with
the head of mission's comment, the notice at the first sign-in after a review, and the
review queue's "next record", on both databases."""

from __future__ import annotations

import html
import re

from app.accounts.demo_users import DEMO_DOMAIN
from tests.support import API, create_activity, meeting_body, page_client, sign_in, visit_form

COMMENT = "Add the number of persons observed, by sex."


def _email(who: str) -> str:
    return f"{who}@{DEMO_DOMAIN}"


def _new(client, title: str, *, mission: str = "MKD", submit: bool = False) -> int:
    """A meeting of `client`'s user (its author), submitted for review if asked."""
    activity_id = create_activity(client, meeting_body(mission, title=title))["id"]
    if submit:
        response = client.post(f"{API}/{activity_id}/submit", json={"version": 1})
        assert response.status_code == 200, response.text
    return activity_id


def _section(page: str, section_id: str) -> str:
    """The HTML of one <section id=…> of the page ('' when the page has none)."""
    found = re.search(rf'<section id="{section_id}".*?</section>', page, re.S)
    return html.unescape(found.group(0)) if found else ""


def _nav(page: str) -> str:
    return page[page.index('<nav class="container-fluid"') : page.index("</nav>")]


def test_mission_staff_land_on_their_work_and_the_others_where_they_did(app):
    landings = {"fp.mkd": "/my-work", "hom.srb": "/my-work", "cpc": "/compare", "admin": "/compare"}
    for who, landing in landings.items():
        browser = page_client(app)
        signed_in = sign_in(browser, _email(who))
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/", who
        home = browser.get("/")
        assert home.status_code == 303 and home.headers["location"] == landing, who
        if landing == "/my-work":
            page = browser.get(landing)
            assert page.status_code == 200 and "<h1>My work</h1>" in page.text
        else:
            assert browser.get("/my-work").status_code == 403, who
    # a sign-in asked for on the way to a page still goes there
    browser = page_client(app)
    signed_in = sign_in(browser, _email("fp.mkd"), next="/activities?status=draft")
    assert signed_in.headers["location"] == "/activities?status=draft"


def test_the_navigation_counts_the_work_waiting(client_as):
    fp, hom, cpc = client_as("fp.mkd"), client_as("hom.mkd"), client_as("cpc")
    assert ">My work</a>" in _nav(fp.get("/activities").text)  # nothing open: no number
    _new(fp, "First draft")
    _new(fp, "Second draft")
    returned = _new(fp, "Sent back", submit=True)
    _new(fp, "Waiting", submit=True)
    response = hom.post(f"{API}/{returned}/return", json={"version": 2, "comment": COMMENT})
    assert response.status_code == 200, response.text

    # the focal point: two drafts and one returned; their submitted one waits on someone else
    assert ">My work (3)</a>" in _nav(fp.get("/activities").text)
    # the head of mission: one record waiting for review, none of their own open
    assert ">My work (1)</a>" in _nav(hom.get("/compare").text)
    assert "/my-work" not in _nav(cpc.get("/compare").text)


def test_a_returned_record_shows_its_comment_until_it_is_submitted_again(client_as):
    fp, hom = client_as("fp.mkd"), client_as("hom.mkd")
    activity_id = _new(fp, "Visit to Tabanovce", submit=True)
    waiting = _section(hom.get("/my-work").text, "to-review")
    assert "Visit to Tabanovce" in waiting and "(1)" in waiting
    response = hom.post(
        f"/activities/{activity_id}/return", data={"version": "2", "comment": COMMENT}
    )
    assert response.status_code == 200  # followed on to the head of mission's own work

    page = fp.get("/my-work").text
    returned = _section(page, "returned")
    assert "Visit to Tabanovce" in returned and COMMENT in returned
    assert f'href="/activities/{activity_id}/edit"' in returned
    assert "Visit to Tabanovce" not in _section(page, "submitted")

    corrected = visit_form(title="Visit to Tabanovce", observations="Men 80, women 40.")
    response = fp.post(
        f"/activities/{activity_id}/edit",
        data={**corrected, "version": "3"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    assert fp.post(f"{API}/{activity_id}/submit", json={"version": 4}).status_code == 200
    page = fp.get("/my-work").text
    assert "Visit to Tabanovce" not in _section(page, "returned")
    assert COMMENT not in page
    assert "Visit to Tabanovce" in _section(page, "submitted")


def test_a_review_is_told_at_the_next_sign_in_and_not_at_the_one_after(app, client_as):
    fp_api, hom = client_as("fp.mkd"), client_as("hom.mkd")
    fp = page_client(app)
    assert sign_in(fp, _email("fp.mkd")).status_code == 303
    returned = _new(fp_api, "Returned while away", submit=True)
    approved = _new(fp_api, "Approved while away", submit=True)
    assert hom.post(f"{API}/{returned}/return", json={"version": 2, "comment": COMMENT}).is_success
    assert hom.post(f"{API}/{approved}/approve", json={"version": 2}).is_success
    # the head of mission approves a record of their own: no news for them
    own = _new(hom, "The head of mission's own", submit=True)
    assert hom.post(f"{API}/{own}/approve", json={"version": 2}).is_success
    assert "since-sign-in" not in fp.get("/my-work").text  # signed in before the reviews

    assert sign_in(fp, _email("fp.mkd")).status_code == 303
    notice = _section(fp.get("/my-work").text, "since-sign-in")
    assert "Since you last signed in: 1 record returned, 1 approved" in notice
    assert f'href="/activities/{returned}"' in notice and f'href="/activities/{approved}"' in notice
    assert "since-sign-in" in fp.get("/my-work").text  # for the whole of this sign-in

    assert sign_in(fp, _email("fp.mkd")).status_code == 303
    assert "since-sign-in" not in fp.get("/my-work").text

    browser_of_hom = page_client(app)
    assert sign_in(browser_of_hom, _email("hom.mkd")).status_code == 303
    assert sign_in(browser_of_hom, _email("hom.mkd")).status_code == 303
    assert "since-sign-in" not in browser_of_hom.get("/my-work").text


def test_a_review_takes_the_head_of_mission_to_the_next_record_waiting(client_as):
    fp, hom = client_as("fp.mkd"), client_as("hom.mkd")
    oldest, middle, newest = (_new(fp, f"Queue {n}", submit=True) for n in (1, 2, 3))

    response = hom.post(
        f"/activities/{newest}/approve", data={"version": "2"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/activities/{oldest}?done=approved&waiting=2"
    page = hom.get(response.headers["location"]).text
    assert "Approved. 2 more waiting for review." in page and "<h1>Queue 1</h1>" in page

    response = hom.post(
        f"/activities/{oldest}/return",
        data={"version": "2", "comment": COMMENT},
        follow_redirects=False,
    )
    assert response.headers["location"] == f"/activities/{middle}?done=returned&waiting=1"
    assert "1 more waiting for review." in hom.get(response.headers["location"]).text

    response = hom.post(
        f"/activities/{middle}/approve", data={"version": "2"}, follow_redirects=False
    )
    assert response.headers["location"] == "/my-work?done=approved"
    page = hom.get("/my-work?done=approved").text
    assert "Approved. Nothing else is waiting for review." in page
    assert "Nothing is waiting for your review." in _section(page, "to-review")

    # a focal point's submission stays on the record, as before
    response = fp.post(
        f"/activities/{oldest}/submit", data={"version": "3"}, follow_redirects=False
    )
    assert response.headers["location"] == f"/activities/{oldest}?done=submitted"


def test_nobody_sees_another_missions_work(client_as):
    srb_fp, srb_hom = client_as("fp.srb"), client_as("hom.srb")
    _new(srb_fp, "Serbian draft", mission="SRB")
    _new(srb_fp, "Serbian submission", mission="SRB", submit=True)
    assert "Serbian draft" in srb_fp.get("/my-work").text
    assert "Serbian submission" in _section(srb_hom.get("/my-work").text, "to-review")
    for who in ("fp.mkd", "hom.mkd"):
        page = client_as(who).get("/my-work").text
        assert "Serbian" not in page, who
        assert ">My work</a>" in _nav(page), who  # and nothing of theirs is counted
    assert "Serbian" not in client_as("fp.mne").get("/my-work").text
