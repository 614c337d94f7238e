"""Dashboards: the aggregates stay equal to a recount, periods are answered exactly,
readers see only what they may, and the seed data tells the study's story."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.accounts.deps import Viewer
from app.activities import aggregates as stats
from app.activities.models import Activity
from app.dashboards import service
from app.dashboards.periods import split
from app.dashboards.schemas import Period
from app.demo import generate
from tests.figures_oracle import raw_tallies
from tests.support import activity_body, create_activity, demo_user, meeting_body


def _assert_aggregates_match_recount(session):
    session.rollback()  # end the last read: on SQLite it would still see the database as then
    assert stats.snapshot(session) == stats.recount(session.scalars(select(Activity)))


def test_aggregates_equal_a_recount_after_every_kind_of_write(client, client_as, session):
    """Edits by hand; bulk loads (import, seed, demo) are in tests/test_write_path.py."""
    _assert_aggregates_match_recount(session)
    fp = client_as("fp.mkd")
    body = {
        "mission": "MKD",
        "other_missions": ["SRB"],
        "type": "training",
        "title": "Training on document fraud",
        "start": "2016-02-10",
        "dimension": "politico_military",
        "response_area": "policing_crime",
        "themes": ["border_management", "anti_smuggling"],
        "participants_total": 24,
        "participants_women": 7,
        "target_groups": ["border_police"],
        "locations": ["gevgelija"],
    }
    created = fp.post("/api/v1/activities", json=body).json()
    _assert_aggregates_match_recount(session)
    # change the date, the themes, the other missions and the type in one go
    changed = fp.patch(
        f"/api/v1/activities/{created['id']}",
        json={
            "version": created["version"],
            "type": "monitoring_visit",
            "start": "2016-03",
            "themes": ["early_warning"],
            "other_missions": [],
            "alert_level": "high",
            "response_area": "monitoring",
        },
    ).json()
    assert changed["type"] == "monitoring_visit", changed
    _assert_aggregates_match_recount(session)
    # the alert is no longer open once closed
    closed = fp.patch(
        f"/api/v1/activities/{created['id']}",
        json={"version": changed["version"], "alert_closed": True},
    ).json()
    assert closed["alert_closed"] is True, closed
    _assert_aggregates_match_recount(session)
    submitted = fp.post(
        f"/api/v1/activities/{created['id']}/submit", json={"version": closed["version"]}
    ).json()
    _assert_aggregates_match_recount(session)
    returned = client.post(
        f"/api/v1/activities/{created['id']}/return",
        json={"version": submitted["version"], "comment": "Add findings"},
    ).json()
    _assert_aggregates_match_recount(session)
    again = fp.post(
        f"/api/v1/activities/{created['id']}/submit", json={"version": returned["version"]}
    ).json()
    approved = client.post(
        f"/api/v1/activities/{created['id']}/approve", json={"version": again["version"]}
    ).json()
    assert approved["status"] == "approved"
    _assert_aggregates_match_recount(session)
    # a draft, then deleted
    draft = fp.post("/api/v1/activities", json={**body, "title": "To delete"}).json()
    assert (
        fp.delete(
            f"/api/v1/activities/{draft['id']}", params={"version": draft["version"]}
        ).status_code
        == 204
    )
    _assert_aggregates_match_recount(session)


def test_a_failed_write_leaves_the_aggregates_alone(client, session):
    before = stats.snapshot(session)
    session.rollback()
    bad = client.post("/api/v1/activities", json={"mission": "MKD", "type": "training"})
    assert bad.status_code == 422
    assert stats.snapshot(session) == before


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_period_is_answered_exactly(engine, session, seed):
    """Figures from year/month aggregates plus the raw days at the ends equal a count of
    the raw rows one by one: approved, apart per status, and the records that only may
    fall in the period."""
    generate(engine, count=800, seed=seed)
    rng = random.Random(seed)
    # the demo dates every record to the day: make some known only to the month,
    # quarter or year, as the study's records are
    for activity in session.scalars(select(Activity)):
        precision = rng.choice(["day"] * 5 + ["month", "quarter", "year"])
        start = activity.start_date
        activity.start_precision = precision
        activity.start_date = {
            "day": start,
            "month": start.replace(day=1),
            "quarter": date(start.year, 3 * ((start.month - 1) // 3) + 1, 1),
            "year": date(start.year, 1, 1),
        }[precision]
    stats.rebuild(session)
    session.commit()
    session.expire_all()
    for login in ("hom.mkd", "cpc", "fp.srb"):
        user = Viewer.of(demo_user(session, login))
        for _ in range(3):
            start = date(2014, 1, 1) + timedelta(days=rng.randrange(4000))
            end = start + timedelta(days=rng.randrange(1, 1500))
            period = Period(start=start, end=end)
            for axis in ("area", "type", "theme"):
                fast = service.tallies(session, period=period, user=user, axis=axis)
                approved, apart, may = raw_tallies(
                    session, first=start, last=end, user=user, axis=axis
                )
                assert {k: v for k, v in fast.approved.items() if any(v)} == approved, (
                    login,
                    period,
                    axis,
                )
                assert {k: +v for k, v in fast.apart.items() if +v} == apart, (login, period)
                assert +fast.may == +may, (login, period, axis)


def test_period_split_covers_every_day_once():
    rng = random.Random(5)
    for _ in range(200):
        start = date(2013, 1, 1) + timedelta(days=rng.randrange(5000))
        end = start + timedelta(days=rng.randrange(0, 1200))
        covered = []
        for seg in split(start, end):
            if seg.kind == "raw":
                first, last = seg.start, seg.end
            elif seg.kind == "month":
                first = seg.start
                last = date(seg.end.year + (seg.end.month == 12), seg.end.month % 12 + 1, 1)
                last -= timedelta(days=1)
            else:
                first, last = seg.start, date(seg.end.year, 12, 31)
            covered.append((first, last))
        covered.sort()
        assert covered[0][0] == start and covered[-1][1] == end
        for (_, a_end), (b_start, _) in zip(covered, covered[1:], strict=False):
            assert b_start == a_end + timedelta(days=1)


def test_drafts_are_counted_apart_and_only_for_their_own_mission(client_as, session):
    """The headline counts approved records; a draft shows apart, to its own mission only."""
    fp = client_as("fp.mkd")
    create_activity(fp, activity_body("report", title="Draft spot report", start="2019-05-02"))
    period = {"from": "2019", "to": "2019"}
    own = fp.get("/api/v1/missions/MKD/summary", params=period).json()["headline"]
    other = client_as("fp.srb").get("/api/v1/missions/MKD/summary", params=period).json()
    cpc = client_as("cpc").get("/api/v1/missions/MKD/summary", params=period).json()
    assert own["reports"] == 0
    assert own["not_approved"] == {"draft": 1, "submitted": 0, "returned": 0}
    assert other["headline"]["reports"] == 0
    assert other["headline"]["not_approved"] == {"draft": 0, "submitted": 0, "returned": 0}
    assert cpc["headline"]["reports"] == 0
    assert cpc["headline"]["not_approved"] == {"submitted": 0}
    compare = client_as("fp.srb").get("/api/v1/compare", params=period).json()
    mkd = next(r for r in compare["rows"] if r["mission"] == "MKD")
    assert mkd["headline"]["activities"] == 0


def test_skopje_visits_to_gevgelija_rise_and_fall(client):
    data = client.get(
        "/api/v1/missions/MKD/dashboard", params={"from": "2015-08", "to": "2016-06"}
    ).json()
    visits = data["visits"]
    row = next(
        c
        for loc, c in zip(visits["locations"], visits["counts"], strict=True)
        if loc.startswith("Gevgelija")
    )
    weeks = [date.fromisoformat(w) for w in visits["weeks"]]

    def mean(first: date, last: date) -> float:
        values = [n for w, n in zip(weeks, row, strict=True) if first <= w <= last]
        return sum(values) / len(values)

    before = mean(date(2015, 8, 1), date(2015, 10, 25))
    tightened = mean(date(2015, 11, 2), date(2016, 2, 22))
    two_teams = mean(date(2016, 3, 7), date(2016, 4, 25))
    after = mean(date(2016, 5, 2), date(2016, 6, 27))
    assert 0.8 <= before <= 1.2  # once a week
    assert 3 <= tightened <= 4  # three to four times a week from November 2015
    assert two_teams > tightened  # two teams from March 2016
    assert 1 <= after <= 2 < tightened  # one or two a week from May 2016


def test_comparison_shows_the_study_picture(client_as):
    data = client_as("cpc").get("/api/v1/compare").json()
    rows = {r["mission"]: r for r in data["rows"]}
    for area in ("monitoring", "reporting_liaising"):
        frontline = min(rows[m]["cells"][area] for m in ("SRB", "MKD"))
        others = max(rows[m]["cells"][area] for m in ("ALB", "BIH", "KOS", "MNE"))
        assert frontline > others, area
    # engaged (two or more activities) across several areas; the other four thinly. Skopje's
    # human-rights work is not counted: the study credits it to "OSCE field missions in the
    # region" without naming Skopje.
    engaged = {m: sum(1 for v in rows[m]["cells"].values() if v >= 2) for m in rows}
    assert engaged["SRB"] >= 5 and engaged["MKD"] >= 4
    assert max(engaged[m] for m in ("ALB", "BIH", "KOS", "MNE")) <= 3
    assert rows["ALB"]["migration_focal_point_since"] == "2012"
    for code in ("KOS", "BIH", "MNE"):
        assert rows[code]["migration_focal_point_since"] is None


def test_mission_page_and_comparison_render(client):
    page = client.get("/missions/MKD", params={"from": "2015-08", "to": "2016-06"})
    assert page.status_code == 200
    for text in (
        "Monitoring visits per location and week",
        "Waiting for your review",
        "Figures as a table",
        "Migration focal point since",
        "Timeline",
    ):
        assert text in page.text
    compare = client.get("/compare", params={"axis": "type", "theme": "anti_trafficking"})
    assert compare.status_code == 200
    assert "Missions × activity types" in compare.text
    assert "/activities?mission=MKD&amp;type=" in compare.text


def test_bad_period_or_filters_are_explained_not_500(client):
    page = client.get("/missions/MKD", params={"from": "yesterday"})
    assert page.status_code == 422
    assert 'id="period-from-error"' in page.text and 'value="yesterday"' in page.text
    compare = client.get(
        "/compare", params={"axis": "nonsense", "theme": "x", "from": "2016", "to": "2015"}
    )
    assert compare.status_code == 422
    assert re.search(r'id="period-to-error"[^>]*>.*before its start', compare.text)
    assert "Compare by: choose one" in compare.text and "Theme: choose one" in compare.text
    assert client.get("/missions/XXX").status_code == 404


def test_review_queue_only_for_the_head_of_mission(client, client_as):
    fp = client_as("fp.mkd")
    created = create_activity(
        fp, meeting_body(title="Weekly coordination with UNHCR", start="2016-02-03")
    )
    fp.post(f"/api/v1/activities/{created['id']}/submit", json={"version": 1})
    queue = client.get("/api/v1/missions/MKD/dashboard").json()
    assert queue["review_queue_total"] == 1
    assert queue["review_queue"][0]["id"] == created["id"]
    assert fp.get("/api/v1/missions/MKD/dashboard").json()["review_queue_total"] == 0
    assert "Weekly coordination with UNHCR" in client.get("/missions/MKD").text


def test_rebuild_command_recounts_damaged_aggregates(engine, session, monkeypatch, db_url):
    """`fieldlog rebuild-aggregates` repairs aggregates changed behind the app's back."""
    from sqlalchemy import delete
    from typer.testing import CliRunner

    from app.activities.aggregate_models import ActivityStat
    from app.cli import app as cli
    from app.config import get_settings
    from app.db import get_engine

    session.execute(delete(ActivityStat))
    session.commit()
    assert stats.snapshot(session)["activity_stats"] == set()
    session.rollback()  # end the read, so the next one sees the command's work
    monkeypatch.setenv("FIELDLOG_DATABASE_URL", db_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["rebuild-aggregates"])
    finally:
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()
    assert result.exit_code == 0, result.output
    assert "recounted" in result.output
    _assert_aggregates_match_recount(session)


@pytest.mark.parametrize("login", ["hom.mkd", "cpc", "admin"])
def test_the_days_at_the_ends_of_a_period_are_read_through_the_date_index(session, login):
    """The raw part of a period in days reads the rows of its end months through the
    start_date index for every reader, never every record of a status (SQLite's plan)."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    user = Viewer.of(demo_user(session, login))
    segment = split(date(2015, 6, 15), date(2016, 3, 10))[0]
    assert segment.kind == "raw"
    for axis in ("area", "type", "theme"):
        query = service._raw_query(
            segment,
            user=user,
            axis=axis,
            theme=None,
            dimension=None,
            mission_id=None,
            reconstructed=True,
        )
        details = [row[3] for row in _query_plan(session, query)]
        assert any("ix_activities_start_date_id" in d for d in details), details
        assert not any(d.startswith("SCAN activities") for d in details), details


def _query_plan(session, query) -> list:
    """SQLite's EXPLAIN QUERY PLAN of `query`, with its parameters bound as the app binds them."""
    from sqlalchemy import event

    connection = session.connection()

    def explain(conn, cursor, statement, parameters, context, executemany):
        return "EXPLAIN QUERY PLAN " + statement, parameters

    event.listen(connection, "before_cursor_execute", explain, retval=True)
    try:
        return list(connection.execute(query))
    finally:
        event.remove(connection, "before_cursor_execute", explain)


@pytest.mark.parametrize("twice", [False, True])
def test_a_large_loads_aggregates_equal_a_recount(engine, session, monkeypatch, twice):
    """A load's aggregates go in by COPY into a scratch table and one upsert on PostgreSQL
    (row by row elsewhere): added to empty rows and to existing ones, they equal a recount."""
    monkeypatch.setattr(stats, "COPY_ROWS", 100)
    generate(engine, count=400, seed=5)
    if twice:  # the second load meets the first's rows: ON CONFLICT adds to them
        generate(engine, count=400, seed=6)
    _assert_aggregates_match_recount(session)
