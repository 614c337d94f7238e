"""Synthetic activities for demos and benchmarks.

Deterministic for a given seed, and always marked: provenance 'synthetic',
source 'synthetic (fieldlog demo)', external ids 'demo-<seed>-<id>'. Rows go in
through the bulk writer (activities/bulk.py) in one transaction with their aggregates
and one summary audit entry; a million takes a few minutes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from types import SimpleNamespace

from sqlalchemy import Engine, select, text

from app.activities import bulk
from app.activities.fields import ALL_TYPE_FIELDS
from app.db import unit_of_work
from app.missions.models import Location, Mission
from app.models_common import utcnow
from app.vocab import AlertLevel, Finding, TargetGroup

MISSION_WEIGHTS = {"SRB": 30, "MKD": 30, "ALB": 12, "BIH": 10, "MNE": 10, "KOS": 8}
STATUS_WEIGHTS = {"approved": 80, "submitted": 10, "draft": 7, "returned": 3}
# type -> (weight, [(response_area, dimension)], theme pool)
TYPES = {
    "monitoring_visit": (
        40,
        [("monitoring", "politico_military")],
        ["border_management", "early_warning", "protection_human_rights"],
    ),
    "training": (
        15,
        [
            ("policing_crime", "politico_military"),
            ("local_governance", "human"),
            ("human_rights", "human"),
        ],
        ["anti_trafficking", "anti_smuggling", "policing", "gender", "asylum"],
    ),
    "report": (
        10,
        [("reporting_liaising", "cross_dimensional")],
        ["early_warning", "regional_cooperation", "protection_human_rights"],
    ),
    "meeting": (
        20,
        [("reporting_liaising", "cross_dimensional"), ("policing_crime", "politico_military")],
        ["regional_cooperation", "border_management", "anti_trafficking"],
    ),
    "event": (
        5,
        [("human_rights", "human"), ("policing_crime", "politico_military")],
        ["protection_human_rights", "asylum", "regional_cooperation"],
    ),
    "awareness": (
        4,
        [("awareness_raising", "human")],
        ["tolerance_non_discrimination", "integration"],
    ),
    "assistance": (4, [("policing_crime", "politico_military")], ["border_management", "policing"]),
    "research_support": (
        2,
        [("research", "cross_dimensional")],
        ["countering_violent_extremism", "labour_migration"],
    ),
}
TITLES = {
    "monitoring_visit": "Monitoring visit to {place}",
    "training": "Training for {group} in {place}",
    "report": "Report on the situation around {place}",
    "meeting": "Coordination meeting in {place}",
    "event": "Workshop on migration in {place}",
    "awareness": "Community dialogue in {place}",
    "assistance": "Equipment for the border police in {place}",
    "research_support": "Support to field research in {place}",
}
FIRST_DAY, LAST_DAY = date(2014, 1, 1), date(2026, 10, 31)


def _weighted(rng: random.Random, weights: dict):
    keys = list(weights)
    values = [w if isinstance(w, int) else w[0] for w in weights.values()]
    totals = list(accumulate(values))
    return lambda: rng.choices(keys, cum_weights=totals)[0]


def generate(
    engine: Engine,
    *,
    count: int,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert `count` synthetic activities in one transaction; returns how many were added.

    One transaction, so the aggregates are summed once for the whole load (per batch,
    the same few hundred thousand aggregate rows were upserted again for every batch:
    the larger part of a million's time) and an interrupted run leaves nothing behind.
    `progress` hears how many records are made so far, every PROGRESS_EVERY.
    """
    with unit_of_work(engine, write=False) as session:
        missions = {m.code: m.id for m in session.scalars(select(Mission).order_by(Mission.code))}
        if not missions:
            raise RuntimeError("No missions: run `fieldlog seed` first.")
        places: dict[int, list[tuple[int, str]]] = {mid: [] for mid in missions.values()}
        for loc in session.scalars(select(Location).order_by(Location.id)):
            if loc.mission_id in places:
                places[loc.mission_id].append((loc.id, loc.name))
    with unit_of_work(engine) as session:
        if engine.dialect.name == "sqlite":  # the indexes' pages stay in memory as they grow
            session.execute(text(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}"))
        ids = bulk.reserve_ids(session, count)
        records = _records(random.Random(seed), missions, places, ids, seed, progress)
        added = bulk.write_many(
            session,
            records,
            actor_id=None,
            detail=f"synthetic demo data (fieldlog demo, seed {seed})",
            audit="summary",
        )
    return added


PROGRESS_EVERY = 10_000
SQLITE_CACHE_KIB = 512 * 1024  # SQLite's page cache while loading (its default: 2 MiB)


def _records(
    rng: random.Random,
    missions: dict[str, int],
    places: dict[int, list[tuple[int, str]]],
    ids: list[int],
    seed: int,
    progress: Callable[[int], None] | None,
) -> Iterator[SimpleNamespace]:
    """The synthetic records, made one at a time as the bulk writer reads them."""
    weights = {code: w for code, w in MISSION_WEIGHTS.items() if code in missions}
    weights |= {code: 5 for code in missions if code not in weights}
    pick_mission = _weighted(rng, weights)
    pick_type = _weighted(rng, TYPES)
    pick_status = _weighted(rng, STATUS_WEIGHTS)
    span = (LAST_DAY - FIRST_DAY).days
    days = [FIRST_DAY + timedelta(days=n) for n in range(span)]
    now = utcnow()
    codes = list(missions)
    others = {code: [missions[c] for c in codes if c != code] for code in codes}
    refs = {loc_id: _Ref(loc_id) for pool in places.values() for loc_id, _ in pool}
    refs |= {mid: _Ref(mid) for mid in missions.values()}
    nowhere = [(None, "the field")]
    for done, new_id in enumerate(ids, start=1):
        code = pick_mission()
        mission_id = missions[code]
        activity_type = pick_type()
        _, areas, pool = TYPES[activity_type]
        area, dimension = rng.choice(areas)
        location_id, place = rng.choice(places[mission_id] or nowhere)
        record = SimpleNamespace(**_row(rng, activity_type, place))
        record.__dict__.update(
            id=new_id,
            external_id=f"demo-{seed}-{new_id}",
            mission_id=mission_id,
            type=activity_type,
            start_date=days[rng.randrange(span)],
            start_precision="day",
            dimension=dimension,
            response_area=area,
            summary="Synthetic record generated by fieldlog demo.",
            source="synthetic (fieldlog demo)",
            status=pick_status(),
            provenance="synthetic",
            created_at=now,
            updated_at=now,
            version=1,
            partners=[],
            themes=rng.sample(pool, rng.randint(1, min(2, len(pool)))),
            other_missions=[],
        )
        if rng.random() < 0.02:
            record.other_missions = [refs[rng.choice(others[code])]]
        record.is_joint = bool(record.other_missions)
        record.locations = (
            [refs[location_id]]
            if location_id is not None and activity_type in LOCATED_TYPES
            else []
        )
        yield record
        if progress and (done % PROGRESS_EVERY == 0 or done == len(ids)):
            progress(done)


LOCATED_TYPES = frozenset({"monitoring_visit", "training", "meeting", "event"})


@dataclass(frozen=True, slots=True)
class _Ref:
    """A linked row (mission, location) as the bulk writer reads it: by its id."""

    id: int


_NULL_TYPE_FIELDS = dict.fromkeys(
    (*ALL_TYPE_FIELDS, "project_id", "end_date", "end_precision", "review_comment", "created_by_id")
)


_TARGET_GROUPS = TargetGroup.values()
_ALERT_LEVELS = AlertLevel.values()
_FINDINGS = Finding.values()


def _row(rng: random.Random, activity_type: str, place: str) -> dict:
    """The title and the type's own fields, plausible for the type."""
    row = dict(_NULL_TYPE_FIELDS)
    group = rng.choice(_TARGET_GROUPS)
    row["title"] = TITLES[activity_type].format(place=place, group=group.replace("_", " "))
    if activity_type == "monitoring_visit":
        alert = rng.choices(_ALERT_LEVELS, cum_weights=(85, 94, 98, 100))[0]
        row |= {
            "team": "Monitoring team",
            "team_size": rng.randint(1, 4),
            "overnight": rng.random() < 0.1,
            "persons_observed": rng.randint(0, 2000),
            "findings": rng.sample(_FINDINGS, rng.randint(0, 2)),
            "alert_level": alert,
            "alert_closed": alert != "none" and rng.random() < 0.6,
        }
    elif activity_type == "training":
        total = rng.randint(8, 40)
        # women and men each recorded or not, as focal points do; the rest not recorded
        women = rng.randint(0, total) if rng.random() < 0.8 else None
        men = total - (women or 0) - rng.randint(0, 3) if rng.random() < 0.7 else None
        row |= {
            "target_groups": [group] + rng.sample(TargetGroup.values(), rng.randint(0, 1)),
            "participants_total": total,
            "participants_women": women,
            "participants_men": max(men, 0) if men is not None else None,
            "training_days": rng.randint(1, 5),
        }
    elif activity_type == "report":
        row |= {
            "report_kind": rng.choice(["spot", "thematic", "update", "periodic"]),
            "recipients": ["cpc"],
            "self_initiated": rng.random() < 0.7,
        }
    elif activity_type == "meeting":
        row |= {
            "meeting_kind": rng.choice(["coordination", "bilateral", "regional", "briefing"]),
            "meeting_level": rng.choice(["head_of_mission", "working_level"]),
        }
    elif activity_type == "event":
        row |= {
            "event_kind": rng.choice(["conference", "workshop", "roundtable"]),
            "attendees": rng.randint(10, 200),
        }
    elif activity_type == "awareness":
        row["audience_reached"] = rng.randint(50, 20_000)
    elif activity_type == "assistance":
        row["assistance_kind"] = rng.choice(["equipment", "expertise", "legal_aid"])
    else:
        row["research_topic"] = "Migration and local communities"
    return row
