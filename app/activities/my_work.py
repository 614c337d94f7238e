"""A focal point's or head of mission's own work: what they have to finish, what came back
from review, what waits for them, and what happened to their records since they last signed
in. The page /my-work, the count in the navigation and the review queue's "next record" all
read it from here."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.accounts.actor import Actor
from app.accounts.policy import can_log_activities
from app.activities import policy
from app.activities.models import Activity
from app.activities.service import ENTITY
from app.audit.models import AuditEntry
from app.db import unit_of_work
from app.vocab import Status

LIST_LIMIT = 50  # each list on the page; the counts say how many there are in all
OUTCOME_LIMIT = 200  # review outcomes read for the notice since the last sign-in
REVIEW_OUTCOMES = ("approve", "return")  # the transitions the author is told about


@dataclass(frozen=True)
class Counts:
    drafts: int = 0
    returned: int = 0
    submitted: int = 0  # the user's own, waiting for the head of mission
    to_review: int = 0  # the mission's submitted records; heads of mission only

    @property
    def open(self) -> int:
        """What the navigation shows: the work that waits on this person."""
        return self.drafts + self.returned + self.to_review


@dataclass(frozen=True)
class Outcome:
    """A review of one of the user's records since their previous sign-in."""

    activity_id: int
    title: str
    action: str  # "approve" or "return"
    comment: str | None


@dataclass(frozen=True)
class MyWork:
    counts: Counts
    drafts: list[Activity]
    returned: list[Activity]
    submitted: list[Activity]
    to_review: list[Activity] | None  # None: the user reviews nothing
    since_last_sign_in: list[Outcome]

    def since_headline(self) -> str:
        """E.g. "2 records returned, 1 approved"."""
        returned = sum(o.action == "return" for o in self.since_last_sign_in)
        approved = len(self.since_last_sign_in) - returned
        parts = [(returned, "returned"), (approved, "approved")]
        said = [f"{n} {verb}" for n, verb in parts if n]
        total = returned or approved
        said[0] = said[0].replace(" ", " record " if total == 1 else " records ", 1)
        return ", ".join(said)


def has_my_work(user: Actor | None) -> bool:
    """Those who log activities (mission staff) have a /my-work page and land on it."""
    return can_log_activities(user)


def _reviews(user: Actor) -> bool:
    return user.mission_id is not None and policy.can_review_mission(user, user.mission_id)


def _own(user: Actor) -> ColumnElement[bool]:
    """The user's own records of their mission (also the visibility rule, which holds them)."""
    return and_(
        Activity.created_by_id == user.id,
        Activity.mission_id == user.mission_id,
        policy.visible_activities(user),
    )


def _waiting_for(user: Actor) -> ColumnElement[bool]:
    """The records waiting for this head of mission's review."""
    return and_(
        Activity.status == Status.SUBMITTED.value,
        Activity.mission_id == user.mission_id,
        policy.visible_activities(user),
    )


def counts(session: Session, user: Actor) -> Counts:
    """Every count, in two queries that each read one index, so the navigation costs the
    same at a million records: the user's own records by author, and the mission's
    submitted records from the (status, mission) index alone."""
    if not has_my_work(user):
        return Counts()
    own = dict(
        session.execute(
            select(Activity.status, func.count())
            .where(Activity.created_by_id == user.id, Activity.mission_id == user.mission_id)
            .group_by(Activity.status)
        ).all()
    )
    waiting: int | None = 0
    if _reviews(user):
        waiting = session.scalar(
            select(func.count()).where(
                Activity.status == Status.SUBMITTED.value,
                Activity.mission_id == user.mission_id,
            )
        )
    return Counts(
        drafts=own.get(Status.DRAFT.value, 0),
        returned=own.get(Status.RETURNED.value, 0),
        submitted=own.get(Status.SUBMITTED.value, 0),
        to_review=int(waiting or 0),
    )


def open_count_for(request: Request) -> int | None:
    """The navigation's "My work (N)" for the person making the request; None for people
    without a my-work page.

    Read in a short read-only session of its own: pages render it after their own work is
    done, error pages after a rollback. The count is a convenience, so a database that does
    not answer leaves it out instead of turning the page (often that very error page) into
    a failure of its own.
    """
    user = getattr(request.state, "user", None)
    if user is None or not has_my_work(user):
        return None
    try:
        with unit_of_work(request.app.state.engine, write=False) as session:
            return counts(session, user).open
    except SQLAlchemyError:
        return None


# Waiting longest first: a record's updated_at is when it was submitted, unless the head of
# mission changed it since. The id breaks ties, so the order is the same on every page.
_OLDEST_FIRST = (Activity.updated_at, Activity.id)


def summary(session: Session, user: Actor) -> MyWork:
    """What /my-work shows `user` (mission staff)."""
    found = counts(session, user)

    def own(status: Status) -> list[Activity]:
        rows = select(Activity).where(_own(user), Activity.status == status.value)
        newest_first = rows.order_by(Activity.updated_at.desc(), Activity.id.desc())
        return list(session.scalars(newest_first.limit(LIST_LIMIT)))

    to_review = None
    if _reviews(user):
        rows = select(Activity).where(_waiting_for(user)).order_by(*_OLDEST_FIRST)
        to_review = list(session.scalars(rows.limit(LIST_LIMIT)))
    return MyWork(
        counts=found,
        drafts=own(Status.DRAFT) if found.drafts else [],
        returned=own(Status.RETURNED) if found.returned else [],
        submitted=own(Status.SUBMITTED) if found.submitted else [],
        to_review=to_review,
        since_last_sign_in=since_last_sign_in(session, user),
    )


def next_to_review(session: Session, user: Actor) -> tuple[int | None, int]:
    """After a review: the record of the reviewer's mission waiting longest, and how many
    wait (that one included); (None, 0) when nothing does."""
    if not _reviews(user):
        return None, 0
    waiting = _waiting_for(user)
    first = session.scalar(select(Activity.id).where(waiting).order_by(*_OLDEST_FIRST).limit(1))
    if first is None:
        return None, 0
    return first, session.scalar(select(func.count()).where(waiting)) or 0


def since_last_sign_in(session: Session, user: Actor) -> list[Outcome]:
    """Records of the user's that someone approved or returned between their previous
    sign-in and their latest one: told once, at the first sign-in after it happened.

    No table keeps "seen" marks; the audit trail has both the sign-ins and the reviews, and
    its ids only grow, so "between two sign-ins" is "between two audit ids" (a clock set
    back changes nothing). A review made while the user is signed in is told at their next
    sign-in. Only each record's latest outcome counts; deleted records drop out.
    """
    if not has_my_work(user):
        return []
    sign_ins = list(
        session.scalars(
            select(AuditEntry.id)
            .where(
                AuditEntry.action == "login",
                AuditEntry.entity == "user",
                AuditEntry.entity_id == user.id,
            )
            .order_by(AuditEntry.id.desc())
            .limit(2)
        )
    )
    if not sign_ins:  # signed in with an API token only: there is no "since" to speak of
        return []
    latest, previous = sign_ins[0], (sign_ins[1] if len(sign_ins) > 1 else 0)
    detail = AuditEntry.detail
    reviewed = or_(
        *(or_(detail == action, detail.startswith(f"{action}: ")) for action in REVIEW_OUTCOMES)
    )
    rows = session.execute(
        select(AuditEntry.entity_id, AuditEntry.detail, Activity.title)
        .join(Activity, Activity.id == AuditEntry.entity_id)
        .where(
            AuditEntry.entity == ENTITY,
            AuditEntry.action == "transition",
            AuditEntry.id > previous,
            AuditEntry.id < latest,
            reviewed,
            or_(AuditEntry.user_id.is_(None), AuditEntry.user_id != user.id),
            _own(user),
        )
        .order_by(AuditEntry.id.desc())
        .limit(OUTCOME_LIMIT)
    ).all()
    outcomes: dict[int, Outcome] = {}
    for activity_id, text, title in rows:
        if activity_id is None or activity_id in outcomes:  # told already (or not a record)
            continue
        action, _, comment = (text or "").partition(": ")
        outcomes[activity_id] = Outcome(activity_id, title, action, comment or None)
    return list(outcomes.values())
