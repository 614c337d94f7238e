"""Writing the audit trail. There is deliberately no update or delete here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry


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
    return entry


def changed_fields(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose values differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def history(session: Session, *, entity: str, entity_id: int) -> list[AuditEntry]:
    """Every entry about one record, oldest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )
