"""Who hears of what: notices written in the transaction of the change they are about.

The audit trail is the one place every change passes through (app/audit/service.py), so
the notices follow its entries: a change that is rolled back takes its audit entry, its
notices and their mails with it, and a change nobody audits cannot slip past. Whether a
person may see the record is decided here, when the notice is made, with the records'
own policy (app/activities/policy.py); the page checks again when it shows it.

- submitted: to the heads of the record's mission;
- returned (with the comment) and approved: to the record's author;
- alert: a monitoring visit whose alert is raised, or raised in level, as far as the
  person can see it (a draft's alert reaches the CPC desk when it is submitted): to the
  heads of mission and the CPC desk;
- development: a development logged, to the CPC desk;
- account: a user's role, mission, active flag or password changed, to that user.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.activities import policy
from app.activities.models import Activity
from app.audit.models import AuditEntry
from app.missions.models import Development
from app.notifications.models import Delivery, Notice, NoticeKind, NoticePreference, OutboxMail
from app.vocab import ActivityType, AlertLevel, Status

ALERT_RANK = {level.value: rank for rank, level in enumerate(AlertLevel)}


def message_id() -> str:
    """A Message-ID chosen once per mail, kept across every attempt to send it."""
    return f"<{uuid.uuid4().hex}.notice@fieldlog>"


def on_audit_entry(session: Session, entry: AuditEntry) -> None:
    """The audit trail's observer: the notices this entry calls for."""
    if entry.entity == "activity" and entry.action in {"create", "update", "transition"}:
        _activity_changed(session, entry)
    elif entry.entity == "development" and entry.action == "create":
        _development_logged(session, entry)
    elif entry.entity == "user" and entry.action == "update":
        _account_changed(session, entry)


def _activity_changed(session: Session, entry: AuditEntry) -> None:
    if entry.entity_id is None or (activity := session.get(Activity, entry.entity_id)) is None:
        return
    before = _before(activity, entry)
    actor = entry.user_id
    status = activity.status
    if before is not None and before["status"] != status:
        if status == Status.SUBMITTED.value:
            for head in _heads_of(session, activity.mission_id):
                _notify(session, head, NoticeKind.SUBMITTED, activity, actor, _submitted(activity))
        elif status in (Status.RETURNED.value, Status.APPROVED.value):
            author = session.get(User, activity.created_by_id) if activity.created_by_id else None
            if author is not None and author.active:
                kind = (
                    NoticeKind.RETURNED if status == Status.RETURNED.value else NoticeKind.APPROVED
                )
                _notify(session, author, kind, activity, actor, _reviewed(activity))
    if activity.type == ActivityType.MONITORING_VISIT.value:
        watchers = [*_heads_of(session, activity.mission_id), *_cpc_desk(session)]
        for person in watchers:
            if _alert_seen(person, activity, _as_dict(activity)) > _alert_seen(
                person, activity, before
            ):
                level = AlertLevel(activity.alert_level or "none").label.lower()
                text = f"{level.capitalize()} alert: “{activity.title}” ({activity.mission.code})"
                _notify(session, person, NoticeKind.ALERT, activity, actor, text)


def _before(activity: Activity, entry: AuditEntry) -> dict[str, Any] | None:
    """The record's status and alert before the change (None for a new record): the entry
    holds the fields that changed, the record the rest."""
    if entry.action == "create":
        return None
    state = _as_dict(activity)
    for name in state:
        if entry.before and name in entry.before:
            state[name] = entry.before[name]
    return state


def _as_dict(activity: Activity) -> dict[str, Any]:
    return {
        "status": activity.status,
        "alert_level": activity.alert_level,
        "alert_closed": activity.alert_closed,
    }


def _alert_seen(person: User, activity: Activity, state: dict[str, Any] | None) -> int:
    """How high an open alert `person` could see on the record in `state` (0: none)."""
    if state is None or not state["alert_level"] or state["alert_closed"]:
        return 0
    as_then = Activity(status=state["status"], mission_id=activity.mission_id)
    if not policy.can_see(person, as_then):
        return 0
    return ALERT_RANK.get(state["alert_level"], 0)


def _submitted(activity: Activity) -> str:
    return f"Waiting for your review: “{activity.title}” ({activity.mission.code})"


def _reviewed(activity: Activity) -> str:
    if activity.status == Status.RETURNED.value:
        return f"Returned to you: “{activity.title}” — {activity.review_comment or ''}".strip()
    return f"Approved: “{activity.title}”"


def _development_logged(session: Session, entry: AuditEntry) -> None:
    if entry.entity_id is None or (dev := session.get(Development, entry.entity_id)) is None:
        return
    for person in _cpc_desk(session):
        notice = Notice(
            user_id=person.id,
            kind=NoticeKind.DEVELOPMENT.value,
            development_id=dev.id,
            actor_id=entry.user_id,
            text=f"Development logged: “{dev.title}” ({dev.country})",
        )
        _add(session, person, notice)


def _account_changed(session: Session, entry: AuditEntry) -> None:
    if entry.entity_id is None or (person := session.get(User, entry.entity_id)) is None:
        return
    changed = ", ".join(sorted((entry.after or {}).keys())) or "details"
    notice = Notice(
        user_id=person.id,
        kind=NoticeKind.ACCOUNT.value,
        actor_id=entry.user_id,
        text=f"Your account was changed ({changed}).",
    )
    _add(session, person, notice)


def _heads_of(session: Session, mission_id: int) -> list[User]:
    return list(
        session.scalars(select(User).where(policy.reviewers_of(mission_id)).order_by(User.id))
    )


def _cpc_desk(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(policy.desk()).order_by(User.id)))


def _notify(
    session: Session,
    person: User,
    kind: NoticeKind,
    activity: Activity,
    actor_id: int | None,
    text: str,
) -> None:
    """A notice about `activity` for `person`, if they may see the record now and did not
    make the change themselves."""
    if person.id == actor_id or not policy.can_see(person, activity):
        return
    notice = Notice(
        user_id=person.id, kind=kind.value, activity_id=activity.id, actor_id=actor_id, text=text
    )
    _add(session, person, notice)


def _add(session: Session, person: User, notice: Notice) -> None:
    """Keep the notice; queue its mail if the person wants each one mailed."""
    session.add(notice)
    session.flush()
    if person.email and delivery_for(session, person.id, notice.kind) is Delivery.IMMEDIATE:
        session.add(OutboxMail(user_id=person.id, notice_id=notice.id, message_id=message_id()))


def delivery_for(session: Session, user_id: int, kind: str) -> Delivery:
    """How `user_id` wants notices of `kind` mailed (each one, unless they chose)."""
    chosen = session.get(NoticePreference, (user_id, kind))
    return Delivery(chosen.delivery) if chosen else Delivery.IMMEDIATE
