"""JSON API: import a spreadsheet, export a filtered list, download the import template."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from app.accounts.deps import MissionStaff, SignedIn
from app.activities.query import ActivityFilterQuery
from app.activities.service import ActivityFilters
from app.deps import SessionDep
from app.errors import ErrorBody, ErrorItem, error_answers
from app.exchange import exporter, importer
from app.exchange.reading import MAX_BYTES
from app.missions import service as missions

# Every route: a NUL in the address (400), no valid token (401).
router = APIRouter(tags=["exchange"], responses=error_answers(400, 401))

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/json", "xlsx": XLSX}


class ImportSummary(BaseModel):
    summary: str = Field(description="What happened, in a sentence.")
    mission: str | None = Field(description="The mission the rows went into.")
    rows: int = Field(description="Activities in the file.")
    created: int
    skipped: int = Field(description="Rows already imported (same external_id), left as they were.")


class CellError(ErrorItem):
    """A bad cell: `loc` is ["file", row, column]. A file refused as a whole has
    `loc` ["file"] and no row, column or value."""

    row: int | None = Field(default=None, description="The row as the spreadsheet numbers it.")
    column: str | None = None
    value: str | None = Field(default=None, description="What the cell holds.")


class ImportRefused(BaseModel):
    """Nothing was imported: every bad cell, or why the file could not be read (the
    shared error body, with the cells' place and value)."""

    detail: list[CellError]
    summary: str | None = Field(default=None, description="How many cells need correcting.")


def _file(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 answer that is a file download of `media_type`."""
    return {
        200: {
            "description": description,
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
            "headers": {
                "Content-Disposition": {
                    "description": "attachment, with a file name.",
                    "schema": {"type": "string"},
                }
            },
        }
    }


EXPORT_JSON: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The activities as a JSON array, one object per record.",
        "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}},
    }
}


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


@router.post(
    "/api/v1/imports",
    response_model=ImportSummary,
    responses={
        **error_answers(403),
        413: {"model": ErrorBody, "description": "The file or the request is too large."},
        422: {"model": ImportRefused, "description": "Nothing was imported: why, cell by cell."},
    },
)
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


def export_response(
    request: Request,
    filters: ActivityFilters,
    user,
    fmt: str,
    *,
    hxl: bool = False,
    codes: bool = True,
) -> StreamingResponse:
    """The export streamed as a download (the API's and the pages' one answer)."""
    suffix = "" if codes else "-readable"
    headers = {"Content-Disposition": f'attachment; filename="fieldlog-activities{suffix}.{fmt}"'}
    body = exporter.stream(
        request.app.state.engine, reader=user, filters=filters, fmt=fmt, codes=codes, hxl=hxl
    )
    return StreamingResponse(body, media_type=MEDIA[fmt], headers=headers)


@router.get(
    "/api/v1/exports/activities.csv",
    response_class=StreamingResponse,
    responses={**_file(MEDIA["csv"], "The activities as CSV."), **error_answers(422)},
)
@router.get(
    "/api/v1/exports/activities.xlsx",
    response_class=StreamingResponse,
    responses={**_file(XLSX, "The activities as an Excel workbook."), **error_answers(422)},
)
@router.get(
    "/api/v1/exports/activities.json",
    response_class=StreamingResponse,
    responses={**EXPORT_JSON, **error_answers(422)},
)
def export_activities(
    request: Request,
    session: SessionDep,
    user: SignedIn,
    query: Annotated[ActivityFilterQuery, Query()],
    hxl: Annotated[bool, Query(description="Add the HXL hashtag row (CSV, XLSX).")] = False,
    labels: Annotated[
        bool,
        Query(
            description="Readable labels and names instead of codes (as the pages' exports "
            "give by default); an XLSX then has the codes on a second sheet."
        ),
    ] = False,
):
    """Every activity matching the list's filters that you may see, streamed.

    The same filters as GET /api/v1/activities; the file kind is the path's ending. The
    cells hold codes, as the import template does (the file imports again), unless
    `labels` is set. An XLSX also has a sheet saying what it holds: the filters in
    words, the period, who exported it and when.
    """
    fmt = request.url.path.rsplit(".", 1)[-1]
    return export_response(request, query.filters(session), user, fmt, hxl=hxl, codes=not labels)


@router.get(
    "/api/v1/imports/template.csv",
    response_class=Response,
    responses=_file(MEDIA["csv"], "The import template's header row as CSV."),
)
@router.get(
    "/api/v1/imports/template.xlsx",
    response_class=Response,
    responses=_file(XLSX, "The import template: instructions and drop-down lists."),
)
def import_template(request: Request, session: SessionDep, user: SignedIn):
    """The import template: the same columns as CSV, or an XLSX with drop-down lists."""
    fmt = request.url.path.rsplit(".", 1)[-1]
    headers = {"Content-Disposition": f'attachment; filename="fieldlog-import-template.{fmt}"'}
    if fmt == "csv":
        return Response(exporter.template_csv(), media_type=MEDIA["csv"], headers=headers)
    return Response(exporter.template_xlsx(session), media_type=XLSX, headers=headers)
