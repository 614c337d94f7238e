"""One activity's page: its fields in words, its history, and the actions its reader may take."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.accounts.actor import Actor
from app.accounts.models import User
from app.accounts.policy import can_log_activities
from app.activities import fields, history, policy, workflow
from app.activities.models import Activity
from app.partial_dates import PartialDate
from app.vocab import ActivityType


def context(session: Session, activity: Activity, user: Actor, **extra: Any) -> dict[str, Any]:
    """What the record's page shows: every field in words, its history, and what `user`
    may do with it now."""
    author = session.get(User, activity.created_by_id) if activity.created_by_id else None
    return {
        "a": activity,
        "start": PartialDate.of(activity.start_date, activity.start_precision),
        "end": PartialDate.of(activity.end_date, activity.end_precision),
        "type_fields": [
            (fields.LABELS[name], fields.readable(name, stored_value(activity, name)))
            for name in fields.TYPE_FIELDS[ActivityType(activity.type)]
        ],
        "history": history.build(session, activity),
        "author": author.name if author else None,
        "can_edit": policy.can_edit(user, activity),
        "can_delete": policy.can_delete(user, activity),
        # "Log another like this": a new draft of the reader's own mission (form.like).
        "can_log_like": can_log_activities(user),
        "actions": [a.value for a in workflow.available(user, activity)],
        "comment": "",
        **extra,
    }


def stored_value(activity: Activity, name: str) -> Any:
    """A type field as stored, with the report period's days read as dates."""
    value = getattr(activity, name)
    if name in ("period_from", "period_to") and value is not None:
        return PartialDate.of(value, "day")
    return value
