"""Exporting a filtered, visible activity list as CSV, XLSX or JSON, and the import template.

Rows are read in keyset batches (by id) in a session of their own and
forgotten after each batch, so memory stays flat however many rows match.
CSV and JSON are generated as the response streams; XLSX is written by
openpyxl's write-only mode into a temporary file that is then streamed.

Text cells that a spreadsheet would run as a formula (starting with = + - @)
get a leading apostrophe; the importer takes it off again.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from datetime import date

from sqlalchemy import Engine, select
from sqlalchemy.orm import selectinload

from app.accounts.actor import Actor
from app.activities import listing
from app.activities.fields import ALL_TYPE_FIELDS, LIST_WIDGETS, Widget
from app.activities.models import Activity
from app.activities.service import ActivityFilters, apply_filters
from app.db import unit_of_work
from app.exchange import columns as cols
from app.partial_dates import PartialDate

BATCH = 1_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Keep a spreadsheet from reading a text cell as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _typed(activity: Activity) -> dict:
    """The record as typed values, one per column."""
    row = {
        "external_id": activity.external_id,
        "mission": activity.mission.code,
        "other_missions": [m.code for m in activity.other_missions],
        "type": activity.type,
        "title": activity.title,
        "start": PartialDate.of(activity.start_date, activity.start_precision).iso(),
        "end": (
            PartialDate.of(activity.end_date, activity.end_precision).iso()
            if activity.end_date
            else None
        ),
        "dimension": activity.dimension,
        "response_area": activity.response_area,
        "themes": activity.themes,
        "locations": [loc.code for loc in activity.locations],
        "partners": [p.code for p in activity.partners],
        "project": activity.project.code if activity.project else None,
        "summary": activity.summary,
        "source": activity.source,
        "status": activity.status,
        "country": activity.mission.host_country,
    }
    for name in ALL_TYPE_FIELDS:
        value = getattr(activity, name)
        if isinstance(value, date):
            value = value.isoformat()
        row[name] = value
    return row


def _text_cell(column: cols.Column, value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return neutralise("; ".join(str(v) for v in value))
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


def _sheet_cell(column: cols.Column, value):
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return _text_cell(column, value)


def activities(
    engine: Engine,
    *,
    filters: ActivityFilters,
    reader: Actor | None = None,
    everything: bool = False,
    limit: int | None = None,
) -> Iterator[Activity]:
    """Matching activities `reader` may see (all of them if `everything`, for the system
    itself), oldest id first, in batches; a session of its own.

    Each batch is the next ids after the last one, read from index ranges already in id
    order (app/activities/listing.py, sort "id"): no batch sorts the visible rows again,
    so the millionth row costs what the first did."""
    with unit_of_work(engine, write=False) as session:
        last_id = 0
        done = 0
        while True:
            size = BATCH if limit is None else min(BATCH, limit - done)
            if size <= 0:
                return
            if everything:
                ids = list(
                    session.scalars(
                        apply_filters(select(Activity.id), filters)
                        .where(Activity.id > last_id)
                        .order_by(Activity.id)
                        .limit(size)
                    )
                )
            else:
                keys = listing.keyset(
                    session,
                    reader=reader,
                    filters=filters,
                    sort="id",
                    after=(last_id, last_id) if last_id else None,
                    limit=size,
                )
                ids = [row_id for row_id, _ in keys]
            if not ids:
                return
            rows = list(
                session.scalars(
                    select(Activity)
                    .where(Activity.id.in_(ids))
                    .order_by(Activity.id)
                    .options(
                        selectinload(Activity.other_missions),
                        selectinload(Activity.locations),
                        selectinload(Activity.partners),
                        selectinload(Activity.theme_rows),
                        selectinload(Activity.target_group_rows),
                        selectinload(Activity.project),
                    )
                )
            )
            yield from rows
            done += len(ids)
            last_id = ids[-1]
            session.expunge_all()


def csv_chunks(records: Iterator[Activity], *, hxl: bool = False) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(cols.NAMES)
    if hxl:
        writer.writerow([c.hxl for c in cols.COLUMNS])
    for count, activity in enumerate(records, start=1):
        row = _typed(activity)
        writer.writerow([_text_cell(c, row[c.name]) for c in cols.COLUMNS])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(records: Iterator[Activity]) -> Iterator[str]:
    yield "["
    first = True
    for activity in records:
        row = _typed(activity)
        yield ("\n" if first else ",\n") + json.dumps(row, ensure_ascii=False)
        first = False
    yield "\n]\n"


def write_xlsx(records: Iterator[Activity], *, hxl: bool = False):
    """The rows in a write-only workbook in a temporary file (rewound, for streaming)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Activities")
    sheet.append(cols.NAMES)
    if hxl:
        sheet.append([c.hxl for c in cols.COLUMNS])
    for activity in records:
        row = _typed(activity)
        sheet.append([_sheet_cell(c, row[c.name]) for c in cols.COLUMNS])
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (closed by file_chunks)
    workbook.save(handle)
    handle.seek(0)
    return handle


def file_chunks(handle, size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while chunk := handle.read(size):
            yield chunk
    finally:
        handle.close()


# --- the import template ---------------------------------------------------------------------


def _in_words(names: list[str]) -> str:
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def template_csv() -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cols.IMPORT_NAMES)
    return buffer.getvalue()


def _vocab_values(column: cols.Column) -> list[str]:
    """The codes a SELECT or MULTI column takes, for the template's drop-down lists."""
    if column.vocab is None:
        raise AssertionError(f"the column {column.name!r} has no vocabulary")
    return column.vocab.values()


def template_xlsx(session, rows_with_lists: int = 5_000) -> bytes:
    """An Activities sheet with drop-down lists, an Instructions sheet and the Lists."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.worksheet import Worksheet

    from app.missions.models import Location, Mission, Partner, Project

    workbook = Workbook()
    sheet = workbook.active
    if not isinstance(sheet, Worksheet):
        raise AssertionError("a new workbook starts with one worksheet, and it is active")
    sheet.title = "Activities"
    import_columns = [c for c in cols.COLUMNS if not c.export_only]
    sheet.append([c.name for c in import_columns])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(import_columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = bold
        cell.fill = fill
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"

    lists = workbook.create_sheet("Lists")
    vocabularies: dict[str, list[str]] = {}
    for column in import_columns:
        if column.widget == Widget.SELECT:
            vocabularies[column.name] = _vocab_values(column)
        elif column.widget == Widget.BOOL:
            vocabularies[column.name] = ["yes", "no"]
    vocabularies["mission"] = list(session.scalars(select(Mission.code).order_by(Mission.code)))
    vocabularies["project"] = list(session.scalars(select(Project.code).order_by(Project.code)))
    references = {
        "location codes": list(session.scalars(select(Location.code).order_by(Location.code))),
        "partner codes": list(session.scalars(select(Partner.code).order_by(Partner.code))),
        **{c.name: _vocab_values(c) for c in import_columns if c.widget == Widget.MULTI},
    }
    position = 1
    for name, values in [*vocabularies.items(), *references.items()]:
        letter = get_column_letter(position)
        lists.cell(row=1, column=position, value=name).font = bold
        for offset, value in enumerate(values, start=2):
            lists.cell(row=offset, column=position, value=value)
        lists.column_dimensions[letter].width = max(14, len(name) + 2)
        if name in vocabularies and values:
            target = next(i for i, c in enumerate(import_columns, start=1) if c.name == name)
            target_letter = get_column_letter(target)
            validation = DataValidation(
                type="list",
                formula1=f"=Lists!${letter}$2:${letter}${len(values) + 1}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="Not in the list",
                error=f"Choose a value from the list for {name}.",
            )
            validation.add(f"{target_letter}2:{target_letter}{rows_with_lists + 1}")
            sheet.add_data_validation(validation)
        position += 1

    guide = workbook.create_sheet("Instructions", 0)
    lists = [c.name.replace("_", " ") for c in import_columns if c.widget in LIST_WIDGETS]
    wrap = Alignment(wrap_text=True, vertical="top")
    lines = [
        "How to fill in this template",
        "",
        "Fill one row per activity in the 'Activities' sheet; keep its first row (the column "
        "names) as it is. Import the file on the Import page of FieldLog or with "
        "`fieldlog import FILE --mission CODE`.",
        "Columns in bold blue are the template's. The required ones are "
        f"{_in_words(cols.REQUIRED)}. Leave mission blank to import into your own mission.",
        "Dates: 2015, 2015-Q4, 2015-11 or 2015-11-19 — write only what you know.",
        f"Lists ({', '.join(lists)}): separate values with a semicolon, "
        "e.g. 'anti_trafficking; policing'. The codes are on the 'Lists' sheet.",
        "Yes/no columns: yes or no. Numbers: whole numbers, no formulas.",
        "Fields of one activity type (e.g. participants_total for trainings) stay empty on "
        "other types.",
        "external_id: your own id for the row. Importing the same file again skips rows "
        "already imported; without an external_id a row is recognised by its content.",
        "If any cell is wrong, nothing is imported and FieldLog lists every cell to correct.",
        "",
    ]
    for line in lines:
        guide.append([line])
    guide.append(["column", "required", "what to write", "allowed values"])
    header_row = guide.max_row
    for cell in guide[header_row]:
        cell.font = bold
    for column in import_columns:
        allowed = ", ".join(column.vocab.values()) if column.vocab else ""
        guide.append([column.name, "yes" if column.required else "", column.help, allowed])
    guide["A1"].font = Font(bold=True, size=14)
    for letter, width in zip("ABCD", (24, 10, 60, 60), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    workbook.active = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
