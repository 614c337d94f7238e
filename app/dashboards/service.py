"""Counting activities per mission: the mission dashboard, its summary and the comparison.

A mission's figures count every activity it leads or takes part in, so a joint
visit shows on both missions; people trained count once, for the lead mission.
Everything is filtered by what the reader may see (app/activities/policy.py).

Counts come from the aggregates (app/activities/aggregates.py) for whole years and
months, and from the raw activities only for the days left at the ends of the
period (app/dashboards/periods.py), so the cost does not grow with the data.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session, selectinload

from app.activities import counting, policy
from app.activities.aggregate_models import ActivityStat, TrainingStat, VisitStat
from app.activities.aggregates import week_of
from app.activities.models import Activity, ActivityTargetGroup, ActivityTheme
from app.dashboards import periods
from app.dashboards.schemas import (
    ActivityLine,
    CompareRow,
    Comparison,
    FocalPointLine,
    Headline,
    Heatmap,
    JointActivity,
    MissionDashboard,
    MissionSummary,
    Period,
    Series,
    TimelineItem,
    TrainingGroup,
)
from app.missions import service as missions
from app.missions.models import Location, Mission
from app.partial_dates import PartialDate
from app.vocab import ActivityType, DatePrecision, ResponseArea, Status, TargetGroup, Theme

AXES = {
    "area": ResponseArea.values(),
    "type": ActivityType.values(),
    "theme": Theme.values(),
}
HEATMAP_MAX_WEEKS = 104
LIST_LIMIT = 20

# A figures row: (mission_id, column, n, trained, women, split, alerts). The same shape
# comes from the aggregates and from the raw rows, counted by app/activities/counting.py.
Row = tuple
FIGURES = counting.FIGURES


def period_from_params(start: PartialDate | None, end: PartialDate | None) -> Period:
    """A period from two partial dates: from the first day of `start` to the last of `end`."""
    return Period(start=start.start if start else None, end=end.end if end else None)


# --- figures by mission and a column (area, type or theme) ----------------------------------


def _level(axis: str, dimension: str | None) -> str:
    """The aggregate level that answers this question with the fewest rows."""
    if dimension:
        return "fine"
    return {"area": "area", "type": "type", "theme": "all", "mission": "all"}[axis]


def _stat_figures(session, segment, *, user, axis, theme, dimension, mission_id) -> list[Row]:
    t = ActivityStat.__table__
    column = {"area": t.c.response_area, "type": t.c.type, "theme": t.c.theme}[axis]
    query = select(
        t.c.mission_id,
        column,
        *(func.sum(policy.visible_stat(user, t, figure)) for figure in FIGURES),
    ).where(
        t.c.grain == segment.kind,
        t.c.level == _level(axis, dimension),
        t.c.period >= segment.start,
        t.c.period <= segment.end,
    )
    if axis == "theme":
        query = query.where(t.c.theme == theme if theme else t.c.theme != "")
    else:
        query = query.where(t.c.theme == (theme or ""))
    if dimension:
        query = query.where(t.c.dimension == dimension)
    if mission_id is not None:
        query = query.where(t.c.mission_id == mission_id)
    return list(session.execute(query.group_by(t.c.mission_id, column)))


def _raw_figures(session, segment, *, user, axis, theme, dimension, mission_id) -> list[Row]:
    inv = counting.involvement()
    columns = {"area": Activity.response_area, "type": Activity.type, "theme": ActivityTheme.theme}
    column = columns[axis]
    query = (
        select(inv.c.mission_id, column, *counting.figures_sql(is_lead=inv.c.is_lead))
        .select_from(inv)
        .join(Activity, Activity.id == inv.c.activity_id)
        .where(
            Activity.start_date >= segment.start,
            Activity.start_date <= segment.end,
            policy.visible_activities(user),
        )
    )
    if axis == "theme":
        query = query.join(ActivityTheme, ActivityTheme.activity_id == Activity.id)
        if theme:
            query = query.where(ActivityTheme.theme == theme)
    elif theme:
        query = query.where(
            Activity.id.in_(select(ActivityTheme.activity_id).where(ActivityTheme.theme == theme))
        )
    if dimension:
        query = query.where(Activity.dimension == dimension)
    if mission_id is not None:
        query = query.where(inv.c.mission_id == mission_id)
    return list(session.execute(query.group_by(inv.c.mission_id, column)))


def figures(
    session: Session,
    *,
    period: Period,
    user,
    axis: str = "area",
    theme: str | None = None,
    dimension: str | None = None,
    mission_id: int | None = None,
) -> dict[tuple[int, str], list[int]]:
    """{(mission_id, column): [n, trained, women, split, alerts]} over the period."""
    totals: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0] * len(FIGURES))
    for segment in periods.split(period.start, period.end):
        read = _raw_figures if segment.kind == "raw" else _stat_figures
        rows = read(
            session,
            segment,
            user=user,
            axis=axis,
            theme=theme,
            dimension=dimension,
            mission_id=mission_id,
        )
        for row in rows:
            total = totals[(row[0], row[1])]
            for i, value in enumerate(row[2:]):
                total[i] += int(value or 0)
    return totals


def _headline(by_type: dict[str, list[int]]) -> Headline:
    """Headline figures from one mission's figures per activity type."""
    sums = [0] * len(FIGURES)
    for values in by_type.values():
        for i, value in enumerate(values):
            sums[i] += value
    n, trained, women, split, alerts = sums

    def count(activity_type: ActivityType) -> int:
        return by_type.get(activity_type.value, [0])[0]

    return Headline(
        activities=n,
        participants_trained=trained,
        participants_women=women,
        participants_sex_recorded=split,
        participants_sex_not_recorded=max(trained - split, 0),
        women_share=round(women / split, 3) if split else None,
        women_share_text=women_share_text(trained=trained, women=women, recorded=split),
        monitoring_visits=count(ActivityType.MONITORING_VISIT),
        reports=count(ActivityType.REPORT),
        meetings=count(ActivityType.MEETING),
        open_alerts=alerts,
    )


def _people(n: int) -> str:
    return f"{n:,} person" if n == 1 else f"{n:,} people"


def women_share_text(*, trained: int, women: int, recorded: int) -> str:
    """The share of women in words, over the people whose sex was recorded only, with how
    many that is and how many were not recorded: one wording for the dashboard, the
    comparison, the reports and the API (Headline.women_share_text)."""
    if not trained and not recorded:
        return ""
    if not recorded:
        return f"women and men not recorded for the {_people(trained)} trained"
    share = f"{women / recorded:.0%} women"
    not_recorded = max(trained - recorded, 0)
    if not not_recorded:
        return f"{share}, of {_people(recorded)}, all recorded"
    return f"{share}, of {_people(recorded)} where recorded; {not_recorded:,} not recorded"


# --- the mission summary and dashboard ------------------------------------------------------


def _in_period(query, period: Period, column=Activity.start_date):
    if period.start:
        query = query.where(column >= period.start)
    if period.end:
        query = query.where(column <= period.end)
    return query


def last_active_months(
    session: Session, *, period: Period, user, mission_id: int | None = None
) -> dict[int, PartialDate]:
    """The latest month with a visible activity, per mission (led or taken part in).

    Read from the monthly aggregates, so it is a month, shown as one ("Oct 2016").
    """
    t = ActivityStat.__table__
    query = select(t.c.mission_id, func.max(t.c.period)).where(
        t.c.grain == "month",
        t.c.level == "all",
        t.c.theme == "",
        policy.visible_stat(user, t, "n") > 0,
    )
    if period.start:
        query = query.where(t.c.period >= period.start.replace(day=1))
    if period.end:
        query = query.where(t.c.period <= period.end)
    if mission_id is not None:
        query = query.where(t.c.mission_id == mission_id)
    rows = session.execute(query.group_by(t.c.mission_id)).all()
    return {mid: PartialDate(month, DatePrecision.MONTH) for mid, month in rows if month}


def mission_summary(session: Session, *, mission: Mission, period: Period, user) -> MissionSummary:
    """Headline figures and counts by type and response area for one mission."""
    by_area = figures(session, period=period, user=user, axis="area", mission_id=mission.id)
    by_type = figures(session, period=period, user=user, axis="type", mission_id=mission.id)
    headline = _headline({col: v for (_, col), v in by_type.items()})
    headline.last_activity = last_active_months(
        session, period=period, user=user, mission_id=mission.id
    ).get(mission.id)
    return MissionSummary(
        mission=mission.code,
        name=mission.name,
        period=period,
        headline=headline,
        by_type={t: by_type.get((mission.id, t), [0])[0] for t in AXES["type"]},
        by_area={a: by_area.get((mission.id, a), [0])[0] for a in AXES["area"]},
        migration_focal_point_since=missions.migration_focal_point_since(mission.focal_points),
    )


def _month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _months_between(first: date, last: date) -> list[str]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(_month_key(day))
        day = periods.next_month(day)
    return months


def _data_bounds(session: Session, period: Period, *, user, mission_id: int | None) -> Period:
    """The period, with open ends closed at the first and last month that has activities
    `user` may see: another mission's drafts neither stretch nor reveal the axis."""
    if period.start and period.end:
        return period
    t = ActivityStat.__table__
    query = select(func.min(t.c.period), func.max(t.c.period)).where(
        t.c.grain == "month",
        t.c.level == "all",
        t.c.theme == "",
        policy.visible_stat(user, t, "n") > 0,
    )
    if mission_id is not None:
        query = query.where(t.c.mission_id == mission_id)
    first, last = session.execute(query).one()
    return Period(
        start=period.start or first,
        end=period.end or (periods.month_end(last) if last else None),
    )


def monthly_series(
    session: Session,
    *,
    period: Period,
    user,
    by: str,
    mission_id: int | None = None,
    theme: str | None = None,
    dimension: str | None = None,
) -> Series:
    """Activities per month, one series per mission (`by="mission"`) or per type."""
    bounds = _data_bounds(session, period, user=user, mission_id=mission_id)
    if bounds.start is None or bounds.end is None:
        return Series(months=[], series={})
    months = _months_between(bounds.start, bounds.end)
    index = {m: i for i, m in enumerate(months)}
    series: dict[str, list[int]] = {}
    t = ActivityStat.__table__
    for segment in periods.months_only(bounds.start, bounds.end):
        if segment.kind == "raw":
            rows = _raw_monthly(
                session,
                segment,
                user=user,
                by=by,
                mission_id=mission_id,
                theme=theme,
                dimension=dimension,
            )
        else:
            key = t.c.mission_id if by == "mission" else t.c.type
            # The period as text: turning a thousand SQLite date strings into dates
            # costs more than the query itself, and only "YYYY-MM" is needed.
            month = cast(t.c.period, String)
            query = select(month, key, func.sum(policy.visible_stat(user, t, "n"))).where(
                t.c.grain == "month",
                t.c.level == _level(by, dimension),
                t.c.theme == (theme or ""),
                t.c.period >= segment.start,
                t.c.period <= segment.end,
            )
            if mission_id is not None:
                query = query.where(t.c.mission_id == mission_id)
            if dimension:
                query = query.where(t.c.dimension == dimension)
            rows = session.execute(query.group_by(t.c.period, key)).all()
        for day, name, count in rows:
            if count:
                position = index[str(day)[:7]]
                series.setdefault(str(name), [0] * len(months))[position] += int(count)
    if by == "mission":
        codes = {m.id: m.code for m in missions.get_all(session)}
        series = {
            codes[int(k)]: v for k, v in sorted(series.items(), key=lambda kv: codes[int(kv[0])])
        }
    else:
        series = {t_: series[t_] for t_ in AXES["type"] if t_ in series}
    return Series(months=months, series=series)


def _raw_monthly(session, segment, *, user, by, mission_id, theme, dimension):
    inv = counting.involvement()
    key = inv.c.mission_id if by == "mission" else Activity.type
    query = (
        select(cast(Activity.start_date, String), key, func.count())
        .select_from(inv)
        .join(Activity, Activity.id == inv.c.activity_id)
        .where(
            Activity.start_date >= segment.start,
            Activity.start_date <= segment.end,
            policy.visible_activities(user),
        )
    )
    if mission_id is not None:
        query = query.where(inv.c.mission_id == mission_id)
    if theme:
        query = query.where(
            Activity.id.in_(select(ActivityTheme.activity_id).where(ActivityTheme.theme == theme))
        )
    if dimension:
        query = query.where(Activity.dimension == dimension)
    return session.execute(query.group_by(Activity.start_date, key)).all()


def visits_heatmap(session: Session, *, mission: Mission, period: Period, user) -> Heatmap:
    """Monitoring visits per location per week: weeks starting within the period, between
    the first and the last week with a visit `user` may see."""
    v = VisitStat.__table__
    visible = policy.visible_stat(user, v, "n", lead_column="mission_id")
    first, last = session.execute(
        select(func.min(v.c.week), func.max(v.c.week)).where(
            v.c.mission_id == mission.id, visible > 0
        )
    ).one()
    if first is None:
        return Heatmap(weeks=[], locations=[], counts=[])
    start = max(week_of(period.start) if period.start else first, first)
    end = min(period.end or last, last)
    truncated = None
    if (end - start).days // 7 + 1 > HEATMAP_MAX_WEEKS:
        truncated = start
        start = week_of(end) - timedelta(weeks=HEATMAP_MAX_WEEKS - 1)
    rows = session.execute(
        select(
            v.c.week,
            v.c.location_id,
            func.sum(visible),
        )
        .where(v.c.mission_id == mission.id, v.c.week >= start, v.c.week <= end)
        .group_by(v.c.week, v.c.location_id)
    ).all()
    weeks = []
    day = week_of(start)
    while day <= end:
        weeks.append(day)
        day += timedelta(weeks=1)
    column = {w: i for i, w in enumerate(weeks)}
    per_location: dict[int, list[int]] = {}
    for week, location_id, count in rows:
        if count and week in column:
            per_location.setdefault(location_id, [0] * len(weeks))[column[week]] += int(count)
    names = dict(
        session.execute(
            select(Location.id, Location.name).where(Location.id.in_(per_location))
        ).all()
    )
    order = sorted(per_location, key=lambda lid: (-sum(per_location[lid]), names[lid]))
    return Heatmap(
        weeks=weeks,
        locations=[names[lid] for lid in order],
        counts=[per_location[lid] for lid in order],
        truncated_from=truncated,
    )


def trainings_by_group(session: Session, *, mission: Mission, period: Period, user):
    """Trainings led by the mission, per target group: a training with several groups
    counts in each group's row (so the rows add up to more than the trainings), one
    without a group in the '' row. Women, men and "not recorded" are its three parts."""
    t = TrainingStat.__table__
    figures = counting.TRAINING_FIGURES
    totals: dict[str, list[int]] = defaultdict(lambda: [0] * len(figures))
    target_group = counting.target_group_sql()
    for segment in periods.months_only(period.start, period.end):
        if segment.kind == "raw":
            query = (
                select(
                    target_group,
                    func.count(),
                    func.sum(counting.people_trained_sql()),
                    func.sum(counting.women_trained_sql()),
                    func.sum(counting.sex_recorded_sql()),
                )
                .select_from(Activity)
                .outerjoin(ActivityTargetGroup, ActivityTargetGroup.activity_id == Activity.id)
                .where(
                    Activity.mission_id == mission.id,
                    Activity.type == counting.TRAINING,
                    Activity.start_date >= segment.start,
                    Activity.start_date <= segment.end,
                    policy.visible_activities(user),
                )
                .group_by(target_group)
            )
        else:
            query = (
                select(
                    t.c.target_group,
                    *(
                        func.sum(policy.visible_stat(user, t, f, lead_column="mission_id"))
                        for f in figures
                    ),
                )
                .where(
                    t.c.mission_id == mission.id,
                    t.c.period >= segment.start,
                    t.c.period <= segment.end,
                )
                .group_by(t.c.target_group)
            )
        for group, *values in session.execute(query):
            for i, value in enumerate(values):
                totals[group][i] += int(value or 0)
    order = [g for g in TargetGroup.values() if g in totals] + [
        g for g in totals if g not in TargetGroup.values()
    ]
    groups = []
    for g in order:
        n, trained, women, recorded = totals[g]
        if n:
            groups.append(
                TrainingGroup(
                    target_group=g,
                    trainings=n,
                    participants=trained,
                    women=women,
                    men=recorded - women,
                    not_recorded=max(trained - recorded, 0),
                )
            )
    return groups


def _line(activity: Activity) -> ActivityLine:
    return ActivityLine(
        id=activity.id,
        title=activity.title,
        start=PartialDate.of(activity.start_date, activity.start_precision),
        type=activity.type,
        status=activity.status,
        mission=activity.mission.code,
        reference_number=activity.reference_number,
        report_kind=activity.report_kind,
    )


def _timeline(session, *, mission: Mission, period: Period, user) -> list[TimelineItem]:
    """Developments in the host country and the region, interleaved with the latest activities."""
    developments = missions.list_developments(
        session, country=mission.host_country, date_from=period.start, date_to=period.end
    )
    recent = session.scalars(
        _in_period(
            select(Activity).where(
                Activity.mission_id == mission.id,
                Activity.provenance != "reconstructed",
                policy.visible_activities(user),
            ),
            period,
        )
        .order_by(Activity.start_date.desc(), Activity.id.desc())
        .limit(LIST_LIMIT)
    )
    items = [
        TimelineItem(
            kind="development",
            date=PartialDate.of(d.occurred_on, d.occurred_precision),
            title=d.title,
            code=d.code,
        )
        for d in developments
    ] + [
        TimelineItem(
            kind="activity",
            date=PartialDate.of(a.start_date, a.start_precision),
            title=a.title,
            id=a.id,
            type=a.type,
        )
        for a in recent
    ]
    items.sort(key=lambda item: (item.date.start, item.kind))
    return items[-(LIST_LIMIT * 2) :]


def mission_dashboard(
    session: Session, *, mission: Mission, period: Period, user
) -> MissionDashboard:
    """Everything the mission page shows, for one reader and period."""
    reports = session.scalars(
        _in_period(
            select(Activity).where(
                Activity.mission_id == mission.id,
                Activity.type == ActivityType.REPORT.value,
                policy.visible_activities(user),
            ),
            period,
        )
        .order_by(Activity.start_date.desc(), Activity.id.desc())
        .limit(LIST_LIMIT)
    )
    queue, queue_total = [], 0
    if policy.can_review_mission(user, mission.id):
        waiting = select(Activity).where(
            Activity.status == Status.SUBMITTED.value, Activity.mission_id == mission.id
        )
        queue = [_line(a) for a in session.scalars(waiting.order_by(Activity.id).limit(LIST_LIMIT))]
        queue_total = session.scalar(select(func.count()).select_from(waiting.subquery())) or 0
    return MissionDashboard(
        summary=mission_summary(session, mission=mission, period=period, user=user),
        by_month=monthly_series(
            session, period=period, user=user, by="type", mission_id=mission.id
        ),
        visits=visits_heatmap(session, mission=mission, period=period, user=user),
        trainings=trainings_by_group(session, mission=mission, period=period, user=user),
        reports=[_line(a) for a in reports],
        focal_points=[
            FocalPointLine(
                area=fp.area,
                holder=fp.holder,
                start=PartialDate.of(fp.start_date, fp.start_precision),
                end=PartialDate.of(fp.end_date, fp.end_precision),
            )
            for fp in mission.focal_points
        ],
        timeline=_timeline(session, mission=mission, period=period, user=user),
        review_queue=queue,
        review_queue_total=queue_total,
    )


# --- the comparison -------------------------------------------------------------------------


def compare(
    session: Session,
    *,
    period: Period,
    user,
    theme: str | None = None,
    dimension: str | None = None,
    axis: str = "area",
) -> Comparison:
    """The missions × `axis` matrix, headline figures per mission, activity per month per
    mission, and joint activities."""
    matrix = figures(session, period=period, user=user, axis=axis, theme=theme, dimension=dimension)
    if axis == "type":
        by_type = matrix
    else:
        by_type = figures(
            session, period=period, user=user, axis="type", theme=theme, dimension=dimension
        )
    last_months = last_active_months(session, period=period, user=user)
    rows = []
    for mission in missions.get_all(session):
        cells = {c: matrix.get((mission.id, c), [0])[0] for c in AXES[axis]}
        headline = _headline({col: v for (mid, col), v in by_type.items() if mid == mission.id})
        headline.last_activity = last_months.get(mission.id)
        rows.append(
            CompareRow(
                mission=mission.code,
                name=mission.name,
                migration_focal_point_since=missions.migration_focal_point_since(
                    mission.focal_points
                ),
                headline=headline,
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
        by_month=monthly_series(
            session, period=period, user=user, by="mission", theme=theme, dimension=dimension
        ),
        joint_activities=_joint_activities(
            session, period=period, theme=theme, dimension=dimension, user=user
        ),
    )


def _joint_activities(session, *, period, theme, dimension, user) -> list[JointActivity]:
    query = select(Activity).where(Activity.is_joint.is_(True), policy.visible_activities(user))
    if theme:
        query = query.where(
            Activity.id.in_(select(ActivityTheme.activity_id).where(ActivityTheme.theme == theme))
        )
    if dimension:
        query = query.where(Activity.dimension == dimension)
    query = _in_period(query, period)
    latest = session.scalars(
        query.order_by(Activity.start_date.desc(), Activity.id.desc())
        .limit(LIST_LIMIT)
        .options(selectinload(Activity.other_missions))
    )
    return [
        JointActivity(
            id=a.id,
            title=a.title,
            start=PartialDate.of(a.start_date, a.start_precision),
            missions=[a.mission.code, *(m.code for m in a.other_missions)],
            type=a.type,
            response_area=a.response_area,
        )
        for a in latest
    ]
