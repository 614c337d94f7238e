"""The comparison's query: a period, and which figures side by side, checked once for the
/compare page and GET /api/v1/compare."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.schemas_common import PeriodQuery, one_of
from app.vocab import Dimension, Theme

COMPARE_AXES = {"area": "Response areas", "type": "Activity types", "theme": "Themes"}


class CompareQuery(PeriodQuery):
    theme: one_of(Theme) | None = Field(default=None, description="Only activities of this theme.")
    dimension: one_of(Dimension) | None = Field(
        default=None, description="Only activities of this OSCE dimension."
    )
    axis: one_of(Literal["area", "type", "theme"]) = Field(
        default="area", description="Matrix columns: response areas, activity types or themes."
    )
