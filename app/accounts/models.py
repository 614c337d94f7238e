"""Users, their sign-in sessions, their API tokens, and failed sign-ins."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models_common import IDS_NEVER_REUSED, enum_check, utcnow
from app.vocab import Role

if TYPE_CHECKING:  # missions sit above accounts: the relationship names its class by string
    from app.missions.models import Mission


class User(Base):
    """A person who signs in: focal points and heads of mission belong to one mission."""

    __tablename__ = "users"
    __table_args__ = (
        enum_check("role", Role.values()),
        CheckConstraint(
            "role NOT IN ('focal_point', 'head_of_mission') OR mission_id IS NOT NULL",
            name="mission_roles_have_mission",
        ),
        CheckConstraint(
            "role IN ('focal_point', 'head_of_mission') OR mission_id IS NULL",
            name="other_roles_have_no_mission",
        ),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("missions.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    mission: Mapped[Mission | None] = relationship("Mission", lazy="joined")


class UserSession(Base):
    """A signed-in browser. The cookie holds a random id; only its hash is stored, and
    ending the row ends the session, whoever holds a copy of the cookie."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    client_addr: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship(lazy="joined")


class ApiToken(Base):
    """A personal access token: shown once, stored as a hash, expiring, revocable."""

    __tablename__ = "api_tokens"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(Base):
    """One failed sign-in, counted per account and address, per address and per account
    for throttling (app/accounts/service.py `sign_in_wait`)."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_at", "email", "at"),
        Index("ix_login_failures_client_addr_at", "client_addr", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    email: Mapped[str] = mapped_column(String(254))
    client_addr: Mapped[str] = mapped_column(String(64))


class SavedView(Base):
    """A list, dashboard or comparison a user looked at, kept under a name so they can open
    it again from the navigation. It stores only the page's address (path and query): opening
    it asks the page again, with the reader's permissions of that moment. The CPC desk may
    share a view with every CPC user (`shared`)."""

    __tablename__ = "saved_views"
    __table_args__ = (
        UniqueConstraint("user_id", "name"),
        enum_check("kind", ("list", "dashboard", "compare")),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(2000))
    shared: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")
