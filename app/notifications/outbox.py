"""The outbox worker: sends the waiting mails over SMTP, at least once each.

Each round claims a batch (sets `claimed_at`; on PostgreSQL the rows are picked with
`SELECT … FOR UPDATE SKIP LOCKED`, so several servers running the worker never claim the
same row), commits, sends, and marks each row sent in a transaction of its own. A worker
that dies between sending and marking leaves the row claimed; once the claim is older
than the lease, a worker takes it again and sends it again, with the same Message-ID.
A mail the server refuses, or cannot take because it is down, is tried again later,
waiting twice as long each time, and given up after MAX_ATTEMPTS.

`fieldlog serve` runs it in a thread beside the app when SMTP is configured; `fieldlog
deliver` runs it on its own. On SQLite run one worker.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from fastapi import FastAPI
from sqlalchemy import Engine, or_, select, update

from app.config import Settings
from app.db import unit_of_work
from app.models_common import utcnow
from app.notifications.mail import SmtpTransport, compose
from app.notifications.models import MailStatus, OutboxMail

log = logging.getLogger("fieldlog.mail")

LEASE = timedelta(minutes=5)  # longer than any batch takes to send
BATCH = 50
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
MAX_ATTEMPTS = 12  # about two days of retries


class Transport(Protocol):
    def send(self, message) -> None: ...

    def close(self) -> None: ...


@dataclass
class Round:
    """What one round did."""

    sent: int = 0
    retried: int = 0
    dropped: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.dropped + self.failed


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure: 1 min, 2, 4, … up to 6 h."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def claim(
    engine: Engine, *, now: datetime, lease: timedelta = LEASE, limit: int = BATCH
) -> list[int]:
    """Take up to `limit` due rows for this worker; return their ids."""
    free = or_(OutboxMail.claimed_at.is_(None), OutboxMail.claimed_at < now - lease)
    with unit_of_work(engine) as session:
        due = (
            select(OutboxMail.id)
            .where(
                OutboxMail.status == MailStatus.PENDING.value,
                OutboxMail.next_attempt_at <= now,
                free,
            )
            .order_by(OutboxMail.id)
            .limit(limit)
        )
        if engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list(session.scalars(due))
        if ids:
            session.execute(
                update(OutboxMail).where(OutboxMail.id.in_(ids), free).values(claimed_at=now)
            )
    return ids


def mark_sent(engine: Engine, row_id: int) -> None:
    with unit_of_work(engine) as session:
        session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == row_id)
            .values(status=MailStatus.SENT.value, sent_at=utcnow(), claimed_at=None)
        )


def _mark(engine: Engine, row_id: int, *, now: datetime, error: str | None, drop: bool) -> str:
    with unit_of_work(engine) as session:
        row = session.get(OutboxMail, row_id)
        if row is None:
            return "dropped"
        row.claimed_at = None
        if drop:
            row.status = MailStatus.DROPPED.value
            return "dropped"
        row.attempts += 1
        row.last_error = (error or "")[:2000]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = MailStatus.FAILED.value
            return "failed"
        row.next_attempt_at = now + backoff(row.attempts)
        return "retried"


def deliver_once(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime | None = None,
    transport: Transport | None = None,
    lease: timedelta = LEASE,
    limit: int = BATCH,
) -> Round:
    """One round: claim the due mails, send them, mark each."""
    now = now or utcnow()
    done = Round()
    ids = claim(engine, now=now, lease=lease, limit=limit)
    if not ids:
        return done
    transport = transport or SmtpTransport(settings)
    try:
        for row_id in ids:
            with unit_of_work(engine, write=False) as session:
                row = session.get(OutboxMail, row_id)
                message = compose(session, row, settings) if row is not None else None
            if message is None:
                _mark(engine, row_id, now=now, error=None, drop=True)
                done.dropped += 1
                continue
            try:
                transport.send(message)
            except (smtplib.SMTPException, OSError) as exc:
                log.warning("mail %s not sent: %s", row_id, exc)
                outcome = _mark(engine, row_id, now=now, error=str(exc), drop=False)
                setattr(done, outcome, getattr(done, outcome) + 1)
                transport.close()  # a fresh connection for the next one
                continue
            mark_sent(engine, row_id)
            done.sent += 1
    finally:
        transport.close()
    return done


def run(
    engine: Engine,
    settings: Settings,
    stop: threading.Event,
    *,
    interval: float = 10.0,
    rounds: Callable[[Round], None] | None = None,
) -> None:
    """Deliver until `stop` is set, a round every `interval` seconds (at once again after
    a full batch). A round that fails is logged and the next one tried."""
    while not stop.is_set():
        try:
            done = deliver_once(engine, settings)
        except Exception:  # the worker must outlive a database that is briefly away
            log.exception("mail delivery round failed")
            done = Round()
        if rounds is not None:
            rounds(done)
        if done.claimed < BATCH:
            stop.wait(interval)


@asynccontextmanager
async def worker_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """`fieldlog serve`'s mail worker: a thread beside the app, while the app runs."""
    stop = threading.Event()
    settings = app.state.settings
    thread = threading.Thread(
        target=run,
        args=(app.state.engine, settings, stop),
        kwargs={"interval": settings.mail_interval_seconds},
        name="fieldlog-mail",
        daemon=True,
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
