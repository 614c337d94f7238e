"""Record-level rules about activities: who may see, create, edit, delete, submit and review
one record, and the same visibility as SQL for lists, exports and the aggregates.

Route-level rules (who may call a route at all) and the roles are in
`app/accounts/policy.py`; these sit with the records they are about.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from sqlalchemy import and_, case, false, literal, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from app.accounts.actor import Actor
from app.accounts.models import User
from app.accounts.policy import CPC_DESK, FOCAL_POINT, HEAD_OF_MISSION, MISSION_ROLES
from app.activities.models import Activity
from app.vocab import Status

EDITABLE_BY_FOCAL_POINT = frozenset({Status.DRAFT.value, Status.RETURNED.value})
READABLE_BY_CPC = frozenset({Status.SUBMITTED.value, Status.APPROVED.value})


def is_own(user: Actor | None, mission_id: int) -> bool:
    return user is not None and user.role in MISSION_ROLES and user.mission_id == mission_id


def visible_activities(user: Actor | None) -> ColumnElement[bool]:
    """SQL condition: the activities `user` may see (lists, dashboards, exports, reports)."""
    if user is None:
        return false()
    approved = Activity.status == Status.APPROVED.value
    if user.role in MISSION_ROLES:
        return or_(Activity.mission_id == user.mission_id, approved)
    if user.role == CPC_DESK:
        return Activity.status.in_(READABLE_BY_CPC)
    return approved


def sees(user: Actor | None, *, lead_mission_id: int, status: str) -> bool:
    """The same rule as `visible_activities`, for a record's lead mission and status (the
    list walks one index range per pair this allows: app/activities/listing.py)."""
    if user is None:
        return False
    if status == Status.APPROVED.value:
        return True
    if user.role in MISSION_ROLES:
        return user.mission_id == lead_mission_id
    return user.role == CPC_DESK and status in READABLE_BY_CPC


def can_see(user: Actor | None, activity: Activity) -> bool:
    """The same rule as `visible_activities`, for one loaded record."""
    return sees(user, lead_mission_id=activity.mission_id, status=activity.status)


def can_create_for(user: Actor | None, mission_id: int) -> bool:
    return is_own(user, mission_id)


def can_edit(user: Actor | None, activity: Activity) -> bool:
    if user is None or not is_own(user, activity.mission_id):
        return False
    if user.role == HEAD_OF_MISSION:
        return True
    return activity.status in EDITABLE_BY_FOCAL_POINT


def can_delete(user: Actor | None, activity: Activity) -> bool:
    """Approved records stay: they may already be in reports. Drafts and returned ones go."""
    approved = activity.status == Status.APPROVED.value
    if user is None or not is_own(user, activity.mission_id) or approved:
        return False
    return user.role == HEAD_OF_MISSION or activity.status in EDITABLE_BY_FOCAL_POINT


def edit_refusal(user: Actor | None, activity: Activity) -> str:
    """Why `user` may not change `activity`, in words for the person."""
    if user is None or not is_own(user, activity.mission_id):
        return "Only the mission's own focal points and head of mission change its records."
    if activity.status == Status.APPROVED.value and user.role != HEAD_OF_MISSION:
        return "This record is approved; only the head of mission can change it now."
    return (
        f"This record is {activity.status}; focal points change drafts and returned records only."
    )


def can_review_mission(user: Actor | None, mission_id: int) -> bool:
    """Approve or return the mission's submitted records: its head of mission."""
    return user is not None and user.role == HEAD_OF_MISSION and user.mission_id == mission_id


def can_review(user: Actor | None, activity: Activity) -> bool:
    """Approve or return this record."""
    return can_review_mission(user, activity.mission_id)


def can_submit(user: Actor | None, activity: Activity) -> bool:
    return is_own(user, activity.mission_id)


def visible_stat(
    user: Actor | None,
    table: FromClause,
    figure: str,
    *,
    lead_column: str = "lead_mission_id",
    statuses: Collection[str] | None = None,
) -> ColumnElement[int]:
    """SQL: `figure` summed over the statuses `user` may see, for one aggregate row.

    The same rule as `visible_activities`, read from the per-status columns of
    app/activities/aggregate_models.py: own mission everything, others approved only (the
    CPC desk also sees submitted records). `statuses`: only these (a status filter).
    """
    wanted = Status.values() if statuses is None else [s for s in Status.values() if s in statuses]
    columns = {status: table.c[f"{figure}_{status}"] for status in wanted}
    zero: ColumnElement[int] = literal(0)
    approved = columns.get(Status.APPROVED.value, zero)
    if user is None:
        return zero
    if user.role in MISSION_ROLES:
        everything = sum(columns.values(), zero)
        return case((table.c[lead_column] == user.mission_id, everything), else_=approved)
    if user.role == CPC_DESK:
        return sum((c for s, c in columns.items() if s in READABLE_BY_CPC), zero)
    return approved


def statuses_apart(user: Actor | None) -> tuple[str, ...]:
    """The statuses other than approved that `user` may see somewhere: the dashboards count
    them apart from the (approved) headline figures, never inside them."""
    if user is not None and user.role in MISSION_ROLES:
        return tuple(s for s in Status.values() if s != Status.APPROVED.value)
    if user is not None and user.role == CPC_DESK:
        return (Status.SUBMITTED.value,)
    return ()


def stat_of_status(
    user: Actor | None,
    table: FromClause,
    figure: str,
    status: str,
    *,
    lead_column: str = "lead_mission_id",
) -> ColumnElement[int]:
    """SQL: `figure` of one aggregate row's records of `status`, where `user` may see them
    (the rule of `visible_activities`, one status at a time); else 0."""
    column = table.c[f"{figure}_{status}"]
    if user is None:
        return literal(0)
    if status == Status.APPROVED.value:
        return column
    if user.role in MISSION_ROLES:
        return case((table.c[lead_column] == user.mission_id, column), else_=0)
    if user.role == CPC_DESK and status in READABLE_BY_CPC:
        return column
    return literal(0)


# What a template may ask with `can("name", ...)`; app.main hands these to app.web.
TEMPLATE_QUESTIONS: dict[str, Callable[..., bool]] = {"review_mission": can_review_mission}


# --- who is told (app/notifications): the rules above, as SQL on the users ------------------


def reviewers_of(mission_id: int) -> ColumnElement[bool]:
    """The active users who approve or return the mission's records (`can_review_mission`)."""
    return and_(User.active, User.role == HEAD_OF_MISSION, User.mission_id == mission_id)


def desk() -> ColumnElement[bool]:
    """The active users who follow every mission's submitted and approved records."""
    return and_(User.active, User.role == CPC_DESK)


def is_desk(user: Actor | None) -> bool:
    return user is not None and user.role == CPC_DESK


def loggers_of(mission_id: int) -> ColumnElement[bool]:
    """The mission's active focal points: they log its records but review none."""
    return and_(User.active, User.role == FOCAL_POINT, User.mission_id == mission_id)
