"""Pages: import a spreadsheet, export a list, and the background reports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Query, Request, Response, UploadFile

from app.accounts.deps import MissionStaff, SignedIn
from app.deps import SessionDep
from app.exchange import importer, job_pages, jobs, report, runner
from app.exchange.api import read_upload
from app.exchange.reading import MAX_BYTES, MAX_ROWS, FileRefused, FileTooLarge
from app.exchange.reading import _limit_bytes as limit_bytes
from app.missions import service as missions
from app.schemas_common import PeriodQuery
from app.web import render

router = APIRouter(include_in_schema=False)

SHOWN_ERRORS = runner.SHOWN_ERRORS
errors_csv = runner.errors_csv  # every bad cell as CSV (the job's download, the API's tests)


def import_context(session, user, **extra) -> dict:
    return {
        "missions": missions.get_all(session),
        "max_mb": MAX_BYTES // 1_048_576,
        "max_rows": MAX_ROWS,
        "recent_jobs": jobs.recent_for(session, user, limit=5),
        **extra,
    }


@router.get("/imports")
def import_page(request: Request, session: SessionDep, user: SignedIn):
    """Import a spreadsheet (mission staff) and export lists (everyone signed in)."""
    return render(request, "exchange/import.html", import_context(session, user))


@router.post("/imports")
def import_upload(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    user: MissionStaff,
    file: Annotated[UploadFile | None, File()] = None,
):
    """Start the import of the uploaded file as a job, and show its page.

    A missing or oversized file is answered at once; the rest (reading, checking every
    row, writing all or none) runs after this request, its progress on the job's page."""
    refusal: FileRefused | None = None
    data = b""
    if file is None or not file.filename:
        refusal = FileRefused("Choose a CSV or XLSX file to import.")
    else:
        data = read_upload(file)
        try:
            limit_bytes(data, MAX_BYTES)
        except FileTooLarge as exc:
            refusal = exc
    if refusal is not None:
        result = importer.ImportResult(refusal=refusal)
        extra: dict[str, Any] = {"result": result, "filename": file.filename if file else ""}
        return render(
            request,
            "exchange/import.html",
            import_context(session, user, **extra),
            status_code=result.status_code,
        )
    assert file is not None and file.filename
    mission = missions.own_mission_or_raise(session, user)
    return job_pages.start(
        request,
        background,
        session,
        kind="import",
        owner_id=user.id,
        title=f"Import of {file.filename} into {mission.code}",
        params={"filename": file.filename, "mission": mission.code, "bytes": len(data)},
        work=runner.import_work(
            data, filename=file.filename, owner_id=user.id, mission_id=mission.id
        ),
    )


# --- background reports ----------------------------------------------------------------------

DOCX = runner.DOCX


def _report(session, user, code: str | None, period: PeriodQuery):
    mission = missions.get_by_code_or_raise(session, code) if code else None
    return report.build(session, user=user, mission=mission, start=period.start, end=period.end)


def _report_page(request, session, user, code, period: PeriodQuery):
    return render(
        request,
        "exchange/report.html",
        {
            "r": _report(session, user, code, period),
            "headline_rows": report.headline_rows,
            "provenance_notes": report.provenance_notes,
            "code": code,
            "form": {key: request.query_params.get(key, "").strip() for key in ("from", "to")},
        },
    )


def _report_docx(session, user, code, period: PeriodQuery):
    name = runner.report_name(code)
    return Response(
        runner.report_docx(session, user, code, period),
        media_type=DOCX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


PeriodParams = Annotated[PeriodQuery, Query()]


@router.get("/missions/{code}/report")
def mission_report(
    request: Request, code: str, session: SessionDep, user: SignedIn, period: PeriodParams
):
    """The mission's background report for a period, as a printable page."""
    return _report_page(request, session, user, code, period)


@router.get("/missions/{code}/report.docx")
def mission_report_docx(code: str, session: SessionDep, user: SignedIn, period: PeriodParams):
    """The same report as an editable Word document."""
    return _report_docx(session, user, code, period)


@router.get("/report")
def regional_report(request: Request, session: SessionDep, user: SignedIn, period: PeriodParams):
    """The regional report across all missions (the CPC desk's view)."""
    return _report_page(request, session, user, None, period)


@router.get("/report.docx")
def regional_report_docx(session: SessionDep, user: SignedIn, period: PeriodParams):
    return _report_docx(session, user, None, period)
