"""JSON API: the mission summary and dashboard, and the cross-mission comparison."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.accounts.deps import SignedIn
from app.dashboards import service
from app.dashboards.query import CompareQuery
from app.dashboards.schemas import Comparison, MissionDashboard, MissionSummary
from app.deps import SessionDep
from app.errors import error_answers
from app.missions import service as missions
from app.schemas_common import PeriodQuery

# Every route: a NUL in the address (400), no valid token (401), a bad parameter (422), e.g.
# a period that ends before it starts.
router = APIRouter(prefix="/api/v1", tags=["dashboards"], responses=error_answers(400, 401, 422))
BY_MISSION = error_answers(404)  # no mission with this code


@router.get("/missions/{code}/summary", response_model=MissionSummary, responses=BY_MISSION)
def mission_summary(
    code: str, session: SessionDep, user: SignedIn, period: Annotated[PeriodQuery, Query()]
):
    """Headline figures for one mission over a period, counting what you may see."""
    mission = missions.get_by_code_or_raise(session, code)
    return service.mission_summary(
        session,
        mission=mission,
        period=service.period_from_params(period.start, period.end),
        user=user,
    )


@router.get("/missions/{code}/dashboard", response_model=MissionDashboard, responses=BY_MISSION)
def mission_dashboard(
    code: str, session: SessionDep, user: SignedIn, period: Annotated[PeriodQuery, Query()]
):
    """Everything the mission page shows: summary, series, visits per location and week,
    trainings, reports, focal points, timeline and (for its head of mission) the review queue."""
    mission = missions.get_by_code_or_raise(session, code)
    return service.mission_dashboard(
        session,
        mission=mission,
        period=service.period_from_params(period.start, period.end),
        user=user,
    )


@router.get("/compare", response_model=Comparison)
def compare(session: SessionDep, user: SignedIn, query: Annotated[CompareQuery, Query()]):
    """Missions side by side: the missions × response areas (or types, themes) matrix."""
    return service.compare(
        session,
        period=service.period_from_params(query.start, query.end),
        theme=query.theme,
        dimension=query.dimension,
        axis=query.axis,
        reconstructed=query.reconstructed,
        user=user,
    )
