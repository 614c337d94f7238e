"""A record's audit trail in words, for its page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.activities import service
from app.activities.fields import LABELS, readable, vocab_label
from app.activities.models import Activity
from app.audit import service as audit
from app.vocab import (
    Status,
)

router = APIRouter(include_in_schema=False)


@dataclass
class HistoryItem:
    at: datetime
    who: str
    action: str
    headline: str
    changes: list[tuple[str, str, str]]
    comment: str | None


def build(session: Session, activity: Activity) -> list[HistoryItem]:
    entries = audit.history(session, entity=service.ENTITY, entity_id=activity.id)
    ids = {e.user_id for e in entries if e.user_id is not None}
    names = (
        dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
        if ids
        else {}
    )
    items = []
    for e in entries:
        before, after = e.before or {}, e.after or {}
        changes: list[tuple[str, str, str]] = []
        comment = None
        if e.action == "create":
            status = vocab_label(Status, after.get("status", "draft")).lower()
            headline = f"Created (status: {status})"
        elif e.action == "transition":
            action = (e.detail or "").split(":", 1)[0]
            headline = {
                "submit": "Submitted for review",
                "approve": "Approved",
                "return": "Returned with a comment",
            }.get(action, "Status changed")
            comment = after.get("review_comment") if action == "return" else None
            changes.append(
                (
                    "Status",
                    readable("status", before.get("status")),
                    readable("status", after.get("status")),
                )
            )
        elif e.action == "update":
            headline = "Changed"
            for name in after:
                if name == "version":
                    continue
                changes.append(
                    (
                        LABELS.get(name, name.replace("_", " ").capitalize()),
                        readable(name, before.get(name)),
                        readable(name, after.get(name)),
                    )
                )
        else:
            headline = e.action.capitalize()
        who = names.get(e.user_id, "Unknown user") if e.user_id else "FieldLog (data load)"
        items.append(HistoryItem(e.at, who, e.action, headline, changes, comment))
    return items
