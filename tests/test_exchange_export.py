"""Exports (CSV, XLSX, JSON, HXL), formula neutralising, visibility, the round trip,
and the background reports (page and .docx)."""

from __future__ import annotations

import csv
import io
import json

from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from app.activities import service as activities
from app.activities.models import Activity
from app.db import make_engine, session_factory
from app.exchange import columns as cols
from app.exchange.importer import import_file
from tests.conftest import migrate, seed_database
from tests.support import meeting_body

DRAFT = meeting_body(title="Secret draft meeting in Skopje")
REPORT_HEADINGS = (
    "Headline figures",
    "Focal point",
    "Timeline of developments",
    "Activities by response area",
    "Trainings",
    "Reports",
)


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_csv_xlsx_json_exports_parse(client_as):
    client = client_as("cpc")
    params = {"mission": "MKD", "from": "2015-08", "to": "2016-06"}
    listed = client.get("/api/v1/activities", params={**params, "limit": 1}).json()["total"]
    assert listed > 5
    rows = _csv_rows(client.get("/api/v1/exports/activities.csv", params=params).text)
    assert rows[0] == cols.NAMES and len(rows) == listed + 1
    response = client.get("/api/v1/exports/activities.xlsx", params=params)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["Activities"]
    cells = list(sheet.iter_rows(values_only=True))
    assert list(cells[0]) == cols.NAMES and len(cells) == listed + 1
    data = json.loads(client.get("/api/v1/exports/activities.json", params=params).text)
    assert len(data) == listed and {d["mission"] for d in data} >= {"MKD"}
    assert all(d["status"] in ("submitted", "approved") for d in data)


def test_hxl_row_read_by_libhxl(client_as):
    import hxl

    client = client_as("cpc")
    text = client.get("/api/v1/exports/activities.csv", params={"hxl": "true"}).text
    rows = _csv_rows(text)
    assert rows[1][0] == "#activity+id" and "#country+name" in rows[1]
    with io.BytesIO(text.encode()) as stream:
        source = hxl.data(stream)
        tags = source.display_tags
        titles = [row.get("#activity+name") for row in source]
    for tag in ("#org+lead+code", "#country+name", "#loc+code+list", "#date+start"):
        assert tag in tags
    assert len(titles) == len(rows) - 2 and all(titles)
    no_hxl = _csv_rows(client.get("/api/v1/exports/activities.csv").text)
    assert not no_hxl[1][0].startswith("#")
    xlsx = client.get("/api/v1/exports/activities.xlsx", params={"hxl": "true"})
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True)["Activities"]
    second = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
    assert second[0] == "#activity+id"


def test_formula_injection_neutralised(client_as):
    client = client_as("hom.mkd")
    body = {**DRAFT, "title": '=HYPERLINK("http://evil.example","x")', "summary": "@SUM(A1)"}
    assert client.post("/api/v1/activities", json=body).status_code == 201
    rows = _csv_rows(client.get("/api/v1/exports/activities.csv", params={"q": "HYPERLINK"}).text)
    header = rows[0]
    assert rows[1][header.index("title")].startswith("'=HYPERLINK")
    assert rows[1][header.index("summary")] == "'@SUM(A1)"
    xlsx = client.get("/api/v1/exports/activities.xlsx", params={"q": "HYPERLINK"})
    sheet = load_workbook(io.BytesIO(xlsx.content))["Activities"]
    cell = sheet.cell(row=2, column=header.index("title") + 1)
    assert cell.data_type == "s" and cell.value.startswith("'=")


def test_drafts_never_reach_readers_who_may_not_see_them(client_as):
    own = client_as("fp.mkd")
    assert own.post("/api/v1/activities", json=DRAFT).status_code == 201
    assert DRAFT["title"] in own.get("/api/v1/exports/activities.csv").text
    # the report lists approved records only; its own mission's draft is counted apart
    own_report = own.get("/missions/MKD/report").text
    assert DRAFT["title"] not in own_report
    assert "not approved, so not counted or listed: 1 draft" in own_report
    for who in ("fp.srb", "cpc", "admin"):
        client = client_as(who)
        for fmt in ("csv", "json"):
            assert DRAFT["title"] not in client.get(f"/api/v1/exports/activities.{fmt}").text
        assert DRAFT["title"] not in client.get("/missions/MKD/report").text
        assert DRAFT["title"] not in client.get("/report").text
        docx = Document(io.BytesIO(client.get("/missions/MKD/report.docx").content))
        assert DRAFT["title"] not in "\n".join(p.text for p in docx.paragraphs)


def test_export_bad_filters_are_4xx(client_as):
    client = client_as("cpc")
    assert client.get("/api/v1/exports/activities.csv", params={"from": "May"}).status_code == 422
    unknown = client.get("/api/v1/exports/activities.csv", params={"mission": "XX"})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["query", "mission"]
    assert client.get("/api/v1/exports/activities.csv", params={"type": "x"}).status_code == 422
    assert client.get("/missions/MKD/report", params={"from": "soon"}).status_code == 422
    assert client.get("/missions/XXX/report").status_code == 404


def _comparable(activity) -> dict:
    data = activities.snapshot(activity)
    for name in ("id", "provenance", "version", "review_comment"):
        data.pop(name, None)
    for name in ("findings", "recipients"):  # an empty list is an empty cell
        data[name] = data.get(name) or None
    return data


def test_round_trip_into_an_empty_database(client_as, backend, session):
    # records of every kind in the source: the study's, and imported ones with links
    client = client_as("hom.mkd")
    body = {
        **DRAFT,
        "title": "Joint visit with Serbia",
        "external_id": "round-trip-joint-visit",
        "other_missions": ["SRB"],
        "themes": ["regional_cooperation", "border_management"],
        "partners": ["unhcr", "iom"],
        "summary": "- a line that starts like a formula",
        "end": "2016-Q2",
    }
    assert client.post("/api/v1/activities", json=body).status_code == 201
    exported = client.get("/api/v1/exports/activities.xlsx", params={"hxl": "true"}).content
    session.rollback()
    source = {a.external_id: _comparable(a) for a in session.scalars(select(Activity))}

    target_url = backend.new_url()
    migrate(target_url)
    engine = make_engine(target_url)
    try:
        with session_factory(engine, write=True)() as target:
            # an empty database with the reference data (missions, places, partners)
            target.query(Activity).delete()
            target.commit()
        seed_database(target_url)  # reference data again; study activities come back too
        with session_factory(engine, write=True)() as target:
            for activity in target.scalars(select(Activity)):
                activities.delete(target, activity=activity, version=activity.version)
            target.commit()
            assert target.scalar(select(Activity.id)) is None
            result = import_file(target, exported, filename="export.xlsx", mission=None)
            assert result.ok, (result.refused, result.errors[:3])
            target.commit()
            back = {a.external_id: _comparable(a) for a in target.scalars(select(Activity))}
    finally:
        engine.dispose()
        backend.drop(target_url)
    visible = {k: v for k, v in source.items() if k in back or v["mission"] == "MKD"}
    assert len(back) == len(visible) > 100
    assert back["round-trip-joint-visit"]["other_missions"] == ["SRB"]
    for key, record in back.items():
        assert record == source[key], key


def test_reports_page_and_docx(client_as):
    client = client_as("hom.mkd")
    params = {"from": "2015-08", "to": "2016-06"}
    page = client.get("/missions/MKD/report", params=params)
    assert page.status_code == 200
    for heading in REPORT_HEADINGS:
        assert heading in page.text
    assert "Aug 2015 – Jun 2016" in page.text
    response = client.get("/missions/MKD/report.docx", params=params)
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    doc = Document(io.BytesIO(response.content))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    for heading in REPORT_HEADINGS:
        assert heading in headings
    assert "Monitoring" in headings
    assert len(doc.tables) >= 2
    regional = client_as("cpc").get("/report", params=params)
    assert regional.status_code == 200 and "Serbia" in regional.text
    assert client_as("cpc").get("/report.docx", params=params).status_code == 200


def test_skopje_report_reads_like_the_june_2016_update(client):
    """Aug 2015 – Jun 2016: a timeline of developments, then the activities by response area,
    the weekly PDU visits gathered into one line rather than listed one by one."""
    page = client.get("/missions/MKD/report", params={"from": "2015-08", "to": "2016-06"})
    assert page.status_code == 200
    text = page.text
    timeline, monitoring, policing = (
        text.index("Timeline of developments"),
        text.index(">Monitoring<"),
        text.index("Policing &amp; migration-related crime"),
    )
    assert timeline < monitoring < policing
    assert "Closing of the" in text and "SEC.FR/444/16/REV.1" in text
    # the reconstructed weekly visits: one line that says what they are and where the
    # frequencies come from, without each period's reconstruction note
    assert text.count("Monitoring visits, reconstructed (") == 1
    assert "reconstructed from the frequencies the study reports (001 §6.1" in text
    assert "Reconstructed from the study&#39;s frequency" not in text
    assert "Reconstructed from the study's frequency" not in text
    assert "PDU monitoring visit to Gevgelija" not in text
