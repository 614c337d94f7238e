"""JSON API: import a spreadsheet, export a filtered list, download the import template."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse

from app.accounts.deps import MissionStaff, SignedIn
from app.activities import policy
from app.activities.query import ActivityFilterQuery
from app.activities.service import ActivityFilters
from app.deps import SessionDep
from app.exchange import exporter, importer
from app.exchange.reading import MAX_BYTES
from app.missions import service as missions

router = APIRouter(tags=["exchange"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json", "xlsx": XLSX}


def read_upload(upload: UploadFile, max_bytes: int = MAX_BYTES) -> bytes:
    """The uploaded bytes, reading at most one byte past the limit (sync routes only)."""
    return upload.file.read(max_bytes + 1)


def result_json(result: importer.ImportResult) -> JSONResponse:
    if result.refusal is not None:
        return JSONResponse(
            {"detail": [{"loc": ["file"], "msg": result.refused, "type": "file_refused"}]},
            status_code=result.status_code,
        )
    if result.errors:
        return JSONResponse(
            {
                "detail": [
                    {
                        "loc": ["file", e.row, e.column],
                        "msg": e.message,
                        "type": "value_error",
                        "row": e.row,
                        "column": e.column,
                        "value": e.value,
                    }
                    for e in result.errors
                ],
                "summary": result.summary(),
            },
            status_code=result.status_code,
        )
    return JSONResponse(
        {
            "summary": result.summary(),
            "mission": result.mission,
            "rows": result.rows,
            "created": result.created,
            "skipped": result.skipped,
        }
    )


@router.post("/api/v1/imports")
def import_activities(session: SessionDep, user: MissionStaff, file: Annotated[UploadFile, File()]):
    """Import a CSV or XLSX file into your mission: every row or none.

    422 lists every bad cell (row, column, value, message) and writes nothing.
    Rows whose external_id is already stored are skipped and counted.
    """
    data = read_upload(file)
    mission = missions.own_mission_or_raise(session, user)
    result = importer.import_file(
        session, data, filename=file.filename or "", mission=mission, actor=user
    )
    return result_json(result)


def export_response(request: Request, filters: ActivityFilters, user, fmt: str, hxl: bool):
    engine = request.app.state.engine
    records = exporter.activities(engine, filters=filters, visible=policy.visible_activities(user))
    headers = {"Content-Disposition": f'attachment; filename="fieldlog-activities.{fmt}"'}
    body: Iterator[str] | Iterator[bytes]
    if fmt == "csv":
        body = exporter.csv_chunks(records, hxl=hxl)
    elif fmt == "json":
        body = exporter.json_chunks(records)
    else:
        body = exporter.file_chunks(exporter.write_xlsx(records, hxl=hxl))
    return StreamingResponse(body, media_type=MEDIA[fmt], headers=headers)


@router.get("/api/v1/exports/activities.csv")
@router.get("/api/v1/exports/activities.xlsx")
@router.get("/api/v1/exports/activities.json")
def export_activities(
    request: Request,
    session: SessionDep,
    user: SignedIn,
    query: Annotated[ActivityFilterQuery, Query()],
    hxl: Annotated[bool, Query(description="Add the HXL hashtag row (CSV, XLSX).")] = False,
):
    """Every activity matching the list's filters that you may see, streamed.

    The same filters as GET /api/v1/activities; the file kind is the path's ending.
    """
    fmt = request.url.path.rsplit(".", 1)[-1]
    return export_response(request, query.filters(session), user, fmt, hxl)


@router.get("/api/v1/imports/template.csv")
@router.get("/api/v1/imports/template.xlsx")
def import_template(request: Request, session: SessionDep, user: SignedIn):
    """The import template: the same columns as CSV, or an XLSX with drop-down lists."""
    fmt = request.url.path.rsplit(".", 1)[-1]
    headers = {"Content-Disposition": f'attachment; filename="fieldlog-import-template.{fmt}"'}
    if fmt == "csv":
        return Response(exporter.template_csv(), media_type=MEDIA["csv"], headers=headers)
    return Response(exporter.template_xlsx(session), media_type=XLSX, headers=headers)
