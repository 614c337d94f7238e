"""Importing activities from a spreadsheet: all rows or none.

Every row is checked with the API's own rules (ActivityCreate for the shape,
activities.service.validate for the rest) before anything is written. If any
cell is bad, nothing is written and every bad cell is reported (row as the
spreadsheet numbers it, column, value, message). Otherwise all new rows go in,
in the caller's transaction (never committed here), each with its audit entry,
and the dashboard aggregates are updated once.

Rows whose external_id is already stored are skipped and counted, so importing
the same file again changes nothing. A row without an external_id gets one
made from its content ("row-…"), so the same row is recognised too.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BinaryExpression, BindParameter

from app.activities import bulk, policy
from app.activities import service as activities
from app.activities.fields import ALL_TYPE_FIELDS, Widget
from app.activities.models import Activity
from app.activities.schemas import ActivityCreate
from app.db import refresh_statistics
from app.errors import ValidationFailed
from app.exchange import columns as cols
from app.exchange.reading import MAX_BYTES, MAX_ROWS, FileRefused, read_table
from app.missions.models import Mission
from app.models_common import utcnow
from app.vocab import Provenance, Status

PROGRESS_EVERY = 500  # rows between two calls of a progress callback
ANALYZE_AFTER = 1_000  # rows; a smaller import leaves the planner's picture about right
FORMULA_STARTS = ("=", "+", "-", "@")
NEUTRALISED = tuple("'" + start for start in FORMULA_STARTS)  # how the exports guard them
# "+389 70 123 456", "-1": a sign, then digits, spaces and ( ) . , / - only.
_SIGNED_NUMBER = re.compile(r"[+-][\d\s().,/-]*\d[\d\s().,/-]*")


class ProgressFn(Protocol):
    """Told how far an import got: rows read from the file, checked, written (new rows
    handed to the database, plus those skipped as already imported). `total` is the
    number of rows; `message` says what is happening now."""

    def __call__(
        self,
        *,
        read: int | None = None,
        checked: int | None = None,
        written: int | None = None,
        total: int | None = None,
        message: str | None = None,
    ) -> None: ...


class NotYourMission(FileRefused):
    """The user may not import into this mission: 403, whatever the file holds."""

    status_code = 403


@dataclass
class CellError:
    row: int
    column: str
    value: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "msg": self.message}


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    skipped: int = 0
    errors: list[CellError] = field(default_factory=list)
    refusal: FileRefused | None = None
    mission: str | None = None

    @property
    def refused(self) -> str | None:
        """Why nothing could be imported at all, in a sentence; None if the file was read."""
        return str(self.refusal) if self.refusal is not None else None

    @property
    def ok(self) -> bool:
        return not self.errors and self.refusal is None

    @property
    def status_code(self) -> int:
        """The HTTP status of the answer, for the API and the page alike."""
        if self.refusal is not None:
            return self.refusal.status_code
        return 422 if self.errors else 200

    def summary(self) -> str:
        if self.refused:
            return self.refused
        if self.errors:
            cells = len(self.errors)
            rows = len({e.row for e in self.errors})
            return (
                f"Nothing was imported: {cells} cell{'s' if cells != 1 else ''} in "
                f"{rows} row{'s' if rows != 1 else ''} need{'s' if cells == 1 else ''} "
                "correcting. Correct them and import the whole file again."
            )
        parts = [f"{self.created:,} new activit{'y' if self.created == 1 else 'ies'} imported"]
        if self.skipped:
            parts.append(f"{self.skipped:,} already imported (same external_id), left unchanged")
        if self.created == 0 and self.skipped:
            if self.skipped == 1:
                return "Nothing new: the row was already imported."
            return f"Nothing new: all {self.skipped:,} rows were already imported."
        return "; ".join(parts) + "."


# --- cells to values -----------------------------------------------------------------------


class _Bad(ValueError):
    pass


def is_formula(text: str) -> bool:
    """Whether a text cell would run as a formula in a spreadsheet, by the import's rule
    (README, "Import, export and reports"): it starts with `=`; or with `+`, `-` or `@`
    directly followed by something, unless it is a signed number ("-1", "+389 70 123 456").
    A dash or an at sign alone or followed by a space is text ("- observed 40 people")."""
    first = text[:1]
    if first == "=":
        return True
    if first not in FORMULA_STARTS or len(text) == 1 or text[1] == " ":
        return False
    return not (first != "@" and _SIGNED_NUMBER.fullmatch(text))


def _guarded(value) -> bool:
    """A cell written with the exports' guard ('=…): text as typed, never a formula."""
    return value.__class__ is str and value.lstrip().startswith(NEUTRALISED)


def _text(value) -> str:
    if value.__class__ is str:  # every CSV cell, most XLSX cells
        text = value.strip()
    elif value is None:
        return ""
    elif isinstance(value, bool):
        return "yes" if value else "no"
    elif isinstance(value, float) and value.is_integer():
        return str(int(value))
    else:
        text = str(value).strip()
    if text[:1] == "'" and text.startswith(NEUTRALISED):  # our exports' formula guard
        text = text[1:]
    return text


_LABELS: dict[type, dict[str, str]] = {}


def _enum_value(enum, text: str) -> str:
    table = _LABELS.get(enum)
    if table is None:
        table = {}
        for member in enum:
            table[member.value.lower()] = member.value
            table[member.label.lower()] = member.value
        _LABELS[enum] = table
    found = table.get(text.lower())
    if found is None:
        choices = ", ".join(enum.values())
        raise _Bad(f"{text!r} is not one of: {choices}")
    return found


def _split(text: str) -> list[str]:
    """A list cell's values: separated by ; (or |, or a comma when neither is there)."""
    separator = next((s for s in (";", "|") if s in text), ",")
    return [part.strip() for part in text.split(separator) if part.strip()]


def _convert(column: cols.Column, value, text: str) -> Any:
    """A cell (and its text, from _text) as the value ActivityCreate reads; None if empty."""
    if (
        column.widget == Widget.NUMBER
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        if isinstance(value, float) and not value.is_integer():
            raise _Bad("give a whole number")
        return int(value)
    if text == "":
        return None
    if is_formula(text) and not _guarded(value):
        raise _Bad(
            "formulas are not imported: type the value itself in this cell (text may start "
            "with +, - or @ followed by a space)"
        )
    match column.widget:
        case Widget.CODES:
            return _split(text)
        case Widget.SELECT:
            return _enum_value(column.vocab, text)
        case Widget.MULTI:
            return [_enum_value(column.vocab, part) for part in _split(text)]
        case Widget.BOOL:
            low = text.lower()
            if low in cols.TRUE_WORDS:
                return True
            if low in cols.FALSE_WORDS:
                return False
            raise _Bad("write yes or no")
        case Widget.NUMBER:
            try:
                return int(text.replace(",", "").replace(" ", ""))
            except ValueError:
                raise _Bad("give a whole number") from None
        case _:  # text, codes and dates: ActivityCreate reads them
            return text


# --- database lookups, cached for the whole file --------------------------------------------


class _CachedLookups:
    """Answers the validator's reference look-ups (codes -> rows) once per distinct set.

    Passed to activities.service.validate in place of the session: the rules stay the
    service's own; only repeated identical queries are answered from memory.
    """

    def __init__(self, session: Session):
        self._session = session
        self._memo: dict[tuple, list] = {}

    def scalars(self, statement: Select[Any], /) -> Iterable[Any]:
        codes = _codes_looked_up(statement)
        if codes is None:  # an unexpected statement: ask the database
            return self._session.scalars(statement)
        key = (statement.column_descriptions[0]["entity"], frozenset(codes))
        if key not in self._memo:
            self._memo[key] = list(self._session.scalars(statement))
        return iter(self._memo[key])


def _codes_looked_up(statement: Select[Any]) -> list[str] | None:
    """The codes of a look-up by code (`SELECT model WHERE code IN (codes)`), else None."""
    where = statement.whereclause
    if isinstance(where, BinaryExpression) and isinstance(where.right, BindParameter):
        return where.right.value
    return None


# What activities.service.validate depends on, so rows that would get the same verdict
# share one validation: type-specific fields only as "given or not" (each belongs to one
# type), codes as they are, and the three order checks (end after start, period_to after
# period_from, women and men within the total) as "fine" or, when not, their values (the message
# quotes them). Title, summary, source, dimension, area and themes it does not read.
_NOT_READ = frozenset(
    {"external_id", "title", "summary", "source", "dimension", "response_area", "themes"}
)
_ORDERED = frozenset(
    {
        "start",
        "end",
        "period_from",
        "period_to",
        "participants_total",
        "participants_women",
        "participants_men",
    }
)


def _key_part(name: str) -> str:
    if name in _NOT_READ:
        return "skip"
    if name in ALL_TYPE_FIELDS:  # participants_total and the period too: "given or not"
        return "given"
    return "skip" if name in _ORDERED else "value"


_KEY_PARTS = {name: _key_part(name) for name in ActivityCreate.model_fields}


def _validation_key(values: dict) -> tuple:
    key: list = []
    for name, value in values.items():
        part = _KEY_PARTS[name]
        if part == "skip":
            continue
        if part == "given":
            if value is not None:
                key.append(name)
        elif value.__class__ is list:
            key.append((name, tuple(value)))
        else:
            key.append((name, value))
    start, end = values.get("start"), values.get("end")
    fine = start is None or end is None or not end.start < start.start
    key.append(("dates", True if fine else (start, end)))
    since, until = values.get("period_from"), values.get("period_to")
    fine = since is None or until is None or not until.end < since.start
    key.append(("period", True if fine else (since, until)))
    counts = (
        values.get("participants_total"),
        values.get("participants_women"),
        values.get("participants_men"),
    )
    key.append(("participants", tuple(activities.participants_problems(*counts))))
    return tuple(key)


# --- the import ------------------------------------------------------------------------------


@dataclass
class _Checked:
    row: int
    data: ActivityCreate
    values: dict
    resolved: activities.Resolved
    status: Status


def _check_header(header: list[str]) -> list[str | None]:
    """Column names by position (None for an empty trailing header cell)."""
    names: list[str | None] = []
    unknown, seen, repeated = [], set(), []
    for raw in header:
        name = _text(raw).lower().replace(" ", "_") if raw is not None else ""
        name = cols.RENAMED.get(name, name)
        if not name:
            names.append(None)
            continue
        if name not in cols.BY_NAME:
            unknown.append(str(raw))
        elif name in seen:
            repeated.append(name)
        seen.add(name)
        names.append(name)
    problems = []
    if unknown:
        problems.append(
            "unknown column"
            + ("s " if len(unknown) > 1 else " ")
            + ", ".join(repr(u) for u in unknown)
        )
    if repeated:
        problems.append(
            "repeated column" + ("s " if len(repeated) > 1 else " ") + ", ".join(repeated)
        )
    missing = [name for name in cols.REQUIRED if name not in seen]
    if missing:
        problems.append("missing column" + ("s " if len(missing) > 1 else " ") + ", ".join(missing))
    if problems:
        raise FileRefused(
            "The first row must name the columns of the FieldLog template: "
            + "; ".join(problems)
            + ". Download the template to see the expected columns."
        )
    return names


def _is_hxl_row(cells: list) -> bool:
    texts = [_text(c) for c in cells if _text(c)]
    return bool(texts) and all(t.startswith("#") for t in texts)


def _natural_key(raw: dict[str, str]) -> str:
    canonical = json.dumps(sorted(raw.items()), ensure_ascii=False)
    return "row-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _column_of(loc: tuple) -> tuple[str, int | None]:
    names = [p for p in loc if isinstance(p, str)]
    index = next((p for p in loc if isinstance(p, int)), None)
    return (names[0] if names else "row"), index


def check_rows(
    session: Session,
    table,
    *,
    mission: Mission | None,
    honour_status: bool,
    progress: ProgressFn | None = None,
) -> tuple[list[_Checked], list[CellError], int]:
    """Validate every row; return the good ones, every bad cell, and the row count.
    `progress` hears the rows checked so far (every PROGRESS_EVERY rows)."""
    names = _check_header(table.header)
    named = [(index, name, cols.BY_NAME[name]) for index, name in enumerate(names) if name]
    unnamed = [index for index, name in enumerate(names) if not name]
    lookups = _CachedLookups(session)
    memo: dict[tuple, Any] = {}
    checked: list[_Checked] = []
    errors: list[CellError] = []
    seen_keys: dict[str, int] = {}
    count = 0
    for position, (number, cells) in enumerate(table.rows):
        if progress is not None and position % PROGRESS_EVERY == 0 and position:
            progress(checked=position)
        if position == 0 and _is_hxl_row(cells):
            continue
        if not any(_text(c) for c in cells) and not any(isinstance(c, int | float) for c in cells):
            continue
        count += 1
        width = len(cells)
        raw: dict[str, str] = {}
        data: dict[str, Any] = {}
        status = Status.DRAFT
        row_errors: list[CellError] = []
        for index in unnamed:
            if index < width and _text(cells[index]):
                row_errors.append(
                    CellError(
                        number,
                        f"column {index + 1}",
                        _text(cells[index]),
                        "this column has no name in the first row",
                    )
                )
        for index, name, column in named:
            if index >= width:
                break
            cell = cells[index]
            if cell is None or cell == "":
                continue
            shown = _text(cell)
            if column.export_only:
                if name == "status" and honour_status and shown:
                    try:
                        status = Status(_enum_value(column.vocab, shown))
                    except _Bad as exc:
                        row_errors.append(CellError(number, name, shown, str(exc)))
                continue
            if shown:
                raw[name] = shown
            try:
                value = _convert(column, cell, shown)
            except _Bad as exc:
                row_errors.append(CellError(number, name, shown, str(exc)))
                continue
            if value is not None:
                data[name] = value
        if mission is not None:
            given = data.get("mission")
            if given is None:
                data["mission"] = mission.code
            elif given.upper() != mission.code:
                row_errors.append(
                    CellError(
                        number,
                        "mission",
                        given,
                        f"this file is imported into {mission.code}; leave the cell blank "
                        f"or write {mission.code}",
                    )
                )
                data["mission"] = mission.code
        elif "mission" not in data:
            row_errors.append(CellError(number, "mission", "", "give the lead mission's code"))
        key_given = "external_id" in data
        if not key_given:
            raw.pop("external_id", None)
            data["external_id"] = _natural_key(raw)
        key = data["external_id"]
        if key in seen_keys:
            message = (
                f"the external_id {key!r} is also on row {seen_keys[key]}"
                if key_given
                else f"this row repeats row {seen_keys[key]}; give each an external_id to keep both"
            )
            row_errors.append(CellError(number, "external_id", raw.get("external_id", ""), message))
        else:
            seen_keys[key] = number
        if row_errors:
            errors.extend(row_errors)
            continue
        try:
            model = ActivityCreate.model_validate(data)
        except ValidationError as exc:
            for detail in exc.errors():
                name, _ = _column_of(tuple(detail.get("loc", ())))
                msg = str(detail.get("msg", "invalid value")).removeprefix("Value error, ")
                errors.append(CellError(number, name, raw.get(name, ""), msg))
            continue
        values = activities.fields_of(model)
        key = _validation_key(values)
        outcome = memo.get(key)
        if outcome is None:
            try:
                outcome = activities.validate(lookups, values, loc_prefix=())
            except ValidationFailed as exc:
                outcome = exc
            memo[key] = outcome
        if isinstance(outcome, ValidationFailed):
            for err in outcome.errors:
                name, item = _column_of(err.loc)
                shown = raw.get(name, "")
                if item is not None and isinstance(values.get(name), list):
                    shown = str(values[name][item])
                errors.append(CellError(number, name, shown, err.msg))
            continue
        checked.append(_Checked(number, model, values, outcome, status))
    if count == 0 and not errors:
        raise FileRefused("The file has a header row but no activities under it.")
    if progress is not None:
        progress(checked=count, total=count)
    return checked, errors, count


def _existing_keys(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        found.update(
            session.scalars(select(Activity.external_id).where(Activity.external_id.in_(chunk)))
        )
    return found


def _counted(records: Iterable[Any], progress: ProgressFn, done: int) -> Iterator[Any]:
    """The records, telling `progress` how many were handed on (from `done`)."""
    for record in records:
        yield record
        done += 1
        if done % PROGRESS_EVERY == 0:
            progress(written=done)


def _write(
    session: Session,
    rows: list[_Checked],
    *,
    actor_id: int | None,
    detail: str,
    progress: ProgressFn | None = None,
    done: int = 0,
) -> None:
    """Write the checked rows; `progress` hears the rows written so far, counted from
    `done` (the rows skipped before)."""
    now = utcnow()
    records: Iterable[Any] = (
        bulk.new_record(
            item.values,
            item.resolved,
            status=item.status,
            provenance=Provenance.IMPORTED,
            created_by_id=actor_id,
            now=now,
        )
        for item in rows
    )
    if progress is not None:
        records = _counted(records, progress, done)
    bulk.write_many(session, records, actor_id=actor_id, detail=detail)
    if progress is not None:
        progress(written=done + len(rows))


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector while a file is imported.

    An import keeps every row of the file in memory at once (up to 100,000 rows, a few
    million objects), and the collector would walk them all again each time it runs,
    which about doubles the time. What an import allocates is freed by reference
    counting; anything left for the collector is collected once it runs again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@_cyclic_gc_paused()
def import_file(
    session: Session,
    data: bytes,
    *,
    filename: str = "",
    mission: Mission | None,
    actor=None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Check the whole file, then write all its new rows or none. Never commits.

    `progress`, if given, hears the rows read, checked and written as the import goes
    (every PROGRESS_EVERY rows: it costs nothing measurable).

    `mission` is the mission the rows belong to (a user imports into their own);
    the system (actor None) may pass None to take each row's mission column, and
    its rows keep the status column if there is one (a restore from an export).
    """
    result = ImportResult(mission=mission.code if mission else None)
    if actor is not None and (mission is None or not policy.can_create_for(actor, mission.id)):
        own = actor.mission.code if actor.mission else "none"
        result.refusal = NotYourMission(
            f"You can import activities into your own mission ({own}) only."
        )
        return result
    try:
        if progress is not None:
            progress(message="Reading the file.")
        table = read_table(data, filename, max_bytes=max_bytes, max_rows=max_rows)
        if progress is not None:
            rows = len(table.rows)
            progress(read=rows, total=rows, message=f"Checking {rows:,} rows.")
        checked, errors, count = check_rows(
            session, table, mission=mission, honour_status=actor is None, progress=progress
        )
    except FileRefused as exc:
        result.refusal = exc
        return result
    result.rows = count
    if errors:
        result.errors = errors
        return result
    present = _existing_keys(session, [c.data.external_id for c in checked])
    new = [c for c in checked if c.data.external_id not in present]
    result.skipped = len(checked) - len(new)
    if progress is not None:
        progress(written=result.skipped, message=f"Writing {len(new):,} new rows.")
    if new:
        _write(
            session,
            new,
            actor_id=actor.id if actor is not None else None,
            detail=f"imported from {filename or 'a file'}"[:500],
            progress=progress,
            done=result.skipped,
        )
        session.flush()
        if len(new) >= ANALYZE_AFTER:
            refresh_statistics(session, [table.name for table in bulk.TABLES])
    result.created = len(new)
    return result
