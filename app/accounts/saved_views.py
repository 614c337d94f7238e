"""Saved views: a page a user looked at, kept under a name.

A view is only an address (path and query string) on one of the pages that show a view of
the data: the activity list, a mission dashboard, the comparison. Opening it asks that page
again, so a shared view never shows anyone more than they may see. The CPC desk may share a
view with every CPC user; everyone else keeps theirs to themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.accounts.actor import Actor
from app.accounts.models import SavedView, User
from app.accounts.policy import can_share_views
from app.db import unit_of_work
from app.errors import FieldError, NotFound, ValidationFailed

NAME_MAX = 80
ADDRESS_MAX = 2000
PER_USER_MAX = 50

# What may be saved, and what kind of view each address is.
_KINDS = (
    (re.compile(r"^/activities$"), "list"),
    (re.compile(r"^/missions/[A-Z]{2,5}$"), "dashboard"),
    (re.compile(r"^/compare$"), "compare"),
)
KIND_LABELS = {"list": "Activity list", "dashboard": "Mission dashboard", "compare": "Comparison"}


def kind_of(address: str) -> str | None:
    """The kind of view an address shows, or None if it is not a page that can be saved."""
    parts = urlsplit(address)
    if parts.scheme or parts.netloc or parts.fragment:
        return None
    for pattern, kind in _KINDS:
        if pattern.match(parts.path):
            return kind
    return None


def visible_to(session: Session, user: Actor) -> list[SavedView]:
    """The user's own views, then those the CPC desk shared (for CPC users), by name."""
    mine = SavedView.user_id == user.id
    condition = or_(mine, SavedView.shared.is_(True)) if can_share_views(user) else mine
    rows = session.scalars(
        select(SavedView)
        .join(User, User.id == SavedView.user_id)
        .where(condition, User.active.is_(True) | mine)
        .order_by(SavedView.user_id != user.id, SavedView.name, SavedView.id)
    )
    return list(rows)


def save(session: Session, *, user: Actor, name: str, address: str, shared: bool) -> SavedView:
    """Keep `address` under `name`; saving again under a name one already uses replaces it."""
    name = " ".join(name.split())
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the view a name, for example “Skopje visits 2016”."
    elif len(name) > NAME_MAX:
        errors["name"] = f"A name has at most {NAME_MAX} characters; this one has {len(name)}."
    kind = kind_of(address) if len(address) <= ADDRESS_MAX else None
    if kind is None:
        errors["address"] = (
            "Only the activity list, a mission dashboard or the comparison can be saved as a view."
        )
    if shared and not can_share_views(user):
        errors["shared"] = "Only the CPC desk can share a view."
    if errors:
        raise ValidationFailed([FieldError((k,), v) for k, v in errors.items()])
    assert kind is not None
    view = session.scalar(
        select(SavedView).where(SavedView.user_id == user.id, SavedView.name == name)
    )
    if view is None:
        count = len(session.scalars(select(SavedView.id).where(SavedView.user_id == user.id)).all())
        if count >= PER_USER_MAX:
            message = f"You have {count} saved views, the most one can keep: delete one first."
            raise ValidationFailed([FieldError(("name",), message)])
        view = SavedView(user_id=user.id, name=name)
        session.add(view)
    view.kind, view.address, view.shared = kind, address, shared
    session.flush()
    return view


def delete(session: Session, *, user: Actor, view_id: int) -> None:
    """Delete one of the user's own views (a shared view is deleted by whoever shared it)."""
    view = session.get(SavedView, view_id)
    if view is None or view.user_id != user.id:
        raise NotFound("No such saved view of yours.")
    session.delete(view)
    session.flush()


@dataclass(frozen=True)
class ViewLink:
    """A saved view as the navigation shows it."""

    name: str
    address: str
    shared_by_other: bool


def links_for(request: Request) -> list[ViewLink] | None:
    """The navigation's saved views for the person making the request (None when nobody is
    signed in). Read in a short read-only session of its own, like the "My work" count; a
    database that does not answer leaves the menu out rather than failing the page."""
    user = getattr(request.state, "user", None)
    if user is None:
        return None
    try:
        with unit_of_work(request.app.state.engine, write=False) as session:
            return [
                ViewLink(v.name, v.address, v.user_id != user.id) for v in visible_to(session, user)
            ]
    except SQLAlchemyError:
        return None
