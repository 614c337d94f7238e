"""Writing many new activities at once: a spreadsheet import, the seed, the demo data.

The bulk counterpart of writes.py, with the same promise: the rows, their links, the
dashboard aggregates, the search index and the audit trail all go in the caller's
transaction, so they are committed together or not at all. It is built for speed: records
are plain objects (not ORM instances), ids are reserved up front so rows go in with one COPY
(PostgreSQL) or executemany INSERT (SQLite) per batch, and the aggregates are summed
in a Tally and added once at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import islice
from operator import attrgetter
from types import SimpleNamespace
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.activities import aggregates, search
from app.activities import service as activities
from app.activities.models import (
    Activity,
    ActivityTargetGroup,
    ActivityTheme,
    activity_locations,
    activity_other_missions,
    activity_partners,
)
from app.audit.models import AuditEntry
from app.db import highest_id_ever, insert_rows, write_lock
from app.models_common import utcnow
from app.vocab import Provenance, Status

BATCH = 2_000
COLUMNS = tuple(column.key for column in Activity.__table__.columns)
_column_values = attrgetter(*COLUMNS)

# Grown by every load, for callers that refresh the planner's statistics afterwards.
TABLES = (
    Activity.__table__,
    ActivityTheme.__table__,
    ActivityTargetGroup.__table__,
    activity_other_missions,
    activity_locations,
    activity_partners,
    AuditEntry.__table__,
    *(model.__table__ for model, _, _ in aggregates.TABLES),
)


def new_record(
    values: dict[str, Any],
    resolved: activities.Resolved,
    *,
    status: Status,
    provenance: Provenance,
    created_by_id: int | None,
    now: datetime,
) -> SimpleNamespace:
    """A new activity as a plain record, from values checked by activities.service.validate.

    The service's own fill() sets it, so the columns get exactly the values a created
    activity gets, without the cost of ORM instrumentation on 100,000 objects.
    """
    record = SimpleNamespace(
        id=None,
        external_id=values.get("external_id"),
        status=status.value,
        provenance=provenance.value,
        created_by_id=created_by_id,
        review_comment=None,
        created_at=now,
        updated_at=now,
        version=1,
    )
    activities.fill(record, values, resolved)
    record.mission_id = resolved.mission.id
    record.project_id = resolved.project.id if resolved.project else None
    return record


def reserve_ids(session: Session, count: int) -> list[int]:
    """Ids for `count` new activities, so the rows go in with one COPY or executemany.

    PostgreSQL hands them out from the table's sequence; on SQLite the write lock is
    taken first (the database's only one), so the ids after the highest ever used
    (never a deleted record's) stay ours.
    """
    if session.get_bind().dialect.name == "postgresql":
        return list(
            session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('activities', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": count},
            )
        )
    write_lock(session)
    first = highest_id_ever(session, Activity.__table__) + 1
    return list(range(first, first + count))


def write_many(
    session: Session,
    records: Iterable[SimpleNamespace],
    *,
    actor_id: int | None,
    detail: str,
    audit: Literal["each", "summary"] = "each",
) -> int:
    """Insert new activities with their links, aggregates and audit trail; return how many.

    Never commits. `records` are Activity-shaped plain objects (see `new_record`): every
    column as an attribute, plus `themes` and `target_groups` (codes, or None) and
    `other_missions`, `locations` and `partners` (objects with an `id`). Give them all an
    id from `reserve_ids`, or none (they get one here). They are read BATCH at a time, so
    a generator keeps only one batch in memory. `audit="each"` writes a create entry per
    record, as a record created by hand gets; `"summary"` writes one entry for the whole load.
    """
    now = utcnow()
    tally = aggregates.Tally()
    names = search.NameBook(session)
    sqlite = session.get_bind().dialect.name == "sqlite"
    written, first_id, last_id = 0, None, None
    records = iter(records)
    while batch := list(islice(records, BATCH)):
        _give_ids(session, batch)
        # One list of rows to insert per table.
        rows: list[dict[str, Any]] = []
        themes: list[dict[str, Any]] = []
        groups: list[dict[str, Any]] = []
        others: list[dict[str, Any]] = []
        located: list[dict[str, Any]] = []
        partnered: list[dict[str, Any]] = []
        entries: list[dict[str, Any]] = []
        for record in batch:
            # In the order they read back in, as the ORM's themes setter keeps them.
            record.themes = sorted(set(record.themes))
            record.target_groups = sorted(set(record.target_groups or ())) or None
            rows.append(dict(zip(COLUMNS, _column_values(record), strict=True)))
            new_id = record.id
            themes.extend({"activity_id": new_id, "theme": t} for t in record.themes)
            groups.extend(
                {"activity_id": new_id, "target_group": g} for g in record.target_groups or ()
            )
            others.extend(
                {"activity_id": new_id, "mission_id": m.id} for m in record.other_missions
            )
            located.extend({"activity_id": new_id, "location_id": x.id} for x in record.locations)
            partnered.extend({"activity_id": new_id, "partner_id": p.id} for p in record.partners)
            if audit == "each":
                entries.append(_entry(now, actor_id, new_id, activities.snapshot(record), detail))
            tally.add(aggregates.Facts.of(record))
        insert_rows(session, Activity.__table__, rows)
        for table, payload in (
            (ActivityTheme.__table__, themes),
            (ActivityTargetGroup.__table__, groups),
            (activity_other_missions, others),
            (activity_locations, located),
            (activity_partners, partnered),
            (AuditEntry.__table__, entries),
        ):
            insert_rows(session, table, payload)
        search.insert_bulk(session, search.bulk_rows(names, batch, sqlite))
        written += len(batch)
        low, high = min(r.id for r in batch), max(r.id for r in batch)
        first_id = low if first_id is None else min(first_id, low)
        last_id = high if last_id is None else max(last_id, high)
    if audit == "summary" and written:
        summary = {"activities": written, "first_id": first_id, "last_id": last_id}
        insert_rows(session, AuditEntry.__table__, [_entry(now, actor_id, None, summary, detail)])
    aggregates.apply(session, tally.contribution())
    return written


def _give_ids(session: Session, batch: Sequence[SimpleNamespace]) -> None:
    without = sum(record.id is None for record in batch)
    if without == 0:
        return
    if without != len(batch):
        raise ValueError("give every record an id from reserve_ids, or none of them")
    for record, new_id in zip(batch, reserve_ids(session, len(batch)), strict=True):
        record.id = new_id


def _entry(now, actor_id, entity_id, after, detail) -> dict[str, Any]:
    return {
        "at": now,
        "user_id": actor_id,
        "action": "create",
        "entity": activities.ENTITY,
        "entity_id": entity_id,
        "before": None,
        "after": after,
        "detail": detail,
    }
