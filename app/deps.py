"""Named dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy.orm import Session

from app.db import request_session
from app.schemas_common import INT32_MAX

SessionDep = Annotated[Session, Depends(request_session, scope="function")]


# A record's id in a path: beyond what an id column holds it is refused (422) before any
# query, where PostgreSQL would fail with "integer out of range" (a 500).
RowId = Annotated[int, Path(ge=1, le=INT32_MAX, description="The record's id.")]
