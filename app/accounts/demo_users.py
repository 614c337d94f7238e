"""Demo users, one per role and mission, so a newcomer can sign in at once.

Demo only: they share a published password, are marked `is_demo`, and an app
started with FIELDLOG_ENVIRONMENT=production refuses to run while any exist.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.accounts import service
from app.accounts.models import User
from app.vocab import Role

if TYPE_CHECKING:  # missions sit above accounts: callers pass the missions in
    from app.missions.models import Mission

DEMO_PASSWORD = "fieldlog-demo-2016"
DEMO_DOMAIN = "demo.fieldlog.example"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: str
    mission: Mission | None


def demo_accounts(missions: Iterable[Mission]) -> list[DemoAccount]:
    """Every demo user: two per mission, two without."""
    accounts = [
        DemoAccount(f"cpc@{DEMO_DOMAIN}", "CPC desk (demo)", Role.CPC_DESK.value, None),
        DemoAccount(f"admin@{DEMO_DOMAIN}", "Administrator (demo)", Role.ADMIN.value, None),
    ]
    for mission in missions:
        code = mission.code.lower()
        accounts.append(
            DemoAccount(
                f"fp.{code}@{DEMO_DOMAIN}",
                f"Focal point {mission.short_name} (demo)",
                Role.FOCAL_POINT.value,
                mission,
            )
        )
        accounts.append(
            DemoAccount(
                f"hom.{code}@{DEMO_DOMAIN}",
                f"Head of mission {mission.short_name} (demo)",
                Role.HEAD_OF_MISSION.value,
                mission,
            )
        )
    return accounts


def ensure_demo_users(session: Session, missions: Iterable[Mission]) -> int:
    """Create the demo users of `missions` (and the CPC desk and administrator) that do not
    exist yet; returns how many were added."""
    added = 0
    for account in demo_accounts(missions):
        if service.get_by_email(session, account.email) is None:
            service.create(
                session,
                email=account.email,
                name=account.name,
                role=account.role,
                mission=account.mission,
                password=DEMO_PASSWORD,
                is_demo=True,
            )
            added += 1
    return added


def any_demo_users(session: Session) -> bool:
    """True while any demo user can still sign in."""
    return bool(
        session.scalar(select(exists().where(User.is_demo.is_(True), User.active.is_(True))))
    )


def disable_demo_users(session: Session) -> int:
    """Deactivate every demo user and forget its password (audit entries keep the rows)."""
    users = list(session.scalars(select(User).where(User.is_demo.is_(True), User.active)))
    for user in users:
        service.change(session, user=user, actor_id=None, mission=user.mission, active=False)
        user.password_hash = None
    session.flush()
    return len(users)
