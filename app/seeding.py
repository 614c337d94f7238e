"""Loading `seeds/`: the six missions and what the study says they did.

Every record has a stable key, so loading twice leaves exactly the same rows:
rows are inserted when new and brought in line with the file otherwise
(SQLAlchemy writes nothing for a value that did not change). New activities go in
through the bulk writer, changed ones through the write path (activities/writes.py),
so the aggregates and the audit trail follow either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.activities import bulk, writes
from app.activities import service as activities
from app.activities.models import Activity
from app.activities.schemas import ActivityCreate
from app.missions import countries
from app.missions.models import (
    Development,
    FocalPointAppointment,
    Location,
    Mission,
    Partner,
    Project,
)
from app.models_common import utcnow
from app.partial_dates import PartialDate
from app.vocab import ActivityType, Provenance, Status

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
AUDIT_DETAIL = "seed"

# Spread of n visits over a Monday-to-Friday week (day offsets from Monday).
WEEKDAY_SPREAD = {1: [2], 2: [1, 3], 3: [0, 2, 4], 4: [0, 1, 3, 4], 5: [0, 1, 2, 3, 4]}


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, *, new: bool, changed: bool) -> None:
        if new:
            self.created[kind] = self.created.get(kind, 0) + 1
        elif changed:
            self.updated[kind] = self.updated.get(kind, 0) + 1


def _country_code(name: str, key: str) -> str:
    """The code of a seed's country; a name the controlled list cannot read stops the seed."""
    code = countries.code_for(name)
    if code is None:
        raise ValueError(f"locations.yaml {key}: no ISO 3166-1 country is called {name!r}")
    return code


def _load(name: str, seeds_dir: Path) -> Any:
    with open(seeds_dir / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or []


def _upsert(session: Session, model, key_column: str, key: str, values: dict, report, kind):
    """Insert or update one row found by its key; count what changed."""
    row = session.scalar(select(model).where(getattr(model, key_column) == key))
    new = row is None
    if new:
        row = model(**{key_column: key})
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    changed = not new and session.is_modified(row)
    report.count(kind, new=new, changed=changed)
    session.flush()
    return row


def _dates(record: dict, prefix: str, start_key: str = "start", end_key: str = "end") -> dict:
    start = PartialDate.parse(str(record[start_key])) if record.get(start_key) else None
    end = PartialDate.parse(str(record[end_key])) if record.get(end_key) else None
    return {
        f"{prefix}start_date": start.start if start else None,
        f"{prefix}start_precision": start.precision.value if start else None,
        f"{prefix}end_date": end.start if end else None,
        f"{prefix}end_precision": end.precision.value if end else None,
    }


def seed(session: Session, seeds_dir: Path = SEEDS_DIR) -> SeedReport:
    """Load every seed file into the database through `session` (not committed here)."""
    report = SeedReport()
    missions: dict[str, Mission] = {}
    for rec in _load("missions.yaml", seeds_dir):
        values = {
            k: rec.get(k, "")
            for k in (
                "name",
                "short_name",
                "host_country",
                "hq_city",
                "mandate_summary",
                "mandate_reference",
                "source",
            )
        }
        missions[rec["code"]] = _upsert(
            session, Mission, "code", rec["code"], values, report, "missions"
        )

    for rec in _load("focal_points.yaml", seeds_dir):
        values = {
            "mission": missions[rec["mission"]],
            "area": rec["area"],
            "holder": rec["holder"],
            "notes": rec.get("notes") or "",
            "source": rec.get("source") or "",
            **_dates(rec, ""),
        }
        _upsert(session, FocalPointAppointment, "code", rec["key"], values, report, "focal_points")

    # locations keep the ISO 3166-1 code of the country the seed names (app/missions/countries.py)
    for rec in _load("locations.yaml", seeds_dir):
        values = {
            "name": rec["name"],
            "kind": rec["kind"],
            "country": _country_code(rec["country"], rec["key"]),
            "mission": missions.get(rec.get("mission")) if rec.get("mission") else None,
            "latitude": rec.get("latitude"),
            "longitude": rec.get("longitude"),
            "source": rec.get("source") or "",
        }
        _upsert(session, Location, "code", rec["key"], values, report, "locations")

    for rec in _load("partners.yaml", seeds_dir):
        values = {k: rec.get(k) for k in ("name", "acronym", "kind", "country")}
        values["source"] = rec.get("source") or ""
        _upsert(session, Partner, "code", rec["key"], values, report, "partners")

    for rec in _load("projects.yaml", seeds_dir):
        values = {
            "title": rec["title"],
            "mission": missions[rec["mission"]],
            "funding": rec["funding"],
            "summary": rec.get("summary") or "",
            "source": rec.get("source") or "",
            **_dates(rec, ""),
        }
        _upsert(session, Project, "code", rec["key"], values, report, "projects")

    for rec in _load("developments.yaml", seeds_dir):
        when = PartialDate.parse(str(rec["date"]))
        values = {
            "title": rec["title"],
            "country": rec["country"],
            "occurred_on": when.start,
            "occurred_precision": when.precision.value,
            "summary": rec.get("summary") or "",
            "source": rec.get("source") or "",
            "provenance": Provenance.STUDY.value,
        }
        _upsert(session, Development, "code", rec["key"], values, report, "developments")

    records = [(rec, Provenance.STUDY) for rec in _load("activities.yaml", seeds_dir)]
    schedule = _load("reconstructed_visits.yaml", seeds_dir)
    records += [(rec, Provenance.RECONSTRUCTED) for rec in expand_visit_schedule(schedule)]
    new: dict[str, SimpleNamespace] = {}
    for rec, provenance in records:
        record = _seed_activity(session, rec, provenance, report)
        if record is not None:
            report.count("activities", new=record.external_id not in new, changed=True)
            new[record.external_id] = record
    bulk.write_many(session, new.values(), actor_id=None, detail=AUDIT_DETAIL)
    return report


def _seed_activity(
    session: Session, rec: dict, provenance: Provenance, report: SeedReport
) -> SimpleNamespace | None:
    """Validate a seed record with the API's own rules; bring a stored one in line with
    it, or return a new one for the bulk writer."""
    key = rec["key"]
    body = {k: v for k, v in rec.items() if k != "key"}
    for name in ("start", "end", "period_from", "period_to"):
        if body.get(name) is not None:
            body[name] = str(body[name])
    data = ActivityCreate.model_validate({**body, "external_id": key})
    values = activities.fields_of(data)
    resolved = activities.validate(session, values, loc_prefix=(key,))
    existing = session.scalar(select(Activity).where(Activity.external_id == key))
    if existing is None:
        return bulk.new_record(
            values,
            resolved,
            status=Status.APPROVED,
            provenance=provenance,
            created_by_id=None,
            now=utcnow(),
        )
    with writes.change(session, existing, actor_id=None, detail=AUDIT_DETAIL) as change:
        activities.fill(existing, values, resolved)
        existing.status = Status.APPROVED.value
        existing.provenance = provenance.value
    report.count("activities", new=False, changed=change.recorded)
    return None


def expand_visit_schedule(schedule: dict) -> list[dict]:
    """Turn the study's visit frequencies into one record per reconstructed visit.

    Each period runs week by week from its first Monday; `visits_per_week` is a
    number or a [low, high] range taken in turn, week after week; visits are
    spread over Monday to Friday. Only a period with `overnight_every_nth` (one whose
    note quotes "the PDU teams occasionally stayed in the field overnight") has
    overnight stays: every nth visit of that period. The study gives no team size and
    no alert level, so both stay null, and `overnight` is null outside such a period.
    """
    if not schedule:
        return []
    records = []
    common = {
        "mission": schedule["mission"],
        "type": schedule.get("type", ActivityType.MONITORING_VISIT.value),
        "response_area": schedule.get("response_area", "monitoring"),
        "dimension": schedule.get("dimension", "politico_military"),
        "themes": schedule.get("themes", []),
        "source": schedule["source"],
    }
    for plan in schedule["schedules"]:
        for period in plan["periods"]:
            first = date.fromisoformat(str(period["from"]))
            last = date.fromisoformat(str(period["to"]))
            per_week = period["visits_per_week"]
            choices = per_week if isinstance(per_week, list) else [per_week]
            every_nth = period.get("overnight_every_nth")
            visit_no = 0
            monday = first - timedelta(days=first.weekday())
            week = 0
            while monday <= last:
                n = int(choices[week % len(choices)])
                offsets = WEEKDAY_SPREAD.get(n, [i % 5 for i in range(n)])
                for offset in sorted(offsets):
                    day = monday + timedelta(days=offset)
                    if not first <= day <= last:
                        continue
                    visit_no += 1
                    overnight = visit_no % every_nth == 0 if every_nth else None
                    records.append(
                        {
                            **common,
                            "key": f"{schedule['key_prefix']}-{plan['location']}-{day.isoformat()}",
                            "title": plan["title"],
                            "start": day.isoformat(),
                            "locations": [plan["location"]],
                            "team": period.get("team", schedule.get("team")),
                            "team_size": None,
                            "overnight": overnight,
                            "alert_level": None,
                            "summary": (
                                f"Reconstructed from the study's frequency for this period: "
                                f"{period.get('note', '').strip()}"
                            ).strip(),
                        }
                    )
                monday += timedelta(days=7)
                week += 1
    return records
