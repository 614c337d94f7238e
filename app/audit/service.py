"""Writing the audit trail. There is deliberately no update or delete here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry

# Every change passes through `record`, in its own transaction; what must follow a change
# in that same transaction (a notice, app/notifications/events.py) subscribes here, so this
# lowest layer calls up without importing anything above it.
Observer = Callable[[Session, AuditEntry], None]
_observers: list[Observer] = []


def observe(observer: Observer) -> None:
    """Call `observer(session, entry)` for each entry `record` appends (once per observer)."""
    if observer not in _observers:
        _observers.append(observer)


def record(
    session: Session,
    *,
    action: str,
    entity: str,
    entity_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    user_id: int | None = None,
    detail: str | None = None,
) -> AuditEntry:
    """Append one entry; it is committed with the change it describes, or not at all."""
    entry = AuditEntry(
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        user_id=user_id,
        detail=detail,
    )
    session.add(entry)
    for observer in _observers:
        observer(session, entry)
    return entry


def changed_fields(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose values differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def history(session: Session, *, entity: str, entity_id: int) -> list[AuditEntry]:
    """Every entry about one record, oldest first, from the record's creation on.

    Entries name their record by (entity, id) only. Should an id ever be given to a second
    record (SQLite did so before migration 0005, to the record after a deleted highest
    one), the first record's entries must not show as the second's. So a record's history
    starts at the latest "create" entry for its id, which is its own: it is written in
    the transaction that creates the record, and audit ids only grow (the trail is
    append-only; SQLite takes the highest id plus one, PostgreSQL its sequence's next).
    Ids, not timestamps, so a clock set back changes nothing. A record with no "create"
    entry (rows from `fieldlog demo`) shows all there is.
    """
    about = (AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
    created = (
        select(func.max(AuditEntry.id))
        .where(*about, AuditEntry.action == "create")
        .scalar_subquery()
    )
    return list(
        session.scalars(
            select(AuditEntry)
            .where(*about, AuditEntry.id >= func.coalesce(created, 0))
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )
