"""Named dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query
from sqlalchemy.orm import Session

from app.db import request_session
from app.errors import FieldError, ValidationFailed
from app.partial_dates import PartialDate
from app.schemas_common import INT32_MAX

SessionDep = Annotated[Session, Depends(request_session, scope="function")]


def parse_partial_query(name: str, value: str | None) -> PartialDate | None:
    if value is None or value == "":
        return None
    try:
        return PartialDate.parse(value)
    except ValueError as exc:
        raise ValidationFailed([FieldError(("query", name), str(exc))]) from None


FromQuery = Annotated[
    str | None,
    Query(
        alias="from",
        max_length=10,
        description="Start of the period: YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD.",
    ),
]
ToQuery = Annotated[
    str | None,
    Query(alias="to", max_length=10, description="End of the period (inclusive), same forms."),
]


# A record's id in a path: beyond what an id column holds it is refused (422) before any
# query, where PostgreSQL would fail with "integer out of range" (a 500).
RowId = Annotated[int, Path(ge=1, le=INT32_MAX, description="The record's id.")]
