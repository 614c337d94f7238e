"""The one way a single activity is written: added, changed or deleted.

Each function here makes the change, adds its difference to the dashboard aggregates,
re-indexes it for search (search.py) and appends its audit entry, all in the caller's
transaction, so a caller cannot change a record and forget any; if anything fails, the
transaction's rollback takes them all back together. Loads of many new records go
through bulk.py, which does the same for thousands at a time.

`actor_id` is the signed-in user's id, or None for the system (seed loader, CLI).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from app.activities import aggregates, search
from app.activities import service as activities
from app.activities.models import Activity
from app.audit import service as audit

# What a status change's audit entry holds (the rest of the record did not change).
TRANSITION_FIELDS = ("status", "review_comment")


def add(
    session: Session, activity: Activity, *, actor_id: int | None, detail: str | None = None
) -> Activity:
    """Insert a new, filled-in activity; count it and audit its creation."""
    session.add(activity)
    session.flush()
    aggregates.record_change(session, None, aggregates.Facts.of(activity))
    search.index_activity(session, activity)
    audit.record(
        session,
        action="create",
        entity=activities.ENTITY,
        entity_id=activity.id,
        after=activities.snapshot(activity),
        user_id=actor_id,
        detail=detail,
    )
    return activity


@dataclass
class Change:
    """What `change` yields; `recorded` says, after the block, whether anything changed."""

    activity: Activity
    recorded: bool = False


@contextmanager
def change(
    session: Session,
    activity: Activity,
    *,
    actor_id: int | None,
    action: Literal["update", "transition"] = "update",
    detail: str | None = None,
) -> Iterator[Change]:
    """Change `activity` inside the block; on leaving it, write the change.

    The record is read before the block and again after a flush, and what moved is
    recorded: the aggregates' difference and one audit entry (an update lists the
    fields that changed; a transition, the status and review comment). A block that
    changes nothing writes nothing. If the block raises, nothing is recorded.
    """
    before_facts = aggregates.Facts.of(activity)
    before = activities.snapshot(activity)
    result = Change(activity)
    yield result
    session.flush()
    after = activities.snapshot(activity)
    if after == before:
        return
    result.recorded = True
    aggregates.record_change(session, before_facts, aggregates.Facts.of(activity))
    search.index_activity(session, activity)
    if action == "transition":
        before_entry = {name: before[name] for name in TRANSITION_FIELDS}
        after_entry = {name: after[name] for name in TRANSITION_FIELDS}
    else:
        before_entry, after_entry = audit.changed_fields(before, after)
    audit.record(
        session,
        action=action,
        entity=activities.ENTITY,
        entity_id=activity.id,
        before=before_entry,
        after=after_entry,
        user_id=actor_id,
        detail=detail,
    )


def delete(session: Session, activity: Activity, *, actor_id: int | None) -> None:
    """Delete `activity`; take it out of the aggregates and audit what it was."""
    aggregates.record_change(session, aggregates.Facts.of(activity), None)
    audit.record(
        session,
        action="delete",
        entity=activities.ENTITY,
        entity_id=activity.id,
        before=activities.snapshot(activity),
        user_id=actor_id,
    )
    search.remove(session, [activity.id])
    session.delete(activity)
    session.flush()
