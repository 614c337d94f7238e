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
- Every status counts, each in its own per-status column of the aggregates; which
  statuses a reader sees is policy.visible_stat / policy.visible_activities.

Each rule is stated twice, side by side: in Python for one activity (the aggregates add
these up as records are written) and in SQL for the raw rows (the dashboards count the
days at the ends of a period from the activities themselves). aggregates.recount is the
independent check: it re-derives the figures without these functions.
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, literal, literal_column, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from app.activities.models import Activity, ActivityTargetGroup, activity_other_missions
from app.vocab import ActivityType, AlertLevel

TRAINING = ActivityType.TRAINING.value
MONITORING_VISIT = ActivityType.MONITORING_VISIT.value
OPEN_ALERT_LEVELS = frozenset(
    {AlertLevel.LOW.value, AlertLevel.ELEVATED.value, AlertLevel.HIGH.value}
)

# The figures of activity_stats, in the order the dashboards read them.
FIGURES = ("n", "trained", "women", "split", "alerts")
# The figures of training_stats (per lead mission, month and target group).
TRAINING_FIGURES = ("n", "trained", "women", "split")
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


def counts_as_training(activity_type: str) -> bool:
    """Trainings are also counted per target group (training_stats)."""
    return activity_type == TRAINING


def counts_as_visit(activity_type: str) -> bool:
    """Monitoring visits are also counted per location and week (visit_stats)."""
    return activity_type == MONITORING_VISIT


# --- raw rows (SQL) ----------------------------------------------------------------------------


def involvement():
    """(activity_id, mission_id, is_lead) for every mission leading or taking part."""
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
    ]


def _lead_training(is_lead: ColumnElement[bool] | None) -> ColumnElement[bool]:
    training = Activity.type == TRAINING
    return training if is_lead is None else and_(training, is_lead)
