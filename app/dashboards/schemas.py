"""What the mission dashboard, the summary and the comparison hold: built once by the
service, rendered as a page and returned as JSON."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from app.schemas_common import PartialDateField


class Period(BaseModel):
    start: date | None = Field(description="First day counted, or null for no lower bound.")
    end: date | None = Field(description="Last day counted, or null for no upper bound.")


class Headline(BaseModel):
    """Figures over the approved records whose date lies wholly in the period."""

    activities: int = 0
    monitoring_visits: int = 0
    participants_trained: int = 0
    participants_women: int = 0
    participants_sex_recorded: int = Field(
        default=0,
        description="People trained whose sex was recorded (the women and the men given): "
        "what women_share is taken over.",
    )
    participants_sex_not_recorded: int = Field(
        default=0, description="People trained whose sex was not recorded."
    )
    women_share: float | None = Field(
        default=None,
        description="Women among the people whose sex was recorded, 0–1; null when none was. "
        "Never over everyone trained: see women_share_text.",
    )
    women_share_text: str = Field(
        default="",
        description='The share in words, as the pages and reports give it, e.g. "29% women, '
        'of 24 people where recorded; 430 not recorded".',
    )
    reports: int = 0
    meetings: int = 0
    open_alerts: int = Field(
        default=0, description="Approved monitoring visits with an alert that is not closed."
    )
    not_approved: dict[str, int] = Field(
        default_factory=dict,
        description="Records you may also see that are not approved, per status (draft, "
        "submitted, returned): counted apart, never in the figures above.",
    )
    may_be_in_period: int = Field(
        default=0,
        description="Approved records dated only to a month, quarter or year that overlaps "
        "the period without lying wholly in it: they may fall in it, and are not counted.",
    )
    reconstructed: int = Field(
        default=0, description="Of the activities counted, how many are reconstructed."
    )
    synthetic: int = Field(
        default=0, description="Of the activities counted, how many are synthetic (demo)."
    )
    last_activity: PartialDateField | None = Field(
        default=None, description="Date of the latest activity, with its precision."
    )


class MissionSummary(BaseModel):
    mission: str
    name: str
    period: Period
    headline: Headline
    by_type: dict[str, int]
    by_area: dict[str, int]
    migration_focal_point_since: PartialDateField | None


class UnknownMonth(BaseModel):
    """Records known only to a quarter or a year: drawn apart, never in its first month."""

    label: str = Field(description='e.g. "2015, month unknown"')
    start: date
    end: date
    inside: bool = Field(description="The quarter or year lies wholly in the period.")
    series: dict[str, int]


class Series(BaseModel):
    """Approved records per month (YYYY-MM) for each named series, and apart from the
    months those known only to their quarter or year."""

    months: list[str]
    series: dict[str, list[int]]
    unknown: list[UnknownMonth] = Field(default_factory=list)


class Heatmap(BaseModel):
    """Monitoring visits per location (rows) and week (columns, the Mondays)."""

    weeks: list[date]
    locations: list[str]
    counts: list[list[int]]
    truncated_from: date | None = Field(
        default=None, description="Set when the period was longer than the weeks shown."
    )


class TrainingGroup(BaseModel):
    """One target group's trainings; a training with several groups is in each one's row."""

    target_group: str
    trainings: int
    participants: int
    women: int
    men: int = Field(description="Men, where recorded.")
    not_recorded: int = Field(description="Participants whose sex was not recorded.")


class ActivityLine(BaseModel):
    id: int
    title: str
    start: PartialDateField
    type: str
    status: str
    mission: str
    reference_number: str | None = None
    report_kind: str | None = None


class TimelineItem(BaseModel):
    kind: str = Field(description="development or activity")
    date: PartialDateField
    title: str
    id: int | None = None
    code: str | None = None
    type: str | None = None


class FocalPointLine(BaseModel):
    area: str
    holder: str
    start: PartialDateField
    end: PartialDateField | None


class PlaceFigures(BaseModel):
    """One place on the map: approved activities wholly in the period there (counting.py),
    by type, with its open alerts. A record at several places counts at each."""

    code: str
    name: str
    country: str = Field(description="ISO 3166-1 alpha-2 code (XK for Kosovo).")
    country_name: str
    latitude: float | None
    longitude: float | None
    activities: int
    by_type: dict[str, int]
    main_type: str = Field(description="The type most of its activities are (the marker colour).")
    open_alerts: int
    reconstructed: int = 0
    synthetic: int = 0


class MissionDashboard(BaseModel):
    summary: MissionSummary
    by_month: Series
    visits: Heatmap
    trainings: list[TrainingGroup]
    reports: list[ActivityLine]
    focal_points: list[FocalPointLine]
    timeline: list[TimelineItem]
    review_queue: list[ActivityLine]
    review_queue_total: int
    places: list[PlaceFigures] = Field(
        default_factory=list, description="Activities per place, largest first (the map)."
    )


class CompareRow(BaseModel):
    mission: str
    name: str
    migration_focal_point_since: PartialDateField | None
    headline: Headline
    cells: dict[str, int] = Field(description="Approved activities per column of the matrix.")
    reconstructed_cells: dict[str, int] = Field(
        default_factory=dict, description="Of each cell's activities, how many are reconstructed."
    )


class JointActivity(BaseModel):
    id: int
    title: str
    start: PartialDateField
    missions: list[str]
    type: str
    response_area: str


class Comparison(BaseModel):
    period: Period
    theme: str | None
    dimension: str | None
    axis: str = Field(description="What the matrix columns are: area, type or theme.")
    reconstructed_shown: bool = Field(
        default=True, description="Whether reconstructed records are counted."
    )
    columns: list[str]
    rows: list[CompareRow]
    by_month: Series = Field(description="Activities per month for each mission.")
    joint_activities: list[JointActivity]
    places: list[PlaceFigures] = Field(
        default_factory=list,
        description="Activities per place for all missions (each counted once), largest first.",
    )
