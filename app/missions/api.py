"""JSON API: missions and their reference data; logging developments."""

from __future__ import annotations

from fastapi import APIRouter

from app.accounts.deps import DevelopmentLogger, SignedIn
from app.deps import SessionDep
from app.errors import error_answers
from app.missions import service
from app.missions.schemas import (
    DevelopmentCreate,
    DevelopmentRead,
    FocalPointRead,
    LocationRead,
    MissionRead,
    PartnerRead,
    ProjectRead,
    development_read,
    focal_point_read,
    location_read,
    mission_read,
    project_read,
)

# Every route: a NUL in the address (400), no valid token (401).
router = APIRouter(prefix="/api/v1", tags=["reference data"], responses=error_answers(400, 401))
# A route with parameters: a bad one (422); one naming a mission: no such mission (404).
PARAMETERS = error_answers(422)
BY_MISSION = error_answers(404, 422)


@router.get("/missions", response_model=list[MissionRead])
def list_missions(session: SessionDep, user: SignedIn):
    """The six field operations, with when each got a migration focal point."""
    return [
        mission_read(m, service.migration_focal_point_since(m.focal_points))
        for m in service.get_all(session)
    ]


@router.get("/missions/{code}", response_model=MissionRead, responses=BY_MISSION)
def read_mission(code: str, session: SessionDep, user: SignedIn):
    mission = service.get_by_code_or_raise(session, code)
    return mission_read(mission, service.migration_focal_point_since(mission.focal_points))


@router.get("/locations", response_model=list[LocationRead], responses=BY_MISSION)
def list_locations(session: SessionDep, user: SignedIn, mission: str | None = None):
    scope = service.get_by_code_or_raise(session, mission) if mission else None
    return [location_read(loc) for loc in service.list_locations(session, mission=scope)]


@router.get("/partners", response_model=list[PartnerRead])
def list_partners(session: SessionDep, user: SignedIn):
    return service.list_partners(session)


@router.get("/focal-points", response_model=list[FocalPointRead], responses=BY_MISSION)
def list_focal_points(session: SessionDep, user: SignedIn, mission: str | None = None):
    """Focal point appointments: who covers migration, police, anti-trafficking, from when."""
    scope = service.get_by_code_or_raise(session, mission) if mission else None
    return [focal_point_read(fp) for fp in service.list_focal_points(session, mission=scope)]


@router.get("/projects", response_model=list[ProjectRead], responses=BY_MISSION)
def list_projects(session: SessionDep, user: SignedIn, mission: str | None = None):
    scope = service.get_by_code_or_raise(session, mission) if mission else None
    return [project_read(p) for p in service.list_projects(session, mission=scope)]


@router.get("/developments", response_model=list[DevelopmentRead], responses=PARAMETERS)
def list_developments(session: SessionDep, user: SignedIn, country: str | None = None):
    """Developments in the host countries and the region, oldest first."""
    return [development_read(d) for d in service.list_developments(session, country=country)]


@router.post(
    "/developments",
    response_model=DevelopmentRead,
    status_code=201,
    responses=error_answers(409, 413, 422),
)
def create_development(data: DevelopmentCreate, session: SessionDep, user: DevelopmentLogger):
    """Log a development for the timeline (focal points, heads of mission, the CPC desk and
    administrators). Its `code` is made from the title and the date; provenance `entered`."""
    return development_read(service.create_development(session, data=data, actor=user))
