"""The background report, generated: headline figures, the focal point, the timeline of
developments, the activities by response area, the trainings and reports as tables.

One mission's report (what the Serbia and Skopje missions wrote by hand in 2016), or
the regional one across all missions for the CPC desk. It counts and lists what the
dashboards count (app/activities/counting.py): approved records whose date lies wholly in
the period; what else the reader may see is counted apart, never listed as reported
activity. A reconstructed series is summarised in one line, not note by note.

`build` gathers the figures (a plain dataclass, no session needed afterwards), `to_docx`
writes the Word document: A4, a title page, the title in the header and "Page X of Y" in
the footer, the author and title in the document properties, the charts as images drawn
on the server (app/exchange/report_charts.py) with their figures as tables beside them,
and tables whose header row repeats on every page and whose rows never split.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.activities import counting, policy
from app.activities.models import Activity
from app.activities.service import involving
from app.dashboards import service as dashboards
from app.dashboards.schemas import MissionSummary
from app.exchange import report_charts
from app.exchange.report_charts import Chart
from app.missions import service as missions
from app.missions.models import Development, Mission
from app.partial_dates import PartialDate
from app.vocab import ActivityType, ResponseArea, Status

MAX_PER_AREA = 200


@dataclass
class Line:
    when: str
    title: str
    text: str
    mission: str


@dataclass
class Section:
    area: str
    label: str
    lines: list[Line]
    more: int = 0


@dataclass
class Report:
    title: str
    period_text: str
    missions: list[Mission]
    summaries: list[MissionSummary]
    focal_points: list[str]
    developments: list[Development]
    sections: list[Section]
    trainings: list[list[str]]
    reports: list[list[str]]
    generated: date = field(default_factory=date.today)
    regional: bool = False
    charts: list[Chart] = field(default_factory=list)
    author: str = ""  # who produced it: the signed-in user's name
    author_role: str = ""
    produced_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    scope: str = ""  # what it covers, for the title page: the mission's name, or "Regional: …"


def _period_text(start: PartialDate | None, end: PartialDate | None) -> str:
    if start and end:
        return f"{start.human()} – {end.human()}"
    if start:
        return f"from {start.human()}"
    if end:
        return f"until {end.human()}"
    return "all dates"


def _when(activity: Activity) -> str:
    start = PartialDate.of(activity.start_date, activity.start_precision)
    end = PartialDate.of(activity.end_date, activity.end_precision)
    if end and end != start:
        return f"{start.human()} – {end.human()}"
    return start.human()


def _prose(activity: Activity) -> str:
    parts = [ActivityType(activity.type).label]
    if activity.other_missions:
        parts.append("jointly with " + ", ".join(m.short_name for m in activity.other_missions))
    if activity.locations:
        parts.append("at " + ", ".join(loc.name for loc in activity.locations))
    if activity.partners:
        parts.append("with " + ", ".join(p.name for p in activity.partners))
    text = ", ".join(parts) + "."
    if activity.summary:
        text += " " + activity.summary.strip()
    return text


ROUTINE = 3  # this many records with the same title read as one line


def _group_key(activity: Activity) -> tuple:
    if activity.provenance == counting.RECONSTRUCTED:  # one series, whatever the titles
        return (activity.mission_id, activity.type, counting.RECONSTRUCTED, activity.response_area)
    return (activity.mission_id, activity.type, activity.title, activity.response_area)


def _routine_groups(rows: Sequence[Activity]) -> list[list[Activity]]:
    """Records in date order, with repeated routine records (the same mission, type and
    title, e.g. weekly monitoring visits) gathered into one group, placed at the first;
    a mission's reconstructed records of one type are always one group."""
    by_key: dict[tuple, list[Activity]] = {}
    for activity in rows:
        by_key.setdefault(_group_key(activity), []).append(activity)
    groups, seen = [], set()
    for activity in rows:
        key = _group_key(activity)
        reconstructed = activity.provenance == counting.RECONSTRUCTED
        if len(by_key[key]) < ROUTINE and not reconstructed:
            groups.append([activity])
        elif key not in seen:
            seen.add(key)
            groups.append(by_key[key])
    return groups


def _line(group: list[Activity]) -> Line:
    first = group[0]
    if first.provenance == counting.RECONSTRUCTED:
        return _reconstructed_line(group)
    if len(group) == 1:
        text = _prose(first)
        if first.provenance == counting.SYNTHETIC:
            text += " (Synthetic demo record.)"
        return Line(_when(first), first.title, text, first.mission.code)
    last = group[-1]
    start = PartialDate.of(first.start_date, first.start_precision)
    end = PartialDate.of(last.start_date, last.start_precision)
    places = sorted({loc.name for a in group for loc in a.locations})
    text = f"{len(group)} {ActivityType(first.type).label.lower()}s"
    if places:
        text += " at " + ", ".join(places)
    text += f" between {start.human()} and {end.human()}"
    overnight = sum(1 for a in group if a.overnight)
    if overnight:
        text += f", {overnight} of them with an overnight stay"
    text += "."
    notes = list(dict.fromkeys(a.summary.strip() for a in group if a.summary))
    if notes:
        text += " " + " ".join(notes[:4])
    return Line(
        f"{start.human()} – {end.human()}",
        f"{first.title} ({len(group)} times)",
        text,
        first.mission.code,
    )


def _reconstructed_line(group: list[Activity]) -> Line:
    """A reconstructed series in one line: how many, where, when, and that they are
    reconstructed, instead of each record's note."""
    first, last = group[0], group[-1]
    start = PartialDate.of(first.start_date, first.start_precision)
    end = PartialDate.of(last.start_date, last.start_precision)
    kind = ActivityType(first.type).label.lower()
    places = sorted({loc.name for a in group for loc in a.locations})
    text = f"{len(group)} {kind}{'s' if len(group) != 1 else ''}"
    if places:
        text += " at " + ", ".join(places)
    sources = "; ".join(dict.fromkeys(a.source for a in group if a.source))
    text += (
        f" between {start.human()} and {end.human()}, reconstructed from the frequencies "
        f"the study reports ({sources + '; ' if sources else ''}not records of single visits)"
    )
    overnight = sum(1 for a in group if a.overnight)
    if overnight:
        text += f", {overnight} of them with an overnight stay"
    text += "."
    return Line(
        f"{start.human()} – {end.human()}",
        f"{ActivityType(first.type).label}s, reconstructed ({len(group)})",
        text,
        first.mission.code,
    )


def provenance_notes(summaries: Sequence[MissionSummary]) -> list[str]:
    """What the report's figures include that is not first-hand, and what is counted apart."""
    notes = []
    for summary in summaries:
        h = summary.headline
        if h.reconstructed:
            notes.append(
                f"{summary.mission}: {h.reconstructed:,} of the {h.activities:,} activities are "
                "reconstructed from the frequencies the study reports."
            )
        if h.synthetic:
            notes.append(
                f"{summary.mission}: {h.synthetic:,} of the {h.activities:,} activities are "
                "synthetic (demo) records, not real activity."
            )
        apart = " · ".join(f"{n:,} {status}" for status, n in h.not_approved.items() if n)
        if apart:
            notes.append(f"{summary.mission}: not approved, so not counted or listed: {apart}.")
        if h.may_be_in_period:
            notes.append(
                f"{summary.mission}: {h.may_be_in_period:,} more approved records are dated only "
                "to a month, quarter or year that overlaps the period; they may fall in it and "
                "are not counted."
            )
    return notes


def build(
    session: Session,
    *,
    user,
    mission: Mission | None,
    start: PartialDate | None,
    end: PartialDate | None,
) -> Report:
    period = dashboards.period_from_params(start, end)
    chosen = [mission] if mission else list(missions.missions_with_focal_points(session))
    summaries = [
        dashboards.mission_summary(session, mission=m, period=period, user=user) for m in chosen
    ]
    focal_points = []
    for m in chosen:
        since = missions.migration_focal_point_since(m.focal_points)
        focal_points.append(
            f"{m.short_name}: migration focal point since {since.human()}"
            if since
            else f"{m.short_name}: no migration focal point"
        )
    country = mission.host_country if mission else None
    developments = list(
        missions.list_developments(
            session, country=country, date_from=period.start, date_to=period.end
        )
    )
    # what the figures count: approved, dated wholly in the period (counting.py)
    query = select(Activity).where(
        policy.visible_activities(user),
        Activity.status == Status.APPROVED.value,
        counting.wholly_within_sql(period.start, period.end),
    )
    if mission is not None:
        query = query.where(involving(mission.id))
    rows = session.scalars(
        query.order_by(Activity.start_date, Activity.id).options(
            selectinload(Activity.other_missions),
            selectinload(Activity.locations),
            selectinload(Activity.partners),
            selectinload(Activity.target_group_rows),
        )
    ).all()
    sections = {a.value: Section(a.value, a.label, []) for a in ResponseArea}
    for group in _routine_groups(rows):
        section = sections[group[0].response_area]
        if len(section.lines) < MAX_PER_AREA:
            section.lines.append(_line(group))
        else:
            section.more += 1
    trainings, reports = [], []
    for activity in rows:
        if counting.counts_as_training(activity.type):
            trainings.append(
                [
                    _when(activity),
                    activity.mission.code,
                    activity.title,
                    ", ".join(_label("TargetGroup", g) for g in activity.target_groups or ()),
                    _num(activity.participants_total),
                    _num(activity.participants_women),
                    _num(activity.participants_men),
                ]
            )
        elif activity.type == ActivityType.REPORT.value:
            reports.append(
                [
                    _when(activity),
                    activity.mission.code,
                    activity.reference_number or "",
                    _label("ReportKind", activity.report_kind),
                    activity.title,
                ]
            )
    by_time = dashboards.monthly_series(
        session,
        period=period,
        user=user,
        by="type" if mission else "mission",
        mission_id=mission.id if mission else None,
    )
    if mission is None:  # the missions the report covers, as the headline figures do
        codes = {m.code for m in chosen}
        by_time.series = {k: v for k, v in by_time.series.items() if k in codes}
        for bucket in by_time.unknown:
            bucket.series = {k: v for k, v in bucket.series.items() if k in codes}
    charts = [
        report_charts.by_type(summaries, regional=mission is None),
        report_charts.over_time(by_time, regional=mission is None),
    ]
    produced_at = datetime.now(UTC)
    covered = ", ".join(m.short_name for m in chosen)
    scope = mission.name if mission else (f"Regional: {covered}" if covered else "Regional")
    name = mission.name if mission else "OSCE field operations in the Western Balkans"
    return Report(
        title=f"Migration-related activities: {name}",
        period_text=_period_text(start, end),
        missions=chosen,
        summaries=summaries,
        focal_points=focal_points,
        developments=developments,
        sections=[s for s in sections.values() if s.lines],
        trainings=trainings,
        reports=reports,
        regional=mission is None,
        charts=charts,
        author=getattr(user, "name", "") or "",
        author_role=_label("Role", getattr(user, "role", None)),
        produced_at=produced_at,
        generated=produced_at.date(),
        scope=scope,
    )


def _label(enum_name: str, value) -> str:
    from app.web import label

    return label(value, enum_name) if value else ""


def _num(value) -> str:
    return f"{value:,}" if value is not None else ""


def headline_rows(summary: MissionSummary) -> list[tuple[str, str]]:
    h = summary.headline
    # the share over the people whose sex was recorded, in the dashboard's words
    share = f" ({h.women_share_text})" if h.women_share_text else ""
    return [
        ("Activities", f"{h.activities:,}"),
        ("Monitoring visits", f"{h.monitoring_visits:,}"),
        ("People trained", f"{h.participants_trained:,}{share}"),
        ("Reports sent", f"{h.reports:,}"),
        ("Meetings", f"{h.meetings:,}"),
        ("Open alerts", f"{h.open_alerts:,}"),
    ]


# --- the Word document --------------------------------------------------------------------

TEXT_WIDTH_MM = 166  # A4 less 22 mm margins either side
HEADLINE_COLUMNS = [
    "Mission",
    "Activities",
    "Monitoring visits",
    "People trained",
    "Reports",
    "Meetings",
    "Open alerts",
]
TRAINING_COLUMNS = ["When", "Mission", "Title", "Target groups", "Participants", "Women", "Men"]
REPORT_COLUMNS = ["When", "Mission", "Reference", "Kind", "Title"]
GREY = "595959"


def _produced_text(report: Report, author: str) -> str:
    who = author or "FieldLog"
    if author and author == report.author and report.author_role:  # the role is theirs
        who += f", {report.author_role},"
    return f"Produced by {who} on {report.produced_at:%d %B %Y, %H:%M} UTC"


def chart_png(chart: Chart) -> bytes:
    return report_charts.render_png(chart)


def to_docx(report: Report, *, author: str | None = None) -> bytes:
    """The report as an editable Word document (A4). `author` (the signed-in user's name)
    goes in the document properties and on the title page; by default the report's."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
    from docx.shared import Mm, Pt, RGBColor

    author = report.author if author is None else author
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    for name in ("Heading 1", "Heading 2", "Heading 3", "Title"):
        doc.styles[name].paragraph_format.keep_with_next = True

    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(25), Mm(22)
    section.left_margin, section.right_margin = Mm(22), Mm(22)
    section.header_distance, section.footer_distance = Mm(10), Mm(10)
    section.different_first_page_header_footer = True  # the title page has neither
    section.first_page_header.is_linked_to_previous = False
    section.first_page_footer.is_linked_to_previous = False
    text_width = Mm(210 - 22 - 22)

    properties = doc.core_properties
    properties.title = report.title
    properties.subject = f"Background report, {report.period_text}"
    properties.author = author or "FieldLog"
    properties.last_modified_by = author or "FieldLog"
    created = report.produced_at.astimezone(UTC).replace(tzinfo=None)
    properties.created = properties.modified = created
    properties.keywords = "FieldLog; migration; background report"
    properties.category = "Background report"
    properties.comments = "Generated by FieldLog from the approved records the author may see."
    properties.revision = 1
    package = doc.part.package  # the template's thumbnail would show a blank page
    for key, relationship in list(package.rels.items()):
        if relationship.reltype.endswith("/thumbnail"):
            del package.rels[key]

    # header: the document's title; footer: where it came from, and "Page X of Y"
    header = section.header.paragraphs[0]
    header.text = report.title
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _small(header, GREY)
    footer = section.footer.paragraphs[0]
    stops = footer.paragraph_format.tab_stops
    for stop in doc.styles["Footer"].paragraph_format.tab_stops:  # the Letter-sized ones
        stops.add_tab_stop(stop.position, WD_TAB_ALIGNMENT.CLEAR)
    stops.add_tab_stop(text_width, WD_TAB_ALIGNMENT.RIGHT)
    footer.add_run(f"FieldLog · {report.period_text}\tPage ")
    _field(footer, "PAGE", "1")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES", "1")
    _small(footer, GREY)

    # the title page
    spacer = doc.add_paragraph()
    spacer.paragraph_format.space_before = Mm(45)
    kicker = doc.add_paragraph()
    kicker.add_run("FieldLog · Background report").bold = True
    _small(kicker, GREY)
    doc.add_paragraph(report.title, style="Title")
    scope = doc.add_paragraph()
    scope.add_run(report.scope).font.size = Pt(14)
    period = doc.add_paragraph()
    period.add_run(f"Period: {report.period_text}").font.size = Pt(14)
    period.paragraph_format.space_after = Mm(30)
    produced = doc.add_paragraph(_produced_text(report, author) + ".")
    doc.add_paragraph(
        "Generated by FieldLog from the approved records the author may see, dated wholly "
        "in the period. Records not approved are counted apart and never listed."
    ).runs[0].font.color.rgb = RGBColor.from_string(GREY)
    produced.paragraph_format.space_after = Pt(6)
    doc.add_page_break()

    doc.add_heading("Headline figures", level=1)
    rows = [
        [summary.mission, *(value for _, value in headline_rows(summary))]
        for summary in report.summaries
    ]
    _table(doc, HEADLINE_COLUMNS, rows, numeric=range(1, 7), widths=[22, 22, 24, 34, 22, 22, 20])
    for note in provenance_notes(report.summaries):
        doc.add_paragraph(note, style="List Bullet")

    for chart in report.charts:
        doc.add_heading(chart.title, level=2)
        picture = doc.add_paragraph()
        picture.paragraph_format.keep_with_next = True
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.add_run().add_picture(io.BytesIO(chart_png(chart)), width=Mm(160))
        caption = doc.add_paragraph(chart.caption)
        caption.paragraph_format.keep_with_next = bool(chart.categories)
        _small(caption, GREY)
        if chart.categories:
            columns = chart.columns()
            first = 36 if len(columns) > 2 else 60
            rest = [(TEXT_WIDTH_MM - first) / (len(columns) - 1)] * (len(columns) - 1)
            _table(
                doc, columns, chart.rows(), numeric=range(1, len(columns)), widths=[first, *rest]
            )

    doc.add_heading("Focal point", level=1)
    for focal_point in report.focal_points:
        doc.add_paragraph(focal_point, style="List Bullet")
    doc.add_heading("Timeline of developments", level=1)
    if not report.developments:
        doc.add_paragraph("No developments recorded for this period.")
    for dev in report.developments:
        when = PartialDate.of(dev.occurred_on, dev.occurred_precision).human()
        paragraph = doc.add_paragraph(style="List Bullet")
        paragraph.add_run(f"{when}: ").bold = True
        paragraph.add_run(f"{dev.title} ({dev.country})")
    doc.add_heading("Activities by response area", level=1)
    if not report.sections:
        doc.add_paragraph("No activities recorded for this period.")
    for section_ in report.sections:
        doc.add_heading(section_.label, level=2)
        for line in section_.lines:
            paragraph = doc.add_paragraph()
            paragraph.add_run(f"{line.when} — {line.title}. ").bold = True
            if report.regional:
                paragraph.add_run(f"[{line.mission}] ")
            paragraph.add_run(line.text)
        if section_.more:
            doc.add_paragraph(f"… and {section_.more:,} more activities in this area.")
    for heading, columns, table_rows, numeric, widths in (
        (
            "Trainings",
            TRAINING_COLUMNS,
            report.trainings,
            range(4, 7),
            [24, 18, 49, 28, 21, 13, 13],
        ),
        ("Reports", REPORT_COLUMNS, report.reports, range(0), [24, 18, 32, 26, 66]),
    ):
        doc.add_heading(heading, level=1)
        if not table_rows:
            doc.add_paragraph(f"No {heading.lower()} recorded for this period.")
            continue
        _table(doc, columns, table_rows, numeric=numeric, widths=widths)
    for table in doc.tables:
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _small(paragraph, colour: str) -> None:
    from docx.shared import Pt, RGBColor

    for run in paragraph.runs:
        run.font.size = Pt(8.5)
        run.font.color.rgb = RGBColor.from_string(colour)


def _field(paragraph, instruction: str, shown: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in: begin, instruction, separate,
    the last computed value, end."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def char(kind: str):
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        return element

    paragraph.add_run()._r.append(char("begin"))
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    paragraph.add_run()._r.append(code)
    paragraph.add_run()._r.append(char("separate"))
    paragraph.add_run(shown)
    paragraph.add_run()._r.append(char("end"))


def _table(
    doc,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    numeric=(),
    widths: Sequence[float] = (),
) -> None:
    """A table whose header row repeats on every page and whose rows never split; `widths`
    in millimetres (the text column widest), else equal."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    table = doc.add_table(rows=1 + len(rows), cols=len(columns))
    table.style = "Table Grid"
    table.autofit = False
    numeric = set(numeric)
    if widths:
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Mm(width)
            for cell in column.cells:  # Word reads the cells' widths, LibreOffice the grid's
                cell.width = Mm(width)
    for r, values in enumerate([list(columns), *rows]):
        row = table.rows[r]
        properties = row._tr.get_or_add_trPr()
        properties.append(OxmlElement("w:cantSplit"))
        if r == 0:
            properties.append(OxmlElement("w:tblHeader"))
        for c, (cell, text) in enumerate(zip(row.cells, values, strict=True)):
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(text)
            run.font.size = Pt(9)
            if r == 0:
                run.bold = True
                shading = OxmlElement("w:shd")
                shading.set(qn("w:val"), "clear")
                shading.set(qn("w:color"), "auto")
                shading.set(qn("w:fill"), "E7ECF1")
                cell._tc.get_or_add_tcPr().append(shading)
            if c in numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if r == 0 and rows:  # the header row never alone at the foot of a page
                paragraph.paragraph_format.keep_with_next = True
