"""The policy asks about an `Actor`: a request's `Viewer` and the `User` row it was copied
from must get the same answers (the type checker holds both to the protocol; this holds
the snapshot to the row's values)."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts import policy
from app.accounts.deps import Viewer
from app.accounts.models import User
from app.activities import policy as activity_policy
from app.activities.models import Activity
from app.vocab import Status

RECORD_QUESTIONS = (
    activity_policy.can_see,
    activity_policy.can_edit,
    activity_policy.can_delete,
    activity_policy.can_review,
    activity_policy.can_submit,
)


def _visible_ids(session, actor) -> set[int]:
    query = select(Activity.id).where(activity_policy.visible_activities(actor))
    return set(session.scalars(query))


def test_a_viewer_and_its_user_row_get_the_same_answers(session):
    users = session.scalars(select(User).where(User.is_demo).order_by(User.id)).all()
    activities = session.scalars(select(Activity).order_by(Activity.id).limit(200)).all()
    assert {user.role for user in users} == set(policy.ALL_ROLES)
    # Some records of every status, so that the record questions have answers to differ on.
    for status, activity in zip(Status.values(), activities, strict=False):
        activity.status = status
    session.flush()

    for user in users:
        viewer = Viewer.of(user)
        for rule in policy.Rule:
            assert policy.allows(rule, viewer) == policy.allows(rule, user), (user.email, rule)
        assert policy.can_manage_reference(viewer) == policy.can_manage_reference(user)
        assert policy.can_log_developments(viewer) == policy.can_log_developments(user)
        for activity in activities:
            for question in RECORD_QUESTIONS:
                assert question(viewer, activity) == question(user, activity), (
                    user.email,
                    question.__name__,
                    activity.id,
                )
        assert _visible_ids(session, viewer) == _visible_ids(session, user)
