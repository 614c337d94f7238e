"""JSON API: the mission summary and dashboard, and the cross-mission comparison."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.accounts.deps import SignedIn
from app.dashboards import service
from app.dashboards.schemas import Comparison, MissionDashboard, MissionSummary
from app.deps import FromQuery, SessionDep, ToQuery, parse_partial_query
from app.missions import service as missions
from app.vocab import Dimension, Theme

router = APIRouter(prefix="/api/v1", tags=["dashboards"])


def _period(date_from: str | None, date_to: str | None):
    return service.period_from_params(
        parse_partial_query("from", date_from), parse_partial_query("to", date_to)
    )


@router.get("/missions/{code}/summary", response_model=MissionSummary)
def mission_summary(
    code: str,
    session: SessionDep,
    user: SignedIn,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
):
    """Headline figures for one mission over a period, counting what you may see."""
    mission = missions.get_by_code_or_raise(session, code)
    return service.mission_summary(
        session, mission=mission, period=_period(date_from, date_to), user=user
    )


@router.get("/missions/{code}/dashboard", response_model=MissionDashboard)
def mission_dashboard(
    code: str,
    session: SessionDep,
    user: SignedIn,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
):
    """Everything the mission page shows: summary, series, visits per location and week,
    trainings, reports, focal points, timeline and (for its head of mission) the review queue."""
    mission = missions.get_by_code_or_raise(session, code)
    return service.mission_dashboard(
        session, mission=mission, period=_period(date_from, date_to), user=user
    )


@router.get("/compare", response_model=Comparison)
def compare(
    session: SessionDep,
    user: SignedIn,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
    theme: Theme | None = None,
    dimension: Dimension | None = None,
    axis: Annotated[
        Literal["area", "type", "theme"], Query(description="Matrix columns.")
    ] = "area",
):
    """Missions side by side: the missions × response areas (or types, themes) matrix."""
    return service.compare(
        session,
        period=_period(date_from, date_to),
        theme=theme,
        dimension=dimension,
        axis=axis,
        user=user,
    )
