"""The background report, generated: headline figures, the focal point, the timeline of
developments, the activities by response area, the trainings and reports as tables.

One mission's report (what the Serbia and Skopje missions wrote by hand in 2016), or
the regional one across all missions for the CPC desk. It counts and lists what the
dashboards count (app/activities/counting.py): approved records whose date lies wholly in
the period; what else the reader may see is counted apart, never listed as reported
activity. A reconstructed series is summarised in one line, not note by note.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.activities import counting, policy
from app.activities.models import Activity
from app.activities.service import involving
from app.dashboards import service as dashboards
from app.dashboards.schemas import MissionSummary
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


def to_docx(report: Report) -> bytes:
    """The report as an editable Word document."""
    from docx import Document

    doc = Document()
    doc.add_heading(report.title, level=0)
    doc.add_paragraph(
        f"Background report, {report.period_text}. Generated by FieldLog on "
        f"{report.generated:%d %B %Y} from the approved records the reader may see, "
        "dated wholly in the period."
    )
    doc.add_heading("Headline figures", level=1)
    table = doc.add_table(rows=1, cols=7)
    table.style = "Table Grid"
    head = [
        "Mission",
        "Activities",
        "Monitoring visits",
        "People trained",
        "Reports",
        "Meetings",
        "Open alerts",
    ]
    for cell, text in zip(table.rows[0].cells, head, strict=True):
        cell.text = text
    for summary in report.summaries:
        cells = table.add_row().cells
        cells[0].text = summary.mission
        for cell, (_, value) in zip(cells[1:], headline_rows(summary), strict=False):
            cell.text = value
    for note in provenance_notes(report.summaries):
        doc.add_paragraph(note, style="List Bullet")
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
    for section in report.sections:
        doc.add_heading(section.label, level=2)
        for line in section.lines:
            paragraph = doc.add_paragraph()
            paragraph.add_run(f"{line.when} — {line.title}. ").bold = True
            if report.regional:
                paragraph.add_run(f"[{line.mission}] ")
            paragraph.add_run(line.text)
        if section.more:
            doc.add_paragraph(f"… and {section.more:,} more activities in this area.")
    for heading, columns, rows in (
        (
            "Trainings",
            ["When", "Mission", "Title", "Target groups", "Participants", "Women", "Men"],
            report.trainings,
        ),
        ("Reports", ["When", "Mission", "Reference", "Kind", "Title"], report.reports),
    ):
        doc.add_heading(heading, level=1)
        if not rows:
            doc.add_paragraph(f"No {heading.lower()} recorded for this period.")
            continue
        table = doc.add_table(rows=1, cols=len(columns))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, columns, strict=True):
            cell.text = text
        for row in rows:
            for cell, text in zip(table.add_row().cells, row, strict=True):
                cell.text = text
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
