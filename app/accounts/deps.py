"""Who is asking: the signed-in user from a session cookie or a Bearer token, and the
route-level permission dependency every route declares."""

from __future__ import annotations

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


def _touch(request: Request, row: UserSession) -> None:
    """Move the idle clock, in its own short write so reads stay read-only."""
    now = utcnow()
    if now - row.last_seen_at < TOUCH_INTERVAL:
        return
    with unit_of_work(request.app.state.engine) as write:
        write.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))


def _touch_token(request: Request, token: ApiToken) -> None:
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_INTERVAL:
        return
    with unit_of_work(request.app.state.engine) as write:
        write.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))


def current_user(
    request: Request, session: Annotated[Session, Depends(request_session, scope="function")]
) -> User | None:
    """The user making the request, or None. A bad or ended Bearer token is an error,
    not an anonymous request, so API clients learn that their token stopped working."""
    if hasattr(request.state, "user"):
        return request.state.user
    settings: Settings = request.app.state.settings
    user = None
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotAuthenticated("Use 'Authorization: Bearer <token>'.")
        found = service.token_user(session, secret=secret.strip())
        if found is None:
            raise NotAuthenticated("This token is not valid: it is unknown, expired or revoked.")
        user, token = found
        _touch_token(request, token)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        token = unsign_session_token(settings, cookie)
        found = service.session_user(session, settings, token=token) if token else None
        if found is not None:
            user, row = found
            request.state.session_token = token
            _touch(request, row)
    request.state.user = user
    return user


class Permission:
    """Route dependency: refuses callers the route's `Rule` does not admit.

    Every route has one; the permission-matrix test reads them from the route table.
    """

    def __init__(self, rule: Rule):
        self.rule = rule

    def __call__(self, user: Annotated[User | None, Depends(current_user)]) -> User | None:
        if self.rule is Rule.PUBLIC:
            return user
        if user is None:
            raise NotAuthenticated("Sign in first.")
        if not allows(self.rule, user):
            raise Forbidden("Your role does not allow this.")
        return user

    def __repr__(self) -> str:
        return f"Permission({self.rule.value})"


def permission(rule: Rule) -> Permission:
    return Permission(rule)


Public = Annotated[User | None, Depends(Permission(Rule.PUBLIC))]
SignedIn = Annotated[User, Depends(Permission(Rule.SIGNED_IN))]
MissionStaff = Annotated[User, Depends(Permission(Rule.MISSION_STAFF))]
Reviewer = Annotated[User, Depends(Permission(Rule.REVIEWER))]
DevelopmentLogger = Annotated[User, Depends(Permission(Rule.DEVELOPMENTS))]
Admin = Annotated[User, Depends(Permission(Rule.ADMIN))]
