"""Reading missions and their reference data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.missions.models import (
    Development,
    FocalPointAppointment,
    Location,
    Mission,
    Partner,
    Project,
)
from app.partial_dates import PartialDate
from app.vocab import FocalPointArea

# Developments that concern the whole region show on every mission's timeline.
REGION = "Western Balkans"


def get_all(session: Session) -> Sequence[Mission]:
    """Every mission, by code."""
    return session.scalars(select(Mission).order_by(Mission.code)).all()


def get_by_code(session: Session, code: str) -> Mission | None:
    return session.scalar(select(Mission).where(Mission.code == code.upper()))


def get_by_code_or_raise(session: Session, code: str) -> Mission:
    mission = get_by_code(session, code)
    if mission is None:
        raise NotFound(f"No mission with code {code!r}.")
    return mission


def by_code(session: Session, model, codes: Sequence[str]) -> dict[str, object]:
    """Map each of `codes` that exists to its row of `model` (a coded reference table)."""
    if not codes:
        return {}
    column = model.code
    wanted = {c.upper() for c in codes} if model is Mission else set(codes)
    return {row.code: row for row in session.scalars(select(model).where(column.in_(wanted)))}


def list_locations(session: Session, *, mission: Mission | None = None) -> Sequence[Location]:
    query = select(Location).order_by(Location.name)
    if mission is not None:
        query = query.where(Location.mission_id == mission.id)
    return session.scalars(query).all()


def list_partners(session: Session) -> Sequence[Partner]:
    return session.scalars(select(Partner).order_by(Partner.name)).all()


def list_projects(session: Session, *, mission: Mission | None = None) -> Sequence[Project]:
    query = select(Project).order_by(Project.title)
    if mission is not None:
        query = query.where(Project.mission_id == mission.id)
    return session.scalars(query).all()


def list_focal_points(
    session: Session, *, mission: Mission | None = None
) -> Sequence[FocalPointAppointment]:
    query = select(FocalPointAppointment).join(FocalPointAppointment.mission)
    if mission is not None:
        query = query.where(FocalPointAppointment.mission_id == mission.id)
    return session.scalars(query.order_by(Mission.code, FocalPointAppointment.start_date)).all()


def list_developments(
    session: Session,
    *,
    country: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Sequence[Development]:
    query = select(Development).order_by(Development.occurred_on, Development.id)
    if country is not None:
        query = query.where(or_(Development.country == country, Development.country == REGION))
    if date_from is not None:
        query = query.where(Development.occurred_on >= date_from)
    if date_to is not None:
        query = query.where(Development.occurred_on <= date_to)
    return session.scalars(query).all()


def migration_focal_point_since(
    focal_points: Sequence[FocalPointAppointment],
) -> PartialDate | None:
    """When the mission's first migration focal point started, or None if it never had one."""
    starts = [
        PartialDate.of(fp.start_date, fp.start_precision)
        for fp in focal_points
        if fp.area == FocalPointArea.MIGRATION
    ]
    return min(starts) if starts else None
