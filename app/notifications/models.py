"""Notices, the mail outbox, per-kind preferences and the digests already sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.models_common import enum_check, utcnow
from app.vocab import Labelled


class NoticeKind(Labelled):
    SUBMITTED = "submitted", "A record was submitted for your review"
    RETURNED = "returned", "Your record was returned"
    APPROVED = "approved", "Your record was approved"
    ALERT = "alert", "An alert was raised"
    DEVELOPMENT = "development", "A development was logged"
    ACCOUNT = "account", "Your account was changed"


class Delivery(Labelled):
    """How a person wants one kind of notice by mail; the page lists every kind anyway."""

    IMMEDIATE = "immediate", "Mail each one"
    DIGEST = "digest", "In the weekly digest"
    NONE = "none", "No mail"


class MailStatus(Labelled):
    PENDING = "pending", "Waiting"
    SENT = "sent", "Sent"
    DROPPED = "dropped", "Not sent"  # the recipient may no longer see it, or has no address
    FAILED = "failed", "Gave up"


class Notice(Base):
    """Something one person should know: written in the transaction of the change it is
    about, so a rolled-back change leaves none. `activity_id` or `development_id` names
    the record; the page checks, when it shows the notice, that the reader still may see it."""

    __tablename__ = "notices"
    __table_args__ = (
        enum_check("kind", NoticeKind.values()),
        Index("ix_notices_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    development_id: Mapped[int | None] = mapped_column(
        ForeignKey("developments.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A short line written when the notice is made, from what the recipient may see then.
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)


class OutboxMail(Base):
    """One mail to send, at least once: a notice's (rendered by the worker when it sends,
    from what the recipient may see then) or a digest (rendered when it is made).

    `message_id` is chosen when the row is written, so a resend after a crash carries the
    same Message-ID and the recipient's mail program can tell it is the same mail.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        enum_check("status", MailStatus.values()),
        Index("ix_mail_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("notices.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    subject: Mapped[str | None] = mapped_column(String(300))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=MailStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class NoticePreference(Base):
    """One person's choice for one kind; no row means mail each one."""

    __tablename__ = "notice_preferences"
    __table_args__ = (
        enum_check("kind", NoticeKind.values()),
        enum_check("delivery", Delivery.values()),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    delivery: Mapped[str] = mapped_column(String(16))


class DigestSent(Base):
    """A weekly digest made for one person and one ISO week: `fieldlog digest` run twice
    for the same week finds the row and makes nothing again."""

    __tablename__ = "digests_sent"
    __table_args__ = (UniqueConstraint("user_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))  # 2016-W07
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
