"""Notifications: the events that make notices (in the transaction of the change), who
gets them, what the page shows, and that nobody learns of a record they may not see; on
both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.activities import workflow
from app.activities.models import Activity
from app.db import session_factory
from app.notifications.models import Notice, OutboxMail
from tests.support import API, activity_body, create_activity, demo_user, meeting_body

COMMENT = "Add the number of persons observed."


def _notices(session, who: str) -> list[Notice]:
    session.rollback()  # a fresh snapshot: see what the app committed
    user = demo_user(session, who)
    return list(
        session.scalars(select(Notice).where(Notice.user_id == user.id).order_by(Notice.id))
    )


def _submit(client, activity_id: int, version: int = 1) -> dict:
    response = client.post(f"{API}/{activity_id}/submit", json={"version": version})
    assert response.status_code == 200, response.text
    return response.json()


def test_submit_return_and_approve_reach_the_head_of_mission_and_the_author(client_as, session):
    fp, hom = client_as("fp.mkd"), client_as("hom.mkd")
    record = create_activity(fp, meeting_body(title="Coordination with UNHCR"))
    assert _notices(session, "hom.mkd") == []  # a draft is nobody's business yet
    _submit(fp, record["id"])
    [submitted] = _notices(session, "hom.mkd")
    assert submitted.kind == "submitted" and submitted.activity_id == record["id"]
    assert "Coordination with UNHCR" in submitted.text

    returned = hom.post(f"{API}/{record['id']}/return", json={"version": 2, "comment": COMMENT})
    assert returned.status_code == 200, returned.text
    [notice] = _notices(session, "fp.mkd")
    assert notice.kind == "returned" and COMMENT in notice.text

    _submit(fp, record["id"], version=3)
    approved = hom.post(f"{API}/{record['id']}/approve", json={"version": 4})
    assert approved.status_code == 200, approved.text
    assert [n.kind for n in _notices(session, "fp.mkd")] == ["returned", "approved"]
    assert [n.kind for n in _notices(session, "hom.mkd")] == ["submitted", "submitted"]
    # Nobody else hears of it: not the other missions, not the CPC desk (no alert).
    for other in ("fp.srb", "hom.srb", "cpc", "admin"):
        assert _notices(session, other) == [], other
    # Each notice that asks for a mail has one waiting in the outbox, with its own Message-ID.
    mails = session.scalars(select(OutboxMail)).all()
    assert len(mails) == 4 and len({m.message_id for m in mails}) == 4


def test_an_alert_reaches_whoever_may_see_it_when_they_may(client_as, session):
    fp = client_as("fp.mkd")
    visit = create_activity(fp, activity_body("monitoring_visit", alert_level="elevated"))
    [alert] = _notices(session, "hom.mkd")
    assert alert.kind == "alert" and "Elevated alert" in alert.text
    assert _notices(session, "cpc") == []  # the CPC desk does not see drafts
    _submit(fp, visit["id"])
    assert [n.kind for n in _notices(session, "cpc")] == ["alert"]
    assert [n.kind for n in _notices(session, "hom.mkd")] == ["alert", "submitted"]
    # Raising the level again tells both; lowering it tells nobody.
    hom = client_as("hom.mkd")
    raised = hom.patch(f"{API}/{visit['id']}", json={"version": 2, "alert_level": "high"})
    assert raised.status_code == 200, raised.text
    assert [n.kind for n in _notices(session, "cpc")] == ["alert", "alert"]
    assert "High alert" in _notices(session, "cpc")[-1].text
    lowered = hom.patch(f"{API}/{visit['id']}", json={"version": 3, "alert_level": "low"})
    assert lowered.status_code == 200, lowered.text
    assert len(_notices(session, "cpc")) == 2
    assert _notices(session, "hom.srb") == [] and _notices(session, "fp.srb") == []


def test_developments_and_account_changes(client_as, session, app):
    from tests.support import page_client, sign_in

    fp = client_as("fp.mkd")
    response = fp.post(
        "/api/v1/developments",
        json={
            "title": "Border closed at Gevgelija",
            "country": "North Macedonia",
            "date": "2016-03-09",
        },
    )
    assert response.status_code == 201, response.text
    [dev] = _notices(session, "cpc")
    assert dev.kind == "development" and "Border closed" in dev.text
    assert _notices(session, "hom.mkd") == []

    admin = page_client(app)
    sign_in(admin, "admin@" + demo_user(session, "admin").email.split("@")[1])
    target = demo_user(session, "fp.srb")
    changed = admin.post(
        f"/admin/users/{target.id}",
        data={
            "role": "focal_point",
            "mission": "MNE",
            "active": "true",
            "csrftoken": admin.cookies.get("csrftoken"),
        },
    )
    assert changed.status_code == 303, changed.text
    [account] = _notices(session, "fp.srb")
    assert account.kind == "account" and "mission" in account.text


def test_a_rolled_back_change_leaves_no_notice_and_no_mail(client_as, engine, session):
    fp = client_as("fp.mkd")
    record = create_activity(fp, meeting_body(title="Rolled back"))
    make = session_factory(engine, write=True)
    with make() as work:
        activity = work.get(Activity, record["id"])
        fp_user = demo_user(work, "fp.mkd")
        workflow.transition(
            work, activity=activity, action=workflow.Action.SUBMIT, version=1, actor=fp_user
        )
        assert work.scalars(select(Notice)).all()  # written in the change's transaction …
        work.rollback()  # … and gone with it
    session.rollback()  # a fresh snapshot: see what the app committed
    assert session.scalars(select(Notice)).all() == []
    assert session.scalars(select(OutboxMail)).all() == []


def test_the_page_lists_ones_own_notices_marks_them_read_and_counts_them(client_as, session):
    fp, hom = client_as("fp.mkd"), client_as("hom.mkd")
    record = create_activity(fp, meeting_body(title="Waiting for Skopje"))
    _submit(fp, record["id"])
    page = hom.get("/notifications")
    assert page.status_code == 200
    assert "Waiting for Skopje" in page.text and f'href="/activities/{record["id"]}"' in page.text
    assert "Notifications (1)" in page.text  # the navigation's count
    assert "Waiting for Skopje" not in fp.get("/notifications").text
    [notice] = _notices(session, "hom.mkd")
    assert (
        hom.post(
            f"/notifications/{notice.id}/read", data={"read": "true"}, follow_redirects=False
        ).status_code
        == 303
    )
    page = hom.get("/notifications")
    assert "Notifications (1)" not in page.text and "Waiting for Skopje" in page.text
    assert "Waiting for Skopje" not in hom.get("/notifications?unread=true").text
    # Someone else's notice is not theirs to mark.
    assert (
        fp.post(
            f"/notifications/{notice.id}/read", data={"read": "true"}, follow_redirects=False
        ).status_code
        == 404
    )


def test_a_notice_shows_only_while_its_reader_may_see_the_record(client_as, session, engine):
    """A focal point moved to another mission no longer sees their returned draft, so
    its notice goes from their page and their count too."""
    fp, hom = client_as("fp.mkd"), client_as("hom.mkd")
    record = create_activity(fp, meeting_body(title="Draft of Skopje"))
    _submit(fp, record["id"])
    hom.post(f"{API}/{record['id']}/return", json={"version": 2, "comment": COMMENT})
    assert "Draft of Skopje" in fp.get("/notifications").text
    make = session_factory(engine, write=True)
    with make() as work:
        from app.missions.service import get_by_code

        fp_user = demo_user(work, "fp.mkd")
        fp_user.mission = get_by_code(work, "SRB")  # moved without ending the token, to see
        work.commit()
    from app.notifications import service

    with make() as work:
        moved = demo_user(work, "fp.mkd")
        assert service.latest(work, moved) == []
        assert service.unread_count(work, moved) == 0


@pytest.mark.parametrize("value", ["sometimes"])
def test_preferences_are_saved_and_bad_ones_refused(client_as, session, value):
    fp = client_as("fp.mkd")
    saved = fp.post(
        "/notifications/preferences",
        data={"returned": "digest", "approved": "none"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = fp.get("/notifications").text
    assert 'name="returned" value="digest" checked' in page
    refused = fp.post("/notifications/preferences", data={"returned": value})
    assert refused.status_code == 422 and "choose one of" in refused.text
    # "none" means no mail; the notice still shows in the app.
    hom = client_as("hom.mkd")
    record = create_activity(fp, meeting_body(title="Quietly approved"))
    _submit(fp, record["id"])
    hom.post(f"{API}/{record['id']}/approve", json={"version": 2})
    [approved] = _notices(session, "fp.mkd")
    assert approved.kind == "approved"
    assert (
        session.scalars(select(OutboxMail).where(OutboxMail.notice_id == approved.id)).all() == []
    )
