"""Export what you see (issue 14, item 1): every activity list offers CSV, XLSX and JSON of
exactly its rows, read through the list's own query model; readable labels by default and
codes on request; an XLSX fit to hand on; errors on the page; the menus lead to it."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import date, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

from openpyxl import load_workbook
from sqlalchemy import select

from app.activities import service as activities
from app.activities.models import Activity
from app.exchange import columns as cols
from app.exchange import exporter
from app.exchange.importer import import_file
from app.missions.models import Mission
from tests.support import demo_user, meeting_body, run_cases

API = "/api/v1/activities"
ROLES = ("cpc", "hom.mkd", "fp.srb")
FILTERS = [
    {},
    {"mission": "MKD"},
    {"mission": "SRB", "status": "draft"},
    {"type": "monitoring_visit", "from": "2015-08", "to": "2016-06"},
    {"status": "submitted"},
    {"from": "2016"},
    {"theme": "anti_trafficking"},
    {"q": "export check"},
    {"location": "tabanovce"},
    {"location": "tabanovce", "from": "2015", "to": "2016-Q2", "type": "monitoring_visit"},
    {"joint": "1", "area": "reporting_liaising"},
]
# Every format of each list for these; the JSON (the list's own link) for all of them.
EVERY_FORMAT = ({"mission": "MKD"}, {"q": "export check"}, {"location": "tabanovce"})


def _record(client, ext: str, *, submit: bool = False, **overrides) -> int:
    body = meeting_body(external_id=ext, **overrides)
    response = client.post(API, json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    if submit:
        answer = client.post(f"{API}/{created['id']}/submit", json={"version": 1})
        assert answer.status_code == 200, answer.text
    return created["id"]


def _records_of_every_status(client_as) -> None:
    """Beside the study's approved records: drafts and submitted ones of two missions, with
    a theme, a place and words the filters look for."""
    fp, hom, srb = client_as("fp.mkd"), client_as("hom.mkd"), client_as("fp.srb")
    extra = {
        "themes": ["anti_trafficking"],
        "locations": ["tabanovce"],
        "summary": "An export check at the border.",
    }
    _record(fp, "wys-mkd-draft", title="Draft meeting at Tabanovce", **extra)
    _record(fp, "wys-mkd-submitted", submit=True, title="Submitted meeting, export check", **extra)
    _record(hom, "wys-mkd-joint", other_missions=["SRB"], title="Joint meeting with Serbia")
    _record(srb, "wys-srb-draft", mission="SRB", title="Serbian draft, export check", **extra)
    _record(srb, "wys-srb-submitted", mission="SRB", submit=True, title="Serbian submitted")


def _listed_ids(client, params: dict) -> tuple[list[int], str]:
    """The ids the /activities page shows for `params`, page after page, and the address of
    its JSON export link (taken from the page, as a person would follow it)."""
    ids: list[int] = []
    url = "/activities?" + urlencode({**params, "limit": "200"})
    export_href = ""
    seen: set[str] = set()
    while url:
        assert url not in seen, f"the pager leads back to {url}"
        seen.add(url)
        page = client.get(url)
        assert page.status_code == 200, page.text[:300]
        text = page.text
        body = text[text.find('id="activity-rows"') : text.find("</tbody>")]
        ids += [int(i) for i in re.findall(r'href="/activities/(\d+)"', body)]
        if not export_href:
            found = re.search(r'href="(/exports/activities\.json\?[^"]*)"', text)
            export_href = html.unescape(found.group(1)) if found else ""
        nxt = re.search(r'<a href="([^"]+)" rel="next"', text)
        url = html.unescape(nxt.group(1)) if nxt else ""
    return ids, export_href


def test_each_export_holds_exactly_the_rows_of_its_list(client_as, session):
    _records_of_every_status(client_as)
    session.rollback()
    external = dict(session.execute(select(Activity.id, Activity.external_id)).all())
    session.rollback()  # let the app write (a token's last use) while the test reads pages
    assert all(external.values())

    def check(who, params):
        client = client_as(who)
        ids, href = _listed_ids(client, params)
        assert len(ids) == len(set(ids))
        if not ids:
            assert not href  # an empty list offers nothing to export
            exported = client.get("/exports/activities.json", params=params)
            assert exported.status_code == 200 and json.loads(exported.text) == []
            return
        assert href.startswith("/exports/activities.json")
        carried = {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}
        assert carried == params, href  # the link carries the list's filters, and only them
        # the page's link, then each format: the same records, once each
        data = json.loads(client.get(href).text)
        wanted = sorted(external[i] for i in ids)
        assert sorted(d["external_id"] for d in data) == wanted
        if params not in EVERY_FORMAT:
            return
        csv_rows = list(csv.DictReader(io.StringIO(client.get(href.replace(".json", ".csv")).text)))
        assert sorted(r["External id"] for r in csv_rows) == wanted
        codes = client.get(href.replace(".json", ".csv") + "&codes=1").text
        assert sorted(r["external_id"] for r in csv.DictReader(io.StringIO(codes))) == wanted
        book = load_workbook(io.BytesIO(client.get(href.replace(".json", ".xlsx")).content))
        sheet_ids = [r[0] for r in book["Activities"].iter_rows(min_row=2, values_only=True)]
        assert sorted(sheet_ids) == wanted

    cases = [(f"{who} {params}", who, params) for who in ROLES for params in FILTERS]
    run_cases(cases, check)


def test_what_each_role_exports_differs_as_the_list_does(client_as):
    _records_of_every_status(client_as)

    def titles(who):
        data = json.loads(client_as(who).get("/exports/activities.json?q=export+check").text)
        return {d["title"] for d in data}

    own_draft, srb_draft = "Draft meeting at Tabanovce", "Serbian draft, export check"
    submitted = "Submitted meeting, export check"
    assert titles("fp.mkd") == titles("hom.mkd") == {own_draft, submitted}
    assert titles("fp.srb") == {srb_draft}
    assert titles("cpc") == {submitted}
    drafts = json.loads(client_as("fp.mkd").get("/exports/activities.json?status=draft").text)
    assert {d["title"] for d in drafts} == {own_draft, "Joint meeting with Serbia"}
    assert json.loads(client_as("cpc").get("/exports/activities.json?status=draft").text) == []


def test_readable_labels_by_default_and_codes_on_request(client_as):
    client = client_as("cpc")
    params = {"mission": "SRB", "location": "presevo-one-stop-centre"}
    readable = list(
        csv.reader(io.StringIO(client.get("/exports/activities.csv", params=params).text))
    )
    header, rows = readable[0], readable[1:]
    assert header == [c.label for c in cols.COLUMNS] and rows
    text = "\n".join(",".join(r) for r in rows)
    assert "presevo-one-stop-centre" not in text and "Preševo" in text
    assert "Serbia" in text and "monitoring_visit" not in text
    codes = list(
        csv.reader(
            io.StringIO(client.get("/exports/activities.csv", params={**params, "codes": "1"}).text)
        )
    )
    assert codes[0] == cols.NAMES and len(codes) == len(readable)
    by_name = dict(zip(codes[0], codes[1], strict=True))
    assert by_name["mission"] == "SRB" and "presevo-one-stop-centre" in by_name["locations"]
    # the HXL row stays optional, and says +name where the readable cells hold names
    hxl = list(
        csv.reader(io.StringIO(client.get("/exports/activities.csv", params={"hxl": "1"}).text))
    )
    assert "#loc+name+list" in hxl[1] and "#loc+code+list" not in hxl[1]
    coded_hxl = client.get("/exports/activities.csv", params={"hxl": "1", "codes": "1"}).text
    assert "#loc+code+list" in coded_hxl.splitlines()[1]
    # JSON: the same keys either way, labels or codes in the values
    data = json.loads(client.get("/exports/activities.json", params=params).text)
    assert set(data[0]) == set(cols.NAMES) and data[0]["mission"] == "Serbia"
    coded = json.loads(client.get("/exports/activities.json", params={**params, "codes": "1"}).text)
    assert coded[0]["mission"] == "SRB"
    # the API keeps codes by default (its files import again) and gives labels on request
    api = client.get("/api/v1/exports/activities.csv", params=params).text
    assert api.splitlines()[0].split(",") == cols.NAMES
    api_labels = client.get("/api/v1/exports/activities.csv", params={**params, "labels": "true"})
    assert "Preševo" in api_labels.text


def test_a_codes_export_imports_again(client_as, session):
    fp = client_as("fp.mkd")
    _record(fp, "wys-round-trip", title="Round trip, export check", themes=["anti_trafficking"])
    for fmt in ("csv", "xlsx"):
        exported = fp.get(f"/exports/activities.{fmt}", params={"mission": "MKD", "codes": "1"})
        assert exported.status_code == 200
        session.rollback()
        # as the system imports (the list holds joint records other missions lead)
        result = import_file(session, exported.content, filename=f"export.{fmt}", mission=None)
        assert result.ok, (result.refused, result.errors[:3])
        assert result.created == 0 and result.skipped == result.rows > 170
        session.rollback()


def test_the_workbook_is_fit_to_hand_on(client_as):
    client = client_as("hom.mkd")
    params = {"mission": "MKD", "type": "monitoring_visit", "from": "2015-08", "to": "2016-06"}
    response = client.get("/exports/activities.xlsx", params=params)
    assert response.status_code == 200
    assert 'filename="fieldlog-activities-readable.xlsx"' in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Activities", "About this export", "Codes"]
    sheet, codes, about = book["Activities"], book["Codes"], book["About this export"]
    rows = sheet.max_row - 1
    assert rows > 20 and codes.max_row - 1 == rows
    assert sheet.freeze_panes == "A2" and codes.freeze_panes == "A2"
    last = sheet.cell(row=1, column=len(cols.COLUMNS)).column_letter
    assert sheet.auto_filter.ref == f"A1:{last}{rows + 1}"
    header = [c.value for c in sheet[1]]
    assert header == [c.label for c in cols.COLUMNS] and sheet["A1"].font.b
    assert [c.value for c in codes[1]] == cols.NAMES
    widths = {letter: sheet.column_dimensions[letter].width for letter in ("A", "E", "O")}
    assert all(10 <= w <= 60 for w in widths.values()), widths
    title_col = header.index("Title") + 1
    assert sheet.column_dimensions[sheet.cell(row=1, column=title_col).column_letter].width >= 30
    start = sheet.cell(row=2, column=header.index("Start") + 1)
    assert isinstance(start.value, datetime | date) and start.is_date
    assert start.number_format in ("yyyy-mm-dd", "mmm yyyy", "yyyy") or '"Q' in start.number_format
    kinds = {
        sheet.cell(row=r, column=header.index("Type of activity") + 1).value
        for r in range(2, rows + 2)
    }
    assert kinds == {"Monitoring visit"}
    assert codes.cell(row=2, column=cols.NAMES.index("type") + 1).value == "monitoring_visit"
    said = {r[0]: r[1] for r in about.iter_rows(values_only=True) if r and r[0]}
    assert said["Activities"] == rows
    assert "Aug 2015" in said["Period"] and "30 Jun 2016" in said["Period"]
    assert "Head of mission, MKD" in said["Exported by"]
    assert isinstance(said["Exported at (UTC)"], datetime)
    assert "Skopje (MKD)" in said["  Mission"] and said["  Type"] == "Monitoring visit"
    assert "the import template" in said["Sheets"]
    # a codes workbook: one sheet of codes, and the About sheet
    coded = load_workbook(
        io.BytesIO(client.get("/exports/activities.xlsx", params={**params, "codes": "1"}).content)
    )
    assert coded.sheetnames == ["Activities", "About this export"]
    assert [c.value for c in coded["Activities"][1]] == cols.NAMES
    # with the HXL row, both header rows stay in view
    hxl = load_workbook(
        io.BytesIO(client.get("/exports/activities.xlsx", params={**params, "hxl": "1"}).content)
    )
    assert hxl["Activities"].freeze_panes == "A3"
    assert hxl["Activities"]["A2"].value == "#activity+id"


def test_partial_dates_read_at_their_precision(client_as):
    client = client_as("fp.mkd")
    _record(client, "wys-quarter", title="Quarter dated", start="2016-Q2")
    _record(client, "wys-month", title="Month dated", start="2016-03")
    _record(client, "wys-year", title="Year dated", start="2014")
    book = load_workbook(io.BytesIO(client.get("/exports/activities.xlsx?status=draft").content))
    sheet = book["Activities"]
    header = [c.value for c in sheet[1]]
    starts = {row[0].value: row[header.index("Start")] for row in sheet.iter_rows(min_row=2)}
    assert starts["wys-quarter"].value.date() == date(2016, 4, 1)
    assert starts["wys-quarter"].number_format == '"Q2" yyyy'
    assert starts["wys-month"].number_format == "mmm yyyy"
    assert starts["wys-year"].number_format == "yyyy"


def test_bad_filters_are_shown_on_the_export_page(client_as):
    client = client_as("cpc")
    page = client.get(
        "/exports/activities.xlsx",
        params={"from": "May", "mission": "XX", "type": "monitoring_visit"},
    )
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "Nothing was exported" in text
    assert re.search(r'id="exp-from"[^>]*value="May"', text)
    assert re.search(r'id="exp-from"[^>]*aria-invalid="true"', text)
    assert 'id="exp-from-error"' in text and 'id="exp-mission-error"' in text
    assert "there is no mission with the code &#39;XX&#39;" in text
    assert re.search(r'<option value="monitoring_visit" selected>', text)
    unknown_place = client.get("/exports/activities.csv", params={"location": "atlantis"})
    assert unknown_place.status_code == 422 and 'id="exp-location-error"' in unknown_place.text
    backwards = client.get("/exports/activities.json", params={"from": "2016", "to": "2015"})
    assert backwards.status_code == 422 and "field-error" in backwards.text
    # the API keeps its JSON errors
    api = client.get("/api/v1/exports/activities.csv", params={"from": "May"})
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["query", "from"]


def test_the_export_form_starts_from_the_list(client_as):
    client = client_as("cpc")
    listed = client.get("/activities", params={"type": "training", "from": "2015"})
    found = re.search(r'href="(/imports\?[^"]*)#export"', listed.text)
    assert found
    form = client.get(html.unescape(found.group(1)))
    assert form.status_code == 200
    assert '<option value="training" selected>' in form.text
    assert re.search(r'id="exp-from"[^>]*value="2015"', form.text)
    # opened from the menu, a mission's staff are offered their own mission
    own = client_as("hom.mkd").get("/imports").text
    assert '<option value="MKD" selected>' in own


def test_the_menus_lead_to_export(client_as):
    for who, words in (
        ("cpc", "Export"),
        ("hom.mkd", "Import and export"),
        ("fp.mkd", "Import and export"),
        ("admin", "Export"),
    ):
        page = client_as(who).get("/activities").text
        nav = page[page.index('aria-label="Main"') : page.index("</nav>")]
        assert f'<a href="/imports">{words}</a>' in nav, who
    # the review queue of My work is a list too
    _record(client_as("fp.mkd"), "wys-to-review", submit=True, title="Waiting for review")
    work = client_as("hom.mkd").get("/my-work").text
    assert "/exports/activities.xlsx?mission=MKD&amp;status=submitted" in work


def test_write_export_writes_a_whole_file_for_a_job(session):
    reader = demo_user(session, "cpc")
    filters = activities.ActivityFilters(
        mission=session.scalar(select(Mission).where(Mission.code == "MKD"))
    )
    told: list[int] = []
    for fmt in exporter.FORMATS:
        out = io.BytesIO()
        rows = exporter.write_export(
            session,
            reader=reader,
            filters=filters,
            fmt=fmt,
            codes=True,
            out=out,
            progress=told.append,
        )
        assert rows > 170 and told[-1] == rows
        if fmt == "csv":
            assert len(list(csv.reader(io.StringIO(out.getvalue().decode())))) == rows + 1
        elif fmt == "json":
            assert len(json.loads(out.getvalue())) == rows
        else:
            book = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
            assert len(list(book["Activities"].iter_rows(values_only=True))) == rows + 1
    told.clear()
    everything = exporter.write_export(
        session,
        reader=None,
        filters=activities.ActivityFilters(),
        fmt="csv",
        out=io.BytesIO(),
        progress=told.append,
    )
    assert everything == 220 and told == [220]


def test_progress_is_told_every_few_thousand_rows(monkeypatch, session):
    monkeypatch.setattr(exporter, "PROGRESS_EVERY", 50)
    told: list[int] = []
    rows = exporter.write_export(
        session,
        reader=None,
        filters=activities.ActivityFilters(),
        fmt="json",
        out=io.BytesIO(),
        progress=told.append,
    )
    assert told == [50, 100, 150, 200, rows]


def test_control_characters_in_a_search_still_give_a_workbook(client_as):
    """A worksheet cell cannot hold most control characters: the About sheet's search words
    drop them instead of failing the export."""
    client = client_as("cpc")
    for path in ("/api/v1/exports/activities.xlsx", "/exports/activities.xlsx"):
        response = client.get(path, params={"q": "border\x08"})
        assert response.status_code == 200, (path, response.text[:200])
        about = load_workbook(io.BytesIO(response.content))["About this export"]
        words = [str(c.value) for row in about.iter_rows() for c in row if c.value]
        assert any("“border”" in w for w in words), words
