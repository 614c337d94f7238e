"""Users, sign-in, sessions and API tokens. Services flush, never commit."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, exists, func, select, update
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
THROTTLED_MESSAGE = "Too many failed sign-ins. Wait {wait} and try again."
# An address the account signed in from this recently is the owner's own: failures for the
# account from elsewhere never slow sign-ins from it.
KNOWN_ADDRESS_DAYS = 30


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
    """Change a user's role, mission or active flag. Any of these changes ends the user's
    sessions and revokes their API tokens: what they were granted for no longer holds."""
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
    if reasons := _access_changes(before, after):
        end_all_sessions(session, user_id=user.id)
        revoke_all_tokens(session, user_id=user.id, reason=reasons, actor_id=actor_id)
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


def _access_changes(before: dict, after: dict) -> str | None:
    """Why a user's sessions and tokens end, in words for the audit trail; None if nothing
    that decides their access changed."""
    reasons = []
    if before["role"] != after["role"]:
        reasons.append(f"the user's role changed from {before['role']} to {after['role']}")
    if before["mission"] != after["mission"]:
        reasons.append(f"the user's mission changed from {before['mission']} to {after['mission']}")
    if before["active"] != after["active"]:
        reasons.append("the user was " + ("reactivated" if after["active"] else "deactivated"))
    return "; ".join(reasons) or None


def set_password(session: Session, *, user: User, password: str, actor_id: int | None) -> None:
    """Give a user a new password (an administrator's reset). Sessions and tokens opened
    with the old one end: whoever knew it may have opened them."""
    if problem := password_problem(password, user_inputs=[user.email, user.name]):
        raise ValidationFailed([FieldError(("password",), problem)])
    user.password_hash = hash_password(password)
    end_all_sessions(session, user_id=user.id)
    revoke_all_tokens(
        session, user_id=user.id, reason="the user's password was reset", actor_id=actor_id
    )
    audit.record(
        session,
        action="update",
        entity="user",
        entity_id=user.id,
        after={"password": "reset"},
        user_id=actor_id,
    )
    session.flush()


# --- signing in -----------------------------------------------------------------------------
#
# Failed sign-ins slow down whoever makes them, not the account's owner. Failures are counted
# over the last FIELDLOG_LOGIN_LOCKOUT_MINUTES (the window) in three ways, each with its own
# allowance:
#   - for this account from this address   (LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS, 5),
#   - from this address, for any account   (LOGIN_MAX_FAILURES_PER_ADDRESS, 20),
#   - for this account, from any address   (LOGIN_MAX_FAILURES_PER_ACCOUNT, 50), which does
#     not apply to an address the account signed in from in the last KNOWN_ADDRESS_DAYS.
# A count at or over its allowance asks for a wait after its latest failure: 1 second at the
# allowance, doubling with each failure more, never longer than the window. An attempt made
# before every wait has passed is answered at once (429, Retry-After) without reading the
# password, and is not counted. A successful sign-in clears its account's failures from its
# own address. Failures for unknown emails count the same way, so the answers never tell
# whether an account exists.


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None
    session_token: str | None = None
    retry_after: int | None = None  # seconds to wait, when the attempt was refused unread


def wait_after(failures: int, allowance: int, window: timedelta) -> timedelta:
    """The wait that `failures` recent failures ask for, counted from the latest of them:
    none below the allowance, then 1 s doubling with each failure more, at most the window."""
    if failures < allowance:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - allowance, 24)), window)


def _signed_in_from(session: Session, *, email: str, client_addr: str, now: datetime) -> bool:
    """Has the account signed in from this address lately (its owner's own address)?"""
    since = now - timedelta(days=KNOWN_ADDRESS_DAYS)
    return bool(
        session.scalar(
            select(
                exists().where(
                    UserSession.user_id == User.id,
                    User.email == email,
                    UserSession.client_addr == client_addr,
                    UserSession.created_at >= since,
                )
            )
        )
    )


def sign_in_wait(
    session: Session,
    settings: Settings,
    *,
    email: str,
    client_addr: str,
    now: datetime | None = None,
) -> timedelta:
    """How long `email` must wait before trying again from `client_addr` (zero: try now)."""
    now = now or utcnow()
    email, client_addr = normalise_email(email)[:254], client_addr[:64]
    window = timedelta(minutes=settings.login_lockout_minutes)
    same_account = LoginFailure.email == email
    same_address = LoginFailure.client_addr == client_addr
    counts = [
        ((same_account, same_address), settings.login_max_failures_per_account_and_address),
        ((same_address,), settings.login_max_failures_per_address),
    ]
    if not _signed_in_from(session, email=email, client_addr=client_addr, now=now):
        counts.append(((same_account,), settings.login_max_failures_per_account))
    wait = timedelta(0)
    for where, allowance in counts:
        failures, latest = session.execute(
            select(func.count(LoginFailure.id), func.max(LoginFailure.at)).where(
                LoginFailure.at > now - window, *where
            )
        ).one()
        if failures >= allowance:
            wait = max(wait, latest + wait_after(failures, allowance, window) - now)
    return wait


def _in_words(seconds: int) -> str:
    if seconds < 120:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


def login(
    session: Session,
    settings: Settings,
    *,
    email: str,
    password: str,
    client_addr: str,
    previous_session_token: str | None = None,
) -> LoginResult:
    """Check the credentials and open a session; the same message whether or not the
    account exists. An attempt that must wait is refused before the password is read.
    Signing in ends the session the browser had (`previous_session_token`), whoever's it was."""
    email, client_addr = normalise_email(email)[:254], client_addr[:64]
    wait = sign_in_wait(session, settings, email=email, client_addr=client_addr)
    if wait > timedelta(0):
        verify_password(password, None)  # take as long as a real check
        seconds = math.ceil(wait.total_seconds())
        audit.record(
            session,
            action="login_failed",
            entity="user",
            entity_id=None,
            detail=f"throttled: {email} from {client_addr}, {seconds} s to wait",
        )
        return LoginResult(
            None, THROTTLED_MESSAGE.format(wait=_in_words(seconds)), retry_after=seconds
        )
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
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.email == email, LoginFailure.client_addr == client_addr
        )
    )
    ended = previous_session_token is not None and end_session(
        session, token=previous_session_token, user_id=None
    )
    token = start_session(session, settings, user=user, client_addr=client_addr)
    audit.record(
        session,
        action="login",
        entity="user",
        entity_id=user.id,
        user_id=user.id,
        detail=f"from {client_addr}" + ("; the browser's previous session ended" if ended else ""),
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


def end_session(session: Session, *, token: str, user_id: int | None) -> bool:
    """End the session with this id, if it is open; `user_id` records a sign-out by them.
    True if a session ended."""
    ended = session.execute(
        update(UserSession)
        .where(UserSession.token_hash == _digest(token), UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
        .returning(UserSession.id)
    ).first()
    if user_id is not None:
        audit.record(session, action="logout", entity="user", entity_id=user_id, user_id=user_id)
    return ended is not None


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
        _revoke(session, token, actor_id=user.id, reason="revoked by its owner")


def revoke_all_tokens(session: Session, *, user_id: int, reason: str, actor_id: int | None) -> None:
    """Revoke every token of a user that still works; `reason` goes in the audit trail."""
    live = select(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow()
    )
    for token in list(session.scalars(live)):
        _revoke(session, token, actor_id=actor_id, reason=reason)
    session.flush()


def _revoke(session: Session, token: ApiToken, *, actor_id: int | None, reason: str) -> None:
    token.revoked_at = utcnow()
    audit.record(
        session,
        action="update",
        entity="api_token",
        entity_id=token.id,
        before={"revoked": False},
        after={"revoked": True},
        user_id=actor_id,
        detail=reason,
    )
