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

from app.activities.aggregate_models import ALL, STATUSES, ActivityStat, TrainingStat, VisitStat


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


class Tally:
    """Many activities' contributions, summed by *shape* before they are expanded.

    An activity's rows in activity_stats depend only on its shape (missions, type,
    area, dimension, status, themes and month); a bulk load adds each activity to its
    shape's running figures and expands every distinct shape into its rows once, so
    100,000 imported rows cost about as much as the few hundred shapes they fall into.
    """

    def __init__(self) -> None:
        # shape -> [n, trained, women, split, alerts]
        self.shapes: dict[tuple, list[int]] = {}
        self.training: Counter = Counter()
        self.visits: Counter = Counter()

    def add(self, facts: Facts) -> None:
        is_training = facts.type == "training"
        trained = (facts.participants_total or 0) if is_training else 0
        women = (facts.participants_women or 0) if is_training else 0
        split = trained if is_training and facts.participants_women is not None else 0
        alert = int(
            facts.type == "monitoring_visit"
            and facts.alert_level in OPEN_ALERT_LEVELS
            and not facts.alert_closed
        )
        month = month_of(facts.start_date)
        shape = (
            facts.mission_id,
            facts.other_mission_ids,
            facts.type,
            facts.response_area,
            facts.dimension,
            facts.status,
            facts.themes,
            month,
        )
        figures = self.shapes.get(shape)
        if figures is None:
            self.shapes[shape] = [1, trained, women, split, alert]
        else:
            figures[0] += 1
            figures[1] += trained
            figures[2] += women
            figures[3] += split
            figures[4] += alert
        status = facts.status
        if is_training:
            key = (facts.mission_id, month, facts.target_group or "")
            self.training[(key, f"n_{status}")] += 1
            if trained:
                self.training[(key, f"trained_{status}")] += trained
            if women:
                self.training[(key, f"women_{status}")] += women
        if facts.type == "monitoring_visit":
            week = week_of(facts.start_date)
            for location_id in facts.location_ids:
                self.visits[((facts.mission_id, week, location_id), f"n_{status}")] += 1

    def contribution(self, into: Contribution | None = None) -> Contribution:
        """Every aggregate row the tallied activities add to, with how much."""
        result: Contribution = into if into is not None else defaultdict(Counter)
        for model in (ActivityStat, TrainingStat, VisitStat):
            result.setdefault(model, Counter())
        stats = result[ActivityStat]
        for shape, (n, trained, women, split, alerts) in self.shapes.items():
            lead_id, other_ids, type_, area, dimension, status, themes, month = shape
            periods = (("month", month), ("year", month.replace(month=1)))
            levels = (
                ("fine", type_, area, dimension),
                ("area", ALL, area, ALL),
                ("type", type_, ALL, ALL),
                ("all", ALL, ALL, ALL),
            )
            lead_values = {
                f"n_{status}": n,
                f"trained_{status}": trained,
                f"women_{status}": women,
                f"split_{status}": split,
                f"alerts_{status}": alerts,
            }
            # A joint activity counts for each mission involved; the people it
            # trained count once, for the lead mission.
            other_values = {f"n_{status}": n, f"alerts_{status}": alerts}
            involved = [(lead_id, lead_values)] + [(m, other_values) for m in other_ids]
            for mission_id, values in involved:
                for grain, period in periods:
                    for theme in ("", *themes):
                        for level, level_type, level_area, level_dimension in levels:
                            key = (
                                grain,
                                level,
                                theme,
                                mission_id,
                                period,
                                lead_id,
                                level_type,
                                level_area,
                                level_dimension,
                            )
                            for name, value in values.items():
                                if value:
                                    stats[(key, name)] += value
        result[TrainingStat].update(self.training)
        result[VisitStat].update(self.visits)
        return result


def contribution(facts: Facts | None, *, into: Contribution | None = None) -> Contribution:
    """Every aggregate row this activity adds to, with how much; added to `into` when given."""
    tally = Tally()
    if facts is not None:
        tally.add(facts)
    return tally.contribution(into)


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
    tally = Tally()
    query = select(Activity).execution_options(yield_per=2000)
    for activity in session.scalars(query):
        tally.add(Facts.of(activity))
    apply(session, tally.contribution())


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
    tally = Tally()
    for activity in activities:
        tally.add(Facts.of(activity))
    total = tally.contribution()
    result = {}
    for model, _, value_names in TABLES:
        rows = _rows(total.get(model, Counter()), value_names)
        result[model.__tablename__] = {
            (*key, *(values[n] for n in value_names))
            for key, values in rows.items()
            if any(values.values())
        }
    return result
