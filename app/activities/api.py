"""JSON API: activities. Routes parse, call the service, and return."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from app.activities import service
from app.activities.schemas import ActivityCreate, ActivityPage, ActivityRead, ActivityUpdate
from app.audit import service as audit
from app.config import get_settings
from app.deps import FromQuery, SessionDep, ToQuery, parse_partial_query
from app.missions import service as missions
from app.vocab import ActivityType, Provenance, ResponseArea, Status, Theme

router = APIRouter(prefix="/api/v1/activities", tags=["activities"])

SortChoice = Literal[tuple(service.SORT_CHOICES)]  # type: ignore[valid-type]


class HistoryEntry(BaseModel):
    at: datetime
    action: str
    user_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: str | None


@router.get("", response_model=ActivityPage)
def list_activities(
    session: SessionDep,
    mission: Annotated[str | None, Query(max_length=8, description="Lead or taking part.")] = None,
    type: ActivityType | None = None,
    area: ResponseArea | None = None,
    theme: Theme | None = None,
    status: Status | None = None,
    provenance: Provenance | None = None,
    date_from: FromQuery = None,
    date_to: ToQuery = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Words in title or summary.")
    ] = None,
    joint: Annotated[bool, Query(description="Only activities with other missions.")] = False,
    sort: Annotated[SortChoice, Query(description="Field, '-' for descending.")] = "-start",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
):
    """Activities matching the filters, newest first by default, a page at a time."""
    start = parse_partial_query("from", date_from)
    end = parse_partial_query("to", date_to)
    filters = service.ActivityFilters(
        mission=missions.get_by_code_or_raise(session, mission) if mission else None,
        type=type,
        area=area,
        theme=theme,
        status=status,
        provenance=provenance,
        date_from=start.start if start else None,
        date_to=end.end if end else None,
        q=q.replace("\x00", "") if q else None,
        joint=joint or None,
    )
    limit = min(limit, get_settings().page_size_max)
    rows, total, next_cursor = service.list_page(
        session, filters=filters, sort=sort, limit=limit, cursor=cursor
    )
    return ActivityPage(
        items=[service.to_read(a) for a in rows], total=total, limit=limit, next_cursor=next_cursor
    )


@router.post("", response_model=ActivityRead, status_code=201)
def create_activity(data: ActivityCreate, session: SessionDep, response: Response):
    """Log a new activity. It starts as a draft."""
    activity = service.create(session, data=data)
    response.headers["Location"] = f"/api/v1/activities/{activity.id}"
    return service.to_read(activity)


@router.get("/{activity_id}", response_model=ActivityRead)
def read_activity(activity_id: int, session: SessionDep):
    return service.to_read(service.get_or_raise(session, activity_id))


@router.patch("/{activity_id}", response_model=ActivityRead)
def update_activity(activity_id: int, patch: ActivityUpdate, session: SessionDep):
    """Change the fields sent. Send the `version` you read; a stale one answers 409."""
    activity = service.get_or_raise(session, activity_id)
    return service.to_read(service.update(session, activity=activity, patch=patch))


@router.delete("/{activity_id}", status_code=204)
def delete_activity(
    activity_id: int,
    session: SessionDep,
    version: Annotated[int, Query(ge=1, le=2_147_483_647, description="The version you read.")],
):
    """Delete an activity. A stale `version` answers 409 and deletes nothing."""
    activity = service.get_or_raise(session, activity_id)
    service.delete(session, activity=activity, version=version)
    return Response(status_code=204)


@router.get("/{activity_id}/history", response_model=list[HistoryEntry])
def activity_history(activity_id: int, session: SessionDep):
    """Every change to the record, oldest first."""
    service.get_or_raise(session, activity_id)
    return [
        HistoryEntry.model_validate(e, from_attributes=True)
        for e in audit.history(session, entity=service.ENTITY, entity_id=activity_id)
    ]
