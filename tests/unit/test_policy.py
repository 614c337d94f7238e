"""Who may do what, asked of the policy functions with plain, unsaved users and records.

The expected answers are the README's "Roles" written out by hand, one table per
question, so a change to the rules shows up here as a named cell, in a second.
"""

from __future__ import annotations

import pytest

from app.accounts import policy as accounts_policy
from app.accounts.models import User
from app.accounts.policy import Rule
from app.activities import policy
from app.activities.models import Activity
from app.activities.workflow import Action, available

OWN, OTHER = 1, 2  # mission ids: the user's own mission and someone else's
STATUSES = ("draft", "submitted", "returned", "approved")
ROLES = ("focal_point", "head_of_mission", "cpc_desk", "admin")


def person(role: str | None) -> User | None:
    """An unsaved user of `role` (mission staff belong to mission OWN); None is nobody."""
    if role is None:
        return None
    mission_id = OWN if role in ("focal_point", "head_of_mission") else None
    return User(role=role, mission_id=mission_id, email=f"{role}@example.org", name=role)


def record(status: str, mission_id: int = OWN) -> Activity:
    return Activity(mission_id=mission_id, status=status, type="meeting", title="A meeting")


# --- route rules -----------------------------------------------------------------------------

# rule -> the roles it lets in (nobody signed in only passes PUBLIC)
RULES = {
    Rule.PUBLIC: {"focal_point", "head_of_mission", "cpc_desk", "admin"},
    Rule.SIGNED_IN: {"focal_point", "head_of_mission", "cpc_desk", "admin"},
    Rule.MISSION_STAFF: {"focal_point", "head_of_mission"},
    Rule.REVIEWER: {"head_of_mission"},
    Rule.DEVELOPMENTS: {"focal_point", "head_of_mission", "cpc_desk", "admin"},
    Rule.ADMIN: {"admin"},
}


@pytest.mark.parametrize("rule", list(Rule))
def test_each_route_rule_lets_in_exactly_its_roles(rule):
    let_in = {role for role in ROLES if accounts_policy.allows(rule, person(role))}
    assert let_in == RULES[rule]
    assert accounts_policy.allows(rule, None) is (rule is Rule.PUBLIC)


def test_every_rule_has_a_row_in_the_table_above():
    assert set(RULES) == set(Rule)


@pytest.mark.parametrize(
    ("question", "answers"),
    [
        ("can_manage_reference", {"admin"}),
        ("can_log_developments", {"focal_point", "head_of_mission", "cpc_desk", "admin"}),
    ],
)
def test_reference_data_and_developments(question, answers):
    ask = getattr(accounts_policy, question)
    assert {role for role in ROLES if ask(person(role))} == answers
    assert ask(None) is False


# --- one activity: role x own/other mission x status -----------------------------------------

FOCAL_EDITS = {"draft", "returned"}
SEE = {
    # role -> statuses seen on the own mission's records, and on another mission's
    None: (set(), set()),
    "focal_point": (set(STATUSES), {"approved"}),
    "head_of_mission": (set(STATUSES), {"approved"}),
    "cpc_desk": ({"submitted", "approved"}, {"submitted", "approved"}),
    "admin": ({"approved"}, {"approved"}),
}
EDIT = {
    None: (set(), set()),
    "focal_point": (FOCAL_EDITS, set()),
    "head_of_mission": (set(STATUSES), set()),
    "cpc_desk": (set(), set()),
    "admin": (set(), set()),
}
DELETE = {
    None: (set(), set()),
    "focal_point": (FOCAL_EDITS, set()),
    "head_of_mission": ({"draft", "submitted", "returned"}, set()),  # approved records stay
    "cpc_desk": (set(), set()),
    "admin": (set(), set()),
}
REVIEW = {
    None: (set(), set()),
    "focal_point": (set(), set()),
    "head_of_mission": (set(STATUSES), set()),
    "cpc_desk": (set(), set()),
    "admin": (set(), set()),
}
SUBMIT = {  # the policy says who; the workflow says from which states
    None: (set(), set()),
    "focal_point": (set(STATUSES), set()),
    "head_of_mission": (set(STATUSES), set()),
    "cpc_desk": (set(), set()),
    "admin": (set(), set()),
}


@pytest.mark.parametrize(
    ("question", "table"),
    [
        (policy.can_see, SEE),
        (policy.can_edit, EDIT),
        (policy.can_delete, DELETE),
        (policy.can_review, REVIEW),
        (policy.can_submit, SUBMIT),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
@pytest.mark.parametrize("role", [None, *ROLES])
def test_record_rules_by_role_mission_and_status(question, table, role):
    own, other = table[role]
    user = person(role)
    assert {s for s in STATUSES if question(user, record(s, OWN))} == own
    assert {s for s in STATUSES if question(user, record(s, OTHER))} == other


@pytest.mark.parametrize("role", [None, *ROLES])
def test_only_mission_staff_create_and_only_for_their_own_mission(role):
    user = person(role)
    expected = role in ("focal_point", "head_of_mission")
    assert policy.can_create_for(user, OWN) is expected
    assert policy.can_create_for(user, OTHER) is False


def test_whoever_may_edit_may_also_see():
    for role in [None, *ROLES]:
        for mission_id in (OWN, OTHER):
            for status in STATUSES:
                activity = record(status, mission_id)
                if policy.can_edit(person(role), activity):
                    assert policy.can_see(person(role), activity), (role, mission_id, status)


@pytest.mark.parametrize(
    ("role", "mission_id", "status", "words"),
    [
        ("focal_point", OTHER, "draft", "mission's own focal points"),
        ("cpc_desk", OWN, "submitted", "mission's own focal points"),
        ("focal_point", OWN, "approved", "only the head of mission"),
        ("focal_point", OWN, "submitted", "This record is submitted"),
    ],
)
def test_a_refused_edit_says_why_in_words(role, mission_id, status, words):
    activity = record(status, mission_id)
    assert not policy.can_edit(person(role), activity)
    assert words in policy.edit_refusal(person(role), activity)


# --- the workflow's buttons ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "actions"),
    [
        ("focal_point", "draft", [Action.SUBMIT]),
        ("focal_point", "returned", [Action.SUBMIT]),
        ("focal_point", "submitted", []),
        ("head_of_mission", "submitted", [Action.APPROVE, Action.RETURN]),
        ("head_of_mission", "approved", []),
        ("cpc_desk", "submitted", []),
        ("admin", "draft", []),
    ],
)
def test_workflow_offers_the_actions_the_person_may_take_now(role, status, actions):
    assert available(person(role), record(status)) == actions


def test_no_workflow_action_on_another_missions_record():
    for role in ROLES:
        for status in STATUSES:
            assert available(person(role), record(status, OTHER)) == [], (role, status)
