"""The activity pages: the list (filters, count, keyset pages), one activity with its history
and buttons, the type-aware form (with and without JavaScript), and the review workflow,
each as a person in a browser would use them, on both databases."""

from __future__ import annotations

import base64
import html
import json
import re
from urllib.parse import parse_qs, urlparse

from sqlalchemy import func, select

from app.activities.models import Activity
from app.audit.models import AuditEntry
from tests.support import (
    all_activities,
    create_activity,
    meeting_body,
    training_form,
    visit_form,
)

API = "/api/v1/activities"


# --- helpers -------------------------------------------------------------------------------


def counts(engine) -> tuple[int, int]:
    """Activities and audit entries: a failed post must change neither."""
    with engine.connect() as conn:
        activities = conn.execute(select(func.count(Activity.id))).scalar_one()
        audit = conn.execute(select(func.count(AuditEntry.id))).scalar_one()
    return activities, audit


def stored(engine, activity_id: int) -> Activity | None:
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        activity = s.get(Activity, activity_id)
        if activity is not None:
            _ = (activity.mission.code, activity.themes, [loc.code for loc in activity.locations])
        return activity


def row_ids(page_html: str) -> list[int]:
    return [
        int(i) for i in re.findall(r'class="title-cell"><a href="/activities/(\d+)"', page_html)
    ]


def next_link(page_html: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next"', page_html)
    return html.unescape(found.group(1)) if found else None


def created_id(response) -> int:
    assert response.status_code == 303, response.text[:2000]
    location = response.headers["location"]
    match = re.fullmatch(r"/activities/(\d+)\?done=created", location)
    assert match, location
    return int(match.group(1))


def error_near(page_html: str, field: str) -> str:
    """The message shown next to `field`, checking it is tied to the control."""
    found = re.search(rf'<small id="f-{field}-error" class="field-error">(.*?)</small>', page_html)
    assert found, f"no error shown next to {field}"
    control = re.search(rf'<(?:input|select|textarea|fieldset) id="f-{field}"[^>]*>', page_html)
    assert control, f"no control f-{field}"
    assert f"f-{field}-error" in control.group(0), "the error is not linked by aria-describedby"
    if not control.group(0).startswith("<fieldset"):
        assert 'aria-invalid="true"' in control.group(0)
    return re.sub(r"<[^>]+>", "", found.group(1))


def outside_templates(page_html: str) -> str:
    """What a browser without JavaScript shows: <template> content is inert."""
    return re.sub(r"<template.*?</template>", "", page_html, flags=re.S)


def value_of(page_html: str, field: str) -> str:
    found = re.search(rf'<input id="f-{field}" name="{field}"[^>]* value="([^"]*)"', page_html)
    assert found, f"no input {field}"
    return html.unescape(found.group(1))


def part_of(page_html: str, field: str, part: str) -> str:
    """One input of a date field (day, month, year; quarter: the option selected)."""
    if part == "quarter":
        select = re.search(rf'<select id="f-{field}-quarter".*?</select>', page_html, re.S)
        assert select, f"no quarter of {field}"
        chosen = re.search(r'<option value="(\d)" selected>', select.group(0))
        return chosen.group(1) if chosen else ""
    found = re.search(
        rf'<input [^>]*id="f-{field}-{part}" name="{field}_{part}" value="([^"]*)"', page_html
    )
    assert found, f"no {part} of {field}"
    return html.unescape(found.group(1))


def date_of(page_html: str, field: str) -> str:
    """The date a date field shows, as the API writes it: its precision's input(s)."""
    chosen = re.search(
        rf'id="f-{field}-precision-(\w+)" name="{field}_precision"[^>]* checked', page_html
    )
    assert chosen, f"no precision chosen for {field}"
    precision = chosen.group(1)
    if precision == "quarter":
        return f"{part_of(page_html, field, 'year')}-Q{part_of(page_html, field, 'quarter')}"
    return part_of(page_html, field, precision)


# --- the list ------------------------------------------------------------------------------


def test_list_count_and_filters_live_in_the_url(client_as):
    fp = client_as("fp.mkd")
    params = {"mission": "MKD", "type": "monitoring_visit", "from": "2015-11", "to": "2016-Q1"}
    response = fp.get("/activities", params=params)
    assert response.status_code == 200
    page = response.text
    total = len(
        all_activities(
            fp, mission="MKD", type="monitoring_visit", **{"from": "2015-11"}, to="2016-Q1"
        )
    )
    assert total > 25, "the seed should give more than one page of these"
    assert f"<strong>{total:,} activities</strong>" in page
    assert '<option value="MKD" selected>' in page
    assert '<option value="monitoring_visit" selected>' in page
    assert 'value="2015-11"' in page and 'value="2016-Q1"' in page
    # the view can be shared: its filters are all in the next page's link
    query = parse_qs(urlparse(next_link(page)).query)
    assert query["mission"] == ["MKD"] and query["type"] == ["monitoring_visit"]
    assert query["from"] == ["2015-11"] and query["to"] == ["2016-Q1"] and query["cursor"]
    # each row: a date with its precision, the mission, the type and the status in words
    assert "Monitoring visit" in page and "Approved" in page
    assert re.search(r'<td data-label="Date" class="nowrap">\d{1,2} \w{3} 201[56]', page)


def test_next_page_walks_every_match_once_in_order(client_as):
    cpc = client_as("cpc")
    expected = [a["id"] for a in all_activities(cpc, mission="MKD", sort="title")]
    total = len(expected)
    seen, url, pages = [], "/activities?mission=MKD&sort=title&limit=7", 0
    while url:
        response = cpc.get(url)
        assert response.status_code == 200, response.text[:500]
        seen += row_ids(response.text)
        url = next_link(response.text)
        pages += 1
        if url:
            assert "mission=MKD" in url and "sort=title" in url and "limit=7" in url
    assert pages == -(-total // 7)
    assert len(seen) == len(set(seen)), "a row came twice"
    assert seen == expected


def test_dates_keep_their_precision_in_the_list(client_as):
    page = client_as("hom.mkd").get("/activities", params={"q": "heart of the crisis"}).text
    # seeded "2015" (year precision) is never shown as a day
    assert re.search(r'<td data-label="Date" class="nowrap">2015 – 2016</td>', page), page[-3000:]


def test_bad_filter_values_show_the_form_with_a_message(client_as):
    fp = client_as("fp.mkd")
    cases = [
        ({"from": "garbage"}, "YYYY-Qn"),
        ({"to": "2015-13"}, "month must be between"),
        ({"from": "2016", "to": "2015"}, "before its start"),
        ({"cursor": "not-a-cursor"}, "start again from the first page"),
        ({"sort": "colour"}, "listed orders"),
        ({"mission": "XYZ"}, "no mission"),
        ({"type": "spaceship"}, "listed values"),
        ({"limit": "lots"}, "a page holds"),
        ({"q": "x" * 300}, "at most 200"),
    ]
    for params, words in cases:
        response = fp.get("/activities", params=params)
        assert response.status_code == 422, (params, response.status_code)
        assert words in html.unescape(response.text), (params, response.text[-2500:])
        assert 'name="q"' in response.text, "the filter form is shown again"
    # a cursor made for one order is no good for another
    first = fp.get("/activities", params={"limit": 3}).text
    cursor = parse_qs(urlparse(next_link(first)).query)["cursor"][0]
    assert fp.get("/activities", params={"cursor": cursor, "sort": "title"}).status_code == 422


def test_forged_cursors_are_a_message_not_a_500(client_as):
    fp = client_as("fp.mkd")

    def forged(sort, value, row_id):
        raw = json.dumps({"s": sort, "v": value, "i": row_id}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    for sort, value, row_id in [
        ("-start", "2015-01-01", 2**31),
        ("-start", "2015-01-01", 10**30),
        ("-start", "2015-01-01", -1),
        ("title", "a\x00b", 1),
        ("-created", "2016-01-01T00:00+05:00", 1),
        ("-start", "not a date", 1),
    ]:
        response = fp.get(
            "/activities", params={"sort": sort, "cursor": forged(sort, value, row_id)}
        )
        assert response.status_code == 422, (sort, value, row_id, response.status_code)
        assert "start again from the first page" in response.text
    good = fp.get(
        "/activities", params={"sort": "-start", "cursor": forged("-start", "2016-01-01", 5)}
    )
    assert good.status_code == 200


def test_empty_state_says_what_to_do(client_as):
    page = client_as("fp.mkd").get("/activities", params={"q": "no such words anywhere"}).text
    assert "<strong>0 activities</strong>" in page
    assert "No activities match these filters" in page
    assert "clear all filters" in page and 'href="/activities/new"' in page


def test_log_an_activity_is_offered_to_mission_staff_only(client_as):
    assert 'href="/activities/new"' in client_as("fp.mkd").get("/activities").text
    assert 'href="/activities/new"' in client_as("hom.srb").get("/activities").text
    for who in ("cpc", "admin"):
        assert 'href="/activities/new"' not in client_as(who).get("/activities").text
        assert client_as(who).get("/activities/new").status_code == 403


def test_the_list_shows_only_what_the_user_may_see(client_as):
    srb_draft = create_activity(
        client_as("fp.srb"), meeting_body(mission="SRB", title="Serbian draft note")
    )
    for who in ("fp.mkd", "cpc", "admin"):
        page = client_as(who).get("/activities", params={"q": "Serbian draft note"}).text
        assert srb_draft["id"] not in row_ids(page), who
        assert "<strong>0 activities</strong>" in page
    page = client_as("hom.srb").get("/activities", params={"q": "Serbian draft note"}).text
    assert row_ids(page) == [srb_draft["id"]]


def test_anonymous_people_are_sent_to_sign_in(anonymous):
    for path in ("/activities", "/activities/new", "/activities/1", "/activities/1/edit"):
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=%2Factivities")


# --- creating ------------------------------------------------------------------------------


def test_focal_point_logs_a_monitoring_visit_as_a_draft_of_their_mission(client_as, engine):
    fp = client_as("fp.mkd")
    form = fp.get("/activities/new?type=monitoring_visit").text
    assert re.search(r'id="f-type-monitoring_visit"[^>]* checked', form)
    assert 'id="f-alert_level"' in outside_templates(form), "the visit's fields are shown"
    assert "OSCE Mission to Skopje" in form, "the lead mission is shown, fixed"
    activity_id = created_id(fp.post("/activities/new", data=visit_form(), follow_redirects=False))
    activity = stored(engine, activity_id)
    assert activity.status == "draft" and activity.mission.code == "MKD"
    assert activity.alert_level == "elevated" and activity.team_size == 2
    assert activity.findings == ["understaffing", "overcrowding"]
    assert activity.themes == ["border_management", "early_warning"]
    assert activity.provenance == "entered" and activity.overnight is False
    assert activity.start_precision == "day"
    page = fp.get(f"/activities/{activity_id}?done=created").text
    assert "saved as a draft" in page
    assert "Elevated" in page and "Understaffing, Overcrowding" in page
    assert "19 Nov 2015" in page and "Gevgelija" in page


def test_a_posted_mission_cannot_move_the_record_elsewhere(client_as, engine):
    fp = client_as("fp.mkd")
    response = fp.post("/activities/new", data=visit_form(mission="SRB"), follow_redirects=False)
    assert stored(engine, created_id(response)).mission.code == "MKD"


def test_errors_show_next_to_their_fields_with_everything_kept_and_nothing_written(
    client_as, engine
):
    fp = client_as("fp.mkd")
    cases = [
        ("end before start", training_form(end="2016-01"), "end", "before the start"),
        (
            "more women than participants",
            training_form(participants_women="30"),
            "participants_women",
            "cannot be more than the 24",
        ),
        (
            "not a number",
            training_form(participants_total="twenty"),
            "participants_total",
            "whole number",
        ),
        ("negative", training_form(training_days="-2"), "training_days", "greater than or equal"),
        ("malformed date", visit_form(start="19.11.2015"), "start", "YYYY-MM-DD"),
        ("no title", visit_form(title="  "), "title", "give the activity a title"),
        ("unknown location", visit_form(locations=["atlantis"]), "locations", "atlantis"),
    ]
    before = counts(engine)
    failures = []
    for name, form, field, words in cases:
        response = fp.post("/activities/new", data=form, follow_redirects=False)
        page = response.text
        try:
            assert response.status_code == 422, response.status_code
            assert words in html.unescape(error_near(page, field)), error_near(page, field)
            assert 'role="alert"' in page and "nothing was saved yet" in page
            assert value_of(page, "title") == form["title"]
            assert date_of(page, "start") == form["start"]
            for box in form["themes"]:
                assert f'value="{box}" checked' in page
            if form["type"] == "training":
                assert value_of(page, "participants_total") == form["participants_total"]
                assert value_of(page, "participants_women") == form["participants_women"]
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    assert not failures, "\n".join(failures)
    assert counts(engine) == before


def test_fields_of_another_type_or_an_unknown_type_are_refused(client_as, engine):
    fp = client_as("fp.mkd")
    before = counts(engine)
    # a hand-made post: a visit's alert level on a training
    response = fp.post("/activities/new", data=training_form(alert_level="high"))
    assert response.status_code == 422
    assert "alert_level belongs to monitoring visit records" in html.unescape(response.text)
    response = fp.post("/activities/new", data=visit_form(type="spaceship"))
    assert response.status_code == 422
    assert error_near(response.text, "type")
    assert value_of(response.text, "title") == "PDU visit to Gevgelija"
    assert counts(engine) == before


def test_without_javascript_the_type_refresh_keeps_everything_typed(client_as, engine):
    fp = client_as("fp.mkd")
    before = counts(engine)
    blank = fp.get("/activities/new").text
    assert "Show the fields for this type" in blank
    assert 'data-type="' not in outside_templates(blank), "no type chosen: no type's fields"
    typed = training_form(_action="refresh", participants_total="24", title="Typed <title>")
    typed.pop("participants_women")
    response = fp.post("/activities/new", data=typed)
    assert response.status_code == 200
    page = response.text
    shown = outside_templates(page)
    assert 'data-type="training"' in shown, "the training's fields are on the page"
    assert 'data-type="monitoring_visit"' not in shown, "the visit's fields are not"
    assert value_of(page, "title") == "Typed <title>"
    assert value_of(page, "participants_total") == "24"
    assert date_of(page, "start") == "2016-03"
    assert 'value="anti_trafficking" checked' in page and 'value="gevgelija" checked' in page
    assert 'value="border_police" checked' in page
    assert counts(engine) == before
    # Save pressed after changing the type without seeing its fields: shown, not saved
    changed = visit_form(_shown_type="training")
    response = fp.post("/activities/new", data=changed)
    assert response.status_code == 200 and "You changed the type" in response.text
    assert counts(engine) == before


def test_the_form_has_a_label_for_every_control(client_as):
    page = client_as("fp.mkd").get("/activities/new?type=report").text
    form = page[page.index('<form method="post" action="/activities/new"') :]
    ids = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', form)
    assert len(ids) > 40
    missing = [i for i in ids if f'<label for="{i}"' not in form and f'for="{i}"' not in form]
    assert not missing, missing
    assert 'src="/static/js/activity-form.js"' in page
    assert "<script>" not in page and "onclick" not in page


# --- one activity: detail, edit, history -----------------------------------------------------


def test_edit_saves_the_change_and_the_history_shows_it(client_as):
    fp = client_as("fp.mkd")
    activity_id = created_id(fp.post("/activities/new", data=visit_form(), follow_redirects=False))
    edit = fp.get(f"/activities/{activity_id}/edit").text
    assert 'name="version" value="1"' in edit
    assert value_of(edit, "title") == "PDU visit to Gevgelija"
    assert value_of(edit, "team_size") == "2"
    changed = visit_form(title="PDU night visit to Gevgelija", alert_level="high", version="1")
    response = fp.post(f"/activities/{activity_id}/edit", data=changed, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/activities/{activity_id}?done=updated"
    page = fp.get(f"/activities/{activity_id}").text
    history = page[page.index('id="history-heading"') :]
    assert "Created (status: draft)" in history and "Changed" in history
    assert history.index("Created") < history.index("Changed"), "newest last"
    assert "Focal point Skopje" in history
    assert "PDU visit to Gevgelija</del>" in history
    assert "PDU night visit to Gevgelija</ins>" in history
    assert 'Alert level:</span> <del><span class="visually-hidden">was </span>Elevated' in history
    # only what changed is in the entry
    entries = fp.get(f"{API}/{activity_id}/history").json()
    assert set(entries[-1]["after"]) == {"title", "alert_level", "version"}


def test_a_stale_edit_answers_409_and_keeps_what_was_typed(client_as, engine):
    fp, hom = client_as("fp.mkd"), client_as("hom.mkd")
    activity_id = created_id(fp.post("/activities/new", data=visit_form(), follow_redirects=False))
    first = hom.post(
        f"/activities/{activity_id}/edit", data=visit_form(title="HoM's title", version="1")
    )
    assert first.status_code == 200 and "Your changes were saved" in first.text
    mine = visit_form(title="My title", observations="My long observations", version="1")
    response = fp.post(f"/activities/{activity_id}/edit", data=mine)
    assert response.status_code == 409
    assert "someone changed it since you read it" in response.text
    assert value_of(response.text, "title") == "My title"
    assert "My long observations</textarea>" in response.text
    assert stored(engine, activity_id).title == "HoM's title"


def test_nothing_changed_writes_nothing(client_as, engine):
    fp = client_as("fp.mkd")
    activity_id = created_id(fp.post("/activities/new", data=visit_form(), follow_redirects=False))
    before = counts(engine)
    response = fp.post(f"/activities/{activity_id}/edit", data=visit_form(version="1"))
    assert "Nothing was changed" in response.text
    assert counts(engine) == before and stored(engine, activity_id).version == 1


def test_edit_errors_are_shown_on_the_form_and_change_nothing(client_as, engine):
    fp = client_as("fp.mkd")
    activity_id = created_id(fp.post("/activities/new", data=visit_form(), follow_redirects=False))
    before = counts(engine)
    bad = visit_form(team_size="a few", end="2015-01", version="1")
    response = fp.post(f"/activities/{activity_id}/edit", data=bad)
    assert response.status_code == 422
    assert "whole number" in error_near(response.text, "team_size")
    assert value_of(response.text, "team_size") == "a few"
    response = fp.post(
        f"/activities/{activity_id}/edit", data=visit_form(end="2015-01", version="1")
    )
    assert response.status_code == 422 and "before the start" in error_near(response.text, "end")
    response = fp.post(f"/activities/{activity_id}/edit", data=visit_form(version="many"))
    assert response.status_code == 422 and "no valid version" in response.text
    assert counts(engine) == before


def test_changing_the_type_on_edit_clears_the_old_types_fields(client_as, engine):
    fp = client_as("fp.mkd")
    activity_id = created_id(fp.post("/activities/new", data=visit_form(), follow_redirects=False))
    response = fp.post(
        f"/activities/{activity_id}/edit", data=training_form(version="1"), follow_redirects=False
    )
    assert response.status_code == 303, response.text[-3000:]
    activity = stored(engine, activity_id)
    assert activity.type == "training" and activity.participants_total == 24
    assert activity.alert_level is None and activity.team is None


def test_the_detail_shows_every_field_and_only_its_types_fields(client_as):
    fp = client_as("fp.mkd")
    activity_id = created_id(
        fp.post(
            "/activities/new",
            data=training_form(other_missions=["SRB"], project="", partners=["unhcr", "iom"]),
            follow_redirects=False,
        )
    )
    page = fp.get(f"/activities/{activity_id}").text
    for words in (
        "Training for border police",
        "Mar 2016",
        "OSCE Mission to Serbia (SRB)",
        "Anti-trafficking",
        "Politico-military",
        "Policing &amp; migration-related crime",
        "Border police",
        'Participants in total</dt><dd class="prose">24',
        'Of whom women</dt><dd class="prose">9',
        "own observation",
        "Entered",
        "Training details",
    ):
        assert words in page, words
    assert "Alert level" not in page and "Team size" not in page


# --- buttons and the workflow ----------------------------------------------------------------


def buttons(page_html: str, activity_id: int) -> set[str]:
    found = set(
        re.findall(rf'action="/activities/{activity_id}/(submit|approve|return)"', page_html)
    )
    found |= set(re.findall(rf'href="/activities/{activity_id}/(edit|delete)"', page_html))
    return found


def test_buttons_show_only_what_each_person_may_do_now(client_as):
    fp, hom, cpc, other_hom = (client_as(w) for w in ("fp.mkd", "hom.mkd", "cpc", "hom.srb"))
    activity = create_activity(fp, meeting_body())
    activity_id = activity["id"]
    assert buttons(fp.get(f"/activities/{activity_id}").text, activity_id) == {
        "edit",
        "delete",
        "submit",
    }
    assert fp.post(f"{API}/{activity_id}/submit", json={"version": 1}).status_code == 200
    assert buttons(fp.get(f"/activities/{activity_id}").text, activity_id) == set()
    assert buttons(hom.get(f"/activities/{activity_id}").text, activity_id) == {
        "edit",
        "delete",
        "approve",
        "return",
    }
    cpc_page = cpc.get(f"/activities/{activity_id}")
    assert cpc_page.status_code == 200 and buttons(cpc_page.text, activity_id) == set()
    assert other_hom.get(f"/activities/{activity_id}").status_code == 404


def test_submit_return_resubmit_approve_through_the_pages(client_as, engine):
    fp, hom = client_as("fp.mkd"), client_as("hom.mkd")
    activity_id = created_id(fp.post("/activities/new", data=visit_form(), follow_redirects=False))
    url = f"/activities/{activity_id}"

    response = fp.post(f"{url}/submit", data={"version": "1"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"{url}?done=submitted"
    assert stored(engine, activity_id).status == "submitted"
    assert fp.post(f"{url}/submit", data={"version": "2"}).status_code == 409

    response = hom.post(f"{url}/return", data={"version": "2", "comment": "  "})
    assert response.status_code == 422
    assert 'id="return-comment-error"' in response.text
    response = hom.post(
        f"{url}/return", data={"version": "2", "comment": "Add the persons observed by sex."}
    )
    assert response.status_code == 200 and "Returned to the mission" in response.text
    page = fp.get(url).text
    assert "Returned for changes" in page and "Add the persons observed by sex." in page
    assert buttons(page, activity_id) == {"edit", "delete", "submit"}

    edited = visit_form(observations="Men 200, women 100, children 50.", version="3")
    assert fp.post(f"{url}/edit", data=edited, follow_redirects=False).status_code == 303
    assert (
        fp.post(f"{url}/submit", data={"version": "4"}, follow_redirects=False).status_code == 303
    )
    response = hom.post(f"{url}/approve", data={"version": "5"}, follow_redirects=False)
    # nothing else waits for review: the head of mission goes back to their own work
    assert response.status_code == 303 and response.headers["location"] == "/my-work?done=approved"
    activity = stored(engine, activity_id)
    assert activity.status == "approved" and activity.review_comment is None

    page = fp.get(url).text
    history = page[page.index('id="history-heading"') :]
    steps = ["Created", "Submitted for review", "Returned with a comment", "Changed"]
    steps += ["Submitted for review", "Approved"]
    positions = [history.index(step) for step in steps[:4]]
    assert positions == sorted(positions)
    assert history.count("Submitted for review") == 2 and "Approved</strong>" in history
    assert "Add the persons observed by sex." in history
    assert buttons(page, activity_id) == set(), "an approved record: nothing for the fp"
    assert buttons(hom.get(url).text, activity_id) == {"edit"}


def test_wrong_workflow_steps_show_the_page_again_with_the_reason(client_as, engine):
    fp, hom = client_as("fp.mkd"), client_as("hom.mkd")
    activity_id = create_activity(fp, meeting_body())["id"]
    url = f"/activities/{activity_id}"
    response = fp.post(f"{url}/submit", data={"version": "7"})
    assert response.status_code == 409 and "not 7" in response.text
    assert "<h1>Coordination meeting with UNHCR</h1>" in response.text
    response = hom.post(f"{url}/approve", data={"version": "1"})
    assert response.status_code == 409 and "only submitted records" in response.text
    assert fp.post(f"{url}/approve", data={"version": "1"}).status_code == 403
    assert fp.post(f"{url}/submit", data={"version": "x"}).status_code == 422
    assert stored(engine, activity_id).status == "draft"


def test_delete_asks_first_then_deletes(client_as, engine):
    fp = client_as("fp.mkd")
    activity_id = create_activity(fp, meeting_body())["id"]
    confirm = fp.get(f"/activities/{activity_id}/delete")
    assert confirm.status_code == 200 and "Yes, delete it" in confirm.text
    assert 'name="version" value="1"' in confirm.text
    stale = fp.post(f"/activities/{activity_id}/delete", data={"version": "2"})
    assert stale.status_code == 409 and stored(engine, activity_id) is not None
    response = fp.post(
        f"/activities/{activity_id}/delete", data={"version": "1"}, follow_redirects=False
    )
    assert (
        response.status_code == 303 and response.headers["location"] == "/activities?done=deleted"
    )
    assert stored(engine, activity_id) is None
    assert fp.get(f"/activities/{activity_id}").status_code == 404


def test_approved_records_cannot_be_deleted_or_edited_by_a_focal_point(client_as):
    fp, hom = client_as("fp.mkd"), client_as("hom.mkd")
    activity_id = create_activity(fp, meeting_body())["id"]
    fp.post(f"{API}/{activity_id}/submit", json={"version": 1})
    hom.post(f"{API}/{activity_id}/approve", json={"version": 2})
    assert fp.get(f"/activities/{activity_id}/delete").status_code == 403
    assert hom.post(f"/activities/{activity_id}/delete", data={"version": "3"}).status_code == 403
    assert fp.get(f"/activities/{activity_id}/edit").status_code == 403
    response = fp.post(f"/activities/{activity_id}/edit", data=visit_form(version="3"))
    assert response.status_code == 403 and "only the head of mission" in response.text


def test_another_missions_draft_is_not_found(client_as):
    srb = create_activity(client_as("fp.srb"), meeting_body(mission="SRB"))
    fp = client_as("fp.mkd")
    for path in ("", "/edit", "/delete"):
        assert fp.get(f"/activities/{srb['id']}{path}").status_code == 404, path
    assert fp.post(f"/activities/{srb['id']}/submit", data={"version": "1"}).status_code == 404
    assert fp.get("/activities/99999999999").status_code == 404
    assert fp.get("/activities/0").status_code == 404


def test_titles_are_escaped(client_as):
    fp = client_as("fp.mkd")
    title = "<script>alert('x')</script> & <b>bold</b>"
    activity_id = create_activity(
        fp, meeting_body(title=title, summary="<img src=x onerror=alert(1)>")
    )["id"]
    for path in (
        f"/activities/{activity_id}",
        "/activities?q=alert",
        f"/activities/{activity_id}/edit",
    ):
        page = fp.get(path).text
        assert "<script>alert(" not in page and "<b>bold</b>" not in page, path
        assert "<img src=x" not in page
        assert "&lt;script&gt;" in page, path
