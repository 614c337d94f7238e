"""What a mission summary and the comparison hold: built once, shown as page and JSON."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from app.schemas_common import PartialDateField


class Period(BaseModel):
    start: date | None = Field(description="First day counted, or null for no lower bound.")
    end: date | None = Field(description="Last day counted, or null for no upper bound.")


class Headline(BaseModel):
    activities: int = 0
    monitoring_visits: int = 0
    participants_trained: int = 0
    participants_women: int = 0
    women_share: float | None = Field(
        default=None, description="Women among participants where the split is known, 0–1."
    )
    reports: int = 0
    meetings: int = 0
    open_alerts: int = 0
    last_activity: date | None = None


class MissionSummary(BaseModel):
    mission: str
    name: str
    period: Period
    headline: Headline
    by_type: dict[str, int]
    by_area: dict[str, int]
    migration_focal_point_since: PartialDateField | None


class CompareRow(BaseModel):
    mission: str
    name: str
    migration_focal_point_since: PartialDateField | None
    headline: Headline
    cells: dict[str, int] = Field(description="Activities per column of the matrix.")


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
    columns: list[str]
    rows: list[CompareRow]
    joint_activities: list[JointActivity]
