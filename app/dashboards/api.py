"""JSON API: the mission summary and the cross-mission comparison."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.accounts import policy
from app.accounts.deps import SignedIn
from app.dashboards import service
from app.dashboards.schemas import Comparison, MissionSummary
from app.deps import FromQuery, SessionDep, ToQuery, parse_partial_query
from app.missions import service as missions
from app.vocab import Dimension, Theme

router = APIRouter(prefix="/api/v1", tags=["dashboards"])


@router.get("/missions/{code}/summary", response_model=MissionSummary)
def mission_summary(
    code: str,
    session: SessionDep,
    user: SignedIn,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
):
    """Headline figures for one mission over a period."""
    period = service.period_from_params(
        parse_partial_query("from", date_from), parse_partial_query("to", date_to)
    )
    mission = missions.get_by_code_or_raise(session, code)
    return service.mission_summary(
        session, mission=mission, period=period, visible=policy.visible_activities(user)
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
    period = service.period_from_params(
        parse_partial_query("from", date_from), parse_partial_query("to", date_to)
    )
    return service.compare(session, period=period, theme=theme, dimension=dimension, axis=axis)
