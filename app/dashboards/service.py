"""Counting activities per mission: the mission summary and the comparison.

A mission's figures count every activity it leads or takes part in, so a joint
visit shows on both missions; people trained count once, for the lead mission.
Callers pass `visible`, a SQL condition on activities saying what the reader
may see; drafts are not everyone's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.activities.models import Activity, ActivityTheme, activity_other_missions
from app.dashboards.schemas import (
    CompareRow,
    Comparison,
    Headline,
    JointActivity,
    MissionSummary,
    Period,
)
from app.missions import service as missions
from app.missions.models import Mission
from app.partial_dates import PartialDate
from app.vocab import ActivityType, ResponseArea, Theme

AXES = {
    "area": ResponseArea.values(),
    "type": ActivityType.values(),
    "theme": Theme.values(),
}

OPEN_ALERT = and_(
    Activity.type == ActivityType.MONITORING_VISIT.value,
    Activity.alert_level.in_(("low", "elevated", "high")),
    func.coalesce(Activity.alert_closed, False).is_(False),
)


def _involvement():
    """(activity_id, mission_id) for every mission leading or taking part in an activity."""
    lead = select(
        Activity.id.label("activity_id"),
        Activity.mission_id.label("mission_id"),
        literal(True).label("is_lead"),
    )
    joint = select(
        activity_other_missions.c.activity_id,
        activity_other_missions.c.mission_id,
        literal(False).label("is_lead"),
    )
    return union_all(lead, joint).subquery("involvement")


def _figures(
    session: Session,
    *,
    period: Period,
    visible: ColumnElement[bool] | None,
    theme: str | None = None,
    dimension: str | None = None,
    mission_id: int | None = None,
    axis: str = "area",
):
    """Rows of (mission_id, column, count, trained, women, women_known_total, visits,
    reports, meetings, open_alerts, last_start), grouped by mission and the axis."""
    inv = _involvement()
    column = {
        "area": Activity.response_area,
        "type": Activity.type,
        "theme": ActivityTheme.theme,
    }[axis]
    # People trained count once, for the lead mission; the activity counts for every mission.
    is_training = and_(Activity.type == ActivityType.TRAINING.value, inv.c.is_lead)

    def count_if(condition) -> ColumnElement[int]:
        return func.sum(case((condition, 1), else_=0))

    query = (
        select(
            inv.c.mission_id,
            column.label("col"),
            func.count().label("n"),
            func.sum(case((is_training, func.coalesce(Activity.participants_total, 0)), else_=0)),
            func.sum(case((is_training, func.coalesce(Activity.participants_women, 0)), else_=0)),
            func.sum(
                case(
                    (
                        and_(is_training, Activity.participants_women.is_not(None)),
                        func.coalesce(Activity.participants_total, 0),
                    ),
                    else_=0,
                )
            ),
            count_if(Activity.type == ActivityType.MONITORING_VISIT.value),
            count_if(Activity.type == ActivityType.REPORT.value),
            count_if(Activity.type == ActivityType.MEETING.value),
            count_if(OPEN_ALERT),
            func.max(Activity.start_date),
        )
        .select_from(inv)
        .join(Activity, Activity.id == inv.c.activity_id)
    )
    if axis == "theme":
        query = query.join(ActivityTheme, ActivityTheme.activity_id == Activity.id)
    elif theme:
        query = query.where(
            Activity.id.in_(select(ActivityTheme.activity_id).where(ActivityTheme.theme == theme))
        )
    if axis == "theme" and theme:
        query = query.where(ActivityTheme.theme == theme)
    if dimension:
        query = query.where(Activity.dimension == dimension)
    if period.start:
        query = query.where(Activity.start_date >= period.start)
    if period.end:
        query = query.where(Activity.start_date <= period.end)
    if mission_id is not None:
        query = query.where(inv.c.mission_id == mission_id)
    if visible is not None:
        query = query.where(visible)
    return session.execute(query.group_by(inv.c.mission_id, column)).all()


def _headline(rows: Sequence) -> Headline:
    head = Headline()
    known_total = 0
    for row in rows:
        _, _, n, trained, women, with_split, visits, reports, meetings, alerts, last = row
        head.activities += n
        head.participants_trained += int(trained or 0)
        head.participants_women += int(women or 0)
        known_total += int(with_split or 0)
        head.monitoring_visits += int(visits or 0)
        head.reports += int(reports or 0)
        head.meetings += int(meetings or 0)
        head.open_alerts += int(alerts or 0)
        if last is not None and (head.last_activity is None or last > head.last_activity):
            head.last_activity = last
    if known_total:
        head.women_share = round(head.participants_women / known_total, 3)
    return head


def mission_summary(
    session: Session,
    *,
    mission: Mission,
    period: Period,
    visible: ColumnElement[bool] | None = None,
) -> MissionSummary:
    """Headline figures and counts by type and response area for one mission."""
    by_area_rows = _figures(
        session, period=period, visible=visible, mission_id=mission.id, axis="area"
    )
    by_type_rows = _figures(
        session, period=period, visible=visible, mission_id=mission.id, axis="type"
    )
    return MissionSummary(
        mission=mission.code,
        name=mission.name,
        period=period,
        headline=_headline(by_area_rows),
        by_type={t: 0 for t in AXES["type"]} | {row[1]: row[2] for row in by_type_rows},
        by_area={a: 0 for a in AXES["area"]} | {row[1]: row[2] for row in by_area_rows},
        migration_focal_point_since=missions.migration_focal_point_since(mission.focal_points),
    )


def compare(
    session: Session,
    *,
    period: Period,
    theme: str | None = None,
    dimension: str | None = None,
    axis: str = "area",
    visible: ColumnElement[bool] | None = None,
    joint_limit: int = 50,
) -> Comparison:
    """The missions × `axis` matrix, headline figures per mission and joint activities."""
    matrix_rows = _figures(
        session, period=period, visible=visible, theme=theme, dimension=dimension, axis=axis
    )
    if axis == "area":
        headline_rows = matrix_rows
    else:
        headline_rows = _figures(
            session, period=period, visible=visible, theme=theme, dimension=dimension
        )
    per_mission_matrix: dict[int, dict[str, int]] = defaultdict(dict)
    for row in matrix_rows:
        per_mission_matrix[row[0]][row[1]] = row[2]
    per_mission_head: dict[int, list] = defaultdict(list)
    for row in headline_rows:
        per_mission_head[row[0]].append(row)

    rows = []
    for mission in missions.get_all(session):
        cells = {c: 0 for c in AXES[axis]} | per_mission_matrix.get(mission.id, {})
        rows.append(
            CompareRow(
                mission=mission.code,
                name=mission.name,
                migration_focal_point_since=missions.migration_focal_point_since(
                    mission.focal_points
                ),
                headline=_headline(per_mission_head.get(mission.id, [])),
                cells=cells,
            )
        )
    return Comparison(
        period=period,
        theme=theme,
        dimension=dimension,
        axis=axis,
        columns=AXES[axis],
        rows=rows,
        joint_activities=_joint_activities(
            session,
            period=period,
            theme=theme,
            dimension=dimension,
            visible=visible,
            limit=joint_limit,
        ),
    )


def _joint_activities(
    session: Session,
    *,
    period: Period,
    theme: str | None,
    dimension: str | None,
    visible: ColumnElement[bool] | None,
    limit: int,
) -> list[JointActivity]:
    query = select(Activity).where(Activity.id.in_(select(activity_other_missions.c.activity_id)))
    if theme:
        query = query.where(
            Activity.id.in_(select(ActivityTheme.activity_id).where(ActivityTheme.theme == theme))
        )
    if dimension:
        query = query.where(Activity.dimension == dimension)
    if period.start:
        query = query.where(Activity.start_date >= period.start)
    if period.end:
        query = query.where(Activity.start_date <= period.end)
    if visible is not None:
        query = query.where(visible)
    result = []
    for activity in session.scalars(query.order_by(Activity.start_date, Activity.id).limit(limit)):
        result.append(
            JointActivity(
                id=activity.id,
                title=activity.title,
                start=PartialDate.of(activity.start_date, activity.start_precision),
                missions=[activity.mission.code, *(m.code for m in activity.other_missions)],
                type=activity.type,
                response_area=activity.response_area,
            )
        )
    return result


def period_from_params(start: PartialDate | None, end: PartialDate | None) -> Period:
    """A period from two partial dates: from the first day of `start` to the last of `end`."""
    return Period(start=start.start if start else None, end=end.end if end else None)
