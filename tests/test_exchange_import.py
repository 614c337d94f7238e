"""Spreadsheet import: all rows or none, every bad cell named, re-import a no-op."""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import Workbook
from sqlalchemy import func, select

from app.activities.models import Activity
from app.audit.models import AuditEntry
from app.db import session_factory
from app.exchange import columns as cols
from app.exchange.importer import import_file
from app.missions.service import get_by_code


def _rows(count: int, prefix: str = "t") -> list[dict[str, str]]:
    rows = []
    for n in range(count):
        if n % 2:
            rows.append(
                {
                    "external_id": f"{prefix}-{n}",
                    "type": "monitoring_visit",
                    "title": f"Monitoring visit {n} to Gevgelija",
                    "start": f"2016-{n % 12 + 1:02d}",
                    "dimension": "politico_military",
                    "response_area": "Monitoring",  # a label is read as its code
                    "themes": "border_management; early_warning",
                    "locations": "gevgelija",
                    "persons_observed": str(n),
                    "alert_level": "low",
                }
            )
        else:
            rows.append(
                {
                    "external_id": f"{prefix}-{n}",
                    "type": "training",
                    "title": f"Training {n} for border police",
                    "start": "2016-03-02",
                    "end": "2016-03-03",
                    "dimension": "politico_military",
                    "response_area": "policing_crime",
                    "partners": "iom",
                    "target_groups": "border_police",
                    "participants_total": "20",
                    "participants_women": "7",
                }
            )
    return rows


def _csv(rows, header=None) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header or cols.IMPORT_NAMES)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _xlsx(rows, formula_at: tuple[int, str] | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Activities"
    sheet.append(cols.IMPORT_NAMES)
    for row in rows:
        sheet.append([row.get(name) for name in cols.IMPORT_NAMES])
    if formula_at:
        row_number, name = formula_at
        sheet.cell(row=row_number, column=cols.IMPORT_NAMES.index(name) + 1, value="=1+1")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _count(session) -> int:
    session.rollback()
    return session.scalar(select(func.count(Activity.id)))


def _post(client, data: bytes, name: str = "activities.csv"):
    return client.post("/api/v1/imports", files={"file": (name, data, "text/csv")})


def test_one_bad_cell_among_many_writes_nothing_and_names_it(client_as, session):
    before = _count(session)
    rows = _rows(300)
    rows[136]["participants_women"] = "70"  # more women than the 20 participants
    response = _post(client_as("fp.mkd"), _csv(rows))
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert len(detail) == 1
    assert detail[0]["row"] == 138  # header is row 1, rows[0] is row 2
    assert detail[0]["column"] == "participants_women"
    assert "70 women" in detail[0]["msg"]
    assert _count(session) == before


def test_every_bad_cell_is_reported(client_as, session):
    rows = _rows(10)
    rows[0]["start"] = "March 2016"
    rows[1]["locations"] = "gevgelija; atlantis"
    rows[2]["type"] = "picnic"
    rows[3]["mission"] = "SRB"
    rows[4]["participants_total"] = "many"
    response = _post(client_as("fp.mkd"), _csv(rows))
    assert response.status_code == 422
    found = {(e["row"], e["column"]) for e in response.json()["detail"]}
    assert found == {
        (2, "start"),
        (3, "locations"),
        (4, "type"),
        (5, "mission"),
        (6, "participants_total"),
    }
    values = {e["column"]: e["value"] for e in response.json()["detail"]}
    assert values["locations"] == "atlantis"


def test_rows_like_good_ones_but_for_one_checked_field_are_still_refused(client_as, session):
    """The importer validates each distinct row shape once; a training-only field on a
    visit, or an end before the start, must not borrow an earlier look-alike's verdict."""
    before = _count(session)
    rows = _rows(12)
    rows[5]["participants_total"] = "12"
    rows[7]["end"] = "2015"
    rows[9]["participants_women"] = "3"
    response = _post(client_as("fp.mkd"), _csv(rows))
    assert response.status_code == 422, response.text
    found = {(e["row"], e["column"]) for e in response.json()["detail"]}
    assert (7, "participants_total") in found
    assert (9, "end") in found
    assert (11, "participants_women") in found
    assert {row for row, _ in found} == {7, 9, 11}
    assert _count(session) == before


def test_good_file_lands_whole_with_audit_and_reimport_is_a_noop(client_as, session):
    before = _count(session)
    audits = session.scalar(select(func.count(AuditEntry.id)))
    client = client_as("fp.mkd")
    data = _csv(_rows(2500))
    response = _post(client, data)
    assert response.status_code == 200, response.text[:500]
    assert response.json()["created"] == 2500
    assert _count(session) == before + 2500
    assert session.scalar(select(func.count(AuditEntry.id))) == audits + 2500
    imported = session.scalars(select(Activity).where(Activity.external_id == "t-2")).one()
    assert imported.mission.code == "MKD"
    assert imported.status == "draft" and imported.provenance == "imported"
    assert [p.code for p in imported.partners] == ["iom"]
    # the dashboards' aggregates follow: the imported drafts are counted apart from the
    # approved figures
    summary = client.get("/api/v1/missions/MKD/summary", params={"from": "2016", "to": "2016"})
    assert summary.json()["headline"]["not_approved"]["draft"] >= 2500

    again = _post(client, data)
    assert again.status_code == 200
    assert again.json()["created"] == 0 and again.json()["skipped"] == 2500
    assert "already imported" in again.json()["summary"]
    assert _count(session) == before + 2500


def test_rows_without_external_id_are_recognised_on_reimport(client_as, session):
    rows = _rows(5)
    for row in rows:
        row["external_id"] = ""
    client = client_as("hom.mkd")
    assert _post(client, _csv(rows)).json()["created"] == 5
    assert _post(client, _csv(rows)).json()["skipped"] == 5


def test_xlsx_import_and_formula_cells_refused(client_as, session):
    client = client_as("fp.mkd")
    before = _count(session)
    bad = _post(client, _xlsx(_rows(20), formula_at=(7, "persons_observed")), "a.xlsx")
    assert bad.status_code == 422
    detail = bad.json()["detail"]
    assert [(e["row"], e["column"]) for e in detail] == [(7, "persons_observed")]
    assert "formula" in detail[0]["msg"]
    assert _count(session) == before
    good = _post(client, _xlsx(_rows(20)), "a.xlsx")
    assert good.status_code == 200, good.text
    assert good.json()["created"] == 20


def test_formula_in_csv_refused(client_as):
    rows = _rows(3)
    rows[1]["title"] = '=HYPERLINK("http://evil.example","click")'
    response = _post(client_as("fp.mkd"), _csv(rows))
    assert response.status_code == 422
    assert response.json()["detail"][0]["column"] == "title"


def test_file_level_problems_have_clear_messages(client_as, session):
    client = client_as("fp.mkd")
    before = _count(session)
    corrupt = _post(client, b"PK\x03\x04" + b"garbage" * 100, "broken.xlsx")
    assert corrupt.status_code == 422
    assert "Excel workbook" in corrupt.json()["detail"][0]["msg"]

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    assert _post(client, buffer.getvalue(), "zip.xlsx").status_code == 422

    wrong = _post(client, b"name,when,what\nx,y,z\n")
    assert wrong.status_code == 422
    msg = wrong.json()["detail"][0]["msg"]
    assert "unknown columns 'name', 'when', 'what'" in msg and "missing columns" in msg

    missing = _post(client, _csv([{"title": "x"}], header=["title", "start"]))
    assert "missing columns type, dimension, response_area" in missing.json()["detail"][0]["msg"]

    latin1 = _post(client, "type,title\nmeeting,Réunion\n".encode("latin-1"))
    assert latin1.status_code == 422 and "UTF-8" in latin1.json()["detail"][0]["msg"]

    empty = _post(client, b"")
    assert empty.status_code == 422

    huge = _post(client, b"x" * (20 * 1024 * 1024 + 10))
    assert huge.status_code == 413
    assert "20 MB" in huge.json()["detail"][0]["msg"]
    assert _count(session) == before


def test_row_limit(engine):
    session = session_factory(engine, write=True)()
    try:
        mission = get_by_code(session, "MKD")
        result = import_file(session, _csv(_rows(30)), mission=mission, max_rows=25)
        assert result.refused and "more than 25 rows" in result.refused
        result = import_file(session, _csv(_rows(30)), mission=mission, max_bytes=1000)
        assert result.refused and "MB" in result.refused
    finally:
        session.rollback()
        session.close()


def test_other_roles_cannot_import(client_as):
    assert _post(client_as("cpc"), _csv(_rows(2))).status_code == 403
    assert _post(client_as("admin"), _csv(_rows(2))).status_code == 403


def test_import_page_shows_every_bad_cell(client_as, session):
    client = client_as("fp.mkd")
    page = client.get("/imports")
    assert page.status_code == 200 and "template.xlsx" in page.text
    rows = _rows(4)
    rows[2]["dimension"] = "fourth"
    # the upload starts a job and shows its page; the page has the result once it ran
    response = client.post("/imports", files={"file": ("mine.csv", _csv(rows), "text/csv")})
    client.app.state.jobs.wait(timeout=120)
    response = client.get(response.url)
    assert response.status_code == 200
    assert "Nothing was imported" in response.text
    assert "<code>dimension</code>" in response.text and "fourth" in response.text
    assert 'download="import-errors.csv"' in response.text
    ok = client.post("/imports", files={"file": ("mine.csv", _csv(_rows(4)), "text/csv")})
    client.app.state.jobs.wait(timeout=120)
    ok = client.get(ok.url)
    assert ok.status_code == 200 and "4 new activities imported" in ok.text


def test_template_downloads(client_as):
    from openpyxl import load_workbook

    client = client_as("fp.mkd")
    text = client.get("/api/v1/imports/template.csv").text
    assert text.strip().split(",") == cols.IMPORT_NAMES
    response = client.get("/api/v1/imports/template.xlsx")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Instructions", "Activities", "Lists"]
    sheet = workbook["Activities"]
    assert [c.value for c in sheet[1]] == cols.IMPORT_NAMES
    lists = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert any("Lists!" in f for f in lists) and len(lists) >= 10
    # the empty template imports as "no activities", with a clear message
    result = client.post(
        "/api/v1/imports", files={"file": ("t.xlsx", response.content, "application/octet-stream")}
    )
    assert result.status_code == 422 and "no activities" in result.json()["detail"][0]["msg"]


def test_a_large_import_refreshes_postgresql_planner_statistics(engine):
    """After 1,000 rows or more, the import ANALYZEs what it grew: until then PostgreSQL
    plans (and keeps cached plans) as if the tables were as small as before."""
    from sqlalchemy import text

    session = session_factory(engine, write=True)()
    try:
        result = import_file(
            session, _csv(_rows(1200, "stats")), mission=get_by_code(session, "MKD")
        )
        assert result.created == 1200
        stored = session.scalar(select(func.count(Activity.id)))
        if engine.dialect.name == "postgresql":
            estimate = session.scalar(
                text("SELECT reltuples FROM pg_class WHERE relname = 'activities'")
            )
            assert estimate == stored
    finally:
        session.rollback()
        session.close()


def test_both_xlsx_readers_see_the_same_cells():
    """Workbooks without formulas are read by calamine, those with formulas by openpyxl
    (to name each formula cell): both must give the importer the same values."""
    from datetime import date, datetime

    from app.exchange import reading

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Activities"
    sheet.append(["external_id", "start", "team_size", "overnight", "title", None, "summary"])
    sheet.append(["a-1", date(2016, 3, 2), 3, True, "Visit", None, "Čakovec – Preševo"])
    sheet.append(["a-2", datetime(2016, 3, 2, 9, 30), 2.5, False, None, None, 12345678901])
    sheet.append([None, None, None, None, None, None, None])
    sheet.append(["a-3", "2016-Q1", "4", "yes", "Meeting", None, ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    assert not reading._has_formulas(data)

    def cells(table):
        return [(n, [None if v == "" else v for v in row]) for n, row in table.rows]

    fast = reading._read_xlsx(data, 100)
    careful = reading._read_xlsx_with_formulas(data, 100)
    assert (
        fast.header[:5]
        == careful.header[:5]
        == ["external_id", "start", "team_size", "overnight", "title"]
    )
    assert cells(fast) == cells(careful)
    assert cells(fast)[0][1][1] == "2016-03-02"
    sheet["B2"] = "=TODAY()"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert reading._has_formulas(buffer.getvalue())


def test_a_workbook_that_unpacks_too_large_is_refused(engine, monkeypatch):
    """Reading unpacks the workbook; one that would unpack beyond the limit (a "zip bomb")
    is refused before anything is unpacked. The limit is lowered so a small file shows it."""
    from app.exchange import reading

    data = _xlsx(_rows(20))
    monkeypatch.setattr(reading, "MAX_UNPACKED", 10_000)
    session = session_factory(engine, write=True)()
    try:
        result = import_file(
            session, data, filename="big.xlsx", mission=get_by_code(session, "MKD")
        )
        assert result.refused and "unpacks to" in result.refused
    finally:
        session.rollback()
        session.close()


def test_formula_scan_finds_a_tag_across_the_chunk_boundary():
    from app.exchange import reading

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (1_048_576 - 2) + b"<f>1+1</f>")
        archive.writestr("xl/worksheets/sheet2.xml", b"<c><formula1>a</formula1><v>1</v></c>")
    assert reading._has_formulas(buffer.getvalue())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet2.xml", b"<c><formula1>a</formula1><v>1</v></c>")
    assert not reading._has_formulas(buffer.getvalue())


def test_an_import_leaves_the_garbage_collector_on(engine):
    import gc

    session = session_factory(engine, write=True)()
    try:
        import_file(session, _csv(_rows(3, "gc")), mission=get_by_code(session, "MKD"))
        assert gc.isenabled()
        import_file(session, b"not,a,template\n1,2,3\n", mission=get_by_code(session, "MKD"))
        assert gc.isenabled()
    finally:
        session.rollback()
        session.close()


# --- the formula rule (README, "Import, export and reports") --------------------------------

# A cell that a spreadsheet would run as a formula, for each character that starts one.
FORMULAS = {
    "=": '=HYPERLINK("http://evil.example","click")',
    "+": "+SUM(A1:A3)",
    "-": "-2+3+cmd|' /C calc'!A0",
    "@": "@SUM(A1:A3)",
}
# Text that starts with the same character and is only text, in the field's own words.
ORDINARY = {
    "=": "'=the same as last month",  # the exports' guard: the apostrophe is dropped
    "+": "+389 70 123 456",  # a telephone number
    "-": "- observed 40 people at the fence",  # a dash starting a line
    "@": "@ the Tabanovce crossing",
}


def _xlsx_text_cells(rows) -> bytes:
    """An XLSX whose cells are all text (openpyxl would make "=…" a formula cell)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Activities"
    sheet.append(cols.IMPORT_NAMES)
    for row in rows:
        sheet.append([row.get(name) for name in cols.IMPORT_NAMES])
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


SPREADSHEETS = {"csv": (_csv, "a.csv"), "xlsx": (_xlsx_text_cells, "a.xlsx")}


def test_a_cell_starting_a_formula_is_refused_for_each_character_in_csv_and_xlsx(
    client_as, session
):
    client = client_as("fp.mkd")
    before = _count(session)

    def check(kind, column, text):
        rows = _rows(3)
        rows[1][column] = text
        build, name = SPREADSHEETS[kind]
        response = _post(client, build(rows), name)
        assert response.status_code == 422, response.text
        [error] = response.json()["detail"]
        assert (error["row"], error["column"], error["value"]) == (3, column, text)
        assert "formula" in error["msg"]

    from tests.support import run_cases

    run_cases(
        (
            (f"{kind} {column} {char}", kind, column, text)
            for kind in SPREADSHEETS
            for char, text in FORMULAS.items()
            for column in ("title", "participants_total" if char != "@" else "summary")
        ),
        check,
    )
    assert _count(session) == before


def test_text_starting_with_those_characters_is_imported_as_typed(client_as, session):
    client = client_as("fp.mkd")
    for kind, (build, name) in SPREADSHEETS.items():
        rows = _rows(4, prefix=f"ordinary-{kind}")
        for row, (char, text) in zip(rows, ORDINARY.items(), strict=True):
            row["summary"] = text
            row["title"] = f"{char} {row['title']}" if char != "=" else row["title"]
        response = _post(client, build(rows), name)
        assert response.status_code == 200, response.text
        session.rollback()
        stored = dict(
            session.execute(
                select(Activity.external_id, Activity.summary).where(
                    Activity.external_id.like(f"ordinary-{kind}-%")
                )
            ).all()
        )
        assert sorted(stored.values()) == sorted(
            text.removeprefix("'") for text in ORDINARY.values()
        )


def test_signed_numbers_in_number_columns_are_numbers(client_as):
    client = client_as("fp.mkd")
    for kind, (build, name) in SPREADSHEETS.items():
        rows = _rows(2, prefix=f"signed-{kind}")
        rows[0]["participants_total"] = "-1"
        rows[0]["participants_women"] = ""
        refused = _post(client, build(rows), name)
        [error] = refused.json()["detail"]
        assert (error["column"], error["value"]) == ("participants_total", "-1")
        assert "greater than or equal to 0" in error["msg"]
        rows[0]["participants_total"] = "+25"
        taken = _post(client, build(rows), name)
        assert taken.status_code == 200, taken.text
        created = client.get(
            "/api/v1/activities", params={"q": rows[0]["title"], "limit": 1}
        ).json()["items"]
        assert created and created[0]["participants_total"] == 25


def test_the_formula_rule_cell_by_cell():
    from app.exchange.importer import is_formula

    formulas = ["=", "=1+1", "= SUM(A1)", "+A1", "+SUM(A1)", "-A1*2", "-2+3", "@SUM(A1)", "@unhcr"]
    text = ["", "observed", "-", "+", "@", "- observed", "+ two", "@ the crossing"]
    numbers = ["-1", "+5", "+389 70 123 456", "+389 (0)2 3123-456", "-1.5", "-1,000"]
    assert [t for t in formulas if not is_formula(t)] == []
    assert [t for t in text + numbers if is_formula(t)] == []
