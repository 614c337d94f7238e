"""Pages of long work: start an export or a report as a job, follow its progress, fetch
the result. (A large import starts from the import page, app/exchange/pages.py.)

Every page here reads the job from the database, so any worker answers and a reload
finds it again; someone else's job is not found (404)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from app.accounts.deps import SignedIn
from app.activities.query import ActivityFilterQuery
from app.deps import RowId, SessionDep
from app.errors import FieldError, NotFound, ValidationFailed
from app.exchange import importer, jobs, runner
from app.forms import TextFieldsDep, field_errors
from app.missions import service as missions
from app.schemas_common import PeriodQuery
from app.web import render

router = APIRouter(include_in_schema=False)

FORMATS = ("csv", "xlsx", "json")
EXPORT_FIELDS = ("mission", "from", "to")


def start(
    request: Request,
    background: BackgroundTasks,
    session,
    *,
    kind: str,
    owner_id: int,
    title: str,
    params: dict[str, Any],
    work: runner.Work,
) -> RedirectResponse:
    """Create the job and answer with its page; the work starts once the request's
    transaction (which holds the job) is committed."""
    job = jobs.create(session, kind=kind, owner_id=owner_id, title=title, params=params)
    background.add_task(request.app.state.jobs.submit, job.id, work)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def _own(session, job_id: int, user) -> jobs.Job:
    job = jobs.get_own(session, job_id, user)
    if job is None:
        raise NotFound("No such job among yours.")
    return job


def _view(request: Request, job: jobs.Job) -> dict[str, Any]:
    """What the page shows of the job: its counts (fresher from this process, when it
    runs the job here), the state, and the result."""
    counts: dict[str, Any] = {
        "rows_total": job.rows_total,
        "rows_read": job.rows_read,
        "rows_checked": job.rows_checked,
        "rows_written": job.rows_written,
        "message": job.message,
    }
    live = request.app.state.jobs.live(job.id) if not job.finished else None
    if live:
        counts.update(live)
    total = counts["rows_total"]
    if job.kind == "import":
        steps = [("read", counts["rows_read"]), ("checked", counts["rows_checked"])]
        steps.append(("written", counts["rows_written"]))
        value = counts["rows_checked"] + counts["rows_written"]
        maximum = 2 * total if total else None
    else:
        steps = [("written", counts["rows_written"])] if job.kind == "export" else []
        value = counts["rows_written"]
        maximum = total or None
    state = job.shown_state()
    if state == "done" and maximum is None:
        value = maximum = 1
    result = job.result or {}
    errors = [
        importer.CellError(e["row"], e["column"], e["value"], e["msg"])
        for e in result.get("errors", [])
    ]
    return {
        "job": job,
        "state": state,
        "counts": counts,
        "steps": steps,
        "total": total,
        "value": min(value, maximum) if maximum else None,
        "maximum": maximum,
        "result": result,
        "shown_errors": errors,
    }


@router.get("/jobs")
def job_list(request: Request, session: SessionDep, user: SignedIn):
    """Your recent jobs: imports, exports and reports, with their state."""
    listed = jobs.recent_for(session, user, limit=20)
    return render(request, "exchange/jobs.html", {"jobs": listed})


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: RowId, session: SessionDep, user: SignedIn):
    """One of your jobs: its progress while it runs, its result once it is done."""
    job = _own(session, job_id, user)
    return render(request, "exchange/job.html", _view(request, job))


@router.get("/jobs/{job_id}/status")
def job_status(request: Request, job_id: RowId, session: SessionDep, user: SignedIn):
    """The job's progress and result alone: what the page polls while the job runs."""
    job = _own(session, job_id, user)
    return render(request, "exchange/_job_status.html", _view(request, job))


@router.get("/jobs/{job_id}/download")
def job_download(job_id: RowId, session: SessionDep, user: SignedIn):
    """The job's file: the export, the report, or an import's list of bad cells."""
    job = _own(session, job_id, user)
    data = jobs.output_of(session, job) if job.has_output else None
    if data is None or job.output_name is None:
        raise NotFound("This job has no file (any more): files are kept for a day. Start it again.")
    name = quote(job.output_name)
    return Response(
        data,
        media_type=job.output_type or "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/jobs/export")
def start_export(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    user: SignedIn,
    fields: TextFieldsDep,
    fmt: Annotated[str, Form(alias="format")] = "csv",
):
    """Export a filtered list in the background; its page offers the file at the end."""
    params = {k: fields[k].strip() for k in EXPORT_FIELDS if fields.get(k, "").strip()}
    hxl = fields.get("hxl", "") in ("true", "on", "1")
    errors: dict[str, str] = {}
    if fmt not in FORMATS:
        errors["format"] = "Choose CSV, XLSX or JSON."
    try:
        ActivityFilterQuery.model_validate(params).filters(session)
    except (ValidationError, ValidationFailed) as exc:
        errors.update(field_errors(exc, as_sentences=True))
    if errors:
        from app.exchange.pages import import_context

        context = import_context(session, user, job_export_errors=errors, job_export_form=fields)
        return render(request, "exchange/import.html", context, status_code=422)
    what = ", ".join(f"{k} {v}" for k, v in params.items()) or "everything you may see"
    return start(
        request,
        background,
        session,
        kind="export",
        owner_id=user.id,
        title=f"Export ({fmt.upper()}) of {what}",
        params={**params, "format": fmt, "hxl": hxl},
        work=runner.export_work(params, fmt=fmt, hxl=hxl, owner_id=user.id),
    )


@router.post("/jobs/report")
def start_report(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    user: SignedIn,
    fields: TextFieldsDep,
):
    """Write a mission's (or the regional) background report as .docx in the background."""
    code = fields.get("mission", "").strip().upper() or None
    if code:
        missions.get_by_code_or_raise(session, code)
    params = {k: fields[k].strip() for k in ("from", "to") if fields.get(k, "").strip()}
    try:
        PeriodQuery.model_validate(params)
    except ValidationError as exc:
        problems = field_errors(exc)
        raise ValidationFailed([FieldError((k,), m) for k, m in problems.items()]) from exc
    what = code or "regional"
    span = " – ".join(params.get(k, "…") for k in ("from", "to")) if params else "all dates"
    return start(
        request,
        background,
        session,
        kind="report",
        owner_id=user.id,
        title=f"Background report ({what}, {span}) as .docx",
        params={**params, "mission": code},
        work=runner.report_work(params, code=code, owner_id=user.id),
    )
