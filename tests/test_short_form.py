"""The short activity form on the server (what a browser without JavaScript gets): the type
presets and where they come from, the dates composed from a precision and its input, and
"Log another like this"."""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from app.activities import form as activity_form
from app.activities import presets
from app.vocab import ActivityType
from tests.support import create_activity, meeting_body, visit_form
from tests.test_activity_pages import created_id, date_of, error_near, part_of, stored

SEEDS = Path(__file__).resolve().parents[1] / "seeds" / "activities.yaml"


def chosen(page: str, name: str) -> str:
    select = re.search(rf'<select id="f-{name}".*?</select>', page, re.S)
    assert select, name
    found = re.search(r'<option value="([^"]*)" selected>', select.group(0))
    return found.group(1) if found else ""


def ticked(page: str, name: str) -> list[str]:
    return sorted(re.findall(rf'name="{name}" value="([^"]+)" checked', page))


# --- the preset table -----------------------------------------------------------------------


def test_the_presets_are_the_most_common_values_of_the_seeded_records():
    """The docstring of presets.py says how the table was made; this makes it again."""
    records = yaml.safe_load(SEEDS.read_text(encoding="utf-8"))
    for activity_type, preset in presets.PRESETS.items():
        rows = [r for r in records if r["type"] == activity_type.value]
        assert rows, activity_type
        for name in ("dimension", "response_area"):
            counts = Counter(r[name] for r in rows)
            top = max(counts.values())
            assert counts[getattr(preset, name).value] == top, (activity_type, name, counts)
        themes = Counter(t for r in rows for t in r["themes"])
        usual = sorted(t for t, n in themes.items() if 2 * n >= len(rows))
        assert sorted(t.value for t in preset.themes) == usual, (activity_type, themes)
    assert set(presets.PRESETS) == set(ActivityType)


def test_apply_fills_what_is_empty_or_still_the_previous_preset_only():
    form = activity_form.blank()
    presets.apply(form, "training")
    assert form["dimension"] == "human" and form["response_area"] == "local_governance"
    form["dimension"] = "economic_environmental"  # the person's own choice
    presets.apply(form, "meeting", "training")
    assert form["dimension"] == "economic_environmental"
    assert form["response_area"] == "reporting_liaising"
    assert form["themes"] == ["regional_cooperation"]
    form["themes"] = ["regional_cooperation", "gender"]  # a theme added by the person
    presets.apply(form, "report", "meeting")
    assert form["themes"] == ["regional_cooperation", "gender"]
    # an edit fills only what is empty
    edit = {"dimension": "cross_dimensional", "response_area": "reporting_liaising", "themes": []}
    presets.apply(edit, "monitoring_visit", "meeting", new=False)
    assert edit["dimension"] == "cross_dimensional"
    assert edit["themes"] == ["border_management", "early_warning"]


# --- presets on the page, without JavaScript --------------------------------------------------


def test_a_new_form_with_a_type_comes_with_its_presets_and_the_page_carries_the_table(client_as):
    page = client_as("fp.mkd").get("/activities/new?type=monitoring_visit").text
    assert chosen(page, "dimension") == "politico_military"
    assert chosen(page, "response_area") == "monitoring"
    assert ticked(page, "themes") == ["border_management", "early_warning"]
    table = re.search(
        r'<script type="application/json" id="activity-presets">(.*?)</script>', page, re.S
    )
    assert table and '"training"' in table.group(1) and "local_governance" in table.group(1)
    blank = client_as("fp.mkd").get("/activities/new").text
    assert chosen(blank, "dimension") == "" and ticked(blank, "themes") == []


def test_the_type_refresh_presets_the_new_type_and_keeps_the_persons_choice(client_as):
    fp = client_as("fp.mkd")
    # shown as a meeting with its presets; the person set the dimension, then chose a visit
    posted = visit_form(
        _action="refresh",
        _shown_type="meeting",
        dimension="human",
        response_area="reporting_liaising",
        themes=["regional_cooperation"],
    )
    page = fp.post("/activities/new", data=posted).text
    assert chosen(page, "dimension") == "human", "the person's choice is kept"
    assert chosen(page, "response_area") == "monitoring", "the meeting's preset follows the type"
    assert ticked(page, "themes") == ["border_management", "early_warning"]


# --- dates: a precision and its input ---------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "saved", "precision"),
    [
        ({"start_precision": "day", "start_day": "2016-03-02"}, "2016-03-02", "day"),
        ({"start_precision": "month", "start_month": "2016-03"}, "2016-03", "month"),
        (
            {"start_precision": "quarter", "start_year": "2016", "start_quarter": "1"},
            "2016-Q1",
            "quarter",
        ),
        ({"start_precision": "year", "start_year": "2016"}, "2016", "year"),
    ],
)
def test_each_precision_saves_its_partial_date_and_the_edit_shows_it(
    client_as, engine, parts, saved, precision
):
    fp = client_as("fp.mkd")
    # the other inputs hold a stale date: only the chosen precision's count
    stale = {"start_day": "2015-11-19", "start_month": "2015-11", "start_year": "2015"}
    form = visit_form(start="", **{**stale, **parts})
    activity_id = created_id(fp.post("/activities/new", data=form, follow_redirects=False))
    activity = stored(engine, activity_id)
    assert activity.start_precision == precision
    assert fp.get(f"/api/v1/activities/{activity_id}").json()["start"] == saved
    edit = fp.get(f"/activities/{activity_id}/edit").text
    assert date_of(edit, "start") == saved
    # the coarser inputs hold the same date, so a coarser precision keeps it
    assert part_of(edit, "start", "year") == "2016"


def test_a_date_that_cannot_be_composed_says_why_next_to_it_with_what_was_typed_kept(
    client_as, engine
):
    fp = client_as("fp.mkd")
    form = visit_form(start="", start_precision="quarter", start_year="2016", start_quarter="")
    response = fp.post("/activities/new", data=form)
    assert response.status_code == 422
    assert "choose the quarter" in error_near(response.text, "start")
    assert part_of(response.text, "start", "year") == "2016"
    assert re.search(r'id="f-start-precision-quarter"[^>]* checked', response.text)
    form = visit_form(start="", start_precision="month", start_month="2016-13")
    response = fp.post("/activities/new", data=form)
    assert response.status_code == 422
    assert "month" in html.unescape(error_near(response.text, "start"))
    assert part_of(response.text, "start", "month") == "2016-13"


def test_date_parts_of_each_precision():
    assert activity_form.date_parts("2016-03-02") == {
        "precision": "day",
        "day": "2016-03-02",
        "month": "2016-03",
        "quarter": "1",
        "year": "2016",
    }
    assert activity_form.date_parts("2016-Q3")["precision"] == "quarter"
    assert activity_form.date_parts("2016-Q3")["month"] == ""
    assert activity_form.date_parts("")["precision"] == "day"
    assert activity_form.date_parts("19.11.2015")["day"] == "19.11.2015"


# --- log another like this --------------------------------------------------------------------


def test_log_another_like_this_copies_type_place_and_team_and_nothing_else(client_as):
    fp = client_as("fp.mkd")
    source_id = created_id(
        fp.post(
            "/activities/new",
            data=visit_form(other_missions=["SRB"], team="PDU team 2", team_size="3"),
            follow_redirects=False,
        )
    )
    detail = fp.get(f"/activities/{source_id}").text
    assert f'href="/activities/new?like={source_id}"' in detail
    page = fp.get(f"/activities/new?like={source_id}").text
    assert re.search(r'id="f-type-monitoring_visit"[^>]* checked', page)
    assert ticked(page, "locations") == ["gevgelija"]
    assert ticked(page, "other_missions") == ["SRB"]
    assert 'name="team" type="text" value="PDU team 2"' in page
    assert 'name="team_size" type="text" value="3"' in page
    # nothing else: no title, no date, no observations, no partners, no alert
    assert 'name="title" type="text" value=""' in page
    assert part_of(page, "start", "day") == ""
    assert ticked(page, "partners") == [] and ticked(page, "findings") == []
    assert chosen(page, "alert_level") == ""
    assert "Queues of several hundred people." not in page
    assert 'name="idempotency_key" value=""' not in page, "a fresh key for the new draft"


def test_log_another_like_a_record_of_another_mission_never_names_ones_own(client_as):
    srb = client_as("fp.srb")
    body = meeting_body(mission="SRB", other_missions=["MKD", "ALB"])
    record = create_activity(srb, body)
    hom = client_as("hom.srb")
    version = record["version"]
    for action in ("submit", "approve"):
        response = hom.post(
            f"/api/v1/activities/{record['id']}/{action}", json={"version": version}
        )
        assert response.status_code == 200, response.text
        version = response.json()["version"]
    page = client_as("fp.mkd").get(f"/activities/new?like={record['id']}").text
    assert ticked(page, "other_missions") == ["ALB"]


def test_log_another_like_a_record_one_may_not_see_is_not_found(client_as):
    draft = create_activity(client_as("fp.srb"), meeting_body(mission="SRB"))
    fp = client_as("fp.mkd")
    assert fp.get(f"/activities/new?like={draft['id']}").status_code == 404
    assert fp.get("/activities/new?like=abc").status_code == 404
    assert fp.get("/activities/new?like=99999999").status_code == 404
    assert client_as("cpc").get(f"/activities/new?like={draft['id']}").status_code == 403
    # readers who cannot log activities see no such button
    approved = client_as("cpc").get("/activities").text
    assert "?like=" not in approved
