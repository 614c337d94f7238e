"""JSON API: activities. Routes parse, call the service, and return."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import BaseModel, Field

from app.accounts.deps import MissionStaff, Reviewer, SignedIn
from app.activities import idempotency, service, workflow
from app.activities.query import ActivityQuery
from app.activities.schemas import ActivityCreate, ActivityPage, ActivityRead, ActivityUpdate
from app.audit import service as audit
from app.deps import SessionDep
from app.errors import error_answers
from app.schemas_common import INT32_MAX, InputModel, TextRules, UtcDateTime, Version

# Every route: a NUL in the address (400), no valid token (401), a bad parameter (422).
router = APIRouter(
    prefix="/api/v1/activities", tags=["activities"], responses=error_answers(400, 401, 422)
)
# What a route reading one record adds, and one changing it: the record is not there or
# not yours to see (404); your role may not (403); the version is stale or the workflow
# step wrong (409); the body is too large (413).
ONE_RECORD = error_answers(404)
CHANGE = error_answers(403, 404, 409, 413)

ActivityId = Annotated[int, Path(ge=1, le=INT32_MAX, description="The activity's id.")]


class HistoryEntry(BaseModel):
    at: UtcDateTime
    action: str
    user_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: str | None


class TransitionBody(InputModel):
    version: Version
    comment: Annotated[str, TextRules(2_000)] | None = Field(
        default=None, description="Why it is returned (required to return)."
    )


@router.get("", response_model=ActivityPage)
def list_activities(session: SessionDep, user: SignedIn, query: Annotated[ActivityQuery, Query()]):
    """Activities matching the filters, newest first by default, a page at a time."""
    page = query.page(session, reader=user)
    return ActivityPage(
        items=[service.to_read(a) for a in page.rows],
        total=page.total,
        total_is_lower_bound=page.total_is_lower_bound,
        limit=page.limit,
        next_cursor=page.next_cursor,
    )


@router.post(
    "",
    response_model=ActivityRead,
    status_code=201,
    responses={
        201: {
            "headers": {
                "Location": {
                    "description": "The new record's address.",
                    "schema": {"type": "string"},
                }
            }
        },
        **error_answers(403, 413),
    },
)
def create_activity(
    data: ActivityCreate,
    session: SessionDep,
    user: MissionStaff,
    request: Request,
    response: Response,
    idempotency_key: Annotated[
        idempotency.Key | None,
        Header(
            alias=idempotency.HEADER,
            description="A key your device makes for this create (a UUID): sent again, "
            "it answers with the record already made instead of making another.",
        ),
    ] = None,
):
    """Log a new activity for your own mission. It starts as a draft (201).

    **Sending twice.** Send an `Idempotency-Key` header (1 to 100 letters, digits, `-`,
    `_`, `.` or `:`; a UUID made on the device) and a retry is safe: the same key with
    the same body answers 200 with the record already made (as it is now), the same
    `Location` and `Idempotent-Replayed: true`, never a second record. The same key with
    another body answers 422 at `["header", "Idempotency-Key"]`; a key whose record was
    deleted since answers 409. Keys are yours alone and kept for
    FIELDLOG_IDEMPOTENCY_DAYS (30 days by default, at least 7).
    """
    created = idempotency.create_once(
        session,
        data=data,
        actor=user,
        key=idempotency_key,
        keep_days=request.app.state.settings.idempotency_days,
    )
    response.headers["Location"] = f"/api/v1/activities/{created.activity.id}"
    if created.replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return service.to_read(created.activity)


@router.get("/{activity_id}", response_model=ActivityRead, responses=ONE_RECORD)
def read_activity(activity_id: ActivityId, session: SessionDep, user: SignedIn):
    return service.to_read(service.get_or_raise(session, activity_id, actor=user))


@router.patch("/{activity_id}", response_model=ActivityRead, responses=CHANGE)
def update_activity(
    activity_id: ActivityId, patch: ActivityUpdate, session: SessionDep, user: MissionStaff
):
    """Change the fields sent. Send the `version` you read; a stale one answers 409."""
    activity = service.get_or_raise(session, activity_id, actor=user)
    return service.to_read(service.update(session, activity=activity, patch=patch, actor=user))


@router.delete("/{activity_id}", status_code=204, responses=error_answers(403, 404, 409))
def delete_activity(
    activity_id: ActivityId,
    session: SessionDep,
    user: MissionStaff,
    version: Annotated[int, Query(ge=1, le=INT32_MAX, description="The version you read.")],
):
    """Delete a draft or returned activity. A stale `version` answers 409, deleting nothing."""
    activity = service.get_or_raise(session, activity_id, actor=user)
    service.delete(session, activity=activity, version=version, actor=user)
    return Response(status_code=204)


def _transition(session, user, activity_id: ActivityId, action, body: TransitionBody):
    activity = service.get_or_raise(session, activity_id, actor=user)
    workflow.transition(
        session,
        activity=activity,
        action=action,
        version=body.version,
        actor=user,
        comment=body.comment,
    )
    return service.to_read(activity)


@router.post("/{activity_id}/submit", response_model=ActivityRead, responses=CHANGE)
def submit_activity(
    activity_id: ActivityId, body: TransitionBody, session: SessionDep, user: MissionStaff
):
    """Send a draft or returned record to the head of mission for review."""
    return _transition(session, user, activity_id, workflow.Action.SUBMIT, body)


@router.post("/{activity_id}/approve", response_model=ActivityRead, responses=CHANGE)
def approve_activity(
    activity_id: ActivityId, body: TransitionBody, session: SessionDep, user: Reviewer
):
    """Approve a submitted record of your mission (heads of mission)."""
    return _transition(session, user, activity_id, workflow.Action.APPROVE, body)


@router.post("/{activity_id}/return", response_model=ActivityRead, responses=CHANGE)
def return_activity(
    activity_id: ActivityId, body: TransitionBody, session: SessionDep, user: Reviewer
):
    """Return a submitted record with a comment saying what to change (heads of mission)."""
    return _transition(session, user, activity_id, workflow.Action.RETURN, body)


@router.get("/{activity_id}/history", response_model=list[HistoryEntry], responses=ONE_RECORD)
def activity_history(activity_id: ActivityId, session: SessionDep, user: SignedIn):
    """Every change to the record, oldest first."""
    service.get_or_raise(session, activity_id, actor=user)
    return [
        HistoryEntry.model_validate(e, from_attributes=True)
        for e in audit.history(session, entity=service.ENTITY, entity_id=activity_id)
    ]
