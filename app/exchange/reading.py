"""Reading an uploaded spreadsheet (CSV or XLSX) into a header and rows of raw cells.

Problems with the file as a whole (too big, too many rows, corrupt, not text,
wrong columns) raise `FileRefused` with a sentence for the person; its class says which
HTTP status the refusal answers with, so no caller reads the sentence to decide.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
SHEET_NAME = "Activities"


class FileRefused(Exception):
    """The file cannot be imported at all; the message says why and what to do.

    By default the content cannot be used (422); subclasses answer otherwise.
    """

    status_code = 422


class FileTooLarge(FileRefused):
    """More bytes than an upload may have: 413, the request itself is too large."""

    status_code = 413


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list]]  # (row number as the spreadsheet shows it, cells)
    kind: str  # "csv" or "xlsx"


def _limit_bytes(data: bytes, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise FileTooLarge(
            f"The file is {len(data) / 1_048_576:.1f} MB; files up to "
            f"{max_bytes // 1_048_576} MB are accepted. Split it into smaller files."
        )


def _too_many(max_rows: int) -> FileRefused:
    return FileRefused(
        f"The file has more than {max_rows:,} rows; import at most {max_rows:,} rows at a time."
    )


def read_table(
    data: bytes, filename: str = "", *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS
) -> Table:
    """Parse CSV or XLSX (decided by the content, not the name)."""
    _limit_bytes(data, max_bytes)
    if not data.strip():
        raise FileRefused("The file is empty.")
    is_zip = data[:4] == b"PK\x03\x04"
    if is_zip or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, max_rows)
    if filename.lower().endswith(".xls"):
        raise FileRefused("Old .xls workbooks are not read; save the file as .xlsx or CSV.")
    return _read_csv(data, max_rows)


def _read_csv(data: bytes, max_rows: int) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(
            "The file is neither an XLSX workbook nor UTF-8 text. Save it as "
            "'CSV UTF-8' or as an Excel workbook (.xlsx)."
        ) from None
    if "\x00" in text:
        raise FileRefused("The file contains NUL characters: it is not a CSV text file.")
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise FileRefused("The file is empty.")
        rows: list[tuple[int, list]] = []
        for cells in reader:
            if len(rows) >= max_rows:
                raise _too_many(max_rows)
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        line = reader.line_num
        raise FileRefused(f"The CSV file could not be read (line {line}): {exc}.") from None
    return Table(header, rows, "csv")


def _cell(value):
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        return value.isoformat()
    return value


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
MAX_UNPACKED = 25 * MAX_BYTES  # a full 100,000-row template unpacks to about 400 MB


def _has_formulas(data: bytes) -> bool:
    """Whether any worksheet holds a formula (an <f> element); refuses a workbook that
    would unpack to more than MAX_UNPACKED (a "zip bomb" would fill the memory)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            unpacked = sum(info.file_size for info in infos)
            if unpacked > MAX_UNPACKED:
                raise FileRefused(
                    f"The workbook unpacks to {unpacked / 1_048_576:,.0f} MB, more than "
                    f"{MAX_UNPACKED // 1_048_576} MB: it is damaged or not a plain "
                    "spreadsheet. Save it again from Excel, or as CSV UTF-8."
                )
            sheets = [
                info
                for info in infos
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
            ]
            return any(_mentions_formula(archive, info) for info in sheets)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError, RuntimeError):
        return False  # the reader refuses the file with its own message


def _mentions_formula(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Scan one worksheet's XML a megabyte at a time (a tag may straddle two chunks)."""
    tail = b""
    with archive.open(info) as stream:
        while chunk := stream.read(1_048_576):
            if _FORMULA.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _read_xlsx(data: bytes, max_rows: int) -> Table:
    """Read with calamine (a Rust reader, about ten times faster than openpyxl) unless a
    worksheet holds formulas: calamine gives only their results, and a formula must be
    refused cell by cell, so such a workbook is read with openpyxl."""
    if _has_formulas(data):
        return _read_xlsx_with_formulas(data, max_rows)
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
        sheet = workbook.get_sheet_by_name(SHEET_NAME if SHEET_NAME in names else names[0])
        if sheet.total_height - 1 > max_rows + 1000:
            raise _too_many(max_rows)
        grid = sheet.to_python(skip_empty_area=False)
    except FileRefused:
        raise
    except Exception as exc:  # calamine raises several kinds on damaged files
        raise FileRefused(
            "The file could not be opened as an Excel workbook (.xlsx): it may be damaged "
            "or of another kind. Save it again from Excel, or as CSV UTF-8."
        ) from exc
    return _table_from_rows(enumerate(grid, start=1), max_rows)


def _table_from_rows(numbered, max_rows: int) -> Table:
    header = None
    rows: list[tuple[int, list]] = []
    for number, values in numbered:
        if header is None:
            header = ["" if v is None else str(v) for v in values]
            continue
        if len(rows) >= max_rows:
            if any(v not in (None, "") for v in values):
                raise _too_many(max_rows)
            continue
        rows.append((number, [_cell(v) for v in values]))
    if header is None:
        raise FileRefused("The workbook's first sheet is empty.")
    while rows and all(v in (None, "") for v in rows[-1][1]):
        rows.pop()
    return Table(header, rows, "xlsx")


def _read_xlsx_with_formulas(data: bytes, max_rows: int) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError) as exc:
        raise FileRefused(
            "The file could not be opened as an Excel workbook (.xlsx): it may be damaged "
            "or of another kind. Save it again from Excel, or as CSV UTF-8."
        ) from exc
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise FileRefused(
            "The file could not be opened as an Excel workbook (.xlsx): it may be damaged. "
            "Save it again from Excel, or as CSV UTF-8."
        ) from exc
    try:
        names = workbook.sheetnames
        sheet = workbook[SHEET_NAME] if SHEET_NAME in names else workbook[names[0]]
        dims = sheet.max_row
        if dims is not None and dims - 1 > max_rows + 1000:
            raise _too_many(max_rows)
        return _table_from_rows(enumerate(sheet.iter_rows(values_only=True), start=1), max_rows)
    except FileRefused:
        raise
    except Exception as exc:
        raise FileRefused(
            "The workbook could not be read to the end: it may be damaged. Save it again "
            "from Excel, or as CSV UTF-8."
        ) from exc
    finally:
        workbook.close()
