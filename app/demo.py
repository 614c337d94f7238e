"""Synthetic activities for demos and benchmarks.

Deterministic for a given seed, and always marked: provenance 'synthetic',
source 'synthetic (fieldlog demo)', external ids 'demo-<seed>-<id>'. Rows go in
through the bulk writer (activities/bulk.py) in batches of BATCH, each batch in its
own transaction with its aggregates and one summary audit entry, so a million takes
minutes, not hours.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import Engine, select

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
BATCH = 20_000


def _weighted(rng: random.Random, weights: dict):
    keys = list(weights)
    values = [w if isinstance(w, int) else w[0] for w in weights.values()]
    return lambda: rng.choices(keys, values)[0]


def generate(
    engine: Engine,
    *,
    count: int,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert `count` synthetic activities; returns how many were added."""
    rng = random.Random(seed)
    with unit_of_work(engine, write=False) as session:
        missions = {m.code: m.id for m in session.scalars(select(Mission).order_by(Mission.code))}
        if not missions:
            raise RuntimeError("No missions: run `fieldlog seed` first.")
        places: dict[int, list[tuple[int, str]]] = {mid: [] for mid in missions.values()}
        for loc in session.scalars(select(Location).order_by(Location.id)):
            if loc.mission_id in places:
                places[loc.mission_id].append((loc.id, loc.name))
    weights = {code: w for code, w in MISSION_WEIGHTS.items() if code in missions}
    weights |= {code: 5 for code in missions if code not in weights}
    pick_mission = _weighted(rng, weights)
    pick_type = _weighted(rng, TYPES)
    pick_status = _weighted(rng, STATUS_WEIGHTS)
    span = (LAST_DAY - FIRST_DAY).days
    now = utcnow()
    codes = list(missions)

    done = 0
    while done < count:
        size = min(BATCH, count - done)
        records = []
        for _ in range(size):
            code = pick_mission()
            mission_id = missions[code]
            activity_type = pick_type()
            _, areas, pool = TYPES[activity_type]
            area, dimension = rng.choice(areas)
            location_id, place = rng.choice(places[mission_id] or [(None, "the field")])
            record = SimpleNamespace(**_row(rng, activity_type, place))
            record.__dict__.update(
                id=None,
                mission_id=mission_id,
                type=activity_type,
                start_date=FIRST_DAY + timedelta(days=rng.randrange(span)),
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
            )
            record.themes = rng.sample(pool, rng.randint(1, min(2, len(pool))))
            record.other_missions = []
            if rng.random() < 0.02:
                other = rng.choice([c for c in codes if c != code])
                record.other_missions = [_Ref(missions[other])]
            record.is_joint = bool(record.other_missions)
            record.locations = (
                [_Ref(location_id)]
                if location_id is not None and activity_type in LOCATED_TYPES
                else []
            )
            records.append(record)
        with unit_of_work(engine) as session:
            ids = bulk.reserve_ids(session, size)
            for record, new_id in zip(records, ids, strict=True):
                record.id, record.external_id = new_id, f"demo-{seed}-{new_id}"
            bulk.write_many(
                session,
                records,
                actor_id=None,
                detail=f"synthetic demo data (fieldlog demo, seed {seed})",
                audit="summary",
            )
        done += size
        if progress:
            progress(done)
    return done


LOCATED_TYPES = frozenset({"monitoring_visit", "training", "meeting", "event"})


@dataclass(frozen=True, slots=True)
class _Ref:
    """A linked row (mission, location) as the bulk writer reads it: by its id."""

    id: int


_NULL_TYPE_FIELDS = dict.fromkeys(
    (*ALL_TYPE_FIELDS, "project_id", "end_date", "end_precision", "review_comment", "created_by_id")
)


def _row(rng: random.Random, activity_type: str, place: str) -> dict:
    """The title and the type's own fields, plausible for the type."""
    row = dict(_NULL_TYPE_FIELDS)
    group = rng.choice(TargetGroup.values())
    row["title"] = TITLES[activity_type].format(place=place, group=group.replace("_", " "))
    if activity_type == "monitoring_visit":
        alert = rng.choices(AlertLevel.values(), [85, 9, 4, 2])[0]
        row |= {
            "team": "Monitoring team",
            "team_size": rng.randint(1, 4),
            "overnight": rng.random() < 0.1,
            "persons_observed": rng.randint(0, 2000),
            "findings": rng.sample(Finding.values(), rng.randint(0, 2)),
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
