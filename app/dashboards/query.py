"""The comparison's query: a period, and which figures side by side, checked once for the
/compare page and GET /api/v1/compare."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from app.schemas_common import PeriodQuery, one_of
from app.vocab import Dimension, Theme

COMPARE_AXES = {"area": "Response areas", "type": "Activity types", "theme": "Themes"}
Axis = Literal["area", "type", "theme"]


class CompareQuery(PeriodQuery):
    theme: Annotated[Theme, one_of(Theme)] | None = Field(
        default=None, description="Only activities of this theme."
    )
    dimension: Annotated[Dimension, one_of(Dimension)] | None = Field(
        default=None, description="Only activities of this OSCE dimension."
    )
    axis: Annotated[Axis, one_of(Axis)] = Field(
        default="area", description="Matrix columns: response areas, activity types or themes."
    )
    reconstructed: bool = Field(
        default=True,
        description="Count records reconstructed from the study's frequencies (default) or "
        "leave them out.",
    )
