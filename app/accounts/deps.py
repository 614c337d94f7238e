"""Who is asking: the signed-in user from a session cookie or a Bearer token, and the
route-level permission dependency every route declares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.accounts import service
from app.accounts.models import ApiToken, User, UserSession
from app.accounts.policy import Rule, allows
from app.config import Settings
from app.db import request_session, unit_of_work
from app.errors import Forbidden, NotAuthenticated
from app.models_common import utcnow

SESSION_COOKIE = "fieldlog_session"
# Refresh `last_seen_at` at most this often: idle expiry is precise to a minute.
TOUCH_INTERVAL = timedelta(seconds=60)


def _signer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt="fieldlog-session")


def sign_session_token(settings: Settings, token: str) -> str:
    return _signer(settings).dumps(token)


def unsign_session_token(settings: Settings, cookie: str) -> str | None:
    try:
        value = _signer(settings).loads(cookie)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def client_address(request: Request) -> str:
    return (request.client.host if request.client else "unknown")[:64]


def _write(request: Request, statement) -> None:
    """Run a small bookkeeping UPDATE in a short transaction of its own, whatever the
    request: authentication stays a read, so on SQLite the request's own transaction
    takes the write lock only when it writes its change (see app/db.py)."""
    with unit_of_work(request.app.state.engine) as write:
        write.execute(statement)


def _touch(request: Request, row: UserSession) -> None:
    """Move the idle clock (at most once a minute)."""
    now = utcnow()
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        statement = update(UserSession).where(UserSession.id == row.id)
        _write(request, statement.values(last_seen_at=now))


def _touch_token(request: Request, token: ApiToken) -> None:
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        statement = update(ApiToken).where(ApiToken.id == token.id)
        _write(request, statement.values(last_used_at=now))


@dataclass(frozen=True)
class MissionRef:
    id: int
    code: str
    short_name: str
    name: str


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as plain values, an `Actor`: safe to use after the request's session has
    closed (error pages render after a rollback), and all the policy reads."""

    id: int
    email: str
    name: str
    role: str
    mission_id: int | None
    mission: MissionRef | None
    is_demo: bool

    @classmethod
    def of(cls, user: User) -> Viewer:
        mission = user.mission
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            mission_id=user.mission_id,
            mission=MissionRef(mission.id, mission.code, mission.short_name, mission.name)
            if mission
            else None,
            is_demo=user.is_demo,
        )


def current_user(
    request: Request, session: Annotated[Session, Depends(request_session, scope="function")]
) -> Viewer | None:
    """The user making the request, or None. A bad or ended Bearer token is an error,
    not an anonymous request, so API clients learn that their token stopped working."""
    if hasattr(request.state, "user"):
        return request.state.user
    settings: Settings = request.app.state.settings
    user: User | None = None
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotAuthenticated("Use 'Authorization: Bearer <token>'.")
        found = service.token_user(session, secret=secret.strip())
        if found is None:
            raise NotAuthenticated("This token is not valid: it is unknown, expired or revoked.")
        user, api_token = found
        _touch_token(request, api_token)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        session_token = unsign_session_token(settings, cookie)
        signed_in = (
            service.session_user(session, settings, token=session_token) if session_token else None
        )
        if signed_in is not None:
            user, row = signed_in
            request.state.session_token = session_token
            _touch(request, row)
    viewer = Viewer.of(user) if user is not None else None
    request.state.user = viewer
    return viewer


class Permission:
    """Route dependency: refuses callers the route's `Rule` does not admit.

    Every route has one; the permission-matrix test reads them from the route table.
    """

    def __init__(self, rule: Rule):
        self.rule = rule

    def __call__(self, user: Annotated[Viewer | None, Depends(current_user)]) -> Viewer | None:
        if self.rule is Rule.PUBLIC:
            return user
        if user is None:
            raise NotAuthenticated("Sign in first.")
        if not allows(self.rule, user):
            raise Forbidden("Your role does not allow this.")
        return user

    def __repr__(self) -> str:
        return f"Permission({self.rule.value})"


Public = Annotated[Viewer | None, Depends(Permission(Rule.PUBLIC))]
SignedIn = Annotated[Viewer, Depends(Permission(Rule.SIGNED_IN))]
MissionStaff = Annotated[Viewer, Depends(Permission(Rule.MISSION_STAFF))]
Reviewer = Annotated[Viewer, Depends(Permission(Rule.REVIEWER))]
DevelopmentLogger = Annotated[Viewer, Depends(Permission(Rule.DEVELOPMENTS))]
Admin = Annotated[Viewer, Depends(Permission(Rule.ADMIN))]
