"""User administration: who signs in, with which role, for which mission.

It sits with the missions, not in app/accounts, because a focal point or head of mission
belongs to one mission: the form lists the missions and finds the one chosen by its code.
Accounts, below missions, checks the rest (email, password, which roles have a mission).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.deps import Admin
from app.accounts.models import User
from app.deps import RowId, SessionDep
from app.errors import FieldError, ValidationFailed
from app.forms import field_errors
from app.missions import service as missions
from app.missions.models import Mission
from app.vocab import Role
from app.web import render

router = APIRouter(include_in_schema=False)

BLANK_FORM = {"email": "", "name": "", "role": "focal_point", "mission": ""}


def mission_of(session: Session, code: str | None) -> Mission | None:
    """The mission a user is to belong to, by its code; none for a blank code."""
    if not code or not code.strip():
        return None
    mission = missions.get_by_code(session, code.strip())
    if mission is None:
        raise ValidationFailed([FieldError(("mission",), f"no mission with code {code!r}")])
    return mission


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    mission_code: str | None = None,
    actor_id: int | None = None,
) -> User:
    """Add a user who belongs to the mission with `mission_code` (or to none)."""
    return accounts.create(
        session,
        email=email,
        name=name,
        role=role,
        password=password,
        mission=mission_of(session, mission_code),
        actor_id=actor_id,
    )


def _form_context(session: Session, **extra):
    return {"roles": list(Role), "missions": missions.get_all(session), **extra}


@router.get("/admin/users")
def users_page(request: Request, session: SessionDep, user: Admin):
    return render(
        request,
        "accounts/users.html",
        _form_context(session, users=accounts.get_all(session), form=BLANK_FORM),
    )


@router.post("/admin/users")
def add_user(
    request: Request,
    session: SessionDep,
    user: Admin,
    email: Annotated[str, Form(max_length=254)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    mission: Annotated[str, Form(max_length=8)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
):
    form = {"email": email, "name": name, "role": role, "mission": mission}
    try:
        create_user(
            session,
            email=email,
            name=name,
            role=role,
            password=password,
            mission_code=mission,
            actor_id=user.id,
        )
    except ValidationFailed as exc:
        return render(
            request,
            "accounts/users.html",
            _form_context(
                session, users=accounts.get_all(session), form=form, errors=field_errors(exc)
            ),
            status_code=422,
        )
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}")
def change_user(
    request: Request,
    user_id: RowId,
    session: SessionDep,
    user: Admin,
    role: Annotated[str, Form(max_length=32)] = "",
    mission: Annotated[str, Form(max_length=8)] = "",
    active: Annotated[str, Form(max_length=5)] = "",
):
    """Change a role or mission, or (de)activate: any change ends the user's sessions and
    revokes their API tokens (app/accounts/service.py `change`)."""
    target = accounts.get_or_raise(session, user_id)
    try:
        accounts.change(
            session,
            user=target,
            actor_id=user.id,
            role=role or None,
            mission=mission_of(session, mission),
            active=active == "true",
        )
    except ValidationFailed as exc:
        return render(
            request,
            "accounts/users.html",
            _form_context(
                session,
                users=accounts.get_all(session),
                form=BLANK_FORM,
                row_errors={user_id: "; ".join(field_errors(exc).values())},
            ),
            status_code=422,
        )
    return RedirectResponse("/admin/users", status_code=303)
