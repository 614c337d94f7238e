"""The one column list shared by the import template, the importer and the exports.

Each column is an ActivityCreate field (or, for a few export-only columns, a
fact about the stored record). Cell text forms:

- lists (missions, locations, partners, themes, findings, recipients): values
  separated by ``;`` (a comma works too);
- yes/no fields: ``yes`` or ``no`` (``true``/``false``, ``1``/``0`` are read too);
- dates: ``YYYY``, ``YYYY-Qn``, ``YYYY-MM`` or ``YYYY-MM-DD`` (the precision is kept);
- vocabularies: the code (``monitoring_visit``) or its label (``Monitoring visit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app import vocab
from app.vocab import ALL_TYPE_FIELDS, TYPE_FIELDS, ActivityType


@dataclass(frozen=True)
class Column:
    name: str
    hxl: str
    help: str
    kind: str = "text"  # text, list, bool, int, date, enum, enum_list
    enum: type[StrEnum] | None = None
    required: bool = False
    export_only: bool = False
    width: int = 18


def _c(name, hxl, help, kind="text", enum=None, required=False, export_only=False, width=18):
    return Column(name, hxl, help, kind, enum, required, export_only, width)


_COMMON = [
    _c(
        "external_id",
        "#activity+id",
        "Your own id for the row (keeps re-imports from duplicating it).",
        width=16,
    ),
    _c("mission", "#org+lead+code", "Lead mission code (blank: your mission).", width=9),
    _c(
        "other_missions",
        "#org+impl+code+list",
        "Other missions taking part, e.g. SRB; ALB.",
        "list",
    ),
    _c("type", "#activity+type", "Activity type.", "enum", vocab.ActivityType, True),
    _c("title", "#activity+name", "What was done, in a line.", required=True, width=40),
    _c("start", "#date+start", "2015, 2015-Q4, 2015-11 or 2015-11-19.", "date", required=True),
    _c("end", "#date+end", "Same forms as start; blank for one day.", "date"),
    _c("dimension", "#sector+dimension", "OSCE dimension.", "enum", vocab.Dimension, True),
    _c("response_area", "#sector+code", "Response area.", "enum", vocab.ResponseArea, True),
    _c("themes", "#subsector+theme+list", "Themes, separated by ;", "enum_list", vocab.Theme),
    _c("locations", "#loc+code+list", "Location codes, separated by ;", "list"),
    _c("partners", "#org+partner+code+list", "Partner codes, separated by ;", "list"),
    _c("project", "#activity+project+code", "Project code.", width=14),
    _c("summary", "#description", "Summary.", width=50),
    _c("source", "#meta+source", "Source or reference.", width=24),
]

_TYPE_SPECIFIC = {
    "team": ("#meta+team", "text", None),
    "team_size": ("#meta+team+num", "int", None),
    "overnight": ("#meta+overnight", "bool", None),
    "persons_observed": ("#affected+observed+num", "int", None),
    "observations": ("#meta+observations", "text", None),
    "findings": ("#meta+findings+list", "enum_list", vocab.Finding),
    "alert_level": ("#severity+alert", "enum", vocab.AlertLevel),
    "alert_closed": ("#severity+alert+closed", "bool", None),
    "target_group": ("#targeted+group", "enum", vocab.TargetGroup),
    "participants_total": ("#reached+participants+total", "int", None),
    "participants_women": ("#reached+participants+f", "int", None),
    "training_days": ("#meta+days+num", "int", None),
    "reference_number": ("#meta+reference", "text", None),
    "report_kind": ("#meta+report_kind", "enum", vocab.ReportKind),
    "recipients": ("#meta+recipients+list", "enum_list", vocab.Recipient),
    "self_initiated": ("#meta+self_initiated", "bool", None),
    "period_from": ("#date+period+start", "date", None),
    "period_to": ("#date+period+end", "date", None),
    "meeting_kind": ("#meta+meeting_kind", "enum", vocab.MeetingKind),
    "meeting_level": ("#meta+meeting_level", "enum", vocab.MeetingLevel),
    "organisations_present": ("#org+present", "text", None),
    "event_kind": ("#meta+event_kind", "enum", vocab.EventKind),
    "attendees": ("#reached+attendees", "int", None),
    "outcome": ("#meta+outcome", "text", None),
    "audience_reached": ("#reached+audience", "int", None),
    "assistance_kind": ("#meta+assistance_kind", "enum", vocab.AssistanceKind),
    "research_topic": ("#meta+research_topic", "text", None),
}


def _owner(name: str) -> ActivityType:
    return next(t for t, fields in TYPE_FIELDS.items() if name in fields)


_SPECIFIC = [
    _c(name, hxl, f"{_owner(name).label} records only.", kind, enum)
    for name in ALL_TYPE_FIELDS
    for hxl, kind, enum in [_TYPE_SPECIFIC[name]]
]

_EXPORT_ONLY = [
    _c(
        "status", "#status", "Workflow state (export only).", "enum", vocab.Status, export_only=True
    ),
    _c(
        "country",
        "#country+name",
        "Host country of the lead mission (export only).",
        export_only=True,
    ),
]

COLUMNS: list[Column] = [*_COMMON, *_SPECIFIC, *_EXPORT_ONLY]
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
NAMES: list[str] = [c.name for c in COLUMNS]
IMPORT_NAMES: list[str] = [c.name for c in COLUMNS if not c.export_only]
REQUIRED: list[str] = [c.name for c in COLUMNS if c.required]
LIST_KINDS = frozenset({"list", "enum_list"})

TRUE_WORDS = frozenset({"yes", "y", "true", "1", "x"})
FALSE_WORDS = frozenset({"no", "n", "false", "0"})
