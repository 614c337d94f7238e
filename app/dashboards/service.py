"""Counting activities per mission: the mission dashboard, its summary and the comparison.

A mission's figures count every activity it leads or takes part in, so a joint
visit shows on both missions; people trained count once, for the lead mission. The
figures are of approved records whose date lies wholly in the period; what else the
reader may see (policy.py) is counted apart, and so are records whose partial date
only may fall in the period (the rules: app/activities/counting.py).

Counts come from the aggregates (app/activities/aggregates.py) for whole years and
months and for records known only to their quarter or year, and from the raw
activities only for the (at most two) months at the ends of the period
(app/dashboards/periods.py), so the cost does not grow with the data.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import String, case, cast, func, literal, select
from sqlalchemy.orm import Session, selectinload

from app.activities import counting, policy
from app.activities.aggregate_models import ActivityStat, LocationStat, TrainingStat, VisitStat
from app.activities.aggregates import week_of
from app.activities.models import (
    Activity,
    ActivityTargetGroup,
    ActivityTheme,
    activity_locations,
)
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
    PlaceFigures,
    Series,
    TimelineItem,
    TrainingGroup,
    UnknownMonth,
)
from app.missions import countries
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


@dataclass
class Tallies:
    """What a period holds, per (mission_id, column), by the rules of counting.py:

    - `approved`: the FIGURES of approved records whose date lies wholly in the period;
    - `apart`: records the reader may also see that are not approved, per status;
    - `may`: approved records whose partial date only overlaps the period.
    """

    approved: dict[tuple[int, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0] * len(FIGURES))
    )
    apart: dict[tuple[int, str], Counter] = field(default_factory=lambda: defaultdict(Counter))
    may: Counter = field(default_factory=Counter)
    statuses: tuple[str, ...] = ()  # the statuses counted apart for this reader


def _level(axis: str, dimension: str | None) -> str:
    """The aggregate level that answers this question with the fewest rows."""
    if dimension:
        return "fine"
    return {"area": "area", "type": "type", "theme": "all", "mission": "all"}[axis]


def _n(user, t, status: str, reconstructed: bool):
    """Records of `status` in an aggregate row, less the reconstructed ones if hidden."""
    n = policy.stat_of_status(user, t, "n", status)
    if reconstructed:
        return n
    return n - policy.stat_of_status(user, t, "recon", status)


def _stat_query(t, *, user, axis, theme, dimension, mission_id, reconstructed, extra=()):
    """Approved FIGURES and the counts apart per status, by mission and column."""
    column = {"area": t.c.response_area, "type": t.c.type, "theme": t.c.theme}[axis]
    approved = Status.APPROVED.value

    def approved_sum(figure: str):
        if figure == "n":
            return _n(user, t, approved, reconstructed)
        if figure == "recon" and not reconstructed:  # left out, so none counted
            return literal(0)
        return policy.stat_of_status(user, t, figure, approved)

    sums = [func.sum(approved_sum(figure)) for figure in FIGURES]
    apart = [func.sum(_n(user, t, s, reconstructed)) for s in policy.statuses_apart(user)]
    query = select(t.c.mission_id, column, *extra, *sums, *apart).where(
        t.c.level == _level(axis, dimension)
    )
    if axis == "theme":
        query = query.where(t.c.theme == theme if theme else t.c.theme != "")
    else:
        query = query.where(t.c.theme == (theme or ""))
    if dimension:
        query = query.where(t.c.dimension == dimension)
    if mission_id is not None:
        query = query.where(t.c.mission_id == mission_id)
    return query.group_by(t.c.mission_id, column, *extra)


def _add(tallies: Tallies, key, values, statuses, *, wholly: bool) -> None:
    values = [int(v or 0) for v in values]
    figures, apart = values[: len(FIGURES)], values[len(FIGURES) :]
    if wholly:
        total = tallies.approved[key]
        for i, value in enumerate(figures):
            total[i] += value
        for status, value in zip(statuses, apart, strict=True):
            if value:
                tallies.apart[key][status] += value
    elif figures[0]:
        tallies.may[key] += figures[0]


def _raw_query(segment, *, user, axis, theme, dimension, mission_id, reconstructed):
    """Figures from the raw rows of the months at the ends of a period, by mission, column,
    status, precision and whether the record starts inside the segment."""
    # only the dates inside the expansion, so it walks the start_date index (a status
    # condition there would make SQLite scan every record of that status)
    inv = counting.involvement(
        Activity.start_date >= segment.start.replace(day=1), Activity.start_date <= segment.end
    )
    columns = {"area": Activity.response_area, "type": Activity.type, "theme": ActivityTheme.theme}
    column = columns[axis]
    starts_inside = Activity.start_date >= segment.start
    query = (
        select(
            inv.c.mission_id,
            column,
            Activity.status,
            Activity.start_precision,
            starts_inside,
            *counting.figures_sql(is_lead=inv.c.is_lead),
        )
        .select_from(inv)
        .join(Activity, Activity.id == inv.c.activity_id)
        .where(policy.visible_activities(user))
    )
    if not reconstructed:
        query = query.where(Activity.provenance != counting.RECONSTRUCTED)
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
    return query.group_by(
        inv.c.mission_id, column, Activity.status, Activity.start_precision, starts_inside
    )


def tallies(
    session: Session,
    *,
    period: Period,
    user,
    axis: str = "area",
    theme: str | None = None,
    dimension: str | None = None,
    mission_id: int | None = None,
    reconstructed: bool = True,
) -> Tallies:
    """The period's figures by mission and column (see `Tallies`).

    Records known to the month: whole years and months from the aggregates, the days at
    the ends from the raw rows of those two months. Records known only to the quarter or
    year: from their own aggregate rows, wholly in the period or only maybe.
    """
    statuses = policy.statuses_apart(user)
    result = Tallies(statuses=statuses)
    t = ActivityStat.__table__
    ask = dict(
        user=user,
        axis=axis,
        theme=theme,
        dimension=dimension,
        mission_id=mission_id,
        reconstructed=reconstructed,
    )
    whole_years: set[int] = set()
    first, last = periods.bounds(period.start, period.end)
    for segment in periods.split(period.start, period.end):
        if segment.kind == "raw":
            for mid, col, status, precision, inside, *values in session.execute(
                _raw_query(segment, **ask)
            ):
                if precision == DatePrecision.DAY.value and inside:
                    if status == Status.APPROVED.value:
                        _add(result, (mid, col), values, (), wholly=True)
                    else:
                        result.apart[(mid, col)][status] += int(values[0] or 0)
                elif precision == DatePrecision.MONTH.value and status == Status.APPROVED.value:
                    _add(result, (mid, col), values, (), wholly=False)
            continue
        if segment.kind == "year":
            whole_years.update(range(segment.start.year, segment.end.year + 1))
        query = _stat_query(t, **ask).where(
            t.c.grain == segment.kind, t.c.period >= segment.start, t.c.period <= segment.end
        )
        for mid, col, *values in session.execute(query):
            _add(result, (mid, col), values, statuses, wholly=True)
    # records known only to their quarter or year, outside the whole years counted above
    for grain, precision, earliest in (
        (counting.QUARTER_ONLY, DatePrecision.QUARTER.value, periods.quarter_start(first)),
        (counting.YEAR_ONLY, DatePrecision.YEAR.value, first.replace(month=1, day=1)),
    ):
        query = _stat_query(t, **ask, extra=(t.c.period,)).where(
            t.c.grain == grain, t.c.period >= earliest, t.c.period <= last
        )
        for mid, col, day, *values in session.execute(query):
            day = _as_date(day)
            if day.year in whole_years:
                continue
            wholly = counting.wholly_within(day, precision, first, last)
            _add(result, (mid, col), values, statuses, wholly=wholly)
    return result


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def figures(session: Session, **kwargs) -> dict[tuple[int, str], list[int]]:
    """{(mission_id, column): FIGURES} of the approved records wholly in the period."""
    return tallies(session, **kwargs).approved


def _headline(by_type: Tallies, mission_id: int) -> Headline:
    """Headline figures of one mission from its tallies per activity type."""
    sums = [0] * len(FIGURES)
    apart: Counter = Counter()
    may = 0
    for (mid, _), values in by_type.approved.items():
        if mid == mission_id:
            for i, value in enumerate(values):
                sums[i] += value
    for (mid, _), counts in by_type.apart.items():
        if mid == mission_id:
            apart.update(counts)
    for (mid, _), maybe in by_type.may.items():
        if mid == mission_id:
            may += maybe
    figure = dict(zip(FIGURES, sums, strict=True))

    def count(activity_type: ActivityType) -> int:
        return by_type.approved.get((mission_id, activity_type.value), [0])[0]

    return Headline(
        activities=figure["n"],
        participants_trained=figure["trained"],
        participants_women=figure["women"],
        participants_sex_recorded=figure["split"],
        participants_sex_not_recorded=max(figure["trained"] - figure["split"], 0),
        women_share=round(figure["women"] / figure["split"], 3) if figure["split"] else None,
        women_share_text=women_share_text(
            trained=figure["trained"], women=figure["women"], recorded=figure["split"]
        ),
        monitoring_visits=count(ActivityType.MONITORING_VISIT),
        reports=count(ActivityType.REPORT),
        meetings=count(ActivityType.MEETING),
        open_alerts=figure["alerts"],
        not_approved={s: apart.get(s, 0) for s in by_type.statuses},
        may_be_in_period=may,
        reconstructed=figure["recon"],
        synthetic=figure["synth"],
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

    Read from the monthly aggregates (approved records known to the month), so it is a
    month, shown as one ("Oct 2016").
    """
    t = ActivityStat.__table__
    query = select(t.c.mission_id, func.max(t.c.period)).where(
        t.c.grain == counting.MONTH_GRAIN,
        t.c.level == "all",
        t.c.theme == "",
        policy.stat_of_status(user, t, "n", Status.APPROVED.value) > 0,
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
    by_type = tallies(session, period=period, user=user, axis="type", mission_id=mission.id)
    headline = _headline(by_type, mission.id)
    headline.last_activity = last_active_months(
        session, period=period, user=user, mission_id=mission.id
    ).get(mission.id)
    return MissionSummary(
        mission=mission.code,
        name=mission.name,
        period=period,
        headline=headline,
        by_type={t: by_type.approved.get((mission.id, t), [0])[0] for t in AXES["type"]},
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
    """The period, with open ends closed at the first and last month that has approved
    activities (the charts draw approved records, like the headline figures)."""
    if period.start and period.end:
        return period
    t = ActivityStat.__table__
    query = select(func.min(t.c.period), func.max(t.c.period)).where(
        t.c.grain == counting.MONTH_GRAIN,
        t.c.level == "all",
        t.c.theme == "",
        policy.stat_of_status(user, t, "n", Status.APPROVED.value) > 0,
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
    reconstructed: bool = True,
) -> Series:
    """Approved activities per month, one series per mission (`by="mission"`) or per type.

    Records known only to their quarter or year are not in any month: they are in
    `unknown`, one entry per quarter or year ("2015, month unknown").
    """
    t = ActivityStat.__table__
    key = t.c.mission_id if by == "mission" else t.c.type
    approved = Status.APPROVED.value

    def stat_query(*where):
        query = select(
            cast(t.c.period, String), key, func.sum(_n(user, t, approved, reconstructed))
        )
        query = query.where(t.c.level == _level(by, dimension), t.c.theme == (theme or ""), *where)
        if mission_id is not None:
            query = query.where(t.c.mission_id == mission_id)
        if dimension:
            query = query.where(t.c.dimension == dimension)
        return query

    bounds = _data_bounds(session, period, user=user, mission_id=mission_id)
    months = _months_between(bounds.start, bounds.end) if bounds.start and bounds.end else []
    index = {m: i for i, m in enumerate(months)}
    series: dict[str, list[int]] = {}
    for segment in periods.months_only(bounds.start, bounds.end) if months else []:
        if segment.kind == "raw":
            rows = _raw_monthly(
                session,
                segment,
                by=by,
                mission_id=mission_id,
                theme=theme,
                dimension=dimension,
                reconstructed=reconstructed,
            )
        else:
            # The period as text: turning a thousand SQLite date strings into dates
            # costs more than the query itself, and only "YYYY-MM" is needed.
            query = stat_query(
                t.c.grain == counting.MONTH_GRAIN,
                t.c.period >= segment.start,
                t.c.period <= segment.end,
            )
            rows = session.execute(query.group_by(t.c.period, key)).all()
        for day, name, count in rows:
            if count:
                position = index[str(day)[:7]]
                series.setdefault(str(name), [0] * len(months))[position] += int(count)
    unknown = _unknown_months(session, period, stat_query, key)
    names, order = _series_names(session, by)
    return Series(
        months=months,
        series={names(k): series[k] for k in sorted(series, key=order)},
        unknown=[
            UnknownMonth(
                label=bucket.label,
                start=bucket.start,
                end=bucket.end,
                inside=bucket.inside,
                series={names(k): bucket.series[k] for k in sorted(bucket.series, key=order)},
            )
            for bucket in unknown
        ],
    )


def _series_names(session: Session, by: str):
    """(name, order): a series key (mission id or type) to its name, and to its place."""
    if by == "mission":
        codes = {str(m.id): m.code for m in missions.get_all(session)}
        return (lambda key: codes[str(key)]), (lambda key: codes[str(key)])
    types = AXES["type"]
    return str, (lambda key: (types.index(key) if key in types else len(types), str(key)))


def _unknown_months(session: Session, period: Period, stat_query, key) -> list[UnknownMonth]:
    """Records known only to the quarter or year overlapping the period, by quarter / year."""
    t = ActivityStat.__table__
    first, last = periods.bounds(period.start, period.end)
    buckets: list[UnknownMonth] = []
    for grain, precision, earliest in (
        (counting.YEAR_ONLY, DatePrecision.YEAR, first.replace(month=1, day=1)),
        (counting.QUARTER_ONLY, DatePrecision.QUARTER, periods.quarter_start(first)),
    ):
        query = stat_query(t.c.grain == grain, t.c.period >= earliest, t.c.period <= last)
        found: dict[date, dict[str, int]] = {}
        for day, name, count in session.execute(query.group_by(t.c.period, key)):
            if count:
                found.setdefault(_as_date(day), {})[str(name)] = int(count)
        for day, counts in found.items():
            when = PartialDate(day, precision)
            inside = counting.wholly_within(day, precision.value, first, last)
            buckets.append(
                UnknownMonth(
                    label=f"{when.human()}, month unknown",
                    start=when.start,
                    end=when.end,
                    inside=inside,
                    series=counts,
                )
            )
    buckets.sort(key=lambda b: (b.start, b.end))
    return buckets


def _raw_monthly(session, segment, *, by, mission_id, theme, dimension, reconstructed):
    """Approved records known to the day in the days at an end of the period."""
    # only the dates inside the expansion, so it walks the start_date index
    inv = counting.involvement(
        Activity.start_date >= segment.start, Activity.start_date <= segment.end
    )
    key = inv.c.mission_id if by == "mission" else Activity.type
    query = (
        select(cast(Activity.start_date, String), key, func.count())
        .select_from(inv)
        .join(Activity, Activity.id == inv.c.activity_id)
        .where(
            Activity.start_precision == DatePrecision.DAY.value,
            Activity.status == Status.APPROVED.value,
        )
    )
    if not reconstructed:
        query = query.where(Activity.provenance != counting.RECONSTRUCTED)
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
    """Approved monitoring visits per location per week: weeks starting within the period,
    between the first and the last week with such a visit."""
    v = VisitStat.__table__
    visible = policy.stat_of_status(user, v, "n", Status.APPROVED.value, lead_column="mission_id")
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
    without a group in the '' row. Women, men and "not recorded" are its three parts.
    Approved trainings only, like every figure of the dashboard (counting.py)."""
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
                    Activity.status == Status.APPROVED.value,
                )
                .group_by(target_group)
            )
        else:
            query = (
                select(
                    t.c.target_group,
                    *(func.sum(t.c[f"{f}_{Status.APPROVED.value}"]) for f in figures),
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
        places=place_figures(session, period=period, mission_id=mission.id),
    )


# --- the map: activities per place ------------------------------------------------------------

PLACE_FIGURES = ("n", "alerts", "recon", "synth")


def place_figures(
    session: Session,
    *,
    period: Period,
    mission_id: int | None = None,
    reconstructed: bool = True,
) -> list[PlaceFigures]:
    """Approved activities wholly in the period per place (the headline rule, counting.py),
    largest first: of one mission (every activity it leads or takes part in), or of all
    missions with each activity counted once (its lead mission's rows).

    Like `tallies`: whole years and months from location_stats, the days at the ends of the
    period from the raw rows of those days, and records known only to their quarter or year
    from their own rows when all of their date lies in the period. Records whose partial
    date only overlaps the period are not on the map, as they are not in the figures."""
    t = LocationStat.__table__
    sums: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0] * len(PLACE_FIGURES))

    def add(location_id, type_, values) -> None:
        total = sums[(location_id, type_)]
        for i, value in enumerate(values):
            total[i] += int(value or 0)

    def stat_query(*extra):
        whose = t.c.mission_id == (mission_id if mission_id is not None else t.c.lead_mission_id)
        figures = [func.sum(t.c[name]) for name in PLACE_FIGURES]
        query = select(t.c.location_id, t.c.type, *extra, *figures).where(whose)
        return query.group_by(t.c.location_id, t.c.type, *extra)

    whole_years: set[int] = set()
    first, last = periods.bounds(period.start, period.end)
    for segment in periods.split(period.start, period.end):
        if segment.kind == "raw":
            for location_id, type_, *values in session.execute(
                _raw_places(segment, mission_id=mission_id)
            ):
                add(location_id, type_, values)
            continue
        if segment.kind == "year":
            whole_years.update(range(segment.start.year, segment.end.year + 1))
        query = stat_query().where(
            t.c.grain == segment.kind, t.c.period >= segment.start, t.c.period <= segment.end
        )
        for location_id, type_, *values in session.execute(query):
            add(location_id, type_, values)
    for grain, precision, earliest in (
        (counting.QUARTER_ONLY, DatePrecision.QUARTER.value, periods.quarter_start(first)),
        (counting.YEAR_ONLY, DatePrecision.YEAR.value, first.replace(month=1, day=1)),
    ):
        query = stat_query(t.c.period).where(
            t.c.grain == grain, t.c.period >= earliest, t.c.period <= last
        )
        for location_id, type_, day, *values in session.execute(query):
            day = _as_date(day)
            if day.year not in whole_years and counting.wholly_within(day, precision, first, last):
                add(location_id, type_, values)
    return _places(session, sums, reconstructed=reconstructed)


def _raw_places(segment, *, mission_id: int | None):
    """Approved records known to the day inside `segment`, per place and type."""
    # only the dates inside, so it walks the start_date index (as `_raw_query`)
    inv = counting.involvement(
        Activity.start_date >= segment.start, Activity.start_date <= segment.end
    )
    query = (
        select(
            activity_locations.c.location_id,
            Activity.type,
            func.count(),
            func.sum(counting.open_alert_sql()),
            func.sum(case((Activity.provenance == counting.RECONSTRUCTED, 1), else_=0)),
            func.sum(case((Activity.provenance == counting.SYNTHETIC, 1), else_=0)),
        )
        .select_from(inv)
        .join(Activity, Activity.id == inv.c.activity_id)
        .join(activity_locations, activity_locations.c.activity_id == inv.c.activity_id)
        .where(
            Activity.start_precision == DatePrecision.DAY.value,
            Activity.status == Status.APPROVED.value,
        )
    )
    if mission_id is not None:
        query = query.where(inv.c.mission_id == mission_id)
    else:
        query = query.where(inv.c.mission_id == Activity.mission_id)  # the lead: once each
    return query.group_by(activity_locations.c.location_id, Activity.type)


def _places(session, sums, *, reconstructed: bool) -> list[PlaceFigures]:
    per_place: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for (location_id, type_), values in sums.items():
        n, alerts, recon, synth = values
        if not reconstructed:
            n -= recon
            recon = 0
        if n > 0:
            per_place[location_id][type_] = [n, alerts, recon, synth]
    if not per_place:
        return []
    rows = session.scalars(select(Location).where(Location.id.in_(per_place)))
    order = ActivityType.values()
    result = []
    for location in rows:
        by_type = per_place[location.id]
        counts = {k: v[0] for k, v in sorted(by_type.items(), key=lambda kv: order.index(kv[0]))}
        result.append(
            PlaceFigures(
                code=location.code,
                name=location.name,
                country=location.country,
                country_name=countries.country_name(location.country),
                latitude=location.latitude,
                longitude=location.longitude,
                activities=sum(counts.values()),
                by_type=counts,
                main_type=max(counts, key=lambda k: (counts[k], -order.index(k))),
                open_alerts=sum(v[1] for v in by_type.values()),
                reconstructed=sum(v[2] for v in by_type.values()),
                synthetic=sum(v[3] for v in by_type.values()),
            )
        )
    result.sort(key=lambda p: (-p.activities, p.name))
    return result


# --- the comparison -------------------------------------------------------------------------


def compare(
    session: Session,
    *,
    period: Period,
    user,
    theme: str | None = None,
    dimension: str | None = None,
    axis: str = "area",
    reconstructed: bool = True,
) -> Comparison:
    """The missions × `axis` matrix, headline figures per mission, activity per month per
    mission, and joint activities; reconstructed records left out if `reconstructed` is false."""
    ask = dict(
        period=period, user=user, theme=theme, dimension=dimension, reconstructed=reconstructed
    )
    matrix = tallies(session, axis=axis, **ask)
    by_type = matrix if axis == "type" else tallies(session, axis="type", **ask)
    last_months = last_active_months(session, period=period, user=user)
    recon = FIGURES.index("recon")
    rows = []
    for mission in missions.get_all(session):
        cells = {c: matrix.approved.get((mission.id, c), [0] * len(FIGURES)) for c in AXES[axis]}
        headline = _headline(by_type, mission.id)
        headline.last_activity = last_months.get(mission.id)
        rows.append(
            CompareRow(
                mission=mission.code,
                name=mission.name,
                migration_focal_point_since=missions.migration_focal_point_since(
                    mission.focal_points
                ),
                headline=headline,
                cells={c: values[0] for c, values in cells.items()},
                reconstructed_cells={
                    c: values[recon] for c, values in cells.items() if values[recon]
                },
            )
        )
    return Comparison(
        period=period,
        theme=theme,
        dimension=dimension,
        axis=axis,
        reconstructed_shown=reconstructed,
        columns=AXES[axis],
        rows=rows,
        by_month=monthly_series(session, by="mission", **ask),
        joint_activities=_joint_activities(
            session, period=period, theme=theme, dimension=dimension, user=user
        ),
        places=place_figures(session, period=period, reconstructed=reconstructed),
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
