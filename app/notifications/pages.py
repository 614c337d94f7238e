"""/notifications: your notices, read and unread, and how you want them mailed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import SQLAlchemyError

from app.accounts.deps import SignedIn
from app.db import unit_of_work
from app.deps import RowId, SessionDep
from app.errors import ValidationFailed
from app.forms import TextFieldsDep, field_errors
from app.notifications import service
from app.notifications.models import Delivery
from app.web import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, session, user, *, unread: bool, status_code: int = 200, **extra):
    return render(
        request,
        "notifications/page.html",
        {
            "notices": service.latest(session, user, unread_only=unread),
            "unread": unread,
            "link": service.link,
            "preferences": service.preferences(session, user),
            "deliveries": list(Delivery),
            **extra,
        },
        status_code=status_code,
    )


@router.get("/notifications")
def notifications_page(request: Request, session: SessionDep, user: SignedIn, unread: bool = False):
    return _page(request, session, user, unread=unread)


@router.post("/notifications/{notice_id}/read")
def mark_read(
    notice_id: RowId,
    session: SessionDep,
    user: SignedIn,
    read: Annotated[str, Form(max_length=5)] = "true",
):
    service.mark_read(session, user, notice_id, read=read != "false")
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/read-all")
def mark_all_read(session: SessionDep, user: SignedIn):
    service.mark_all_read(session, user)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/preferences")
def save_preferences(request: Request, session: SessionDep, user: SignedIn, chosen: TextFieldsDep):
    """One radio group per kind of notice, named by the kind."""
    try:
        service.set_preferences(session, user, chosen)
    except ValidationFailed as exc:
        return _page(
            request, session, user, unread=False, status_code=422, errors=field_errors(exc)
        )
    return RedirectResponse("/notifications?saved=1", status_code=303)


def unread_count_for(request: Request) -> int | None:
    """The navigation's "Notifications (N)"; None for nobody signed in. Read in a short
    session of its own, like "My work (N)", and left out if the database does not answer."""
    user = getattr(request.state, "user", None)
    if user is None:
        return None
    try:
        with unit_of_work(request.app.state.engine, write=False) as session:
            return service.unread_count(session, user)
    except SQLAlchemyError:
        return None
