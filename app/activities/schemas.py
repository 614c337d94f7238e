"""Request and response shapes for activities.

Shape rules live here (types, enums, lengths, ranges); rules that need the
database or several fields at once live in `service.validate`.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from app.partial_dates import PartialDate
from app.schemas_common import (
    Code,
    Count,
    InputModel,
    OutputModel,
    PartialDateField,
    Text,
)
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


class TypeFields(InputModel):
    """The fields that belong to one activity type each (see vocab.TYPE_FIELDS)."""

    team: Text(200) | None = None
    team_size: Count | None = None
    overnight: bool | None = None
    persons_observed: Count | None = None
    observations: Text(10_000) | None = None
    findings: list[Finding] | None = Field(default=None, max_length=len(Finding))
    alert_level: AlertLevel | None = None
    alert_closed: bool | None = None
    target_group: TargetGroup | None = None
    participants_total: Count | None = None
    participants_women: Count | None = None
    training_days: Count | None = None
    reference_number: Text(80) | None = None
    report_kind: ReportKind | None = None
    recipients: list[Recipient] | None = Field(default=None, max_length=len(Recipient))
    self_initiated: bool | None = None
    period_from: PartialDateField | None = None
    period_to: PartialDateField | None = None
    meeting_kind: MeetingKind | None = None
    meeting_level: MeetingLevel | None = None
    organisations_present: Text(2_000) | None = None
    event_kind: EventKind | None = None
    attendees: Count | None = None
    outcome: Text(2_000) | None = None
    audience_reached: Count | None = None
    assistance_kind: AssistanceKind | None = None
    research_topic: Text(300) | None = None


class ActivityCreate(TypeFields):
    mission: Code = Field(description="Code of the lead mission, e.g. MKD.")
    other_missions: list[Code] = Field(
        default_factory=list, max_length=20, description="Codes of the missions taking part."
    )
    type: ActivityType
    title: Text(300, min_length=1)
    start: PartialDateField
    end: PartialDateField | None = None
    locations: list[Code] = Field(default_factory=list, max_length=50)
    partners: list[Code] = Field(default_factory=list, max_length=50)
    project: Code | None = None
    dimension: Dimension
    response_area: ResponseArea
    themes: list[Theme] = Field(default_factory=list, max_length=len(Theme))
    summary: Text(10_000) = ""
    source: Text(300) = ""
    external_id: Text(120) | None = Field(
        default=None, description="A stable id from the system the record came from."
    )


LIST_FIELDS = frozenset({"other_missions", "locations", "partners", "themes"})


class ActivityUpdate(TypeFields):
    """PATCH body: only the fields sent change; `version` must match the stored one."""

    version: int = Field(ge=1, le=2_147_483_647, description="The version you last read.")
    other_missions: list[Code] | None = Field(default=None, max_length=20)
    type: ActivityType | None = None
    title: Text(300, min_length=1) | None = None
    start: PartialDateField | None = None
    end: PartialDateField | None = None
    locations: list[Code] | None = Field(default=None, max_length=50)
    partners: list[Code] | None = Field(default=None, max_length=50)
    project: Code | None = None
    dimension: Dimension | None = None
    response_area: ResponseArea | None = None
    themes: list[Theme] | None = Field(default=None, max_length=len(Theme))
    summary: Text(10_000) | None = None
    source: Text(300) | None = None

    @field_validator(
        "type",
        "title",
        "start",
        "dimension",
        "response_area",
        "summary",
        "source",
        "other_missions",
        "locations",
        "partners",
        "themes",
        mode="after",
    )
    @classmethod
    def _not_null(cls, value, info):
        """Leave a field out to keep it; null would erase something the record needs."""
        if value is None:
            hint = " (send [] to empty the list)" if info.field_name in LIST_FIELDS else ""
            raise ValueError(f"{info.field_name} cannot be null{hint}")
        return value


class ActivityRead(OutputModel):
    id: int
    external_id: str | None
    mission: str
    other_missions: list[str]
    is_joint: bool
    type: ActivityType
    title: str
    start: PartialDateField
    end: PartialDateField | None
    locations: list[str]
    partners: list[str]
    project: str | None
    dimension: Dimension
    response_area: ResponseArea
    themes: list[Theme]
    summary: str
    source: str
    status: Status
    review_comment: str | None
    provenance: Provenance
    created_at: datetime
    updated_at: datetime
    version: int
    team: str | None = None
    team_size: int | None = None
    overnight: bool | None = None
    persons_observed: int | None = None
    observations: str | None = None
    findings: list[Finding] | None = None
    alert_level: AlertLevel | None = None
    alert_closed: bool | None = None
    target_group: TargetGroup | None = None
    participants_total: int | None = None
    participants_women: int | None = None
    training_days: int | None = None
    reference_number: str | None = None
    report_kind: ReportKind | None = None
    recipients: list[Recipient] | None = None
    self_initiated: bool | None = None
    period_from: str | None = None
    period_to: str | None = None
    meeting_kind: MeetingKind | None = None
    meeting_level: MeetingLevel | None = None
    organisations_present: str | None = None
    event_kind: EventKind | None = None
    attendees: int | None = None
    outcome: str | None = None
    audience_reached: int | None = None
    assistance_kind: AssistanceKind | None = None
    research_topic: str | None = None


class ActivityPage(OutputModel):
    items: list[ActivityRead]
    total: int = Field(description="How many activities match the filters.")
    limit: int
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


__all__ = ["ActivityCreate", "ActivityPage", "ActivityRead", "ActivityUpdate", "PartialDate"]
