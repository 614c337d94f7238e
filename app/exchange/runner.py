"""Running jobs (app/exchange/jobs.py) in a thread pool of the process that accepted them,
and the work of each kind: a large import, an export, a report as .docx.

Each job runs in a session of its own, started as a read (on SQLite the write lock is
taken at the first write, as a request's is). An import's rows and its "done" are
committed in one transaction: a job that says done has written its rows, and a file with
one bad cell writes nothing. One heartbeat thread per runner stamps the jobs it holds.
"""

from __future__ import annotations

import csv
import io
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.activities import listing
from app.activities.query import ActivityFilterQuery
from app.db import unit_of_work
from app.exchange import exporter, importer, jobs, report
from app.exchange.jobs import Outcome, Progress
from app.missions import service as missions
from app.missions.models import Mission
from app.schemas_common import PeriodQuery

log = logging.getLogger(__name__)

WORKERS = 2  # jobs at once in one process; more wait their turn (queued)
SHOWN_ERRORS = 500  # bad cells kept in the job's result for the page (the CSV has all)

Work = Callable[[Session, Progress], Outcome]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json", "xlsx": XLSX}


class JobRunner:
    """A thread pool for one engine's jobs, with their heartbeat."""

    def __init__(self, engine: Engine, *, workers: int = WORKERS):
        self.engine = engine
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fieldlog-job")
        self._lock = threading.Lock()
        self._live: dict[int, Progress] = {}
        self._futures: dict[int, Future] = {}
        self._heart: threading.Thread | None = None
        self._stop = threading.Event()

    def submit(self, job_id: int, work: Work) -> Future:
        """Run `work` for the (committed) queued job `job_id` as soon as a thread is free."""
        progress = Progress(self.engine, job_id)
        with self._lock:
            self._live[job_id] = progress
            future = self._executor.submit(self._run, job_id, work, progress)
            self._futures[job_id] = future
            if self._heart is None or not self._heart.is_alive():
                self._heart = threading.Thread(
                    target=self._beat, name="fieldlog-job-heartbeat", daemon=True
                )
                self._heart.start()
        return future

    def live(self, job_id: int) -> dict[str, Any] | None:
        """The counts of a job this process runs, fresher than the database's (on SQLite a
        job writing its rows holds the write lock, and its progress waits for the commit)."""
        with self._lock:
            progress = self._live.get(job_id)
            return dict(progress.values) if progress is not None else None

    def wait(self, timeout: float | None = None) -> None:
        """Wait for every job submitted so far (tests; a shutdown)."""
        with self._lock:
            futures = list(self._futures.values())
        for future in futures:
            future.result(timeout=timeout)

    def shutdown(self) -> None:
        self._stop.set()
        self._executor.shutdown(wait=True)

    def _run(self, job_id: int, work: Work, progress: Progress) -> None:
        try:
            with unit_of_work(self.engine, write=False) as session:
                jobs.start(session, job_id)
            with unit_of_work(self.engine, write=False) as session:
                outcome = work(session, progress)
                if not outcome.ok:
                    session.rollback()  # all or nothing: a failed job leaves nothing behind
                progress.flush()
                jobs.finish(session, job_id, outcome, counts=progress.values)
        except Exception:
            log.exception("job %s failed", job_id)
            jobs.mark_failed(
                self.engine,
                job_id,
                "The job stopped with an unexpected error; nothing was changed. "
                "Try again, and tell the administrator if it happens again.",
            )
        finally:
            with self._lock:
                self._live.pop(job_id, None)
                self._futures.pop(job_id, None)

    def _beat(self) -> None:
        while not self._stop.wait(jobs.HEARTBEAT_SECONDS):
            with self._lock:
                active = list(self._live)
            if active:
                try:
                    jobs.beat(self.engine, active)
                except Exception:  # a heartbeat missed is caught up on the next one
                    log.exception("job heartbeat failed")


# --- the work of each kind -------------------------------------------------------------------


def _owner(session: Session, owner_id: int) -> User:
    user = session.get(User, owner_id)
    if user is None:
        raise LookupError(f"no user {owner_id}")
    return user


def errors_csv(errors: list[importer.CellError]) -> str:
    """Every bad cell, for the download (a cell that would run as a formula is guarded)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", "column", "value", "problem"])
    for e in errors:
        value = e.value
        if value.startswith(("=", "+", "-", "@")):
            value = "'" + value
        writer.writerow([e.row, e.column, value, e.message])
    return buffer.getvalue()


def import_result(result: importer.ImportResult) -> dict[str, Any]:
    """An import's result as the job keeps it (JSON): the figures and the first bad cells."""
    return {
        "summary": result.summary(),
        "mission": result.mission,
        "rows": result.rows,
        "created": result.created,
        "skipped": result.skipped,
        "refused": result.refused,
        "error_count": len(result.errors),
        "errors": [e.as_dict() for e in result.errors[:SHOWN_ERRORS]],
    }


def import_work(data: bytes, *, filename: str, owner_id: int, mission_id: int) -> Work:
    """The import of an uploaded file into the owner's mission, as a job."""

    def work(session: Session, progress: Progress) -> Outcome:
        user = _owner(session, owner_id)
        mission = session.get(Mission, mission_id)
        result = importer.import_file(
            session, data, filename=filename, mission=mission, actor=user, progress=progress
        )
        outcome = Outcome(ok=result.ok, message=result.summary(), result=import_result(result))
        if result.errors:
            outcome.output = errors_csv(result.errors).encode()
            outcome.output_name = "import-errors.csv"
            outcome.output_type = MEDIA["csv"]
        return outcome

    return work


def export_work(params: dict[str, Any], *, fmt: str, hxl: bool, owner_id: int) -> Work:
    """An export of the list `params` describes (the list's filters), as the owner sees it."""

    def work(session: Session, progress: Progress) -> Outcome:
        user = _owner(session, owner_id)
        filters = ActivityFilterQuery.model_validate(params).filters(session)
        total = listing.count(session, reader=user, filters=filters)
        progress(total=None if total.is_lower_bound else total.total, message="Exporting.")
        out = io.BytesIO()
        rows = exporter.write_export(
            session,
            reader=user,
            filters=filters,
            fmt=fmt,
            hxl=hxl,
            out=out,
            progress=lambda n: progress(read=n, written=n),
        )
        progress(read=rows, written=rows, total=rows)
        return Outcome(
            ok=True,
            message=f"{rows:,} activit{'y' if rows == 1 else 'ies'} exported.",
            result={"rows": rows, "format": fmt},
            output=out.getvalue(),
            output_name=f"fieldlog-activities.{fmt}",
            output_type=MEDIA[fmt],
        )

    return work


def report_docx(session: Session, user, code: str | None, period: PeriodQuery) -> bytes:
    """The background report as .docx: the one place report.to_docx is called."""
    mission = missions.get_by_code_or_raise(session, code) if code else None
    built = report.build(session, user=user, mission=mission, start=period.start, end=period.end)
    return report.to_docx(built)


def report_name(code: str | None) -> str:
    return f"fieldlog-report-{(code or 'regional').lower()}.docx"


def report_work(params: dict[str, Any], *, code: str | None, owner_id: int) -> Work:
    """A mission's or the regional background report as .docx, as a job."""

    def work(session: Session, progress: Progress) -> Outcome:
        user = _owner(session, owner_id)
        period = PeriodQuery.model_validate(params)
        progress(message="Counting and writing the report.")
        data = report_docx(session, user, code, period)
        return Outcome(
            ok=True,
            message="The report is ready.",
            result={"bytes": len(data)},
            output=data,
            output_name=report_name(code),
            output_type=DOCX,
        )

    return work
