"""Keeping the aggregates in step with the activities.

A record's *contribution* is what it adds to each aggregate row. Every write
takes the contribution before and after the change and adds the difference,
in the same transaction as the change itself, with an upsert (INSERT … ON
CONFLICT DO UPDATE) so concurrent writers never lose an increment.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.dashboards.models import ALL, STATUSES, ActivityStat, TrainingStat, VisitStat


def _columns(*figures: str) -> tuple[str, ...]:
    return tuple(f"{figure}_{status}" for figure in figures for status in STATUSES)


ACTIVITY_KEY = (
    "grain",
    "level",
    "theme",
    "mission_id",
    "period",
    "lead_mission_id",
    "type",
    "response_area",
    "dimension",
)
ACTIVITY_VALUES = _columns("n", "trained", "women", "split", "alerts")
TRAINING_KEY = ("mission_id", "period", "target_group")
TRAINING_VALUES = _columns("n", "trained", "women")
VISIT_KEY = ("mission_id", "week", "location_id")
VISIT_VALUES = _columns("n")
TABLES = (
    (ActivityStat, ACTIVITY_KEY, ACTIVITY_VALUES),
    (TrainingStat, TRAINING_KEY, TRAINING_VALUES),
    (VisitStat, VISIT_KEY, VISIT_VALUES),
)
OPEN_ALERT_LEVELS = frozenset({"low", "elevated", "high"})


@dataclass(frozen=True)
class Facts:
    """What the aggregates need to know about one activity."""

    mission_id: int
    other_mission_ids: tuple[int, ...]
    type: str
    response_area: str
    dimension: str
    status: str
    start_date: date
    themes: tuple[str, ...]
    location_ids: tuple[int, ...]
    target_group: str | None
    participants_total: int | None
    participants_women: int | None
    alert_level: str | None
    alert_closed: bool | None

    @classmethod
    def of(cls, activity) -> Facts:
        return cls(
            mission_id=activity.mission_id if activity.mission_id else activity.mission.id,
            other_mission_ids=tuple(sorted(m.id for m in activity.other_missions)),
            type=activity.type,
            response_area=activity.response_area,
            dimension=activity.dimension,
            status=activity.status,
            start_date=activity.start_date,
            themes=tuple(sorted(activity.themes)),
            location_ids=tuple(sorted(loc.id for loc in activity.locations)),
            target_group=activity.target_group,
            participants_total=activity.participants_total,
            participants_women=activity.participants_women,
            alert_level=activity.alert_level,
            alert_closed=activity.alert_closed,
        )


Contribution = dict[type, Counter]  # table -> Counter[(key tuple, value name)] of deltas


def month_of(day: date) -> date:
    return day.replace(day=1)


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def contribution(facts: Facts | None, *, into: Contribution | None = None) -> Contribution:
    """Every aggregate row this activity adds to, with how much; added to `into` when given
    (bulk loads sum many activities without building a Counter for each)."""
    result: Contribution = into if into is not None else defaultdict(Counter)
    for model in (ActivityStat, TrainingStat, VisitStat):
        result.setdefault(model, Counter())
    if facts is None:
        return result
    is_training = facts.type == "training"
    trained = (facts.participants_total or 0) if is_training else 0
    women = (facts.participants_women or 0) if is_training else 0
    split = trained if is_training and facts.participants_women is not None else 0
    alert = int(
        facts.type == "monitoring_visit"
        and facts.alert_level in OPEN_ALERT_LEVELS
        and not facts.alert_closed
    )
    periods = (
        ("month", month_of(facts.start_date)),
        ("year", facts.start_date.replace(month=1, day=1)),
    )
    involved = [(facts.mission_id, True)] + [(m, False) for m in facts.other_mission_ids]
    status = facts.status
    levels = (
        ("fine", facts.type, facts.response_area, facts.dimension),
        ("area", ALL, facts.response_area, ALL),
        ("type", facts.type, ALL, ALL),
        ("all", ALL, ALL, ALL),
    )
    stats = result[ActivityStat]
    for mission_id, lead in involved:
        values = {
            f"n_{status}": 1,
            f"trained_{status}": trained if lead else 0,
            f"women_{status}": women if lead else 0,
            f"split_{status}": split if lead else 0,
            f"alerts_{status}": alert,
        }
        for grain, period in periods:
            for theme in ("", *facts.themes):
                for level, type_, area, dimension in levels:
                    key = (
                        grain,
                        level,
                        theme,
                        mission_id,
                        period,
                        facts.mission_id,
                        type_,
                        area,
                        dimension,
                    )
                    for name, value in values.items():
                        if value:
                            stats[(key, name)] += value
    if is_training:
        key = (facts.mission_id, month_of(facts.start_date), facts.target_group or "")
        result[TrainingStat][(key, f"n_{status}")] += 1
        if trained:
            result[TrainingStat][(key, f"trained_{status}")] += trained
        if women:
            result[TrainingStat][(key, f"women_{status}")] += women
    if facts.type == "monitoring_visit":
        for location_id in facts.location_ids:
            key = (facts.mission_id, week_of(facts.start_date), location_id)
            result[VisitStat][(key, f"n_{status}")] += 1
    return result


def difference(before: Facts | None, after: Facts | None) -> Contribution:
    """What to add so the aggregates move from `before` to `after`."""
    old, new = contribution(before), contribution(after)
    delta: Contribution = defaultdict(Counter)
    for table in set(old) | set(new):
        counter = Counter(new.get(table, Counter()))
        counter.subtract(old.get(table, Counter()))
        delta[table] = Counter({k: v for k, v in counter.items() if v})
    return delta


def _rows(counter: Counter, value_names: tuple[str, ...]) -> dict[tuple, dict[str, int]]:
    """Group a table's (key, value name) deltas into one dict of values per key."""
    rows: dict[tuple, dict[str, int]] = {}
    for (key, name), value in counter.items():
        rows.setdefault(key, dict.fromkeys(value_names, 0))[name] += value
    return rows


def apply(session: Session, delta: Mapping[type, Counter]) -> None:
    """Add `delta` to the aggregate tables with one upsert per row."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for model, key_names, value_names in TABLES:
        counter = delta.get(model)
        if not counter:
            continue
        params = [
            dict(zip(key_names, key, strict=True)) | values
            for key, values in _rows(counter, value_names).items()
            if any(values.values())
        ]
        if not params:
            continue
        table = model.__table__
        statement = insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=list(key_names),
            set_={name: table.c[name] + statement.excluded[name] for name in value_names},
        )
        for start in range(0, len(params), 5000):
            session.execute(statement, params[start : start + 5000])


def record_change(session: Session, before: Facts | None, after: Facts | None) -> None:
    """Called by every write to an activity (create: before=None; delete: after=None)."""
    apply(session, difference(before, after))


def rebuild(session: Session) -> None:
    """Recompute every aggregate from the raw rows (after bulk loads, or to repair)."""
    from app.activities.models import Activity

    for model, _, _ in TABLES:
        session.execute(delete(model))
    total: Contribution = defaultdict(Counter)
    query = select(Activity).execution_options(yield_per=2000)
    for activity in session.scalars(query):
        contribution(Facts.of(activity), into=total)
    apply(session, total)


def snapshot(session: Session) -> dict[str, set[tuple[Any, ...]]]:
    """Every non-zero aggregate row, for comparing with a recount."""
    result = {}
    for model, key_names, value_names in TABLES:
        columns = [getattr(model, c) for c in (*key_names, *value_names)]
        rows = session.execute(select(*columns)).all()
        result[model.__tablename__] = {tuple(row) for row in rows if any(row[len(key_names) :])}
    return result


def recount(activities: Iterable) -> dict[str, set[tuple[Any, ...]]]:
    """What the aggregates should hold for these activities, computed from scratch."""
    total: Contribution = defaultdict(Counter)
    for activity in activities:
        contribution(Facts.of(activity), into=total)
    result = {}
    for model, _, value_names in TABLES:
        rows = _rows(total.get(model, Counter()), value_names)
        result[model.__tablename__] = {
            (*key, *(values[n] for n in value_names))
            for key, values in rows.items()
            if any(values.values())
        }
    return result
