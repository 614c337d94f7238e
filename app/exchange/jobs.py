"""Long work that runs after the request that starts it: a large import, an export, a report.

A job's state and progress live in the database (table `jobs`), not in the process that
runs it, so with `fieldlog serve --workers N` any worker answers the progress poll and a
reload of the page finds the job again. The work itself runs in a thread of the process
that accepted the request (app/exchange/runner.py), in a session of its own.

- Progress (rows read, checked, written) is written in short transactions of their own,
  at most every PROGRESS_SECONDS. On SQLite they never wait for the write lock: while the
  job itself holds it (an import writing its rows in one transaction) a progress write is
  skipped and the next one catches up.
- A running job's process stamps `heartbeat_at` every HEARTBEAT_SECONDS. A queued or
  running job whose heartbeat is older than STALE_AFTER was left behind by a process that
  stopped: it is shown as interrupted, never as running forever.
- Only the job's owner sees it (its output holds what the owner may see, no more).
- Outputs (the exported file, the report, the list of bad cells) are kept in the row for
  KEEP_OUTPUT and then dropped; the rows themselves go after KEEP_ROWS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    delete,
    select,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, Session, deferred, mapped_column

from app.db import Base
from app.models_common import IDS_NEVER_REUSED, enum_check, utcnow

KINDS = ("import", "export", "report")
STATES = ("queued", "running", "done", "failed")
ACTIVE = ("queued", "running")

PROGRESS_SECONDS = 0.5
HEARTBEAT_SECONDS = 10.0
STALE_AFTER = timedelta(minutes=2)
KEEP_OUTPUT = timedelta(days=1)
KEEP_ROWS = timedelta(days=30)


class Job(Base):
    """One piece of long work and how far it got."""

    __tablename__ = "jobs"
    __table_args__ = (
        enum_check("kind", KINDS),
        enum_check("state", STATES),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    title: Mapped[str] = mapped_column(String(300))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rows_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_checked: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(500), default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    output: Mapped[bytes | None] = deferred(mapped_column(LargeBinary, nullable=True))
    output_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    output_type: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def shown_state(self, now: datetime | None = None) -> str:
        """queued, running, done, failed, or interrupted (its process stopped)."""
        if self.state in ACTIVE and self.heartbeat_at < (now or utcnow()) - STALE_AFTER:
            return "interrupted"
        return self.state

    @property
    def finished(self) -> bool:
        return self.state not in ACTIVE

    @property
    def has_output(self) -> bool:
        return self.output_name is not None


@dataclass
class Outcome:
    """What a job's work hands back: done (ok) or failed, with its result and file."""

    ok: bool
    message: str
    result: dict[str, Any] = field(default_factory=dict)
    output: bytes | None = None
    output_name: str | None = None
    output_type: str | None = None


# --- the store ------------------------------------------------------------------------------


def create(
    session: Session, *, kind: str, owner_id: int, title: str, params: dict[str, Any]
) -> Job:
    """A queued job (flushed: it has its id); old jobs' outputs are cleaned up on the way."""
    clean_up(session)
    now = utcnow()
    job = Job(
        kind=kind,
        owner_id=owner_id,
        state="queued",
        title=title[:300],
        params=params,
        message="Waiting to start.",
        created_at=now,
        heartbeat_at=now,
    )
    session.add(job)
    session.flush()
    return job


def get_own(session: Session, job_id: int, user) -> Job | None:
    """The job if `user` owns it, else None (someone else's job is not found)."""
    job = session.get(Job, job_id)
    if job is None or job.owner_id != user.id:
        return None
    return job


def recent_for(session: Session, user, limit: int = 10) -> list[Job]:
    return list(
        session.scalars(
            select(Job)
            .where(Job.owner_id == user.id)
            .order_by(Job.created_at.desc(), Job.id.desc())
            .limit(limit)
        )
    )


def output_of(session: Session, job: Job) -> bytes | None:
    return session.scalar(select(Job.output).where(Job.id == job.id))


def start(session: Session, job_id: int) -> None:
    now = utcnow()
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(state="running", started_at=now, heartbeat_at=now, message="Started.")
    )


def finish(
    session: Session, job_id: int, outcome: Outcome, *, counts: dict[str, Any] | None = None
) -> None:
    """Record the outcome and the last counts, in the caller's transaction (an import's:
    its rows and its "done" are committed together)."""
    now = utcnow()
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            **{k: v for k, v in (counts or {}).items() if k != "message"},
            state="done" if outcome.ok else "failed",
            message=outcome.message[:500],
            result=outcome.result,
            output=outcome.output,
            output_name=outcome.output_name,
            output_type=outcome.output_type,
            finished_at=now,
            heartbeat_at=now,
        )
    )


def clean_up(session: Session, now: datetime | None = None) -> None:
    """Drop finished jobs' outputs after KEEP_OUTPUT and the rows after KEEP_ROWS."""
    now = now or utcnow()
    session.execute(
        update(Job)
        .where(Job.finished_at < now - KEEP_OUTPUT, Job.output_name.is_not(None))
        .values(output=None, output_name=None, output_type=None)
    )
    session.execute(delete(Job).where(Job.created_at < now - KEEP_ROWS))


# --- progress, written beside the work ------------------------------------------------------


def _short_write(engine: Engine, statement) -> bool:
    """Run one UPDATE in a transaction of its own; on SQLite without waiting for the write
    lock (False when another transaction holds it: the caller tries again later)."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        busy = None
        if sqlite:
            busy = int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0)
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
            conn.commit()
        try:
            conn.execute(statement)
            conn.commit()
        except OperationalError:
            conn.rollback()
            return False
        finally:
            if busy is not None:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={busy}")
                conn.commit()
    return True


class Progress:
    """The callback a job's work reports through: counts in memory at once, in the
    database at most every `every` seconds (and always when `force`)."""

    def __init__(self, engine: Engine, job_id: int, *, every: float = PROGRESS_SECONDS):
        self.engine = engine
        self.job_id = job_id
        self.every = every
        self.values: dict[str, Any] = {}
        self._last = 0.0
        self._pending = False

    def __call__(
        self,
        *,
        read: int | None = None,
        checked: int | None = None,
        written: int | None = None,
        total: int | None = None,
        message: str | None = None,
        force: bool = False,
    ) -> None:
        for name, value in (
            ("rows_read", read),
            ("rows_checked", checked),
            ("rows_written", written),
            ("rows_total", total),
            ("message", message),
        ):
            if value is not None:
                self.values[name] = value
        self._pending = True
        now = time.monotonic()
        if force or message is not None or now - self._last >= self.every:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        if not self._pending:
            return
        self._last = time.monotonic() if now is None else now
        statement = (
            update(Job)
            .where(Job.id == self.job_id, Job.state.in_(ACTIVE))
            .values(**self.values, heartbeat_at=utcnow())
        )
        if _short_write(self.engine, statement):
            self._pending = False


def beat(engine: Engine, job_ids: list[int]) -> bool:
    """Stamp the heartbeat of these (still active) jobs."""
    if not job_ids:
        return True
    statement = (
        update(Job).where(Job.id.in_(job_ids), Job.state.in_(ACTIVE)).values(heartbeat_at=utcnow())
    )
    return _short_write(engine, statement)


def mark_failed(engine: Engine, job_id: int, message: str) -> None:
    """Record a job that broke off with an unexpected error (its work was rolled back)."""
    now = utcnow()
    with Session(engine) as session, session.begin():
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(state="failed", message=message[:500], finished_at=now, heartbeat_at=now)
        )
