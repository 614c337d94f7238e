"""Users, sign-in, sessions and API tokens. Services flush, never commit."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.accounts.actor import Actor
from app.accounts.models import ApiToken, LoginFailure, User, UserSession
from app.accounts.passwords import hash_password, password_problem, verify_password
from app.accounts.policy import role_has_mission
from app.audit import service as audit
from app.config import Settings
from app.errors import FieldError, NotFound, ValidationFailed
from app.models_common import utcnow
from app.vocab import Role

if TYPE_CHECKING:  # missions sit above accounts; callers there find the mission by its code
    from app.missions.models import Mission

TOKEN_PREFIX = "flt_"
LOGIN_FAILED_MESSAGE = "The email or password is not right, or the account is not active."
LOCKED_MESSAGE = (
    "Too many failed sign-ins. Wait {minutes} minutes and try again, "
    "or ask an administrator to reset your password."
)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


# --- users ----------------------------------------------------------------------------------


def get(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_or_raise(session: Session, user_id: int) -> User:
    user = get(session, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def get_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def get_all(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.email)))


def _check_role_mission(role: str, mission: Mission | None, errors: list[FieldError]) -> None:
    if role_has_mission(role) and mission is None:
        errors.append(FieldError(("mission",), "focal points and heads of mission need a mission"))
    elif not role_has_mission(role) and mission is not None:
        errors.append(
            FieldError(("mission",), "only focal points and heads of mission belong to a mission")
        )


def create(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    mission: Mission | None = None,
    is_demo: bool = False,
    actor_id: int | None = None,
    check_password: bool = True,
) -> User:
    """Add a user; ValidationFailed names every field that is wrong."""
    errors: list[FieldError] = []
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        errors.append(FieldError(("email",), "enter an email address like name@osce.org"))
    elif get_by_email(session, email) is not None:
        errors.append(FieldError(("email",), "a user with this email exists"))
    if not name.strip():
        errors.append(FieldError(("name",), "enter the person's name"))
    if role not in Role.values():
        errors.append(FieldError(("role",), f"role must be one of {', '.join(Role.values())}"))
    _check_role_mission(role, mission, errors)
    if check_password and (problem := password_problem(password, user_inputs=[email, name])):
        errors.append(FieldError(("password",), problem))
    if errors:
        raise ValidationFailed(errors)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        mission=mission,
        password_hash=hash_password(password),
        is_demo=is_demo,
        active=True,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        action="create",
        entity="user",
        entity_id=user.id,
        after=_user_snapshot(user),
        user_id=actor_id,
    )
    return user


def _user_snapshot(user: User) -> dict:
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "mission": user.mission.code if user.mission else None,
        "active": user.active,
    }


def change(
    session: Session,
    *,
    user: User,
    actor_id: int | None,
    mission: Mission | None,
    role: str | None = None,
    active: bool | None = None,
) -> User:
    """Change a user's role, mission or active flag; deactivating ends their sessions."""
    before = _user_snapshot(user)
    errors: list[FieldError] = []
    new_role = role or user.role
    if role is not None and role not in Role.values():
        errors.append(FieldError(("role",), f"role must be one of {', '.join(Role.values())}"))
        raise ValidationFailed(errors)
    _check_role_mission(new_role, mission, errors)
    if active is False and actor_id == user.id:
        errors.append(FieldError(("active",), "you cannot deactivate yourself"))
    if errors:
        raise ValidationFailed(errors)
    user.role = new_role
    user.mission = mission
    if active is not None:
        user.active = active
    session.flush()
    after = _user_snapshot(user)
    if user.active is False or before["role"] != user.role or before["mission"] != after["mission"]:
        end_all_sessions(session, user_id=user.id)
    b, a = audit.changed_fields(before, after)
    if a:
        audit.record(
            session,
            action="update",
            entity="user",
            entity_id=user.id,
            before=b,
            after=a,
            user_id=actor_id,
        )
    return user


# --- signing in -----------------------------------------------------------------------------


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None
    session_token: str | None = None


def _recent_failures(session: Session, settings: Settings, **where) -> int:
    since = utcnow() - timedelta(minutes=settings.login_lockout_minutes)
    column, value = next(iter(where.items()))
    return (
        session.scalar(
            select(func.count(LoginFailure.id)).where(
                getattr(LoginFailure, column) == value, LoginFailure.at >= since
            )
        )
        or 0
    )


def is_locked(session: Session, settings: Settings, *, email: str, client_addr: str) -> bool:
    return (
        _recent_failures(session, settings, email=normalise_email(email))
        >= settings.login_max_failures_per_account
        or _recent_failures(session, settings, client_addr=client_addr)
        >= settings.login_max_failures_per_address
    )


def login(
    session: Session, settings: Settings, *, email: str, password: str, client_addr: str
) -> LoginResult:
    """Check the credentials and open a session; the same message whether or not the
    account exists. Locked accounts and addresses are refused before the password is read."""
    email = normalise_email(email)[:254]
    if is_locked(session, settings, email=email, client_addr=client_addr):
        verify_password(password, None)
        audit.record(
            session,
            action="login_failed",
            entity="user",
            entity_id=None,
            detail=f"locked: {email} from {client_addr}",
        )
        return LoginResult(None, LOCKED_MESSAGE.format(minutes=settings.login_lockout_minutes))
    user = get_by_email(session, email)
    ok = verify_password(password, user.password_hash if user else None)
    if not ok or user is None or not user.active:
        session.add(LoginFailure(email=email, client_addr=client_addr))
        audit.record(
            session,
            action="login_failed",
            entity="user",
            entity_id=user.id if user else None,
            detail=f"{email} from {client_addr}",
        )
        session.flush()
        return LoginResult(None, LOGIN_FAILED_MESSAGE)
    session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    token = start_session(session, settings, user=user, client_addr=client_addr)
    audit.record(
        session,
        action="login",
        entity="user",
        entity_id=user.id,
        user_id=user.id,
        detail=f"from {client_addr}",
    )
    return LoginResult(user, None, token)


def start_session(session: Session, settings: Settings, *, user: User, client_addr: str) -> str:
    """A new random session id for every sign-in; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            token_hash=_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_absolute_hours),
            client_addr=client_addr[:64],
        )
    )
    session.flush()
    return token


def session_user(
    session: Session, settings: Settings, *, token: str, now: datetime | None = None
) -> tuple[User, UserSession] | None:
    """The user behind a session id, if the session is open, fresh and the user active."""
    now = now or utcnow()
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
    if row is None or row.ended_at is not None or not row.user.active:
        return None
    idle = timedelta(minutes=settings.session_idle_minutes)
    if now >= row.expires_at or now - row.last_seen_at >= idle:
        return None
    return row.user, row


def end_session(session: Session, *, token: str, user_id: int | None) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.token_hash == _digest(token), UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    if user_id is not None:
        audit.record(session, action="logout", entity="user", entity_id=user_id, user_id=user_id)


def end_all_sessions(session: Session, *, user_id: int) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


# --- API tokens -----------------------------------------------------------------------------


def create_token(session: Session, *, user: Actor, name: str, days: int) -> tuple[ApiToken, str]:
    """A new token for `user`; the secret is returned once and never stored."""
    errors = []
    if not name.strip() or len(name) > 100:
        errors.append(FieldError(("name",), "give the token a name of 1 to 100 characters"))
    if not 1 <= days <= 365:
        errors.append(FieldError(("days",), "a token lasts from 1 to 365 days"))
    if errors:
        raise ValidationFailed(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name.strip(),
        token_hash=_digest(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        action="create",
        entity="api_token",
        entity_id=token.id,
        after={"name": token.name, "expires_at": token.expires_at.isoformat()},
        user_id=user.id,
    )
    return token, secret


def token_user(session: Session, *, secret: str) -> tuple[User, ApiToken] | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None or utcnow() >= token.expires_at:
        return None
    if not token.user.active:
        return None
    return token.user, token


def list_tokens(session: Session, *, user: Actor) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
        )
    )


def revoke_token(session: Session, *, user: Actor, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"No token with id {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session,
            action="update",
            entity="api_token",
            entity_id=token.id,
            after={"revoked": True},
            user_id=user.id,
        )
