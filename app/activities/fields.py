"""How each activity field is asked for and shown: labels, widgets, vocabularies, hints,
and a stored value in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter

from app.partial_dates import PartialDate
from app.vocab import (
    ActivityType,
    AlertLevel,
    AssistanceKind,
    Dimension,
    EventKind,
    Finding,
    MeetingKind,
    MeetingLevel,
    Provenance,
    Recipient,
    ReportKind,
    ResponseArea,
    Status,
    TargetGroup,
    Theme,
)

router = APIRouter(include_in_schema=False)

DATE_HINT = "YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD — e.g. 2015, 2015-Q4, 2015-11, 2015-11-19"


@dataclass(frozen=True)
class Spec:
    """How one field is asked for and shown."""

    label: str
    kind: str  # text, textarea, number, bool, select, multi, date
    vocab: Any = None
    hint: str = ""
    maxlength: int | None = None


COMMON_LABELS = {
    "mission": "Lead mission",
    "other_missions": "Other missions taking part",
    "type": "Type of activity",
    "title": "Title",
    "start": "Start",
    "end": "End",
    "dimension": "OSCE dimension",
    "response_area": "Response area",
    "themes": "Themes",
    "locations": "Locations",
    "partners": "Partners",
    "project": "Project",
    "summary": "Summary",
    "source": "Source or reference",
    "status": "Status",
    "review_comment": "Review comment",
    "provenance": "Provenance",
    "external_id": "External id",
}

TYPE_SPECS: dict[str, Spec] = {
    "team": Spec("Team", "text", hint="e.g. Police development unit team", maxlength=200),
    "team_size": Spec("Team size (people)", "number"),
    "overnight": Spec("Overnight stay", "bool"),
    "persons_observed": Spec("Persons observed", "number"),
    "observations": Spec("Observations", "textarea", maxlength=10_000),
    "findings": Spec("Findings", "multi", Finding),
    "alert_level": Spec(
        "Alert level",
        "select",
        AlertLevel,
        hint="The early-warning signal: elevated and high alerts show on the mission dashboard.",
    ),
    "alert_closed": Spec(
        "Alert closed", "bool", hint="Tick once the situation that raised the alert is resolved."
    ),
    "target_group": Spec("Target group", "select", TargetGroup),
    "participants_total": Spec("Participants in total", "number"),
    "participants_women": Spec("Of whom women", "number"),
    "training_days": Spec("Days of training", "number"),
    "reference_number": Spec("Reference number", "text", hint="e.g. SEC.FR/230/16", maxlength=80),
    "report_kind": Spec("Kind of report", "select", ReportKind),
    "recipients": Spec("Recipients", "multi", Recipient),
    "self_initiated": Spec(
        "Self-initiated",
        "bool",
        hint="Tick if the mission wrote it on its own initiative; "
        "leave empty if Vienna asked for it.",
    ),
    "period_from": Spec("Period covered from", "date", hint=DATE_HINT),
    "period_to": Spec("Period covered to", "date", hint=DATE_HINT),
    "meeting_kind": Spec("Kind of meeting", "select", MeetingKind),
    "meeting_level": Spec("Level", "select", MeetingLevel),
    "organisations_present": Spec("Organisations present", "textarea", maxlength=2_000),
    "event_kind": Spec("Kind of event", "select", EventKind),
    "attendees": Spec("Attendees", "number"),
    "outcome": Spec(
        "Outcome", "textarea", hint="e.g. “Tirana Declaration on Migration”", maxlength=2_000
    ),
    "audience_reached": Spec("Audience reached (people)", "number"),
    "assistance_kind": Spec("Kind of assistance", "select", AssistanceKind),
    "research_topic": Spec("Research topic", "text", maxlength=300),
}

LABELS = {**COMMON_LABELS, **{name: spec.label for name, spec in TYPE_SPECS.items()}}

VOCABS = {
    "type": ActivityType,
    "dimension": Dimension,
    "response_area": ResponseArea,
    "themes": Theme,
    "status": Status,
    "provenance": Provenance,
    **{name: spec.vocab for name, spec in TYPE_SPECS.items() if spec.vocab is not None},
}
LIST_FIELDS = ("other_missions", "locations", "partners", "themes", "findings", "recipients")
BOOL_FIELDS = tuple(n for n, s in TYPE_SPECS.items() if s.kind == "bool")
NUMBER_FIELDS = tuple(n for n, s in TYPE_SPECS.items() if s.kind == "number")
DATE_FIELDS = ("start", "end", "period_from", "period_to")
REQUIRED = {
    "type": "choose the type of activity",
    "title": "give the activity a title",
    "start": "give the start date (a year is enough if that is all you know)",
    "dimension": "choose the OSCE dimension",
    "response_area": "choose the response area",
}
TEXT_FIELDS = ("title", "summary", "source", "project", "type", "dimension", "response_area")


def vocab_label(vocab, value) -> str:
    try:
        return vocab(value).label
    except ValueError:
        return str(value)


def readable(name: str, value: Any) -> str:
    """A stored or snapshot value in words: labels for vocabularies, dates with their
    precision, Yes/No, and '—' for nothing."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, PartialDate):
        return value.human()
    vocab = VOCABS.get(name)
    if isinstance(value, list):
        return ", ".join(vocab_label(vocab, v) if vocab else str(v) for v in value)
    if vocab is not None:
        return vocab_label(vocab, value)
    if name in DATE_FIELDS and isinstance(value, str):
        try:
            return PartialDate.parse(value).human()
        except ValueError:
            return value
    if isinstance(value, int):
        return f"{value:,}"
    text = str(value)
    return text if len(text) <= 240 else text[:240] + "…"
