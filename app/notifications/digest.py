"""Weekly digests and silent missions.

A head of mission's digest: the records waiting for their review and for how long, the
mission's open alerts, what the mission did in the week against its usual week, and
its focal points who logged nothing lately. A CPC desk member's: per mission, the
records of the week, the open alerts, and whether the mission has gone silent. Both end
with the person's notices of the week that they chose to get in the digest.

Everything is read through the records' policy for the person it is for, so a digest
says nothing their own lists would not. A week is an ISO week and a record belongs to
the week its activity started in. `digests_sent` holds (person, week): making the
digests twice for one week makes none the second time.

Silent: nothing logged (no record the viewer may see started) in the `silent_weeks`
weeks up to a day; flagged on /compare and in the digests.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.accounts.actor import Actor
from app.accounts.models import User
from app.activities import listing, policy
from app.activities.models import Activity
from app.activities.service import ActivityFilters
from app.config import Settings
from app.db import unit_of_work
from app.missions.models import Mission
from app.models_common import utcnow
from app.notifications.events import delivery_for
from app.notifications.mail import render, url
from app.notifications.models import Delivery, DigestSent, Notice, OutboxMail
from app.notifications.service import link
from app.vocab import ActivityType, AlertLevel, Status

USUAL_WEEKS = 12  # "its usual": the average week of the twelve before
LISTED = 25  # at most this many records per list; the count says how many there are

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(text: str) -> date:
    """The Monday of ISO week `text` (2016-W07), or ValueError saying what to type."""
    found = _WEEK.match(text.strip())
    if not found:
        raise ValueError(f"{text!r} is not a week: write it as YYYY-Www, e.g. 2016-W07")
    try:
        return date.fromisocalendar(int(found[1]), int(found[2]), 1)
    except ValueError:
        raise ValueError(f"{found[1]} has no week {int(found[2])}") from None


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def last_full_week(today: date | None = None) -> date:
    today = today or date.today()
    return today - timedelta(days=today.weekday() + 7)


# --- silence --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Silent:
    name: str  # the mission's code, or a focal point's name
    last_logged: date | None
    mission_code: str = ""
    focal_point: bool = False


def _since(until: date, weeks: int) -> date:
    return until - timedelta(days=7 * weeks - 1)


def silent_missions(session: Session, viewer: Actor, *, until: date, weeks: int) -> list[Silent]:
    """Missions with no record `viewer` may see that started in the `weeks` weeks up to
    `until`, with the day their last one (up to `until`) started."""
    last = last_started(session, viewer, until=until)
    since = _since(until, weeks)
    return [
        Silent(m.code, last.get(m.id), m.code)
        for m in session.scalars(select(Mission).order_by(Mission.code))
        if last.get(m.id) is None or last[m.id] < since
    ]


def last_started(session: Session, viewer: Actor, *, until: date) -> dict[int, date]:
    """Per lead mission, the latest start (up to `until`) of a record `viewer` may see.

    One lookup at the end of each (mission, status) range of the list's start-date index
    (the list's branches, app/activities/listing.py), not a pass over every visible row:
    /compare asks on every view, and at a million records the grouped maximum read them all."""
    found: dict[int, date] = {}
    for branch in listing.branches(session, viewer, ActivityFilters()):
        day = session.scalar(
            select(func.max(Activity.start_date)).where(
                *branch.conditions(), Activity.start_date <= until
            )
        )
        if day is not None and day > found.get(branch.mission_id, date.min):
            found[branch.mission_id] = day
    return found


def silent_focal_points(
    session: Session, mission_id: int, *, until: date, weeks: int
) -> list[Silent]:
    """The mission's focal points (users) who logged no record that started in the weeks."""
    since = _since(until, weeks)
    people = session.scalars(select(User).where(policy.loggers_of(mission_id)).order_by(User.name))
    found = []
    for person in people:
        last = session.scalar(
            select(func.max(Activity.start_date)).where(
                Activity.created_by_id == person.id, Activity.start_date <= until
            )
        )
        if last is None or last < since:
            code = person.mission.code if person.mission else ""
            found.append(Silent(person.name, last, code, focal_point=True))
    return found


def silent_for(request: Request, until: date | None = None) -> list[Silent] | None:
    """/compare's flag: the missions silent for the viewer up to `until` (the chosen
    period's end, or today), and for a head of mission their own silent focal points.
    None when nobody is signed in or the database is away."""
    user = getattr(request.state, "user", None)
    if user is None:
        return None
    settings: Settings = request.app.state.settings
    until, weeks = until or date.today(), settings.silent_weeks
    try:
        with unit_of_work(request.app.state.engine, write=False) as session:
            found = silent_missions(session, user, until=until, weeks=weeks)
            if user.mission_id is not None and policy.can_review_mission(user, user.mission_id):
                found += silent_focal_points(session, user.mission_id, until=until, weeks=weeks)
            return found
    except SQLAlchemyError:
        return None


# --- digests --------------------------------------------------------------------------------


@dataclass
class Waiting:
    activity: Activity
    days: int


@dataclass
class MissionWeek:
    mission: Mission
    records: list[Activity]
    count: int
    usual: float
    open_alerts: list[Activity]
    alert_count: int
    silent: bool
    last_logged: date | None = None
    approved_only: bool = False
    waiting: list[Waiting] = field(default_factory=list)
    silent_focal_points: list[Silent] = field(default_factory=list)


@dataclass
class Digest:
    user: User
    week: str
    start: date
    end: date
    missions: list[MissionWeek]
    notices: list[Notice]
    silent_weeks: int


def _mission_week(
    session: Session,
    user: User,
    mission: Mission,
    start: date,
    weeks: int,
    *,
    approved_only: bool = False,
) -> MissionWeek:
    end = start + timedelta(days=6)
    visible = (policy.visible_activities(user), Activity.mission_id == mission.id)
    counted = [*visible]  # the desk's digest counts the approved records
    if approved_only:
        counted.append(Activity.status == Status.APPROVED.value)
    in_week = [*counted, Activity.start_date >= start, Activity.start_date <= end]
    records = list(
        session.scalars(
            select(Activity)
            .where(*in_week)
            .order_by(Activity.start_date, Activity.id)
            .limit(LISTED)
        )
    )
    count = session.scalar(select(func.count()).where(*in_week)) or 0
    before = start - timedelta(days=7 * USUAL_WEEKS)
    earlier = (
        session.scalar(
            select(func.count()).where(
                *counted, Activity.start_date >= before, Activity.start_date < start
            )
        )
        or 0
    )
    open_alert = (
        *visible,
        Activity.type == ActivityType.MONITORING_VISIT.value,
        Activity.alert_level.is_not(None),
        Activity.alert_level != AlertLevel.NONE.value,
        Activity.alert_closed.is_not(True),
        Activity.start_date <= end,
    )
    alerts = list(
        session.scalars(
            select(Activity).where(*open_alert).order_by(Activity.start_date.desc()).limit(LISTED)
        )
    )
    alert_count = session.scalar(select(func.count()).where(*open_alert)) or 0
    last = session.scalar(
        select(func.max(Activity.start_date)).where(*visible, Activity.start_date <= end)
    )
    return MissionWeek(
        mission=mission,
        records=records,
        count=count,
        usual=round(earlier / USUAL_WEEKS, 1),
        open_alerts=alerts,
        alert_count=alert_count,
        silent=last is None or last < _since(end, weeks),
        last_logged=last,
        approved_only=approved_only,
    )


def digest_for(
    session: Session, user: User, start: date, *, silent_weeks: int, now: datetime | None = None
) -> Digest | None:
    """What `user`'s digest for the week starting `start` says; None if they get none."""
    now = now or utcnow()
    end = start + timedelta(days=6)
    if user.mission_id is not None and policy.can_review_mission(user, user.mission_id):
        mission = session.get(Mission, user.mission_id)
        assert mission is not None
        week = _mission_week(session, user, mission, start, silent_weeks)
        waiting = session.scalars(
            select(Activity)
            .where(Activity.mission_id == mission.id, Activity.status == Status.SUBMITTED.value)
            .order_by(Activity.updated_at, Activity.id)
            .limit(LISTED)
        )
        week.waiting = [Waiting(a, max((now - a.updated_at).days, 0)) for a in waiting]
        week.silent_focal_points = silent_focal_points(
            session, mission.id, until=end, weeks=silent_weeks
        )
        missions = [week]
    elif policy.is_desk(user):
        missions = [
            _mission_week(session, user, m, start, silent_weeks, approved_only=True)
            for m in session.scalars(select(Mission).order_by(Mission.code))
        ]
    else:
        return None
    notices = [
        n
        for n in session.scalars(
            select(Notice)
            .where(
                Notice.user_id == user.id,
                Notice.created_at >= datetime.combine(start, datetime.min.time()),
                Notice.created_at < datetime.combine(end + timedelta(days=1), datetime.min.time()),
            )
            .order_by(Notice.id)
        )
        if delivery_for(session, user.id, n.kind) is Delivery.DIGEST
    ]
    return Digest(user, week_label(start), start, end, missions, notices, silent_weeks)


def make_digests(session: Session, settings: Settings, start: date) -> int:
    """Put each head of mission's and CPC desk member's digest for the week in the outbox,
    unless it was made already; return how many were made."""
    label = week_label(start)
    done = set(session.scalars(select(DigestSent.user_id).where(DigestSent.week == label)))
    people = session.scalars(select(User).where(User.active).order_by(User.id)).all()
    made = 0
    for person in people:
        if person.id in done or not person.email:
            continue
        digest = digest_for(session, person, start, silent_weeks=settings.silent_weeks)
        if digest is None:
            continue
        text, html = render(
            "digest",
            digest=digest,
            url=lambda path: url(settings, path),
            link=link,
            settings_link=url(settings, "/notifications"),
        )
        session.add(DigestSent(user_id=person.id, week=label))
        session.add(
            OutboxMail(
                user_id=person.id,
                message_id=f"<{uuid.uuid4().hex}.digest@fieldlog>",
                subject=f"FieldLog weekly digest, {label}",
                body_text=text,
                body_html=html,
            )
        )
        made += 1
    session.flush()
    return made
