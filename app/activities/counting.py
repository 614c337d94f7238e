"""What the dashboards count: the rules behind every figure, in one place.

- An activity counts once for every mission involved: its lead mission and each
  mission taking part (`involvement`).
- People trained are the participants of trainings; women trained, the women among
  them; the *split* is the people trained on trainings that say how many were women
  (the share of women is women / split). People count once, for the lead mission
  (`LEAD_ONLY`), so a joint training does not train its participants twice.
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

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from app.activities.models import Activity, activity_other_missions
from app.vocab import ActivityType, AlertLevel

TRAINING = ActivityType.TRAINING.value
MONITORING_VISIT = ActivityType.MONITORING_VISIT.value
OPEN_ALERT_LEVELS = frozenset(
    {AlertLevel.LOW.value, AlertLevel.ELEVATED.value, AlertLevel.HIGH.value}
)

# The figures of activity_stats, in the order the dashboards read them.
FIGURES = ("n", "trained", "women", "split", "alerts")
# The figures a joint activity adds for its lead mission only.
LEAD_ONLY = frozenset({"trained", "women", "split"})


# --- one activity (Python) -------------------------------------------------------------------


def people_trained(activity_type: str, participants_total: int | None) -> int:
    return (participants_total or 0) if activity_type == TRAINING else 0


def women_trained(activity_type: str, participants_women: int | None) -> int:
    return (participants_women or 0) if activity_type == TRAINING else 0


def trained_with_women_known(
    activity_type: str, participants_total: int | None, participants_women: int | None
) -> int:
    """The people trained that the share of women is taken over (the split)."""
    if participants_women is None:
        return 0
    return people_trained(activity_type, participants_total)


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


def trained_with_women_known_sql(
    *, is_lead: ColumnElement[bool] | None = None
) -> ColumnElement[int]:
    """Per row: `trained_with_women_known`; 0 where `is_lead` is false."""
    known = and_(_lead_training(is_lead), Activity.participants_women.is_not(None))
    return case((known, func.coalesce(Activity.participants_total, 0)), else_=0)


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
        func.sum(trained_with_women_known_sql(is_lead=is_lead)),
        func.sum(open_alert_sql()),
    ]


def _lead_training(is_lead: ColumnElement[bool] | None) -> ColumnElement[bool]:
    training = Activity.type == TRAINING
    return training if is_lead is None else and_(training, is_lead)
