"""Pages: the mission dashboard and the cross-mission comparison."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request

from app.accounts.deps import SignedIn
from app.dashboards import service
from app.dashboards.schemas import Period
from app.deps import SessionDep
from app.missions import service as missions
from app.partial_dates import PartialDate
from app.vocab import Dimension, Theme
from app.web import render

router = APIRouter(include_in_schema=False)

COMPARE_AXES = {"area": "Response areas", "type": "Activity types", "theme": "Themes"}


def _period_from_query(request: Request) -> tuple[Period, dict[str, str], str | None]:
    """The period in the query string; a bad date gives an error message, not a 500."""
    typed = {k: request.query_params.get(k, "").strip()[:10] for k in ("from", "to")}
    try:
        start = PartialDate.parse(typed["from"]) if typed["from"] else None
        end = PartialDate.parse(typed["to"]) if typed["to"] else None
    except ValueError as exc:
        return Period(start=None, end=None), typed, f"Period: {exc}."
    if start and end and end.end < start.start:
        return Period(start=None, end=None), typed, "Period: the end is before the start."
    return service.period_from_params(start, end), typed, None


def _presets(today: date) -> list[tuple[str, str, str]]:
    """(label, from, to) for the period picker."""
    year = today.year
    presets = [("All time", "", "")]
    presets.append(
        ("Last 12 months", f"{year - 1:04d}-{today.month:02d}", f"{year:04d}-{today.month:02d}")
    )
    presets.append(("Balkans route 2015–16", "2015-01", "2016-12"))
    presets += [(str(y), str(y), str(y)) for y in range(year, 2013, -1)]
    return presets


@router.get("/missions/{code}")
def mission_page(code: str, request: Request, session: SessionDep, user: SignedIn):
    mission = missions.get_by_code_or_raise(session, code)
    period, typed, error = _period_from_query(request)
    data = service.mission_dashboard(session, mission=mission, period=period, user=user)
    return render(
        request,
        "dashboards/mission.html",
        {
            "mission": mission,
            "data": data,
            "period": period,
            "typed": typed,
            "period_error": error,
            "presets": _presets(date.today()),
            "all_missions": missions.get_all(session),
        },
        status_code=422 if error else 200,
    )


@router.get("/compare")
def compare_page(request: Request, session: SessionDep, user: SignedIn):
    period, typed, error = _period_from_query(request)
    theme = request.query_params.get("theme") or None
    dimension = request.query_params.get("dimension") or None
    axis = request.query_params.get("axis") or "area"
    problems = [error] if error else []
    if theme not in (None, *Theme.values()):
        problems.append("Theme: choose one from the list.")
        theme = None
    if dimension not in (None, *Dimension.values()):
        problems.append("Dimension: choose one from the list.")
        dimension = None
    if axis not in COMPARE_AXES:
        problems.append("Compare by: choose response areas, activity types or themes.")
        axis = "area"
    data = service.compare(
        session, period=period, theme=theme, dimension=dimension, axis=axis, user=user
    )
    peak = max((v for row in data.rows for v in row.cells.values()), default=0)
    return render(
        request,
        "dashboards/compare.html",
        {
            "data": data,
            "period": period,
            "typed": typed,
            "theme": theme,
            "dimension": dimension,
            "axis": axis,
            "axes": COMPARE_AXES,
            "peak": peak,
            "problems": problems,
            "presets": _presets(date.today()),
        },
        status_code=422 if problems else 200,
    )
