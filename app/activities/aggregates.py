"""Keeping the aggregates in step with the activities.

A record's *contribution* is what it adds to each aggregate row, by the rules of
counting.py. The write path (writes.py for one record, bulk.py for many) takes the
contribution before and after a change and adds the difference, in the same
transaction as the change itself, with an upsert (INSERT … ON CONFLICT DO UPDATE)
so concurrent writers never lose an increment. `recount` is the independent check.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import MetaData, Table, delete, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.activities import counting
from app.activities.aggregate_models import (
    ALL,
    STATUSES,
    ActivityStat,
    LocationStat,
    TrainingStat,
    VisitStat,
)
from app.activities.models import Activity
from app.db import execute_many, insert_rows
from app.vocab import Status

APPROVED = Status.APPROVED.value


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
ACTIVITY_VALUES = _columns(*counting.FIGURES)
TRAINING_KEY = ("mission_id", "period", "target_group")
TRAINING_VALUES = _columns(*counting.TRAINING_FIGURES)
VISIT_KEY = ("mission_id", "week", "location_id")
VISIT_VALUES = _columns("n")
LOCATION_KEY = ("grain", "mission_id", "period", "lead_mission_id", "location_id", "type")
LOCATION_VALUES = ("n", "alerts", "recon", "synth")  # approved records only
TABLES = (
    (ActivityStat, ACTIVITY_KEY, ACTIVITY_VALUES),
    (TrainingStat, TRAINING_KEY, TRAINING_VALUES),
    (VisitStat, VISIT_KEY, VISIT_VALUES),
    (LocationStat, LOCATION_KEY, LOCATION_VALUES),
)


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
    start_precision: str
    provenance: str
    themes: tuple[str, ...]
    location_ids: tuple[int, ...]
    target_groups: tuple[str, ...]
    participants_total: int | None
    participants_women: int | None
    participants_men: int | None
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
            start_precision=activity.start_precision,
            provenance=activity.provenance,
            themes=tuple(sorted(activity.themes)),
            location_ids=tuple(sorted(loc.id for loc in activity.locations)),
            target_groups=tuple(sorted(activity.target_groups or ())),
            participants_total=activity.participants_total,
            participants_women=activity.participants_women,
            participants_men=activity.participants_men,
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
    area, dimension, status, themes, month and how well it is known); a bulk load adds each
    activity to its shape's running figures and expands every distinct shape into its rows once, so
    100,000 imported rows cost about as much as the few hundred shapes they fall into.
    """

    def __init__(self) -> None:
        # shape -> the sums of counting.FIGURES
        self.shapes: dict[tuple, list[int]] = {}
        self.training: Counter = Counter()
        self.visits: Counter = Counter()
        # (lead, others, locations, type, grain, month) -> sums of LOCATION_VALUES
        self.places: dict[tuple, list[int]] = {}

    def add(self, facts: Facts) -> None:
        """Count one activity by the rules of app/activities/counting.py."""
        type_ = facts.type
        trained = counting.people_trained(type_, facts.participants_total)
        women = counting.women_trained(type_, facts.participants_women)
        split = counting.sex_recorded(type_, facts.participants_women, facts.participants_men)
        alert = int(counting.is_open_alert(type_, facts.alert_level, facts.alert_closed))
        recon = counting.is_reconstructed(facts.provenance)
        synth = counting.is_synthetic(facts.provenance)
        month = month_of(facts.start_date)
        grain = counting.grain_of(facts.start_precision)
        shape = (
            facts.mission_id,
            facts.other_mission_ids,
            facts.type,
            facts.response_area,
            facts.dimension,
            facts.status,
            facts.themes,
            grain,
            month,
        )
        values = (1, trained, women, split, alert, recon, synth)
        figures = self.shapes.get(shape)
        if figures is None:
            self.shapes[shape] = list(values)
        else:
            for i, value in enumerate(values):
                figures[i] += value
        status = facts.status
        # A training counts in each of its target groups' rows.
        for group in counting.target_group_keys(type_, facts.target_groups):
            key = (facts.mission_id, month, group)
            for name, value in (("n", 1), ("trained", trained), ("women", women), ("split", split)):
                if value:
                    self.training[(key, f"{name}_{status}")] += value
        if counting.counts_as_visit(type_) and counting.known_to_the_day(facts.start_precision):
            week = week_of(facts.start_date)
            for location_id in facts.location_ids:
                self.visits[((facts.mission_id, week, location_id), f"n_{status}")] += 1
        # The maps: approved records per place (expanded per mission in `contribution`).
        if status == APPROVED and facts.location_ids:
            place = (
                facts.mission_id,
                facts.other_mission_ids,
                facts.location_ids,
                type_,
                grain,
                month,
            )
            sums = self.places.get(place)
            if sums is None:
                self.places[place] = [1, alert, recon, synth]
            else:
                for i, value in enumerate((1, alert, recon, synth)):
                    sums[i] += value

    def contribution(self, into: Contribution | None = None) -> Contribution:
        """Every aggregate row the tallied activities add to, with how much."""
        result: Contribution = into if into is not None else defaultdict(Counter)
        for model in (ActivityStat, TrainingStat, VisitStat, LocationStat):
            result.setdefault(model, Counter())
        totals: dict[tuple, int] = {}  # a plain dict: Counter's += costs twice as much
        get = totals.get
        for shape, sums in self.shapes.items():
            lead_id, other_ids, type_, area, dimension, status, themes, grain, month = shape
            periods = ((grain, month), (counting.YEAR_GRAIN, month.replace(month=1)))
            levels = (
                ("fine", type_, area, dimension),
                ("area", ALL, area, ALL),
                ("type", type_, ALL, ALL),
                ("all", ALL, ALL, ALL),
            )
            figures = [
                (f"{name}_{status}", name, value)
                for name, value in zip(counting.FIGURES, sums, strict=True)
                if value
            ]
            lead_values = [(column, value) for column, _, value in figures]
            # A joint activity counts for each mission involved; the people it
            # trained count once, for the lead mission.
            other_values = [
                (column, value) for column, name, value in figures if name not in counting.LEAD_ONLY
            ]
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
                            for name, value in values:
                                totals[(key, name)] = get((key, name), 0) + value
        result[ActivityStat].update(totals)
        result[TrainingStat].update(self.training)
        result[VisitStat].update(self.visits)
        places: Counter = Counter()
        for (lead_id, other_ids, location_ids, type_, grain, month), sums in self.places.items():
            for mission_id in (lead_id, *other_ids):
                for row_grain, period in (
                    (grain, month),
                    (counting.YEAR_GRAIN, month.replace(month=1)),
                ):
                    for location_id in location_ids:
                        row = (row_grain, mission_id, period, lead_id, location_id, type_)
                        for name, value in zip(LOCATION_VALUES, sums, strict=True):
                            if value:
                                places[(row, name)] += value
        result[LocationStat].update(places)
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


BULK_ROWS = 100  # from this many rows up, an upsert is compiled once and sent as plain tuples


def apply(session: Session, delta: Mapping[type, Counter]) -> None:
    """Add `delta` to the aggregate tables with one upsert per row."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for model, key_names, value_names in TABLES:
        counter = delta.get(model)
        if not counter:
            continue
        # In one order of keys for every writer: two PostgreSQL transactions that lock
        # the same rows in different orders deadlock.
        params = [
            dict(zip(key_names, key, strict=True)) | values
            for key, values in sorted(_rows(counter, value_names).items(), key=itemgetter(0))
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
        if len(params) < BULK_ROWS:  # one record's change: SQLAlchemy's cached statement
            session.execute(statement, params)
            continue
        if dialect == "postgresql" and len(params) >= COPY_ROWS:
            _upsert_by_copy(session, table, key_names, value_names, params)
            continue
        for start in range(0, len(params), 5000):
            execute_many(session, statement, params[start : start + 5000])


COPY_ROWS = 5_000  # from this many rows up, PostgreSQL gets them by COPY into a scratch table


def _upsert_by_copy(
    session: Session,
    table: Table,
    key_names: tuple[str, ...],
    value_names: tuple[str, ...],
    params: list[dict[str, Any]],
) -> None:
    """A large load's aggregates on PostgreSQL: COPY into a temporary table, then one
    INSERT … SELECT … ON CONFLICT. Row-by-row upserts of a million records' few hundred
    thousand aggregate rows took most of `fieldlog demo`'s time (24 of 64 s at 100k)."""
    scratch = table.to_metadata(MetaData(), name=f"scratch_{table.name}")
    session.execute(
        text(
            f"CREATE TEMPORARY TABLE {scratch.name} "
            f"(LIKE {table.name} INCLUDING DEFAULTS) ON COMMIT DROP"
        )
    )
    insert_rows(session, scratch, params)
    names = [*key_names, *value_names]
    rows = select(*(scratch.c[n] for n in names)).order_by(*(scratch.c[n] for n in key_names))
    statement = pg_insert(table).from_select(names, rows)
    statement = statement.on_conflict_do_update(
        index_elements=list(key_names),
        set_={name: table.c[name] + statement.excluded[name] for name in value_names},
    )
    session.execute(statement)
    session.execute(text(f"DROP TABLE {scratch.name}"))


def record_change(session: Session, before: Facts | None, after: Facts | None) -> None:
    """Called by the write path for every change (create: before=None; delete: after=None)."""
    apply(session, difference(before, after))


def rebuild(session: Session) -> None:
    """Recompute every aggregate from the raw rows (to repair them)."""
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
    """What the aggregates should hold for these activities, worked out from scratch.

    The test oracle, so deliberately independent of the code it checks: it states the
    counting rules again in its own words (not through counting.py, Facts or Tally) and
    expands each activity into its rows one by one.
    """
    activity_rows: Counter = Counter()
    training_rows: Counter = Counter()
    visit_rows: Counter = Counter()
    location_rows: Counter = Counter()
    for activity in activities:
        status = activity.status
        is_training = activity.type == "training"
        is_visit = activity.type == "monitoring_visit"
        lead = activity.mission_id
        figures = {
            "n": 1,
            "trained": activity.participants_total or 0 if is_training else 0,
            "women": activity.participants_women or 0 if is_training else 0,
            # people whose sex was recorded: the women and the men given
            "split": (
                (activity.participants_women or 0) + (activity.participants_men or 0)
                if is_training
                else 0
            ),
            "alerts": int(
                is_visit
                and activity.alert_level in ("low", "elevated", "high")
                and not activity.alert_closed
            ),
            "recon": int(activity.provenance == "reconstructed"),
            "synth": int(activity.provenance == "synthetic"),
        }
        month = date(activity.start_date.year, activity.start_date.month, 1)
        # a date known only to its quarter or year has no month of its own
        month_grain = {"quarter": "q-unk", "year": "y-unk"}.get(activity.start_precision, "month")
        missions = [lead] + [m.id for m in activity.other_missions]
        for mission_id in missions:
            for grain, period in ((month_grain, month), ("year", date(month.year, 1, 1))):
                for theme in ["", *activity.themes]:
                    for level, type_, area, dimension in (
                        ("fine", activity.type, activity.response_area, activity.dimension),
                        ("area", "*", activity.response_area, "*"),
                        ("type", activity.type, "*", "*"),
                        ("all", "*", "*", "*"),
                    ):
                        stat_key = (
                            grain,
                            level,
                            theme,
                            mission_id,
                            period,
                            lead,
                            type_,
                            area,
                            dimension,
                        )
                        for name, value in figures.items():
                            if mission_id == lead or name not in ("trained", "women", "split"):
                                activity_rows[(stat_key, f"{name}_{status}")] += value
        if is_training:
            # one row per target group, each with the whole training; '' for none
            for group in sorted(set(activity.target_groups or [])) or [""]:
                for name in ("n", "trained", "women", "split"):
                    training_rows[((lead, month, group), f"{name}_{status}")] += figures[name]
        if is_visit and activity.start_precision == "day":  # a week only for a known day
            monday = activity.start_date - timedelta(days=activity.start_date.weekday())
            for location in activity.locations:
                visit_rows[((lead, monday, location.id), f"n_{status}")] += 1
        if status == "approved":  # the maps count approved records, at each of their places
            for mission_id in missions:
                for grain, period in ((month_grain, month), ("year", date(month.year, 1, 1))):
                    for location in activity.locations:
                        key = (grain, mission_id, period, lead, location.id, activity.type)
                        for name in ("n", "alerts", "recon", "synth"):
                            location_rows[(key, name)] += figures[name]
    counted = {
        ActivityStat: activity_rows,
        TrainingStat: training_rows,
        VisitStat: visit_rows,
        LocationStat: location_rows,
    }
    result = {}
    for model, _, value_names in TABLES:
        rows: dict[tuple, dict[str, int]] = {}
        for (key, name), value in counted[model].items():
            rows.setdefault(key, dict.fromkeys(value_names, 0))[name] += value
        result[model.__tablename__] = {
            (*key, *(values[n] for n in value_names))
            for key, values in rows.items()
            if any(values.values())
        }
    return result
