"""The one permission policy. Every page and API route asks here; nothing else decides.

Two levels:
- a route declares a `Rule` (who may call it at all) through `deps.Permission`;
- services ask the record-level questions, which live with the records they are about
  (`app/activities/policy.py`: may this user see, edit, submit, approve this activity?).
  A record the user may not see is reported as missing.
Pages and templates ask a named question (`can_import(user)`; in a template
`can("import")`) and never compare role names themselves (tests/test_layering.py checks).

Who may do what (see README, "Roles"):
- focal point: reads everything of their own mission; creates and edits their
  mission's draft and returned records; submits them; reads other missions'
  approved records;
- head of mission: as the focal point, plus approves or returns their mission's
  submitted records and edits their mission's records in any state;
- CPC desk: reads submitted and approved records of every mission, the comparison
  and exports; logs developments; changes no activity;
- admin: users, missions, locations, partners, vocabularies; approves nothing;
- nobody signed in: the login page, static files and /healthz only.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from app.accounts.actor import Actor
from app.vocab import Role

FOCAL_POINT = Role.FOCAL_POINT.value
HEAD_OF_MISSION = Role.HEAD_OF_MISSION.value
CPC_DESK = Role.CPC_DESK.value
ADMIN = Role.ADMIN.value
MISSION_ROLES = frozenset({FOCAL_POINT, HEAD_OF_MISSION})
ALL_ROLES = frozenset(Role.values())


class Rule(StrEnum):
    """Who may call a route at all. Record-level checks come on top."""

    PUBLIC = "public"
    SIGNED_IN = "signed_in"
    MISSION_STAFF = "mission_staff"  # create and edit activities (own mission, checked later)
    REVIEWER = "reviewer"  # approve and return
    DEVELOPMENTS = "developments"  # log developments
    ADMIN = "admin"


RULE_ROLES: dict[Rule, frozenset[str]] = {
    Rule.PUBLIC: ALL_ROLES,
    Rule.SIGNED_IN: ALL_ROLES,
    Rule.MISSION_STAFF: MISSION_ROLES,
    Rule.REVIEWER: frozenset({HEAD_OF_MISSION}),
    Rule.DEVELOPMENTS: frozenset({FOCAL_POINT, HEAD_OF_MISSION, CPC_DESK, ADMIN}),
    Rule.ADMIN: frozenset({ADMIN}),
}


def allows(rule: Rule, user: Actor | None) -> bool:
    if rule is Rule.PUBLIC:
        return True
    return user is not None and user.role in RULE_ROLES[rule]


def role_has_mission(role: str) -> bool:
    """Focal points and heads of mission belong to exactly one mission; nobody else does."""
    return role in MISSION_ROLES


# --- questions pages and templates ask ------------------------------------------------------


def can_log_activities(user: Actor | None) -> bool:
    """Log (create) activities at all: mission staff, for their own mission."""
    return user is not None and allows(Rule.MISSION_STAFF, user) and user.mission_id is not None


def can_import(user: Actor | None) -> bool:
    """An import logs activities for the importer's mission, so the same people may."""
    return can_log_activities(user)


def can_manage_users(user: Actor | None) -> bool:
    return allows(Rule.ADMIN, user)


def can_manage_reference(user: Actor | None) -> bool:
    """Missions, locations, partners, projects, focal point appointments, users."""
    return allows(Rule.ADMIN, user)


def can_log_developments(user: Actor | None) -> bool:
    return allows(Rule.DEVELOPMENTS, user)


def can_share_views(user: Actor | None) -> bool:
    """The CPC desk shares saved views, with the CPC desk only (app/accounts/saved_views.py)."""
    return user is not None and user.role == CPC_DESK


# What a template may ask with `can("name")`; app.main hands these to app.web.
TEMPLATE_QUESTIONS: dict[str, Callable[..., bool]] = {
    "log_activities": can_log_activities,
    "import": can_import,
    "manage_users": can_manage_users,
    "share_views": can_share_views,
}
