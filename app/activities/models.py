"""The activity record, its type-specific fields and its many-to-many links.

All types share one table: each type's own fields are nullable columns, and a
CHECK constraint per field keeps them NULL on every other type.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.activities.fields import TYPE_FIELDS
from app.db import Base
from app.missions.models import Location, Mission, Partner, Project
from app.models_common import IDS_NEVER_REUSED, enum_check, precision_check, utcnow
from app.vocab import (
    ActivityType,
    AlertLevel,
    AssistanceKind,
    Dimension,
    EventKind,
    MeetingKind,
    MeetingLevel,
    Provenance,
    ReportKind,
    ResponseArea,
    Status,
    TargetGroup,
    Theme,
)

COUNT_FIELDS = (
    "team_size",
    "persons_observed",
    "participants_total",
    "participants_women",
    "participants_men",
    "training_days",
    "attendees",
    "audience_reached",
)

activity_other_missions = Table(
    "activity_missions",
    Base.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("mission_id", ForeignKey("missions.id"), primary_key=True),
    Index("ix_activity_missions_mission_id", "mission_id"),
)

activity_locations = Table(
    "activity_locations",
    Base.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("location_id", ForeignKey("locations.id"), primary_key=True),
    Index("ix_activity_locations_location_id", "location_id"),
)

activity_partners = Table(
    "activity_partners",
    Base.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("partner_id", ForeignKey("partners.id"), primary_key=True),
    Index("ix_activity_partners_partner_id", "partner_id"),
)


class ActivityTheme(Base):
    """One theme of an activity; a row each so lists and comparisons filter by theme."""

    __tablename__ = "activity_themes"
    __table_args__ = (
        enum_check("theme", Theme.values()),
        Index("ix_activity_themes_theme_activity_id", "theme", "activity_id"),
    )

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    theme: Mapped[str] = mapped_column(String(40), primary_key=True)


class ActivityTargetGroup(Base):
    """One target group of a training; a row each, as themes are, so the dashboards
    count a training in each of its groups' rows with a plain join."""

    __tablename__ = "activity_target_groups"
    __table_args__ = (
        enum_check("target_group", TargetGroup.values()),
        Index("ix_activity_target_groups_target_group_activity_id", "target_group", "activity_id"),
    )

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    target_group: Mapped[str] = mapped_column(String(32), primary_key=True)


# A type's own fields kept in a table of their own, not in a column of activities: the
# service keeps them empty on other types (a CHECK cannot look into another table).
STORED_APART = frozenset({"target_groups"})


# The list's sort keys and the column each is indexed on.
LIST_SORT_COLUMNS = {
    "start": "start_date",
    "title": "title",
    "created": "created_at",
    "updated": "updated_at",
    "id": None,
}


def list_indexes() -> list[Index]:
    """The indexes the activity list's branches walk (app/activities/listing.py).

    `ix_activities_list_<sort>`: (mission_id, status, <sort column>, id), one per sort
    order, so one lead mission in one status is one range already in order; its twin
    `ix_activities_joint_<sort>` holds the joint records only (a mission filter reads
    the records other missions lead that it takes part in). `_id`: the exports' order.
    """
    indexes = []
    for sort, column in LIST_SORT_COLUMNS.items():
        columns = ["mission_id", "status", *([column] if column else []), "id"]
        indexes.append(Index(f"ix_activities_list_{sort}", *columns))
        indexes.append(
            Index(
                f"ix_activities_joint_{sort}",
                *columns,
                sqlite_where=text("is_joint = 1"),
                postgresql_where=text("is_joint"),
            )
        )
    return indexes


def _type_field_checks() -> list[CheckConstraint]:
    checks = []
    for activity_type, fields in TYPE_FIELDS.items():
        for field in fields:
            if field in STORED_APART:
                continue
            checks.append(
                CheckConstraint(
                    f"type = '{activity_type.value}' OR {field} IS NULL",
                    name=f"{field}_only_on_{activity_type.value}",
                )
            )
    return checks


class Activity(Base):
    """What a mission did: a monitoring visit, training, report, meeting, …"""

    __tablename__ = "activities"
    __table_args__ = (
        enum_check("type", ActivityType.values()),
        enum_check("response_area", ResponseArea.values()),
        enum_check("dimension", Dimension.values()),
        enum_check("status", Status.values()),
        enum_check("provenance", Provenance.values()),
        precision_check("start_precision"),
        precision_check("end_precision"),
        CheckConstraint(
            "(end_date IS NULL) = (end_precision IS NULL)", name="end_date_with_precision"
        ),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        CheckConstraint(
            "period_to IS NULL OR period_from IS NULL OR period_to >= period_from",
            name="period_to_after_from",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        enum_check("alert_level", AlertLevel.values()),
        enum_check("report_kind", ReportKind.values()),
        enum_check("meeting_kind", MeetingKind.values()),
        enum_check("meeting_level", MeetingLevel.values()),
        enum_check("event_kind", EventKind.values()),
        enum_check("assistance_kind", AssistanceKind.values()),
        *[
            CheckConstraint(f"{f} IS NULL OR {f} >= 0", name=f"{f}_not_negative")
            for f in COUNT_FIELDS
        ],
        CheckConstraint(
            "participants_total IS NULL "
            "OR coalesce(participants_women, 0) + coalesce(participants_men, 0) "
            "<= participants_total",
            name="women_and_men_within_total",
        ),
        *_type_field_checks(),
        # The list's filters and its default order (newest first, id as tie-breaker).
        Index("ix_activities_mission_id_start_date_id", "mission_id", "start_date", "id"),
        Index("ix_activities_start_date_id", "start_date", "id"),
        Index("ix_activities_type_start_date", "type", "start_date"),
        Index("ix_activities_response_area_start_date", "response_area", "start_date"),
        Index("ix_activities_status_mission_id", "status", "mission_id"),
        Index("ix_activities_is_joint_start_date", "is_joint", "start_date"),
        *list_indexes(),
        # "My work": a person's own records of their mission by status, from one range
        # (with only created_by_id indexed, SQLite without statistics may read the whole
        # mission's range of a list index instead).
        Index("ix_activities_created_by_mission_status", "created_by_id", "mission_id", "status"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"))
    type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    start_date: Mapped[date] = mapped_column(Date)
    start_precision: Mapped[str] = mapped_column(String(8))
    end_date: Mapped[date | None] = mapped_column(Date)
    end_precision: Mapped[str | None] = mapped_column(String(8))
    dimension: Mapped[str] = mapped_column(String(32))
    response_area: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(300), default="")
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=Status.DRAFT.value)
    review_comment: Mapped[str | None] = mapped_column(Text)
    provenance: Mapped[str] = mapped_column(String(16), default=Provenance.ENTERED.value)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # Kept equal to "has other missions" by the service, so joint lists use an index.
    is_joint: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # monitoring_visit
    team: Mapped[str | None] = mapped_column(String(200))
    team_size: Mapped[int | None] = mapped_column(Integer)
    overnight: Mapped[bool | None] = mapped_column(Boolean)
    persons_observed: Mapped[int | None] = mapped_column(Integer)
    observations: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    alert_level: Mapped[str | None] = mapped_column(String(16))
    alert_closed: Mapped[bool | None] = mapped_column(Boolean)
    # training
    participants_total: Mapped[int | None] = mapped_column(Integer)
    participants_women: Mapped[int | None] = mapped_column(Integer)
    participants_men: Mapped[int | None] = mapped_column(Integer)
    training_days: Mapped[int | None] = mapped_column(Integer)
    # report
    reference_number: Mapped[str | None] = mapped_column(String(80))
    report_kind: Mapped[str | None] = mapped_column(String(16))
    recipients: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    self_initiated: Mapped[bool | None] = mapped_column(Boolean)
    period_from: Mapped[date | None] = mapped_column(Date)
    period_to: Mapped[date | None] = mapped_column(Date)
    # meeting
    meeting_kind: Mapped[str | None] = mapped_column(String(16))
    meeting_level: Mapped[str | None] = mapped_column(String(16))
    organisations_present: Mapped[str | None] = mapped_column(Text)
    # event
    event_kind: Mapped[str | None] = mapped_column(String(16))
    attendees: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(Text)
    # awareness
    audience_reached: Mapped[int | None] = mapped_column(Integer)
    # assistance
    assistance_kind: Mapped[str | None] = mapped_column(String(16))
    # research_support
    research_topic: Mapped[str | None] = mapped_column(String(300))

    __mapper_args__ = {"version_id_col": version}

    mission: Mapped[Mission] = relationship(lazy="joined", innerjoin=True)
    project: Mapped[Project | None] = relationship()
    other_missions: Mapped[list[Mission]] = relationship(
        secondary=activity_other_missions, order_by=Mission.code
    )
    locations: Mapped[list[Location]] = relationship(
        secondary=activity_locations, order_by=Location.name
    )
    partners: Mapped[list[Partner]] = relationship(
        secondary=activity_partners, order_by=Partner.name
    )
    theme_rows: Mapped[list[ActivityTheme]] = relationship(
        cascade="all, delete-orphan", order_by=ActivityTheme.theme
    )
    target_group_rows: Mapped[list[ActivityTargetGroup]] = relationship(
        cascade="all, delete-orphan", order_by=ActivityTargetGroup.target_group
    )

    @property
    def themes(self) -> list[str]:
        return [row.theme for row in self.theme_rows]

    @themes.setter
    def themes(self, values: list[str]) -> None:
        wanted = sorted(set(values))  # the order they read back in
        keep = [row for row in self.theme_rows if row.theme in wanted]
        have = {row.theme for row in keep}
        self.theme_rows = keep + [ActivityTheme(theme=t) for t in wanted if t not in have]

    @property
    def target_groups(self) -> list[str] | None:
        """A training's groups in code order; None when none is recorded (as a type's
        own field reads on every other type)."""
        return [row.target_group for row in self.target_group_rows] or None

    @target_groups.setter
    def target_groups(self, values: list[str] | None) -> None:
        wanted = sorted(set(values or ()))  # the order they read back in
        keep = [row for row in self.target_group_rows if row.target_group in wanted]
        have = {row.target_group for row in keep}
        self.target_group_rows = keep + [
            ActivityTargetGroup(target_group=g) for g in wanted if g not in have
        ]


class IdempotencyKey(Base):
    """A create's key, chosen on the sender's device: a resend with the same key answers
    with the record it made (app/activities/idempotency.py), never a second one.

    `activity_id` becomes NULL when that record is deleted, so the key still answers, with
    why there is no record, instead of making a new one.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the validated create body as canonical JSON: key order and spacing aside.
    body_hash: Mapped[str] = mapped_column(String(64))
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
