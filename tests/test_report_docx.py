"""The background report as a Word document fit to send: A4, a title page, the title in the
header and "Page X of Y" fields in the footer, title and author in the properties, the
charts as pictures, table headers that repeat on each page, and a reconstructed series in
one line; the charts' figures are the headline figures."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import select

from app.accounts.models import User
from app.exchange import report
from app.missions import service as missions
from app.partial_dates import PartialDate

PERIOD = {"from": "2015-08", "to": "2016-06"}
HOM_MKD = "Head of mission Skopje (demo)"


def _docx(client, path: str, params=PERIOD):
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text[:300]
    return Document(io.BytesIO(response.content))


def _texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def test_the_mission_report_is_a4_with_title_page_header_footer_and_properties(client):
    doc = _docx(client, "/missions/MKD/report.docx")
    section = doc.sections[0]
    assert abs(section.page_width.mm - 210) < 0.5 and abs(section.page_height.mm - 297) < 0.5
    assert section.left_margin.mm >= 15 and section.top_margin.mm >= 15
    title = "Migration-related activities: OSCE Mission to Skopje"
    # the properties: title, author (the signed-in user, not the library), subject, created
    props = doc.core_properties
    assert props.title == title
    assert props.author == HOM_MKD and props.last_modified_by == HOM_MKD
    assert "python-docx" not in (props.author, props.last_modified_by)
    assert props.subject == "Background report, Aug 2015 – Jun 2016"
    created = props.created.replace(tzinfo=UTC) if props.created.tzinfo is None else props.created
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=10)
    # the title page: title, mission, period, who produced it and when, FieldLog; then a break
    first_page = []
    for paragraph in doc.paragraphs:
        first_page.append(paragraph.text)
        if paragraph._p.xpath(".//w:br[@w:type='page']"):
            break
    text = "\n".join(first_page)
    assert title in first_page and "OSCE Mission to Skopje" in text
    assert "Period: Aug 2015 – Jun 2016" in text
    assert re.search(rf"Produced by {re.escape(HOM_MKD)}, Head of mission, on \d\d \w+ 20", text)
    assert "FieldLog" in text
    assert "Headline figures" not in text  # the report proper starts on the next page
    # the title page has its own (empty) header and footer; the others carry the title and
    # "Page X of Y" as fields Word fills in
    assert section.different_first_page_header_footer
    assert not section.first_page_footer.paragraphs[0].text.strip()
    assert section.header.paragraphs[0].text == title
    footer = section.footer._element
    codes = [t.text.strip() for t in footer.iter(qn("w:instrText"))]
    assert codes == ["PAGE", "NUMPAGES"]
    assert "Page" in section.footer.paragraphs[0].text
    assert len(footer.findall(".//" + qn("w:fldChar"))) == 6  # begin, separate, end twice


def test_the_charts_are_pictures_and_the_tables_repeat_their_header(client):
    doc = _docx(client, "/missions/MKD/report.docx")
    assert len(doc.inline_shapes) >= 2  # activities by type, and per month
    for shape in doc.inline_shapes:
        assert shape.width.mm <= 166  # within the text width of A4 less the margins
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "Activities by type" in headings and "Activities per month" in headings
    assert len(doc.tables) >= 4  # headline, the two charts' figures, trainings, reports
    for table in doc.tables:
        first, *rest = table.rows
        assert first._tr.trPr is not None
        assert first._tr.trPr.find(qn("w:tblHeader")) is not None
        for row in table.rows:
            assert row._tr.trPr.find(qn("w:cantSplit")) is not None
    # headings keep with what follows
    for name in ("Heading 1", "Heading 2"):
        assert doc.styles[name].paragraph_format.keep_with_next


def test_a_reconstructed_series_is_one_line_not_note_by_note(client):
    doc = _docx(client, "/missions/MKD/report.docx")
    texts = _texts(doc)
    note = next(t for t in texts if "activities are reconstructed" in t)
    count = int(re.search(r"MKD: ([\d,]+) of the", note).group(1).replace(",", ""))
    assert count > 50
    lines = [t for t in texts if "reconstructed from the frequencies the study reports (" in t]
    assert len(lines) == 1, lines
    # how many, where and between which dates, in one line
    assert re.match(
        rf"\d+ Aug 2015 – \d+ Jun 2016 — Monitoring visits, reconstructed \({count}\)\. "
        rf"{count} monitoring visits at Gevgelija",
        lines[0],
    ), lines[0]
    assert "PDU monitoring visit to Gevgelija" not in "\n".join(texts)
    assert not any("Reconstructed from the study's frequency" in t for t in texts)


def test_the_regional_report_has_a_chart_per_mission_and_its_author(client_as):
    doc = _docx(client_as("cpc"), "/report.docx")
    props = doc.core_properties
    assert props.author == "CPC desk (demo)"
    assert props.title.endswith("OSCE field operations in the Western Balkans")
    text = "\n".join(_texts(doc))
    assert "Regional: " in text and "CPC desk" in text
    assert len(doc.inline_shapes) >= 2
    # the by-type chart's figures: a column per mission
    by_type = next(t for t in doc.tables if t.rows[0].cells[0].text == "Type")
    header = [c.text for c in by_type.rows[0].cells]
    assert "MKD" in header and "SRB" in header and header[-1] == "All"


def test_the_charts_count_what_the_headline_counts(session):
    user = session.scalars(select(User).where(User.email.startswith("hom.mkd@"))).one()
    built = report.build(
        session,
        user=user,
        mission=missions.get_by_code_or_raise(session, "MKD"),
        start=PartialDate.parse("2015-01"),
        end=PartialDate.parse("2016-12"),
    )
    activities = built.summaries[0].headline.activities
    by_type, over_time = built.charts
    assert activities > 100
    assert by_type.total == activities
    assert over_time.total == activities  # months, and the records known only to the year
    assert over_time.categories[0] == "Jan 2015" and "Dec 2016" in over_time.categories
    assert over_time.apart and all("month unknown" in c for c in over_time.apart)
    # given an author, to_docx writes that name
    doc = Document(io.BytesIO(report.to_docx(built, author="Ana Example")))
    assert doc.core_properties.author == "Ana Example"
    png = report.chart_png(by_type)
    assert png.startswith(b"\x89PNG")


def test_long_periods_are_drawn_by_quarter(session):
    user = session.scalars(select(User).where(User.email.startswith("cpc@"))).one()
    built = report.build(
        session,
        user=user,
        mission=None,
        start=PartialDate.parse("2013"),
        end=PartialDate.parse("2017"),
    )
    over_time = built.charts[1]
    assert over_time.category_label == "Quarter"
    assert over_time.categories[0] == "Q1 2013"
    headline = sum(s.headline.activities for s in built.summaries)
    assert over_time.total == headline


def test_the_report_page_shows_the_charts_figures_and_a_print_line(client):
    page = client.get("/missions/MKD/report", params=PERIOD)
    assert page.status_code == 200
    # the figures as tables; the page draws no image on the server (the .docx does)
    assert "Activities by type" in page.text and "Activities per month" in page.text
    assert "data:image/png" not in page.text
    assert "data-print-line" in page.text and HOM_MKD in page.text
