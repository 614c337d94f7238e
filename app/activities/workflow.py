"""The review workflow: draft → submitted → approved, or returned with a comment →
submitted again. The transitions live here and nowhere else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from app.accounts.actor import Actor
from app.activities import policy, writes
from app.activities.models import Activity
from app.activities.service import check_version
from app.errors import Conflict, FieldError, Forbidden, ValidationFailed
from app.models_common import utcnow
from app.vocab import Status


class Action(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[Status]
    target: Status
    allowed: Callable[[Actor | None, Activity], bool]
    needs_comment: bool = False
    label: str = ""


TRANSITIONS: dict[Action, Transition] = {
    Action.SUBMIT: Transition(
        frozenset({Status.DRAFT, Status.RETURNED}),
        Status.SUBMITTED,
        policy.can_submit,
        label="submitted for review",
    ),
    Action.APPROVE: Transition(
        frozenset({Status.SUBMITTED}),
        Status.APPROVED,
        policy.can_review,
        label="approved",
    ),
    Action.RETURN: Transition(
        frozenset({Status.SUBMITTED}),
        Status.RETURNED,
        policy.can_review,
        needs_comment=True,
        label="returned",
    ),
}


def available(user: Actor | None, activity: Activity) -> list[Action]:
    """The actions `user` may take on `activity` now (for showing the right buttons)."""
    return [
        action
        for action, t in TRANSITIONS.items()
        if Status(activity.status) in t.sources and (user is None or t.allowed(user, activity))
    ]


def transition(
    session: Session,
    *,
    activity: Activity,
    action: Action,
    version: int,
    actor: Actor | None,
    comment: str | None = None,
) -> Activity:
    """Move `activity` along the workflow, or refuse: 403 for the wrong person, 409 for
    the wrong state or a stale version, 422 for a return without a comment."""
    step = TRANSITIONS[action]
    if actor is not None and not step.allowed(actor, activity):
        raise Forbidden(
            "Only the mission's head of mission approves or returns its records."
            if action is not Action.SUBMIT
            else "Only the mission's own staff submit its records."
        )
    check_version(activity, version)
    if Status(activity.status) not in step.sources:
        allowed = " or ".join(sorted(s.value for s in step.sources))
        raise Conflict(
            f"This record is {activity.status}; only {allowed} records can be {step.label}."
        )
    comment = (comment or "").strip() or None
    if step.needs_comment and not comment:
        raise ValidationFailed(
            [FieldError(("body", "comment"), "say what needs to change before it is approved")]
        )
    with writes.change(
        session,
        activity,
        actor_id=actor.id if actor else None,
        action="transition",
        detail=f"{action.value}: {comment}" if comment else action.value,
    ):
        activity.status = step.target.value
        if action is Action.RETURN:
            activity.review_comment = comment
        elif action is Action.APPROVE:
            activity.review_comment = None
        activity.updated_at = utcnow()
    return activity
