"""What the dashboards count: the rules behind every figure, in one place.

- An activity counts once for every mission involved: its lead mission and each
  mission taking part (`involvement`).
- People trained are the participants of trainings; women trained, the women among
  them; the *split* is the people whose sex was recorded: the women and the men a
  training gives (each may be left out; the rest of its participants are "not
  recorded"). The share of women is women / split, over what was recorded only, and
  is shown with the split and the people not recorded (trained - split). People count
  once, for the lead mission (`LEAD_ONLY`), so a joint training does not train its
  participants twice.
- A training counts in the row of each of its target groups (training_stats), so the
  rows per group add up to more than the total when a training has several groups; a
  training without a group counts in the '' row.
- An open alert is a monitoring visit whose alert level is low, elevated or high and
  that is not closed.
- An open alert is counted where the record is: the headline figures count approved
  records only, so an open alert counts when its monitoring visit is approved.
- Headline figures count **approved** records only, for every reader. Records a reader
  may also see that are not approved (their own mission's drafts, submitted and returned
  records; the CPC desk's submitted ones) are counted apart, per status
  (policy.visible_stat_parts), never added in.
- Reconstructed and synthetic records are counted as such too (`recon`, `synth`), so a
  figure can say how much of it is not first-hand and the comparison can leave them out.
- **Partial dates.** A record's date is its start with a precision (day, month, quarter,
  year). A record counts in a period when all of its date falls inside it ("wholly");
  a record whose date only overlaps the period ("2015" for June 2015 – March 2016) only
  *may* fall in it and is counted apart. Monthly figures hold only records known to the
  month; records known only to the quarter or year sit in their own rows
  (`grain_of`), drawn apart as "2015, month unknown", never in the first month.

Each rule is stated twice, side by side: in Python for one activity (the aggregates add
these up as records are written) and in SQL for the raw rows (the dashboards count the
days at the ends of a period from the activities themselves). aggregates.recount is the
independent check: it re-derives the figures without these functions.
"""

from __future__ import annotations

import calendar
from datetime import date

from sqlalchemy import and_, case, func, literal, literal_column, or_, select, true, union_all
from sqlalchemy.sql.elements import ColumnElement

from app.activities.models import Activity, ActivityTargetGroup, activity_other_missions
from app.vocab import ActivityType, AlertLevel, DatePrecision, Provenance

TRAINING = ActivityType.TRAINING.value
MONITORING_VISIT = ActivityType.MONITORING_VISIT.value
OPEN_ALERT_LEVELS = frozenset(
    {AlertLevel.LOW.value, AlertLevel.ELEVATED.value, AlertLevel.HIGH.value}
)

# The figures of activity_stats, in the order the dashboards read them.
FIGURES = ("n", "trained", "women", "split", "alerts", "recon", "synth")
# The figures of training_stats (per lead mission, month and target group).
TRAINING_FIGURES = ("n", "trained", "women", "split")
RECONSTRUCTED = Provenance.RECONSTRUCTED.value
SYNTHETIC = Provenance.SYNTHETIC.value

# The grain of a record's monthly row, by how well its date is known.
MONTH_GRAIN = "month"  # known to the month or the day
QUARTER_ONLY = "q-unk"  # known to the quarter only: the row sits on the quarter's first month
YEAR_ONLY = "y-unk"  # known to the year only: the row sits on 1 January
YEAR_GRAIN = "year"  # every record of the year, however well its date is known
# The figures a joint activity adds for its lead mission only.
LEAD_ONLY = frozenset({"trained", "women", "split"})


# --- one activity (Python) -------------------------------------------------------------------


def people_trained(activity_type: str, participants_total: int | None) -> int:
    return (participants_total or 0) if activity_type == TRAINING else 0


def women_trained(activity_type: str, participants_women: int | None) -> int:
    return (participants_women or 0) if activity_type == TRAINING else 0


def sex_recorded(
    activity_type: str, participants_women: int | None, participants_men: int | None
) -> int:
    """The people trained whose sex was recorded (the split the share of women is over)."""
    if activity_type != TRAINING:
        return 0
    return (participants_women or 0) + (participants_men or 0)


def target_group_keys(activity_type: str, target_groups) -> tuple[str, ...]:
    """The training_stats rows a training counts in: one per group, '' for none."""
    if activity_type != TRAINING:
        return ()
    return tuple(sorted(set(target_groups or ()))) or ("",)


def is_open_alert(activity_type: str, alert_level: str | None, alert_closed: bool | None) -> bool:
    return (
        activity_type == MONITORING_VISIT and alert_level in OPEN_ALERT_LEVELS and not alert_closed
    )


def is_reconstructed(provenance: str | None) -> int:
    return int(provenance == RECONSTRUCTED)


def is_synthetic(provenance: str | None) -> int:
    return int(provenance == SYNTHETIC)


def grain_of(precision: str | None) -> str:
    """Which monthly row a record's date goes to: its month, or its quarter or year apart."""
    if precision == DatePrecision.QUARTER.value:
        return QUARTER_ONLY
    if precision == DatePrecision.YEAR.value:
        return YEAR_ONLY
    return MONTH_GRAIN


def counts_as_training(activity_type: str) -> bool:
    """Trainings are also counted per target group (training_stats)."""
    return activity_type == TRAINING


def counts_as_visit(activity_type: str) -> bool:
    """Monitoring visits are also counted per location and week (visit_stats), when their
    day is known (`known_to_the_day`): a visit of "March 2016" has no week."""
    return activity_type == MONITORING_VISIT


def known_to_the_day(precision: str | None) -> bool:
    return precision in (None, DatePrecision.DAY.value)


# --- raw rows (SQL) ----------------------------------------------------------------------------


def involvement(*conditions: ColumnElement[bool]):
    """(activity_id, mission_id, is_lead) for every mission leading or taking part, for the
    activities meeting `conditions` (applied inside, so a few days read a few rows)."""
    lead = select(
        Activity.id.label("activity_id"),
        Activity.mission_id.label("mission_id"),
        literal(True).label("is_lead"),
    ).where(*conditions)
    joint = (
        select(
            activity_other_missions.c.activity_id,
            activity_other_missions.c.mission_id,
            literal(False).label("is_lead"),
        )
        .join(Activity, Activity.id == activity_other_missions.c.activity_id)
        .where(*conditions)
    )
    return union_all(lead, joint).subquery("involvement")


def people_trained_sql(*, is_lead: ColumnElement[bool] | None = None) -> ColumnElement[int]:
    """Per row: `people_trained`; 0 where `is_lead` is false (a mission taking part)."""
    return case((_lead_training(is_lead), func.coalesce(Activity.participants_total, 0)), else_=0)


def women_trained_sql(*, is_lead: ColumnElement[bool] | None = None) -> ColumnElement[int]:
    """Per row: `women_trained`; 0 where `is_lead` is false."""
    return case((_lead_training(is_lead), func.coalesce(Activity.participants_women, 0)), else_=0)


def sex_recorded_sql(*, is_lead: ColumnElement[bool] | None = None) -> ColumnElement[int]:
    """Per row: `sex_recorded`; 0 where `is_lead` is false."""
    recorded = func.coalesce(Activity.participants_women, 0) + func.coalesce(
        Activity.participants_men, 0
    )
    return case((_lead_training(is_lead), recorded), else_=0)


def target_group_sql() -> ColumnElement[str]:
    """Per row of trainings outer-joined to activity_target_groups: `target_group_keys`."""
    # one inline '' : PostgreSQL sees two bound parameters as two expressions
    return func.coalesce(ActivityTargetGroup.target_group, literal_column("''"))


def open_alert_sql() -> ColumnElement[int]:
    """Per row: 1 for `is_open_alert`, else 0."""
    open_ = and_(
        Activity.type == MONITORING_VISIT,
        Activity.alert_level.in_(OPEN_ALERT_LEVELS),
        func.coalesce(Activity.alert_closed, False).is_(False),
    )
    return case((open_, 1), else_=0)


def figures_sql(*, is_lead: ColumnElement[bool]) -> list[ColumnElement[int]]:
    """The sums of FIGURES over the rows of a query joined to `involvement()`."""
    return [
        func.count(),
        func.sum(people_trained_sql(is_lead=is_lead)),
        func.sum(women_trained_sql(is_lead=is_lead)),
        func.sum(sex_recorded_sql(is_lead=is_lead)),
        func.sum(open_alert_sql()),
        func.sum(case((Activity.provenance == RECONSTRUCTED, 1), else_=0)),
        func.sum(case((Activity.provenance == SYNTHETIC, 1), else_=0)),
    ]


def _lead_training(is_lead: ColumnElement[bool] | None) -> ColumnElement[bool]:
    training = Activity.type == TRAINING
    return training if is_lead is None else and_(training, is_lead)


# --- partial dates --------------------------------------------------------------------------


def latest_start_within(precision: str, last: date) -> date:
    """The latest first day a date of `precision` may have and still end on or before `last`."""
    if precision == DatePrecision.DAY.value:
        return last
    month_end = last.day == calendar.monthrange(last.year, last.month)[1]
    if precision == DatePrecision.MONTH.value:
        if month_end:
            return last.replace(day=1)
        return date(last.year - 1, 12, 1) if last.month == 1 else date(last.year, last.month - 1, 1)
    if precision == DatePrecision.QUARTER.value:
        quarter_start = date(last.year, 3 * ((last.month - 1) // 3) + 1, 1)
        if month_end and last.month % 3 == 0:
            return quarter_start
        if quarter_start.month == 1:
            return date(last.year - 1, 10, 1)
        return quarter_start.replace(month=quarter_start.month - 3)
    year_end = last.month == 12 and last.day == 31
    return date(last.year if year_end else last.year - 1, 1, 1)


def wholly_within(start: date, precision: str, first: date | None, last: date | None) -> bool:
    """The partial-date rule for one record: does all of its date fall in [first, last]?"""
    if first is not None and start < first:
        return False
    return last is None or start <= latest_start_within(precision, last)


def wholly_within_sql(first: date | None, last: date | None) -> ColumnElement[bool]:
    """SQL: `wholly_within` for the rows of `activities`; a range on start_date (indexed)
    plus a check of the precision, so "2015" is not in January–March 2015."""
    conditions: list[ColumnElement[bool]] = []
    if first is not None:
        conditions.append(Activity.start_date >= first)
    if last is not None:
        conditions.append(Activity.start_date <= last)
        conditions.append(
            or_(
                *(
                    and_(
                        Activity.start_precision == p.value,
                        Activity.start_date <= latest_start_within(p.value, last),
                    )
                    for p in DatePrecision
                )
            )
        )
    return and_(true(), *conditions)
