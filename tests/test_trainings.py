"""Trainings: women and men each recorded or not, several target groups, and a share of
women taken over what was recorded only, the same on the API, the form, the spreadsheets,
the dashboard, the comparison and the reports, on both databases."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from sqlalchemy import select

from app.activities import counting
from app.activities import service as activities
from app.activities.models import Activity
from app.dashboards.service import women_share_text
from app.exchange import columns as cols
from tests.support import (
    API,
    DROP,
    activity_body,
    create_activity,
    error_at,
    training_form,
)

# --- the rules, on plain values -------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "women", "men", "expected"),
    [
        (24, 9, 15, None),
        (24, None, None, None),
        (24, 9, None, None),
        (24, None, 24, None),
        (24, 0, 0, None),
        (None, None, None, None),
        (24, 25, None, ("participants_women", "25 women cannot be more than the 24")),
        (24, None, 30, ("participants_men", "30 men cannot be more than the 24")),
        (24, 10, 15, ("participants_men", "10 women and 15 men make 25, more than the 24")),
        (
            None,
            3,
            None,
            ("participants_women", "give the participants in total (participants_total)"),
        ),
        (None, None, 3, ("participants_men", "give the participants in total")),
    ],
)
def test_women_and_men_are_each_optional_and_together_within_the_total(total, women, men, expected):
    problems = activities.participants_problems(total, women, men)
    if expected is None:
        assert problems == []
    else:
        field, words = expected
        assert [name for name, _ in problems][:1] == [field]
        assert words in problems[0][1]


def test_the_split_is_the_women_and_men_recorded():
    assert counting.sex_recorded("training", 9, 15) == 24
    assert counting.sex_recorded("training", 9, None) == 9
    assert counting.sex_recorded("training", None, None) == 0
    assert counting.sex_recorded("meeting", 9, 15) == 0
    assert counting.target_group_keys("training", ["police", "lawyers", "police"]) == (
        "lawyers",
        "police",
    )
    assert counting.target_group_keys("training", None) == ("",)
    assert counting.target_group_keys("meeting", ["police"]) == ()


def test_the_share_of_women_says_over_how_many_and_how_many_were_not_recorded():
    assert (
        women_share_text(trained=454, women=7, recorded=24)
        == "29% women, of 24 people where recorded; 430 not recorded"
    )
    assert (
        women_share_text(trained=24, women=7, recorded=24)
        == "29% women, of 24 people, all recorded"
    )
    assert (
        women_share_text(trained=430, women=0, recorded=0)
        == "women and men not recorded for the 430 people trained"
    )
    assert women_share_text(trained=0, women=0, recorded=0) == ""
    assert "1 person where recorded" in women_share_text(trained=5, women=1, recorded=1)


# --- the API ---------------------------------------------------------------------------------


def test_a_training_keeps_women_men_and_several_groups(client_as, session):
    fp = client_as("fp.mkd")
    created = create_activity(
        fp,
        activity_body(
            "training",
            target_groups=["police", "border_police", "police"],
            participants_total=30,
            participants_women=10,
            participants_men=15,
        ),
    )
    assert created["target_groups"] == ["border_police", "police"]
    assert (created["participants_women"], created["participants_men"]) == (10, 15)
    read = fp.get(f"{API}/{created['id']}").json()
    assert read == created
    # only men recorded; the groups changed to one
    changed = fp.patch(
        f"{API}/{created['id']}",
        json={
            "version": read["version"],
            "participants_women": None,
            "target_groups": ["lawyers"],
        },
    ).json()
    assert changed["participants_women"] is None and changed["participants_men"] == 15
    assert changed["target_groups"] == ["lawyers"]
    session.expire_all()
    row = session.get(Activity, created["id"])
    assert row.target_groups == ["lawyers"]
    # a type without target groups reads null, and refuses them in words
    meeting = create_activity(fp, activity_body("meeting"))
    assert meeting["target_groups"] is None and meeting["participants_men"] is None
    refused = fp.post(API, json=activity_body("meeting", target_groups=["police"]))
    assert "belongs to training records" in error_at(refused, ["body", "target_groups"])["msg"]
    # a change of type clears the training's groups and counts
    moved = fp.patch(
        f"{API}/{created['id']}",
        json={"version": changed["version"], "type": "meeting", "response_area": "monitoring"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["target_groups"] is None and moved.json()["participants_men"] is None


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        (
            {"participants_total": 20, "participants_women": 12, "participants_men": 10},
            "participants_men",
            "12 women and 10 men make 22, more than the 20 participants in total",
        ),
        (
            {"participants_total": DROP, "participants_women": DROP, "participants_men": 4},
            "participants_men",
            "give the participants in total (participants_total) when you give the number of men",
        ),
        ({"participants_men": -1}, "participants_men", "greater than or equal to 0"),
    ],
)
def test_the_api_says_what_is_wrong_with_the_counts_in_words(
    client_as, session, overrides, field, words
):
    before = session.scalar(select(Activity.id).order_by(Activity.id.desc()).limit(1))
    response = client_as("fp.mkd").post(API, json=activity_body("training", **overrides))
    assert words in error_at(response, ["body", field])["msg"]
    session.rollback()
    assert session.scalar(select(Activity.id).order_by(Activity.id.desc()).limit(1)) == before


# --- the form --------------------------------------------------------------------------------


def _value_of(page: str, field: str) -> str:
    found = re.search(rf'<input id="f-{field}" name="{field}"[^>]* value="([^"]*)"', page)
    assert found, f"no input {field}"
    return html.unescape(found.group(1))


def test_the_form_asks_for_men_and_several_groups_and_says_what_is_wrong(client_as, engine):
    fp = client_as("fp.mkd")
    page = fp.get("/activities/new", params={"type": "training"}).text
    assert 'name="participants_men"' in page
    for group in ("border_police", "lawyers"):
        assert re.search(rf'name="target_groups"[^>]*value="{group}"', page), group
    bad = fp.post(
        "/activities/new",
        data=training_form(participants_women="12", participants_men="20"),
        follow_redirects=False,
    )
    assert bad.status_code == 422
    message = re.search(
        r'id="f-participants_men-error" class="field-error">(.*?)</small>', bad.text
    )
    assert message and "more than the 24 participants" in html.unescape(message.group(1))
    assert _value_of(bad.text, "participants_men") == "20"
    good = fp.post(
        "/activities/new",
        data=training_form(target_groups=["lawyers", "police"], participants_men=""),
        follow_redirects=False,
    )
    assert good.status_code == 303, good.text[:500]
    new_id = int(re.search(r"/activities/(\d+)", good.headers["location"]).group(1))
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        stored = s.get(Activity, new_id)
        assert stored.target_groups == ["lawyers", "police"]
        assert (stored.participants_women, stored.participants_men) == (9, None)
    shown = fp.get(f"/activities/{new_id}").text
    assert "Lawyers, Police" in shown


# --- spreadsheets ----------------------------------------------------------------------------


def test_several_groups_in_one_cell_import_and_export_alike(client_as, session):
    fp = client_as("fp.mkd")
    rows = []
    for n, (groups, women, men) in enumerate(
        [("police; lawyers", "3", "4"), ("border_police | officials", "", "5"), ("", "2", "")]
    ):
        row = dict.fromkeys(cols.IMPORT_NAMES, "")
        row |= {
            "external_id": f"groups-{n}",
            "type": "training",
            "title": f"Training {n}",
            "start": "2019-05-0" + str(n + 1),
            "dimension": "politico_military",
            "response_area": "policing_crime",
            "target_groups": groups,
            "participants_total": "10",
            "participants_women": women,
            "participants_men": men,
        }
        rows.append(row)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=cols.IMPORT_NAMES)
    writer.writeheader()
    writer.writerows(rows)
    response = fp.post(
        "/api/v1/imports", files={"file": ("t.csv", buffer.getvalue().encode(), "text/csv")}
    )
    assert response.status_code == 200 and response.json()["created"] == 3, response.text[:500]
    exported = list(
        csv.DictReader(
            io.StringIO(
                fp.get(
                    "/api/v1/exports/activities.csv", params={"from": "2019-05", "to": "2019-05"}
                ).text
            )
        )
    )
    by_id = {r["external_id"]: r for r in exported}
    assert by_id["groups-0"]["target_groups"] == "lawyers; police"
    assert by_id["groups-1"]["target_groups"] == "border_police; officials"
    assert by_id["groups-2"]["target_groups"] == ""
    assert (by_id["groups-1"]["participants_women"], by_id["groups-1"]["participants_men"]) == (
        "",
        "5",
    )
    # the export reads back in as the same records (new ids: the external ids are taken)
    again = io.StringIO()
    writer = csv.DictWriter(again, fieldnames=cols.IMPORT_NAMES, extrasaction="ignore")
    writer.writeheader()
    for row in exported:
        writer.writerow({**row, "external_id": "again-" + row["external_id"]})
    second = fp.post(
        "/api/v1/imports", files={"file": ("t.csv", again.getvalue().encode(), "text/csv")}
    )
    assert second.status_code == 200 and second.json()["created"] == 3, second.text[:500]
    session.rollback()
    for n in range(3):
        first, copy = (
            session.scalars(select(Activity).where(Activity.external_id == key)).one()
            for key in (f"groups-{n}", f"again-groups-{n}")
        )
        assert first.target_groups == copy.target_groups
        assert (first.participants_women, first.participants_men) == (
            copy.participants_women,
            copy.participants_men,
        )


def test_an_older_file_with_one_target_group_column_still_imports(client_as, session):
    header = [n if n != "target_groups" else "target_group" for n in cols.IMPORT_NAMES]
    row = dict.fromkeys(header, "")
    row |= {
        "external_id": "old-template",
        "type": "training",
        "title": "Old template",
        "start": "2019-06",
        "dimension": "politico_military",
        "response_area": "policing_crime",
        "target_group": "police",
    }
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header)
    writer.writeheader()
    writer.writerow(row)
    response = client_as("fp.mkd").post(
        "/api/v1/imports", files={"file": ("old.csv", buffer.getvalue().encode(), "text/csv")}
    )
    assert response.status_code == 200 and response.json()["created"] == 1, response.text[:500]
    session.rollback()
    stored = session.scalars(select(Activity).where(Activity.external_id == "old-template")).one()
    assert stored.target_groups == ["police"]


# --- the dashboard, the comparison, the reports: the share over what was recorded -----------


def test_the_share_of_women_is_over_the_people_whose_sex_was_recorded(client_as):
    """24 people with women and men recorded (7 and 17), 430 with neither: 29% of 24."""
    fp = client_as("fp.mkd")
    recorded = activity_body(
        "training",
        start="2019-03-05",
        target_groups=["border_police", "police"],
        participants_total=24,
        participants_women=7,
        participants_men=17,
    )
    unrecorded = activity_body(
        "training",
        start="2019-03-20",
        target_groups=["border_police"],
        participants_total=430,
        participants_women=DROP,
        participants_men=DROP,
    )
    hom = client_as("hom.mkd")
    for body in (recorded, unrecorded):  # the figures count approved records
        activity_id = create_activity(fp, body)["id"]
        assert fp.post(f"{API}/{activity_id}/submit", json={"version": 1}).status_code == 200
        assert hom.post(f"{API}/{activity_id}/approve", json={"version": 2}).status_code == 200
    period = {"from": "2019-03", "to": "2019-03"}
    words = "29% women, of 24 people where recorded; 430 not recorded"

    head = fp.get("/api/v1/missions/MKD/summary", params=period).json()["headline"]
    assert head["participants_trained"] == 454
    assert head["participants_women"] == 7
    assert head["participants_sex_recorded"] == 24
    assert head["participants_sex_not_recorded"] == 430
    assert head["women_share"] == round(7 / 24, 3)
    assert head["women_share_text"] == words

    # per target group: a training with two groups counts in each one's row
    groups = {
        g["target_group"]: g
        for g in fp.get("/api/v1/missions/MKD/dashboard", params=period).json()["trainings"]
    }
    assert groups["border_police"] == {
        "target_group": "border_police",
        "trainings": 2,
        "participants": 454,
        "women": 7,
        "men": 17,
        "not_recorded": 430,
    }
    assert (groups["police"]["trainings"], groups["police"]["not_recorded"]) == (1, 0)

    page = fp.get("/missions/MKD", params=period).text
    assert words in html.unescape(page)
    chart = re.search(r'<script type="application/json" id="trainings-data">(.*?)</script>', page)
    assert chart, "no chart data for the trainings"
    import json

    data = json.loads(chart.group(1))
    at = data["groups"].index("Border police")
    # "not recorded" is its own part, not zero women
    assert (data["women"][at], data["men"][at], data["not_recorded"][at]) == (7, 17, 430)
    assert "counts in each group" in page

    compare = fp.get("/compare", params=period).text
    assert words in html.unescape(compare)
    report = fp.get("/missions/MKD/report", params=period).text
    assert words in html.unescape(report)
    assert "Border police, Police" in html.unescape(report)
