"""Pages: import a spreadsheet, export a list, and the background reports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Query, Request, Response, UploadFile
from pydantic import ValidationError

from app.accounts.deps import MissionStaff, SignedIn
from app.activities import query as list_query
from app.deps import SessionDep
from app.errors import ValidationFailed
from app.exchange import importer, job_pages, jobs, report, runner
from app.exchange.api import export_response, read_upload
from app.exchange.reading import MAX_BYTES, MAX_ROWS, FileRefused, FileTooLarge
from app.exchange.reading import _limit_bytes as limit_bytes
from app.missions import service as missions
from app.schemas_common import PeriodQuery
from app.web import render

router = APIRouter(include_in_schema=False)

SHOWN_ERRORS = runner.SHOWN_ERRORS
errors_csv = runner.errors_csv  # every bad cell as CSV (the job's download, the API's tests)


# The export form's own choices, beside the list's filters.
EXPORT_OPTIONS = ("codes", "hxl")
YES = frozenset({"1", "true", "on", "yes"})


def export_form(params, user) -> dict[str, str]:
    """The export form as typed (the list's filters, and the options). Opened without any,
    it proposes the reader's own mission, as the list's links do not."""
    form = list_query.typed(params)
    form.pop("sort", None)
    for name in EXPORT_OPTIONS:
        form[name] = (params.get(name) or "").strip()
    if not any(form.values()) and user.mission is not None:
        form["mission"] = user.mission.code
    return form


def import_context(session, user, *, export: dict[str, str] | None = None, **extra) -> dict:
    return {
        "missions": missions.get_all(session),
        "locations": list_query.location_choices(session),
        "max_mb": MAX_BYTES // 1_048_576,
        "max_rows": MAX_ROWS,
        "recent_jobs": jobs.recent_for(session, user, limit=5),
        "export": export if export is not None else export_form({}, user),
        "export_errors": {},
        **extra,
    }


@router.get("/imports")
def import_page(request: Request, session: SessionDep, user: SignedIn):
    """Import a spreadsheet (mission staff) and export lists (everyone signed in); the
    export form starts from the filters in the address (a list's "more options" link)."""
    form = export_form(request.query_params, user)
    return render(request, "exchange/import.html", import_context(session, user, export=form))


def _filter_params(params) -> dict[str, str]:
    """The list's filters from the address, as the list reads them (nothing else)."""
    keys = [k for k in list_query.FILTER_KEYS if k != "sort"]
    return {k: params[k] for k in keys if k in params and params[k].strip() != ""}


def _unknown_codes(session, params) -> dict[str, str]:
    """A mission or location code that names nothing, said at once beside the other
    mistakes (the query model checks codes only once the shapes are right)."""
    found: dict[str, str] = {}
    for name in ("mission", "location"):
        code = (params.get(name) or "").strip()
        if not code or len(code) > 80:
            continue
        try:
            list_query.ActivityFilterQuery.model_validate({name: code}).filters(session)
        except (ValidationError, ValidationFailed) as exc:
            found.update(list_query.messages(exc))
    return found


@router.get("/exports/activities.csv")
@router.get("/exports/activities.xlsx")
@router.get("/exports/activities.json")
def export_download(request: Request, session: SessionDep, user: SignedIn):
    """Exactly the rows of the list with these filters, as a file: labels and names unless
    `codes` is set (`hxl`: the HXL hashtag row). The list's export links and the export
    form lead here; filters that cannot be used answer the form again, each message next
    to its field, with what was typed kept."""
    params = request.query_params
    fmt = request.url.path.rsplit(".", 1)[-1]
    try:
        wanted = list_query.ActivityFilterQuery.model_validate(_filter_params(params))
        filters = wanted.filters(session)
    except (ValidationError, ValidationFailed) as exc:
        session.rollback()
        errors = list_query.messages(exc)
        for name, message in _unknown_codes(session, params).items():
            errors.setdefault(name, message)
        context = import_context(
            session,
            user,
            export=export_form(params, user),
            export_errors=errors,
            export_format=fmt,
        )
        return render(request, "exchange/import.html", context, status_code=422)
    yes = {name: (params.get(name) or "").strip().lower() in YES for name in EXPORT_OPTIONS}
    return export_response(request, filters, user, fmt, hxl=yes["hxl"], codes=yes["codes"])


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
