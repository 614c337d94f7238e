"""The registry of activity fields: every fact about each field, in one place.

One `FieldDef` per field says how it is asked for (label, hint, widget, vocabulary),
what it may hold (limits, required, null or not), which activity type it belongs to,
and how it travels in a spreadsheet (column, HXL tag, width). The API schemas
(`schemas.py`), the form (`form.py` and its templates), the import template, the
importer and the exports (`app/exchange/columns.py`), the database's per-type CHECK
constraints (`models.py`) and the history's wording are all built from it.

The order of the registry is the order of the form, the import template and the exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.partial_dates import PartialDate
from app.vocab import (
    ActivityType,
    AlertLevel,
    AssistanceKind,
    Dimension,
    EventKind,
    Finding,
    Labelled,
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

# Women and men are each optional: the share of women is taken over the people whose sex
# was recorded (app/activities/counting.py), never over everyone trained.
SEX_HINT = "Leave empty if not recorded; anyone counted as neither is “not recorded”."
DATE_HINT = "YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD — e.g. 2015, 2015-Q4, 2015-11, 2015-11-19"


class Widget(StrEnum):
    """What kind of value a field holds: one word each for the form, the schemas and the
    spreadsheet cells."""

    TEXT = "text"  # one line of text
    TEXTAREA = "textarea"  # longer text
    NUMBER = "number"  # a whole number, 0 or more
    BOOL = "bool"  # yes or no
    SELECT = "select"  # one value of a vocabulary
    MULTI = "multi"  # several values of a vocabulary
    DATE = "date"  # a date with its precision: YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD
    CODE = "code"  # the code of one reference row (a mission, a project)
    CODES = "codes"  # codes of several reference rows (missions, locations, partners)


LIST_WIDGETS = frozenset({Widget.MULTI, Widget.CODES})


@dataclass(frozen=True)
class FieldDef:
    """Everything FieldLog knows about one activity field."""

    name: str
    label: str
    widget: Widget
    vocab: type[Labelled] | None = None
    # The activity type whose own field this is; None: every activity has it.
    owner: ActivityType | None = None
    hint: str = ""  # shown under the field on the form
    max_length: int | None = None  # text; codes keep the shared Code limit
    min_length: int = 0
    max_items: int | None = None  # lists
    # What the form says when a person leaves it empty; "" for an optional field.
    required: str = ""
    # Filled in for the person when left blank (the lead mission: the page's or the import's).
    supplied: bool = False
    # False: the record always holds a value ("" or [] when nothing is given).
    nullable: bool = True
    # Given when the record is made, never changed: not in a PATCH, not on the form.
    fixed: bool = False
    # False: kept by the workflow or taken from elsewhere, never typed in.
    entered: bool = True
    description: str = ""  # in the API's schema
    hxl: str = ""  # the column's HXL tag; "" keeps the field out of spreadsheets
    column_help: str = ""  # what to write in the column (the template's instructions)
    width: int = 18  # the column's width in the XLSX template

    @property
    def is_list(self) -> bool:
        return self.widget in LIST_WIDGETS

    @property
    def blank(self) -> Any:
        """What a field given empty holds: '' or [] where null is not allowed, else None."""
        if self.required or self.nullable:
            return None
        return [] if self.is_list else ""

    @property
    def exported(self) -> bool:
        return bool(self.hxl)

    @property
    def export_only(self) -> bool:
        """A column of the exports that the import template does not have."""
        return self.exported and not self.entered

    @property
    def help(self) -> str:
        """What to write in the field's spreadsheet column."""
        if self.column_help:
            return self.column_help
        return f"{self.owner.label} records only." if self.owner else ""


_VISIT = ActivityType.MONITORING_VISIT
_TRAINING = ActivityType.TRAINING
_REPORT = ActivityType.REPORT
_MEETING = ActivityType.MEETING
_EVENT = ActivityType.EVENT

_REGISTRY = (
    # --- what every activity has ---------------------------------------------------------
    FieldDef(
        "external_id",
        "External id",
        Widget.TEXT,
        max_length=120,
        fixed=True,
        description="A stable id from the system the record came from.",
        hxl="#activity+id",
        column_help="Your own id for the row (keeps re-imports from duplicating it).",
        width=16,
    ),
    FieldDef(
        "mission",
        "Lead mission",
        Widget.CODE,
        required="give the lead mission's code",
        supplied=True,
        fixed=True,
        description="Code of the lead mission, e.g. MKD.",
        hxl="#org+lead+code",
        column_help="Lead mission code (blank: your mission).",
        width=9,
    ),
    FieldDef(
        "other_missions",
        "Other missions taking part",
        Widget.CODES,
        max_items=20,
        nullable=False,
        description="Codes of the missions taking part.",
        hxl="#org+impl+code+list",
        column_help="Other missions taking part, e.g. SRB; ALB.",
    ),
    FieldDef(
        "type",
        "Type of activity",
        Widget.SELECT,
        ActivityType,
        hint="Each type has fields of its own, below the title. After changing the type, "
        "press “Show the fields for this type”: what you typed is kept.",
        required="choose the type of activity",
        hxl="#activity+type",
        column_help="Activity type.",
    ),
    FieldDef(
        "title",
        "Title",
        Widget.TEXT,
        max_length=300,
        min_length=1,
        required="give the activity a title",
        hxl="#activity+name",
        column_help="What was done, in a line.",
        width=40,
    ),
    FieldDef(
        "start",
        "Start",
        Widget.DATE,
        required="give the start date (a year is enough if that is all you know)",
        hxl="#date+start",
        column_help="2015, 2015-Q4, 2015-11 or 2015-11-19.",
    ),
    FieldDef(
        "end",
        "End",
        Widget.DATE,
        hxl="#date+end",
        column_help="Same forms as start; blank for one day.",
    ),
    FieldDef(
        "dimension",
        "OSCE dimension",
        Widget.SELECT,
        Dimension,
        required="choose the OSCE dimension",
        hxl="#sector+dimension",
        column_help="OSCE dimension.",
    ),
    FieldDef(
        "response_area",
        "Response area",
        Widget.SELECT,
        ResponseArea,
        hint="The study’s seven lenses (§6.1–6.7).",
        required="choose the response area",
        hxl="#sector+code",
        column_help="Response area.",
    ),
    FieldDef(
        "themes",
        "Themes",
        Widget.MULTI,
        Theme,
        max_items=len(Theme),
        nullable=False,
        hxl="#subsector+theme+list",
        column_help="Themes, separated by ;",
    ),
    FieldDef(
        "locations",
        "Locations",
        Widget.CODES,
        max_items=50,
        nullable=False,
        hxl="#loc+code+list",
        column_help="Location codes, separated by ;",
    ),
    FieldDef(
        "partners",
        "Partners",
        Widget.CODES,
        max_items=50,
        nullable=False,
        hxl="#org+partner+code+list",
        column_help="Partner codes, separated by ;",
    ),
    FieldDef(
        "project",
        "Project",
        Widget.CODE,
        hxl="#activity+project+code",
        column_help="Project code.",
        width=14,
    ),
    FieldDef(
        "summary",
        "Summary",
        Widget.TEXTAREA,
        hint="What happened, with whom, and what came of it.",
        max_length=10_000,
        nullable=False,
        hxl="#description",
        column_help="Summary.",
        width=50,
    ),
    FieldDef(
        "source",
        "Source or reference",
        Widget.TEXT,
        hint="e.g. a report number, a document and section, or “own observation”.",
        max_length=300,
        nullable=False,
        hxl="#meta+source",
        column_help="Source or reference.",
        width=24,
    ),
    # --- each type's own fields ----------------------------------------------------------
    FieldDef(
        "team",
        "Team",
        Widget.TEXT,
        owner=_VISIT,
        hint="e.g. Police development unit team",
        max_length=200,
        hxl="#meta+team",
    ),
    FieldDef("team_size", "Team size (people)", Widget.NUMBER, owner=_VISIT, hxl="#meta+team+num"),
    FieldDef("overnight", "Overnight stay", Widget.BOOL, owner=_VISIT, hxl="#meta+overnight"),
    FieldDef(
        "persons_observed",
        "Persons observed",
        Widget.NUMBER,
        owner=_VISIT,
        hxl="#affected+observed+num",
    ),
    FieldDef(
        "observations",
        "Observations",
        Widget.TEXTAREA,
        owner=_VISIT,
        max_length=10_000,
        hxl="#meta+observations",
    ),
    FieldDef(
        "findings",
        "Findings",
        Widget.MULTI,
        Finding,
        owner=_VISIT,
        max_items=len(Finding),
        hxl="#meta+findings+list",
    ),
    FieldDef(
        "alert_level",
        "Alert level",
        Widget.SELECT,
        AlertLevel,
        owner=_VISIT,
        hint="The early-warning signal: elevated and high alerts show on the mission dashboard.",
        hxl="#severity+alert",
    ),
    FieldDef(
        "alert_closed",
        "Alert closed",
        Widget.BOOL,
        owner=_VISIT,
        hint="Tick once the situation that raised the alert is resolved.",
        hxl="#severity+alert+closed",
    ),
    FieldDef(
        "target_groups",
        "Target groups",
        Widget.MULTI,
        TargetGroup,
        owner=_TRAINING,
        hint="Every group the training was for: a training for several groups counts in "
        "each group's row of the dashboard.",
        max_items=len(TargetGroup),
        description="The groups trained. Stored one row per group (activity_target_groups); "
        "null when none is recorded.",
        hxl="#targeted+group+list",
        column_help="Target groups, separated by ; (or |).",
    ),
    FieldDef(
        "participants_total",
        "Participants in total",
        Widget.NUMBER,
        owner=_TRAINING,
        hxl="#reached+participants+total",
    ),
    FieldDef(
        "participants_women",
        "Of whom women",
        Widget.NUMBER,
        owner=_TRAINING,
        hint=SEX_HINT,
        description="Women among the participants; null when not recorded.",
        hxl="#reached+participants+f",
    ),
    FieldDef(
        "participants_men",
        "Of whom men",
        Widget.NUMBER,
        owner=_TRAINING,
        hint=SEX_HINT,
        description="Men among the participants; null when not recorded. Women and men "
        "together are at most the total; the rest count as not recorded.",
        hxl="#reached+participants+m",
    ),
    FieldDef(
        "training_days", "Days of training", Widget.NUMBER, owner=_TRAINING, hxl="#meta+days+num"
    ),
    FieldDef(
        "reference_number",
        "Reference number",
        Widget.TEXT,
        owner=_REPORT,
        hint="e.g. SEC.FR/230/16",
        max_length=80,
        hxl="#meta+reference",
    ),
    FieldDef(
        "report_kind",
        "Kind of report",
        Widget.SELECT,
        ReportKind,
        owner=_REPORT,
        hxl="#meta+report_kind",
    ),
    FieldDef(
        "recipients",
        "Recipients",
        Widget.MULTI,
        Recipient,
        owner=_REPORT,
        max_items=len(Recipient),
        hxl="#meta+recipients+list",
    ),
    FieldDef(
        "self_initiated",
        "Self-initiated",
        Widget.BOOL,
        owner=_REPORT,
        hint="Tick if the mission wrote it on its own initiative; "
        "leave empty if Vienna asked for it.",
        hxl="#meta+self_initiated",
    ),
    FieldDef(
        "period_from",
        "Period covered from",
        Widget.DATE,
        owner=_REPORT,
        hint=DATE_HINT,
        hxl="#date+period+start",
    ),
    FieldDef(
        "period_to",
        "Period covered to",
        Widget.DATE,
        owner=_REPORT,
        hint=DATE_HINT,
        hxl="#date+period+end",
    ),
    FieldDef(
        "meeting_kind",
        "Kind of meeting",
        Widget.SELECT,
        MeetingKind,
        owner=_MEETING,
        hxl="#meta+meeting_kind",
    ),
    FieldDef(
        "meeting_level",
        "Level",
        Widget.SELECT,
        MeetingLevel,
        owner=_MEETING,
        hxl="#meta+meeting_level",
    ),
    FieldDef(
        "organisations_present",
        "Organisations present",
        Widget.TEXTAREA,
        owner=_MEETING,
        max_length=2_000,
        hxl="#org+present",
    ),
    FieldDef(
        "event_kind",
        "Kind of event",
        Widget.SELECT,
        EventKind,
        owner=_EVENT,
        hxl="#meta+event_kind",
    ),
    FieldDef("attendees", "Attendees", Widget.NUMBER, owner=_EVENT, hxl="#reached+attendees"),
    FieldDef(
        "outcome",
        "Outcome",
        Widget.TEXTAREA,
        owner=_EVENT,
        hint="e.g. “Tirana Declaration on Migration”",
        max_length=2_000,
        hxl="#meta+outcome",
    ),
    FieldDef(
        "audience_reached",
        "Audience reached (people)",
        Widget.NUMBER,
        owner=ActivityType.AWARENESS,
        hxl="#reached+audience",
    ),
    FieldDef(
        "assistance_kind",
        "Kind of assistance",
        Widget.SELECT,
        AssistanceKind,
        owner=ActivityType.ASSISTANCE,
        hxl="#meta+assistance_kind",
    ),
    FieldDef(
        "research_topic",
        "Research topic",
        Widget.TEXT,
        owner=ActivityType.RESEARCH_SUPPORT,
        max_length=300,
        hxl="#meta+research_topic",
    ),
    # --- kept by the workflow, or taken from elsewhere: never typed in -------------------
    FieldDef(
        "status",
        "Status",
        Widget.SELECT,
        Status,
        nullable=False,
        entered=False,
        hxl="#status",
        column_help="Workflow state (export only).",
    ),
    FieldDef(
        "country",
        "Country",
        Widget.TEXT,
        entered=False,
        hxl="#country+name",
        column_help="Host country of the lead mission (export only).",
    ),
    FieldDef("review_comment", "Review comment", Widget.TEXTAREA, entered=False),
    FieldDef("provenance", "Provenance", Widget.SELECT, Provenance, nullable=False, entered=False),
)

FIELDS: dict[str, FieldDef] = {field.name: field for field in _REGISTRY}
# What a request to create an activity may carry, in form order.
ENTERED: tuple[FieldDef, ...] = tuple(f for f in _REGISTRY if f.entered)
# What the form asks for (and a PATCH may change).
CHANGEABLE: tuple[FieldDef, ...] = tuple(f for f in ENTERED if not f.fixed)

# Fields that belong to one activity type only: the API, the form, the importer and the
# database's CHECK constraints keep them empty on every other type.
TYPE_FIELDS: dict[ActivityType, tuple[str, ...]] = {
    activity_type: tuple(f.name for f in _REGISTRY if f.owner == activity_type)
    for activity_type in ActivityType
}
ALL_TYPE_FIELDS: tuple[str, ...] = tuple(f.name for f in _REGISTRY if f.owner is not None)
COMMON_FIELDS: tuple[str, ...] = tuple(f.name for f in _REGISTRY if f.owner is None)

LABELS: dict[str, str] = {f.name: f.label for f in _REGISTRY}
VOCABS: dict[str, type[Labelled]] = {f.name: f.vocab for f in _REGISTRY if f.vocab is not None}
DATE_FIELDS: tuple[str, ...] = tuple(f.name for f in _REGISTRY if f.widget == Widget.DATE)
# What the form says when a person leaves out a field the record needs.
REQUIRED: dict[str, str] = {f.name: f.required for f in CHANGEABLE if f.required}


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
