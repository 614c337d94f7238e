"""The map's figures: approved activities per place for any period equal a count of the raw
rows; the Skopje dashboard's map shows Gevgelija largest for 2015–2016 and its link opens
exactly the records it counts; the comparison counts each record once."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from app.activities import aggregates as stats
from app.activities.models import Activity
from app.dashboards import service
from app.dashboards.schemas import Period
from app.demo import generate
from app.missions.models import Mission
from app.partial_dates import PartialDate


def _raw_places(activities, *, first, last, mission_id, reconstructed=True) -> dict[str, int]:
    """Per place code: approved records whose whole date lies in [first, last], of the
    mission (leading or taking part) or, without one, every record once. In its own words,
    not through counting.py."""
    found: Counter = Counter()
    for a in activities:
        if a.status != "approved" or (not reconstructed and a.provenance == "reconstructed"):
            continue
        when = PartialDate.of(a.start_date, a.start_precision)
        if (first and when.start < first) or (last and when.end > last):
            continue
        involved = {a.mission_id, *(m.id for m in a.other_missions)}
        if mission_id is not None and mission_id not in involved:
            continue
        for location in a.locations:
            found[location.code] += 1
    return dict(found)


def _alerts(activities, *, first, last, mission_id) -> dict[str, int]:
    found: Counter = Counter()
    for a in activities:
        when = PartialDate.of(a.start_date, a.start_precision)
        if a.status != "approved" or when.start < first or when.end > last:
            continue
        if mission_id not in {a.mission_id, *(m.id for m in a.other_missions)}:
            continue
        open_alert = a.alert_level in ("low", "elevated", "high") and not a.alert_closed
        if a.type == "monitoring_visit" and open_alert:
            for location in a.locations:
                found[location.code] += 1
    return {k: v for k, v in found.items() if v}


@pytest.mark.parametrize("seed", [1, 2])
def test_places_for_any_period_equal_a_count_of_the_raw_rows(engine, session, seed):
    generate(engine, count=600, seed=seed)
    rng = random.Random(seed)
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
    assert stats.snapshot(session) == stats.recount(session.scalars(select(Activity)))
    activities = list(session.scalars(select(Activity)))
    missions = [None, *session.scalars(select(Mission.id).order_by(Mission.id))]
    periods = [(None, None), (date(2015, 1, 1), date(2016, 12, 31))]
    for _ in range(6):
        start = date(2014, 1, 1) + timedelta(days=rng.randrange(4000))
        periods.append((start, start + timedelta(days=rng.randrange(1, 1500))))
    for first, last in periods:
        for mission_id in missions:
            period = Period(start=first, end=last)
            places = service.place_figures(session, period=period, mission_id=mission_id)
            expected = _raw_places(activities, first=first, last=last, mission_id=mission_id)
            assert {p.code: p.activities for p in places} == expected, (first, last, mission_id)
            assert all(sum(p.by_type.values()) == p.activities for p in places)
            assert [p.activities for p in places] == sorted(
                (p.activities for p in places), reverse=True
            )
            if mission_id is not None and first is not None:
                alerts = {p.code: p.open_alerts for p in places if p.open_alerts}
                assert alerts == _alerts(activities, first=first, last=last, mission_id=mission_id)
        hidden = service.place_figures(
            session, period=Period(start=first, end=last), reconstructed=False
        )
        expected = _raw_places(
            activities, first=first, last=last, mission_id=None, reconstructed=False
        )
        assert {p.code: p.activities for p in hidden} == expected


def _map_payload(html: str) -> dict:
    block = re.search(
        r'<script type="application/json" id="place-map-data">(.*?)</script>', html, re.S
    )
    assert block, "no map on the page"
    return json.loads(unescape(block.group(1)))


def test_the_skopje_map_shows_gevgelija_largest_and_links_its_records(client_as):
    client = client_as("hom.mkd")
    page = client.get("/missions/MKD", params={"from": "2015-01-01", "to": "2016-12-31"})
    assert page.status_code == 200
    payload = _map_payload(page.text)
    places = payload["places"]
    top = places[0]
    assert top["code"] == "gevgelija" and top["activities"] > places[1]["activities"]
    assert top["country"] == "MK" and top["country_name"] == "North Macedonia"
    assert top["main_type"] == "monitoring_visit"
    href = top["href"]
    assert href.startswith("/activities?")
    for part in (
        "location=gevgelija",
        "mission=MKD",
        "status=approved",
        "from=2015-01-01",
        "to=2016-12-31",
    ):
        assert part in href
    # the table says the same
    assert 'data-place="gevgelija"' in page.text
    # the list the link opens holds exactly the records the circle counts
    listed = client.get(
        "/api/v1/activities",
        params={
            "location": "gevgelija",
            "mission": "MKD",
            "status": "approved",
            "from": "2015-01-01",
            "to": "2016-12-31",
            "limit": 200,
        },
    )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert not body["total_is_lower_bound"] and body["total"] == top["activities"]


def test_the_comparison_counts_each_record_once_and_the_map_needs_no_outside_file(client_as):
    client = client_as("cpc")
    page = client.get("/compare", params={"from": "2015-01-01", "to": "2016-12-31"})
    assert page.status_code == 200
    places = _map_payload(page.text)["places"]
    assert places and "mission=" not in places[0]["href"]
    for src in re.findall(r'<script src="([^"]+)"', page.text):
        assert src.startswith("/static/"), src
    assert client.get("/static/vendor/world-atlas/countries-50m.json").status_code == 200
    assert client.get("/static/js/map.js").status_code == 200


def test_vendored_map_files_match_the_manifest():
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    manifest = json.loads((root / "static/vendor/manifest.json").read_text())
    wanted = {p["package"]: p for p in manifest}
    assert wanted["world-atlas"]["version"] == "2.0.2"
    assert wanted["topojson-client"]["version"] == "3.1.0"
    for package in ("world-atlas", "topojson-client"):
        for entry in wanted[package]["files"]:
            data = (root / entry["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
