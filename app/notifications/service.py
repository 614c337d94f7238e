"""Reading notices and setting preferences: what /notifications shows and changes.

A notice was made for someone who could see its record then; it shows only while they
still can (the record's policy, asked again here as SQL), so a record that went back to
draft, or a person moved to another mission, leaks nothing through an old notice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from app.accounts.actor import Actor
from app.activities import policy
from app.activities.models import Activity
from app.errors import FieldError, NotFound, ValidationFailed
from app.models_common import utcnow
from app.notifications.events import delivery_for
from app.notifications.models import Delivery, Notice, NoticeKind, NoticePreference

PAGE_SIZE = 100


def _visible_to(user: Actor) -> Select:
    """The notices of `user` whose record `user` may see now (or that name no record)."""
    return (
        select(Notice)
        .outerjoin(Activity, Activity.id == Notice.activity_id)
        .where(
            Notice.user_id == user.id,
            or_(Notice.activity_id.is_(None), policy.visible_activities(user)),
        )
    )


def unread_count(session: Session, user: Actor) -> int:
    query = _visible_to(user).where(Notice.read_at.is_(None))
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def latest(session: Session, user: Actor, *, unread_only: bool = False) -> Sequence[Notice]:
    query = _visible_to(user)
    if unread_only:
        query = query.where(Notice.read_at.is_(None))
    return session.scalars(query.order_by(Notice.id.desc()).limit(PAGE_SIZE)).all()


def visible_notice(session: Session, user: Actor, notice_id: int) -> Notice:
    """One of `user`'s notices they may see, or NotFound."""
    notice = session.scalar(_visible_to(user).where(Notice.id == notice_id))
    if notice is None:
        raise NotFound(f"No notice with id {notice_id}.")
    return notice


def mark_read(session: Session, user: Actor, notice_id: int, *, read: bool = True) -> Notice:
    notice = visible_notice(session, user, notice_id)
    notice.read_at = utcnow() if read else None
    session.flush()
    return notice


def mark_all_read(session: Session, user: Actor) -> None:
    session.execute(
        update(Notice)
        .where(Notice.user_id == user.id, Notice.read_at.is_(None))
        .values(read_at=utcnow())
    )


def link(notice: Notice) -> str:
    """Where the notice leads, as a path in the app."""
    if notice.activity_id is not None:
        return f"/activities/{notice.activity_id}"
    if notice.development_id is not None:
        return "/developments"
    return "/account"


@dataclass(frozen=True)
class Preference:
    kind: NoticeKind
    delivery: Delivery


def preferences(session: Session, user: Actor) -> list[Preference]:
    return [Preference(kind, delivery_for(session, user.id, kind.value)) for kind in NoticeKind]


def set_preferences(session: Session, user: Actor, chosen: dict[str, str]) -> None:
    """Save one delivery per kind; an unknown kind or delivery is refused, nothing saved."""
    errors = [
        FieldError((kind,), f"choose one of {', '.join(Delivery.values())}")
        for kind, value in chosen.items()
        if kind in NoticeKind.values() and value not in Delivery.values()
    ]
    unknown = sorted(set(chosen) - set(NoticeKind.values()))
    errors += [FieldError((kind,), "no such kind of notice") for kind in unknown]
    if errors:
        raise ValidationFailed(errors)
    for kind, value in chosen.items():
        row = session.get(NoticePreference, (user.id, kind))
        if row is None:
            session.add(NoticePreference(user_id=user.id, kind=kind, delivery=value))
        else:
            row.delivery = value
    session.flush()
