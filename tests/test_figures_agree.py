"""One counting rule per figure: for each reader and period, the dashboard page, the
comparison (page and API), the mission and regional reports, the API summary and the
export's row count give the same approved figures, and what else the reader may see is
shown apart ("185 approved · 1 waiting for review · 0 returned"), never mixed in.

The periods include ones that cut through records dated only to a year or a quarter.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from app.accounts.deps import Viewer
from app.dashboards.periods import bounds
from app.partial_dates import PartialDate
from tests.figures_oracle import raw_tallies
from tests.support import activity_body, create_activity, demo_user

READERS = ("fp.mkd", "hom.mkd", "fp.srb", "cpc", "admin")
PERIODS = (
    ("2015", "2016"),  # the issue's period
    ("2015-06-15", "2016-03-10"),  # days at both ends, cutting through "2015" and "2016"
    ("2015-01", "2015-03"),  # the first quarter: a "2015" record only may be in it
    ("2016-Q1", "2016-Q2"),
)
STATUS_WORDS = {"draft": "draft", "submitted": "waiting for review", "returned": "returned"}


def _number(text: str) -> int:
    return int(text.replace(",", "").replace("\u202f", "").replace(" ", ""))


def _page_figures(html: str) -> dict[str, int]:
    found = re.findall(
        r'<span class="figure">([\d,\s\u202f]+)</span> <span class="what">([a-z ]+)', html
    )
    return {what.strip(): _number(n) for n, what in found}


def _report_figures(html: str, mission_name: str | None = None) -> dict[str, int]:
    if mission_name:  # the regional report: the mission's own block of figures
        html = html[html.index(f"<h3>{mission_name}</h3>") :]
    block = html[html.index('<div class="figures">') :]
    block = block[: block.index("</div>\n")]
    found = re.findall(r"<strong>([\d,]+)[^<]*</strong>([A-Za-z ]+)", block)
    return {what.strip(): _number(n) for n, what in found}


@pytest.fixture
def returned_alert_visit(client_as):
    """The issue's story: a focal point of Skopje logs a monitoring visit with an open alert
    and submits it; the head of mission returns it. Plus one draft and one submitted."""
    fp, hom = client_as("fp.mkd"), client_as("hom.mkd")
    visit = create_activity(
        fp,
        activity_body(
            "monitoring_visit", start="2015-11-19", alert_level="high", alert_closed=False
        ),
    )
    submitted = fp.post(
        f"/api/v1/activities/{visit['id']}/submit", json={"version": visit["version"]}
    )
    assert submitted.status_code == 200, submitted.text
    returned = hom.post(
        f"/api/v1/activities/{visit['id']}/return",
        json={"version": submitted.json()["version"], "comment": "Which crossing?"},
    )
    assert returned.status_code == 200, returned.text
    create_activity(fp, activity_body("meeting", start="2016-02-03"))  # a draft
    waiting = create_activity(fp, activity_body("meeting", start="2016-02-04"))
    fp.post(f"/api/v1/activities/{waiting['id']}/submit", json={"version": waiting["version"]})


def test_every_view_gives_the_same_approved_figures_and_shows_the_rest_apart(
    client_as, session, returned_alert_visit
):
    for who in READERS:
        client = client_as(who)
        user = Viewer.of(demo_user(session, who))
        for start, end in PERIODS:
            params = {"from": start, "to": end}
            where = (who, start, end)
            summary = client.get("/api/v1/missions/MKD/summary", params=params).json()
            h = summary["headline"]

            # the raw rows, one by one, by the rule stated again (tests/figures_oracle.py)
            first, last = bounds(PartialDate.parse(start).start, PartialDate.parse(end).end)
            approved, apart, may = raw_tallies(
                session, first=first, last=last, user=user, axis="type"
            )
            mission_id = _mission_id(session, "MKD")
            oracle_n = sum(v[0] for (m, _), v in approved.items() if m == mission_id)
            oracle_visits = approved.get((mission_id, "monitoring_visit"), [0] * 7)[0]
            oracle_alerts = sum(v[4] for (m, _), v in approved.items() if m == mission_id)
            assert h["activities"] == oracle_n, where
            assert h["monitoring_visits"] == oracle_visits, where
            assert h["open_alerts"] == oracle_alerts, where
            assert h["may_be_in_period"] == sum(n for (m, _), n in may.items() if m == mission_id)

            # the comparison, as JSON and as a page
            compare = client.get("/api/v1/compare", params=params).json()
            row = next(r for r in compare["rows"] if r["mission"] == "MKD")
            for key in ("activities", "monitoring_visits", "open_alerts", "not_approved"):
                assert row["headline"][key] == h[key], (where, key)
            assert sum(row["cells"].values()) == h["activities"], where
            compare_page = client.get("/compare", params=params).text
            mkd_row = compare_page[compare_page.index('<a href="/missions/MKD?') :]
            mkd_row = mkd_row[: mkd_row.index("</tr>")]
            assert f"<strong>{h['activities']:,}</strong>" in mkd_row, where

            # the dashboard page
            page = client.get("/missions/MKD", params=params).text
            shown = _page_figures(page)
            assert shown["activities"] == h["activities"], where
            assert shown["monitoring visits"] == h["monitoring_visits"], where
            assert shown["open alerts"] == h["open_alerts"], where

            # the mission report and the regional report
            report = _report_figures(client.get("/missions/MKD/report", params=params).text)
            assert report["Activities"] == h["activities"], where
            assert report["Monitoring visits"] == h["monitoring_visits"], where
            assert report["Open alerts"] == h["open_alerts"], where
            regional = client.get("/report", params=params).text
            regional_mkd = _report_figures(regional, summary["name"])
            assert regional_mkd["Activities"] == h["activities"], where

            # the export: the approved records of (or involving) MKD in the period
            exported = client.get(
                "/api/v1/exports/activities.csv",
                params={**params, "mission": "MKD", "status": "approved"},
            )
            assert exported.status_code == 200, exported.text
            rows = list(csv.DictReader(io.StringIO(exported.text)))
            assert len(rows) == h["activities"], where

            # not approved: apart, for those who may see it, and never in the figures
            mine = {
                s: sum(c[s] for (m, _), c in apart.items() if m == mission_id)
                for s in h["not_approved"]
            }
            assert h["not_approved"] == mine, where
            if who in ("fp.mkd", "hom.mkd"):
                assert set(h["not_approved"]) == {"draft", "submitted", "returned"}
                apart_line = f"{h['activities']:,} approved" + "".join(
                    f" · {n:,} {STATUS_WORDS[s]}" for s, n in h["not_approved"].items()
                )
                assert (apart_line in page) == any(h["not_approved"].values()), where
            elif who == "cpc":
                assert set(h["not_approved"]) == {"submitted"}
            else:  # another mission's records that are not approved: none to show
                assert not any(h["not_approved"].values()), where
                assert "data-apart" not in page, where


def test_the_issues_story_a_returned_visit_with_an_alert_is_not_in_the_figures(
    client_as, returned_alert_visit
):
    hom = client_as("hom.mkd")
    params = {"from": "2015", "to": "2016"}
    mine = hom.get("/api/v1/missions/MKD/summary", params=params).json()["headline"]
    theirs = client_as("fp.srb").get("/api/v1/missions/MKD/summary", params=params).json()
    for key in ("activities", "monitoring_visits", "open_alerts"):
        assert mine[key] == theirs["headline"][key], key
    assert mine["not_approved"] == {"draft": 1, "submitted": 1, "returned": 1}
    page = hom.get("/missions/MKD", params=params).text
    assert f"{mine['activities']:,} approved · 1 draft · 1 waiting for review · 1 returned" in page


def test_a_year_only_record_is_wholly_in_its_year_and_only_may_be_in_part_of_it(client_as):
    fp, hom = client_as("fp.mkd"), client_as("hom.mkd")
    record = create_activity(fp, activity_body("meeting", start="2019"))
    record = fp.post(
        f"/api/v1/activities/{record['id']}/submit", json={"version": record["version"]}
    ).json()
    approved = hom.post(
        f"/api/v1/activities/{record['id']}/approve", json={"version": record["version"]}
    )
    assert approved.status_code == 200, approved.text
    reader = client_as("fp.srb")
    whole = reader.get("/api/v1/missions/MKD/summary", params={"from": "2019", "to": "2019"}).json()
    part = reader.get(
        "/api/v1/missions/MKD/summary", params={"from": "2019-01", "to": "2019-03"}
    ).json()
    assert whole["headline"]["meetings"] == 1 and whole["headline"]["may_be_in_period"] == 0
    assert part["headline"]["meetings"] == 0 and part["headline"]["may_be_in_period"] == 1
    dashboard = reader.get(
        "/api/v1/missions/MKD/dashboard", params={"from": "2019", "to": "2019"}
    ).json()
    months = dashboard["by_month"]
    assert all(sum(values) == 0 for values in months["series"].values())  # no January
    assert months["unknown"][0]["label"] == "2019, month unknown"
    assert months["unknown"][0]["series"] == {"meeting": 1}
    csv_part = reader.get(
        "/api/v1/exports/activities.csv",
        params={"from": "2019-01", "to": "2019-03", "mission": "MKD"},
    ).text
    assert record["title"] not in csv_part


def _mission_id(session, code: str) -> int:
    from sqlalchemy import select

    from app.missions.models import Mission

    return session.scalar(select(Mission.id).where(Mission.code == code))


def test_figures_that_include_reconstructed_records_say_so(client_as):
    """Skopje's visits reconstructed from the study's frequencies: named on the dashboard,
    the comparison and the report (one line for the series, not each note), and countable
    out of the comparison."""
    reader = client_as("cpc")
    params = {"from": "2015", "to": "2016"}
    h = reader.get("/api/v1/missions/MKD/summary", params=params).json()["headline"]
    assert h["reconstructed"] > 0
    words = f"{h['reconstructed']:,} records reconstructed from the frequencies the study reports"
    page = reader.get("/missions/MKD", params=params).text
    assert words in page
    assert page.count("records reconstructed from the frequencies") >= 2  # headline and charts
    compare = reader.get("/compare", params=params).text
    assert 'class="rec-mark"' in compare and "reconstructed from the frequencies" in compare
    report = reader.get("/missions/MKD/report", params=params).text
    assert (
        f"{h['reconstructed']:,} of the {h['activities']:,} activities are reconstructed" in report
    )
    series = "reconstructed from the frequencies the study reports (001 §6.1"
    assert report.count(series) == 1 and "not records of single visits" in report
    hidden = reader.get("/api/v1/compare", params={**params, "reconstructed": "false"}).json()
    shown = reader.get("/api/v1/compare", params=params).json()
    mkd_hidden = next(r for r in hidden["rows"] if r["mission"] == "MKD")["headline"]
    mkd_shown = next(r for r in shown["rows"] if r["mission"] == "MKD")["headline"]
    assert hidden["reconstructed_shown"] is False
    assert mkd_hidden["activities"] == mkd_shown["activities"] - h["reconstructed"]
    assert mkd_hidden["reconstructed"] == 0
