"""Exporting a filtered, visible activity list as CSV, XLSX or JSON, and the import template.

One function writes a whole export: `write_export` (a background job calls it with a
file; the HTTP answers stream the same chunks from `chunks`). Rows are read in keyset
batches (by id, walking the list's index ranges in id order: app/activities/listing.py)
and forgotten after each batch, so memory stays flat however many rows match.

Two forms of the same rows:
- readable (the default for people): vocabulary labels, mission, location, partner and
  project names, headers in words; in XLSX real dates, and the codes on a second sheet;
- codes (`codes=True`, the API's default): the import template's columns and values, so
  the file imports again.

An XLSX has a frozen header, an autofilter and column widths, and a sheet that says what
was exported: the filters in words, the period, who exported it and when.

Text cells that a spreadsheet would run as a formula (starting with = + - @)
get a leading apostrophe; the importer takes it off again.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import IO, Any, Literal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.actor import Actor
from app.activities import listing, policy
from app.activities.fields import ALL_TYPE_FIELDS, LIST_WIDGETS, Widget
from app.activities.models import Activity
from app.activities.service import ActivityFilters, apply_filters
from app.db import unit_of_work
from app.exchange import columns as cols
from app.partial_dates import PartialDate
from app.vocab import Labelled, Role

BATCH = 1_000
PROGRESS_EVERY = 2_000  # rows between two calls of `progress`
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx", "json")
Format = Literal["csv", "xlsx", "json"]
SHEET = "Activities"
CODES_SHEET = "Codes"
ABOUT_SHEET = "About this export"
# How a partial date reads in a cell that holds its first day (Excel number formats).
DATE_FORMATS = {
    "day": "yyyy-mm-dd",
    "month": "mmm yyyy",
    "year": "yyyy",
}
# Columns whose readable form is a name, not a code (the HXL row says +name for them).
NAMED = frozenset({"mission", "other_missions", "locations", "partners", "project"})


def neutralise(text: str) -> str:
    """Keep a spreadsheet from reading a text cell as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _typed(activity: Activity) -> dict:
    """The record as typed values, one per column: codes, as the importer reads them."""
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


def _label(vocab: type[Labelled], value: str) -> str:
    try:
        return vocab(value).label
    except ValueError:  # a value no longer in the vocabulary: shown as stored
        return value


def _readable(activity: Activity, *, dates: bool) -> dict:
    """The record for people: labels and names; partial dates as PartialDate (`dates`:
    for a spreadsheet to show as dates) or as text."""
    row = _typed(activity)
    row["mission"] = activity.mission.short_name
    row["other_missions"] = [m.short_name for m in activity.other_missions]
    row["locations"] = [loc.name for loc in activity.locations]
    row["partners"] = [p.name for p in activity.partners]
    row["project"] = activity.project.title if activity.project else None
    for column in cols.COLUMNS:
        value = row[column.name]
        if column.vocab is None or value is None:
            continue
        if isinstance(value, list):
            row[column.name] = [_label(column.vocab, v) for v in value]
        else:
            row[column.name] = _label(column.vocab, value)
    if dates:
        row["start"] = PartialDate.of(activity.start_date, activity.start_precision)
        row["end"] = (
            PartialDate.of(activity.end_date, activity.end_precision) if activity.end_date else None
        )
        for name in ("period_from", "period_to"):
            row[name] = getattr(activity, name)
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


def sheet_text(text: str) -> str:
    """Text as a worksheet cell can hold it: without the control characters the XLSX
    format forbids (a search for a backspace once made the export answer 500)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _sheet_cell(column: cols.Column, value):
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return sheet_text(_text_cell(column, value))


# --- which rows -------------------------------------------------------------------------------


def records(
    session: Session,
    *,
    filters: ActivityFilters,
    reader: Actor | None = None,
    everything: bool = False,
    limit: int | None = None,
) -> Iterator[Activity]:
    """Matching activities `reader` may see (all of them if `everything`, for the system
    itself), oldest id first, in batches, read with `session`.

    Each batch is the next ids after the last one, read from index ranges already in id
    order (app/activities/listing.py, sort "id"): no batch sorts the visible rows again,
    so the millionth row costs what the first did. The list page reads the same branches
    and filters, so the export holds exactly the rows of the list."""
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


def activities(
    engine: Engine,
    *,
    filters: ActivityFilters,
    reader: Actor | None = None,
    everything: bool = False,
    limit: int | None = None,
) -> Iterator[Activity]:
    """`records` in a read-only session of its own (for a streamed answer, which outlives
    the request's session)."""
    with unit_of_work(engine, write=False) as session:
        yield from records(
            session, filters=filters, reader=reader, everything=everything, limit=limit
        )


# --- what the file says about itself ----------------------------------------------------------


@dataclass(frozen=True)
class About:
    """What an export holds, in words: the About sheet (XLSX) and the page."""

    exported_by: str
    exported_at: datetime
    period: str
    filters: list[tuple[str, str]] = field(default_factory=list)
    visible: str = ""


def _period_words(filters: ActivityFilters) -> str:
    start, end = filters.date_from, filters.date_to
    if start is None and end is None:
        return "Any date"
    if start is None:
        return f"Dated wholly on or before {end:%d %b %Y}"
    if end is None:
        return f"Dated wholly on or after {start:%d %b %Y}"
    return f"Dated wholly within {start:%d %b %Y} – {end:%d %b %Y}"


def filters_in_words(filters: ActivityFilters) -> list[tuple[str, str]]:
    """Each filter in use as (what, which), e.g. ("Type", "Monitoring visit")."""
    from app.vocab import ActivityType, Provenance, ResponseArea, Status, Theme

    found: list[tuple[str, str]] = []
    if filters.mission is not None:
        m = filters.mission
        found.append(("Mission", f"{m.short_name} ({m.code}), leading or taking part"))
    if filters.type:
        found.append(("Type", _label(ActivityType, filters.type)))
    if filters.area:
        found.append(("Response area", _label(ResponseArea, filters.area)))
    if filters.theme:
        found.append(("Theme", _label(Theme, filters.theme)))
    if filters.status:
        found.append(("Status", _label(Status, filters.status)))
    if filters.location is not None:
        loc = filters.location
        found.append(("Location", f"{loc.name} ({loc.country})"))
    if filters.provenance:
        found.append(("Provenance", _label(Provenance, filters.provenance)))
    if filters.q:
        found.append(("Search", f"“{sheet_text(filters.q)}” in any text, place or partner"))
    if filters.joint:
        found.append(("Joint", "Only activities with other missions taking part"))
    return found


def _visible_words(reader: Actor | None, everything: bool) -> str:
    """The visibility rule (app/activities/policy.py) in words, for this reader."""
    if everything or reader is None:
        return "Every record (exported by the system)"
    prefix = "The records the reader may see: "
    if not policy.statuses_apart(reader):
        return prefix + "approved records of every mission"
    if policy.is_desk(reader):
        return prefix + "submitted and approved records of every mission"
    own = reader.mission.code if reader.mission is not None else "their mission"
    return prefix + f"every record of {own} in any status, and the approved records of the others"


def describe(filters: ActivityFilters, reader: Actor | None, *, everything: bool = False) -> About:
    if reader is None:
        who = "FieldLog (the system)"
    else:
        name = getattr(reader, "name", None) or getattr(reader, "email", None) or f"#{reader.id}"
        role = _label(Role, reader.role)
        mission = f", {reader.mission.code}" if reader.mission is not None else ""
        who = f"{name} ({role}{mission})"
    return About(
        exported_by=who,
        exported_at=datetime.now(UTC).replace(microsecond=0, tzinfo=None),
        period=_period_words(filters),
        filters=filters_in_words(filters),
        visible=_visible_words(reader, everything),
    )


# --- the formats ------------------------------------------------------------------------------


def _hxl_row(codes: bool) -> list[str]:
    if codes:
        return [c.hxl for c in cols.COLUMNS]
    return [c.hxl.replace("+code", "+name") if c.name in NAMED else c.hxl for c in cols.COLUMNS]


def csv_chunks(
    records: Iterable[Activity], *, hxl: bool = False, codes: bool = True
) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(cols.NAMES if codes else [c.label for c in cols.COLUMNS])
    if hxl:
        writer.writerow(_hxl_row(codes))
    for count, activity in enumerate(records, start=1):
        row = _typed(activity) if codes else _readable(activity, dates=False)
        writer.writerow([_text_cell(c, row[c.name]) for c in cols.COLUMNS])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(records: Iterable[Activity], *, codes: bool = True) -> Iterator[str]:
    yield "["
    first = True
    for activity in records:
        row = _typed(activity) if codes else _readable(activity, dates=False)
        yield ("\n" if first else ",\n") + json.dumps(row, ensure_ascii=False)
        first = False
    yield "\n]\n"


def _date_cell(sheet, value, cell_type):
    """A partial date as its first day, shown at its precision ("Q4 2015", "Nov 2015")."""
    if value is None:
        return None
    if isinstance(value, PartialDate):
        cell = cell_type(sheet, value=value.start)
        precision = value.precision.value
        if precision == "quarter":
            cell.number_format = f'"Q{(value.start.month - 1) // 3 + 1}" yyyy'
        else:
            cell.number_format = DATE_FORMATS.get(precision, "yyyy-mm-dd")
        return cell
    cell = cell_type(sheet, value=value)
    cell.number_format = "yyyy-mm-dd"
    return cell


def _start_sheet(workbook, title: str, headers: list[str], widths: list[int], hxl_row):
    """A write-only sheet with its widths, frozen header and bold header row."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3" if hxl_row else "A2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    header = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font, cell.fill = bold, fill
        header.append(cell)
    sheet.append(header)
    if hxl_row:
        sheet.append(hxl_row)
    return sheet


def _finish_sheet(sheet, columns: int, rows: int) -> None:
    from openpyxl.utils import get_column_letter

    sheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{max(rows, 1)}"


# Names and labels run longer than codes (Bosnia and Herzegovina, BIH).
READABLE_WIDTHS = {
    "mission": 22,
    "other_missions": 26,
    "locations": 30,
    "partners": 32,
    "project": 30,
    "observations": 40,
    "outcome": 30,
    "start": 12,
    "end": 12,
}


def _width(column: cols.Column, codes: bool) -> int:
    """A sensible width: the template's for the codes, wider for names; the header fits."""
    header = column.name if codes else column.label
    width = column.width if codes else READABLE_WIDTHS.get(column.name, column.width)
    return max(10, min(60, max(width, len(header) + 2)))


def write_xlsx(
    records: Iterable[Activity],
    *,
    hxl: bool = False,
    codes: bool = True,
    about: About | None = None,
):
    """The rows in a write-only workbook in a temporary file (rewound, for streaming).

    `codes`: one sheet of codes (it imports again). Otherwise the readable sheet first,
    then the same rows as codes on the Codes sheet; with `about`, a sheet saying what the
    export holds."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    n = len(cols.COLUMNS)
    extra = 1 if hxl else 0
    shown = _start_sheet(
        workbook,
        SHEET,
        cols.NAMES if codes else [c.label for c in cols.COLUMNS],
        [_width(c, codes) for c in cols.COLUMNS],
        _hxl_row(codes) if hxl else None,
    )
    about_sheet = workbook.create_sheet(ABOUT_SHEET) if about is not None else None
    code_sheet = None
    if not codes:
        code_sheet = _start_sheet(
            workbook,
            CODES_SHEET,
            cols.NAMES,
            [_width(c, True) for c in cols.COLUMNS],
            _hxl_row(True) if hxl else None,
        )
    dated = {"start", "end", "period_from", "period_to"}
    count = 0
    for activity in records:
        count += 1
        typed = _typed(activity)
        if codes:
            shown.append([_sheet_cell(c, typed[c.name]) for c in cols.COLUMNS])
            continue
        row = _readable(activity, dates=True)
        shown.append(
            [
                _date_cell(shown, row[c.name], WriteOnlyCell)
                if c.name in dated
                else _sheet_cell(c, row[c.name])
                for c in cols.COLUMNS
            ]
        )
        if code_sheet is not None:
            code_sheet.append([_sheet_cell(c, typed[c.name]) for c in cols.COLUMNS])
    _finish_sheet(shown, n, count + 1 + extra)
    if code_sheet is not None:
        _finish_sheet(code_sheet, n, count + 1 + extra)
    if about_sheet is not None and about is not None:
        _write_about(about_sheet, about, rows=count, codes=codes)
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (closed by file_chunks)
    workbook.save(handle)
    handle.seek(0)
    return handle


def _write_about(sheet, about: About, *, rows: int, codes: bool) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 90
    title = WriteOnlyCell(sheet, value="FieldLog activity export")
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    when = WriteOnlyCell(sheet, value=about.exported_at)
    when.number_format = "yyyy-mm-dd hh:mm"
    lines: list[list[Any]] = [
        [],
        ["Exported by", about.exported_by],
        ["Exported at (UTC)", when],
        ["Activities", rows],
        ["Period", about.period],
        ["Which records", about.visible],
    ]
    if about.filters:
        lines += [["Filters", ""]]
        lines += [[f"  {what}", which] for what, which in about.filters]
    else:
        lines += [["Filters", "None: every activity the reader may see in the period"]]
    lines += [
        [],
        [
            "Sheets",
            f"'{SHEET}' holds the codes, as the import template does: the file imports again."
            if codes
            else f"'{SHEET}' holds labels and names for reading; '{CODES_SHEET}' holds the "
            "same rows as codes, as the import template does (copy it into a template to "
            "import them again).",
        ],
    ]
    bold = Font(bold=True)
    for line in lines:
        if line and isinstance(line[0], str):
            head = WriteOnlyCell(sheet, value=line[0])
            head.font = bold
            line = [head, *line[1:]]
        sheet.append(line)


def file_chunks(handle, size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while chunk := handle.read(size):
            yield chunk
    finally:
        handle.close()


class _Counted:
    """The records, counted as they pass, telling `progress` every PROGRESS_EVERY rows."""

    def __init__(self, rows: Iterable[Activity], progress: Callable[[int], None] | None):
        self.rows = rows
        self.progress = progress
        self.count = 0

    def __iter__(self) -> Iterator[Activity]:
        for row in self.rows:
            self.count += 1
            if self.progress is not None and self.count % PROGRESS_EVERY == 0:
                self.progress(self.count)
            yield row


def chunks(
    rows: Iterable[Activity],
    *,
    fmt: str,
    codes: bool = False,
    hxl: bool = False,
    about: About | None = None,
) -> Iterator[bytes]:
    """The whole file as bytes, a piece at a time (the streamed answer and `write_export`)."""
    if fmt == "csv":
        for text in csv_chunks(rows, hxl=hxl, codes=codes):
            yield text.encode("utf-8")
    elif fmt == "json":
        for text in json_chunks(rows, codes=codes):
            yield text.encode("utf-8")
    elif fmt == "xlsx":
        yield from file_chunks(write_xlsx(rows, hxl=hxl, codes=codes, about=about))
    else:
        raise ValueError(f"no export format {fmt!r}; choose one of {', '.join(FORMATS)}")


def write_export(
    session: Session,
    *,
    reader: Actor | None,
    filters: ActivityFilters,
    fmt: str,
    codes: bool = False,
    hxl: bool = False,
    out: IO[bytes],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the whole export of the rows `reader` may see that `filters` keep to `out`;
    the rows written. `progress(rows)` is called every PROGRESS_EVERY rows and at the end.

    `reader` None exports every record (the system itself, e.g. the CLI)."""
    counted = _Counted(
        records(session, filters=filters, reader=reader, everything=reader is None), progress
    )
    about = describe(filters, reader, everything=reader is None)
    for piece in chunks(counted, fmt=fmt, codes=codes, hxl=hxl, about=about):
        out.write(piece)
    if progress is not None:
        progress(counted.count)
    return counted.count


def stream(
    engine: Engine,
    *,
    reader: Actor | None,
    filters: ActivityFilters,
    fmt: str,
    codes: bool = False,
    hxl: bool = False,
) -> Iterator[bytes]:
    """The export as a streamed answer: `chunks` over `activities` (a session of its own,
    opened when the answer starts and closed when it ends)."""
    about = describe(filters, reader)
    yield from chunks(
        activities(engine, filters=filters, reader=reader),
        fmt=fmt,
        codes=codes,
        hxl=hxl,
        about=about,
    )


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
