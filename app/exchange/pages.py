"""Pages: import a spreadsheet, export a list, and the background reports."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Request, Response, UploadFile

from app.accounts.deps import MissionStaff, SignedIn
from app.deps import SessionDep
from app.exchange import importer, report
from app.exchange.api import read_upload
from app.exchange.reading import MAX_BYTES, MAX_ROWS, FileRefused
from app.missions import service as missions
from app.schemas_common import PeriodQuery
from app.web import render

router = APIRouter(include_in_schema=False)

SHOWN_ERRORS = 500


def errors_csv(errors: list[importer.CellError]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", "column", "value", "problem"])
    for e in errors:
        value = e.value
        if value.startswith(("=", "+", "-", "@")):
            value = "'" + value
        writer.writerow([e.row, e.column, value, e.message])
    return buffer.getvalue()


def _context(session, user, **extra) -> dict:
    return {
        "missions": missions.get_all(session),
        "max_mb": MAX_BYTES // 1_048_576,
        "max_rows": MAX_ROWS,
        **extra,
    }


@router.get("/imports")
def import_page(request: Request, session: SessionDep, user: SignedIn):
    """Import a spreadsheet (mission staff) and export lists (everyone signed in)."""
    return render(request, "exchange/import.html", _context(session, user))


@router.post("/imports")
def import_upload(
    request: Request,
    session: SessionDep,
    user: MissionStaff,
    file: Annotated[UploadFile | None, File()] = None,
):
    if file is None or not file.filename:
        result = importer.ImportResult(refusal=FileRefused("Choose a CSV or XLSX file to import."))
    else:
        mission = missions.own_mission_or_raise(session, user)
        result = importer.import_file(
            session, read_upload(file), filename=file.filename, mission=mission, actor=user
        )
    extra: dict[str, Any] = {"result": result, "filename": file.filename if file else ""}
    if result.errors:
        extra["shown_errors"] = result.errors[:SHOWN_ERRORS]
        extra["errors_href"] = "data:text/csv;charset=utf-8," + quote(errors_csv(result.errors))
    return render(
        request,
        "exchange/import.html",
        _context(session, user, **extra),
        status_code=result.status_code,
    )


# --- background reports ----------------------------------------------------------------------

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


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
    built = _report(session, user, code, period)
    name = f"fieldlog-report-{(code or 'regional').lower()}.docx"
    return Response(
        report.to_docx(built),
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
