"""Pages: the mission dashboard and the cross-mission comparison."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from pydantic import ValidationError

from app.accounts.deps import SignedIn
from app.dashboards import service
from app.dashboards.query import COMPARE_AXES, CompareQuery
from app.deps import SessionDep
from app.forms import field_errors
from app.missions import service as missions
from app.schemas_common import PeriodQuery
from app.web import render

router = APIRouter(include_in_schema=False)

PERIOD_KEYS = ("from", "to")


def _read(model, request: Request):
    """The query as `model` reads it, or its defaults and a message per refused parameter."""
    try:
        return model.model_validate(dict(request.query_params)), {}
    except ValidationError as exc:
        return model(), field_errors(exc)


def _typed(request: Request, keys) -> dict[str, str]:
    return {k: request.query_params.get(k, "").strip() for k in keys}


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
    wanted, errors = _read(PeriodQuery, request)
    period = service.period_from_params(wanted.start, wanted.end)
    data = service.mission_dashboard(session, mission=mission, period=period, user=user)
    return render(
        request,
        "dashboards/mission.html",
        {
            "mission": mission,
            "data": data,
            "period": period,
            "typed": _typed(request, PERIOD_KEYS),
            "period_error": errors,
            "presets": _presets(date.today()),
            "all_missions": missions.get_all(session),
        },
        status_code=422 if errors else 200,
    )


@router.get("/compare")
def compare_page(request: Request, session: SessionDep, user: SignedIn):
    wanted, errors = _read(CompareQuery, request)
    period = service.period_from_params(wanted.start, wanted.end)
    data = service.compare(
        session,
        period=period,
        theme=wanted.theme,
        dimension=wanted.dimension,
        axis=wanted.axis,
        reconstructed=wanted.reconstructed,
        user=user,
    )
    # shading per column, so one mission's large figures do not blank out the others
    peaks = {c: max((row.cells[c] for row in data.rows), default=0) for c in data.columns}
    labels = {"theme": "Theme", "dimension": "Dimension", "axis": "Compare by"}
    return render(
        request,
        "dashboards/compare.html",
        {
            "data": data,
            "period": period,
            "typed": _typed(request, PERIOD_KEYS),
            "theme": wanted.theme,
            "dimension": wanted.dimension,
            "axis": wanted.axis,
            "axes": COMPARE_AXES,
            "peaks": peaks,
            "reconstructed": wanted.reconstructed,
            "period_error": {k: v for k, v in errors.items() if k in PERIOD_KEYS},
            "problems": [f"{labels.get(k, k)}: {v}" for k, v in errors.items() if k in labels],
            "presets": _presets(date.today()),
        },
        status_code=422 if errors else 200,
    )
