"""Pages: the activity list, one activity with its history, the type-aware form, and the
review workflow's buttons. Routes are thin: they read the request, call the same services
as the JSON API (`service`, `workflow`, `policy`), and render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.deps import MissionStaff, Reviewer, SignedIn, Viewer
from app.activities import (
    detail,
    idempotency,
    listing,
    my_work,
    policy,
    presets,
    query,
    search,
    service,
    workflow,
)
from app.activities import form as activity_form
from app.activities.models import Activity
from app.activities.schemas import ActivityCreate, ActivityUpdate
from app.deps import SessionDep
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.forms import FormDep, field_errors, form_text
from app.missions import service as missions
from app.partial_dates import PartialDate
from app.schemas_common import INT32_MAX
from app.vocab import (
    ActivityType,
    Status,
)
from app.web import render

router = APIRouter(include_in_schema=False)


def _render_form(
    request: Request, session: Session, user: Viewer, *, status_code: int = 200, **kwargs: Any
):
    """The form page; `kwargs` as for `activity_form.context`."""
    return render(
        request,
        "activities/form.html",
        activity_form.context(session, user, **kwargs),
        status_code=status_code,
    )


NOTICES = {
    "created": "The activity was saved as a draft.",
    "updated": "Your changes were saved.",
    "unchanged": "Nothing was changed.",
    "submitted": "Submitted for review: it now waits for the head of mission’s approval.",
    "approved": "Approved.",
    "returned": "Returned to the mission with your comment.",
    "deleted": "The activity was deleted.",
}
# After these a reviewer is taken to the next record waiting (see `_transition`).
_REVIEWED = frozenset({"approved", "returned"})


@router.get("/activities")
def activity_list(request: Request, session: SessionDep, user: SignedIn):
    """Activities the user may see, filtered and sorted, a page at a time."""
    params = request.query_params
    form = query.typed(params)
    rows: list[Activity] = []
    total, next_cursor, limit, errors = None, None, query.PAGE_SIZE, {}
    total_is_lower_bound = False
    try:
        wanted = query.ActivityQuery.model_validate(dict(params))
        rows, total, total_is_lower_bound, next_cursor, limit = wanted.page(
            session, reader=user, default_limit=query.PAGE_SIZE
        )
    except (ValidationError, ValidationFailed) as exc:
        errors = query.messages(exc)
    page_number = query.page_number(params.get("page"))
    keep_limit = (params.get("limit") or "").strip() or None
    first = (page_number - 1) * limit + 1
    return render(
        request,
        "activities/list.html",
        {
            "form": form,
            "errors": errors,
            "rows": rows,
            "total": total,
            "total_is_lower_bound": total_is_lower_bound,
            "count_cap": listing.COUNT_CAP,
            "first": first,
            "last": first + len(rows) - 1,
            "next_url": "/activities?"
            + query.query_string(form, limit=keep_limit, cursor=next_cursor, page=page_number + 1)
            if next_cursor
            else None,
            "first_url": "/activities?" + query.query_string(form, limit=keep_limit)
            if params.get("cursor")
            else None,
            "clear_url": "/activities",
            "filtered": any(form[k] for k in query.FILTER_KEYS if k != "sort"),
            "more_open": bool(errors)
            or any(form[k] for k in query.FILTER_KEYS if k not in ("q", "sort"))
            or form["sort"] not in ("", query.default_sort(form["q"])),
            "missions": missions.get_all(session),
            "locations": query.location_choices(session),
            "sort_labels": query.SORT_LABELS,
            "default_sort": query.default_sort(form["q"]),
            "highlight": search.highlight,
            "snippet": search.snippet,
            "notice": NOTICES.get(params.get("done", "")),
        },
        status_code=422 if errors else 200,
    )


@router.get("/my-work")
def my_work_page(request: Request, session: SessionDep, user: MissionStaff):
    """Where mission staff land: their drafts, returned and submitted records, what waits
    for their review, and what happened to their records since they last signed in."""
    notice = NOTICES.get(request.query_params.get("done", ""))
    if notice and request.query_params.get("done") in _REVIEWED:
        notice = f"{notice} Nothing else is waiting for review."
    return render(
        request,
        "activities/my_work.html",
        {"work": my_work.summary(session, user), "notice": notice},
    )


# --- one activity -----------------------------------------------------------------------------


def _load(session: Session, activity_id: int, user: Viewer) -> Activity:
    """The activity if `user` may see it; 404 otherwise (also for ids beyond any row)."""
    if not 1 <= activity_id <= INT32_MAX:
        raise NotFound(f"No activity with id {activity_id}.")
    return service.get_or_raise(session, activity_id, actor=user)


@router.get("/activities/new")
def new_activity(request: Request, session: SessionDep, user: MissionStaff):
    """A blank form; `?type=monitoring_visit` chooses the type at once (with its presets);
    `?like=<id>` starts from a record the user may see: its type, place and team."""
    chosen = request.query_params.get("type", "")
    liked = None
    like_id = request.query_params.get("like", "")
    if like_id:
        number = query.small_int(like_id, 0, 1, INT32_MAX)
        if number is None:
            raise NotFound(f"No activity with id {like_id[:20]!r} to log another like.")
        liked = _load(session, number, user)
        form = activity_form.like(liked, user.mission.code if user.mission else "")
        chosen = form["type"]
    else:
        form = activity_form.blank()
    form["idempotency_key"] = idempotency.new_key()
    if chosen in ActivityType.values():
        form["type"] = chosen
        presets.apply(form, chosen)
    return _render_form(request, session, user, form=form, liked=liked)


@router.post("/activities/new")
def create_activity(request: Request, session: SessionDep, user: MissionStaff, posted: FormDep):
    """Save a new draft of the user's mission, or show the form again with every value kept.

    The form's key (kept across its re-renders) makes a double tap or a browser's retry
    save one record and answer both with it."""
    form = activity_form.from_post(posted)
    key = form["idempotency_key"] or None
    if key is not None and not idempotency.is_valid(key):
        form["idempotency_key"] = idempotency.new_key()
        message = "This form's hidden key was damaged and is now replaced: check, then save again."
        return _render_form(request, session, user, form=form, message=message, status_code=422)
    if activity_form.wants_refresh(posted, form):
        presets.apply(form, form["type"], form_text(posted, "_shown_type"))
        return _render_form(
            request, session, user, form=form, refreshed=activity_form.refresh_note(posted)
        )
    data, errors = activity_form.to_data(form)
    data["mission"] = user.mission.code if user.mission else ""
    model = None
    if not errors:
        try:
            model = ActivityCreate.model_validate(data)
        except ValidationError as exc:
            errors = field_errors(exc)
    if errors or model is None:
        return _render_form(request, session, user, form=form, errors=errors, status_code=422)
    try:
        created = idempotency.create_once(
            session,
            data=model,
            actor=user,
            key=key,
            keep_days=request.app.state.settings.idempotency_days,
        )
    except idempotency.KeyReused as exc:
        session.rollback()
        # Saving again is then a choice made knowingly: a new key lets it make a record.
        form["idempotency_key"] = idempotency.new_key()
        message = (
            f"This form was already saved, with other values, as activity {exc.activity_id}. "
            "Your values are kept below: save again to log them as another activity, or open "
            f"activity {exc.activity_id} to change it instead."
        )
        return _render_form(request, session, user, form=form, message=message, status_code=422)
    except idempotency.RecordDeleted:
        session.rollback()
        form["idempotency_key"] = idempotency.new_key()
        message = (
            "The record saved from this form was deleted since. Your values are kept below: "
            "save again to log them anew."
        )
        return _render_form(request, session, user, form=form, message=message, status_code=409)
    except ValidationFailed as exc:
        session.rollback()
        return _render_form(
            request, session, user, form=form, errors=field_errors(exc), status_code=422
        )
    except Forbidden as exc:
        session.rollback()
        return _render_form(request, session, user, form=form, message=str(exc), status_code=403)
    return RedirectResponse(f"/activities/{created.activity.id}?done=created", status_code=303)


@router.get("/activities/{activity_id}")
def activity_detail(request: Request, activity_id: int, session: SessionDep, user: SignedIn):
    """One activity: every field, what the user may do with it now, and its history."""
    activity = _load(session, activity_id, user)
    done = request.query_params.get("done", "")
    notice = NOTICES.get(done)
    waiting = query.small_int(request.query_params.get("waiting"), 0, 1, INT32_MAX)
    if notice and done in _REVIEWED and waiting:
        notice = f"{notice} {waiting:,} more waiting for review."
    return render(
        request,
        "activities/detail.html",
        detail.context(session, activity, user, notice=notice),
    )


@router.get("/activities/{activity_id}/edit")
def edit_activity(request: Request, activity_id: int, session: SessionDep, user: MissionStaff):
    activity = _load(session, activity_id, user)
    if not policy.can_edit(user, activity):
        raise Forbidden(policy.edit_refusal(user, activity))
    return _render_form(
        request, session, user, form=activity_form.from_record(activity), activity=activity
    )


@router.post("/activities/{activity_id}/edit")
def update_activity(
    request: Request, activity_id: int, session: SessionDep, user: MissionStaff, posted: FormDep
):
    """Save the changes (only the fields that differ from the record), checking the version
    the form was read at; a stale one answers 409 with everything typed kept."""
    activity = _load(session, activity_id, user)
    form = activity_form.from_post(posted)
    form["version"] = form_text(posted, "version").strip()
    context: dict[str, Any] = {"form": form, "activity": activity}
    if not policy.can_edit(user, activity):
        message = policy.edit_refusal(user, activity)
        return _render_form(request, session, user, message=message, status_code=403, **context)
    if activity_form.wants_refresh(posted, form):
        presets.apply(form, form["type"], new=False)
        return _render_form(
            request, session, user, refreshed=activity_form.refresh_note(posted), **context
        )
    version = query.small_int(form["version"], 0, 1, INT32_MAX)
    if not version:
        message = "This form has no valid version; open the record's edit page again."
        return _render_form(request, session, user, message=message, status_code=422, **context)
    data, errors = activity_form.to_data(form)
    patch = None
    if not errors:
        changes = activity_form.changes(data, service.to_read(activity).model_dump(mode="json"))
        if not changes:
            return RedirectResponse(f"/activities/{activity.id}?done=unchanged", status_code=303)
        try:
            patch = ActivityUpdate.model_validate({**changes, "version": version})
        except ValidationError as exc:
            errors = field_errors(exc)
    if errors or patch is None:
        return _render_form(request, session, user, errors=errors, status_code=422, **context)
    try:
        service.update(session, activity=activity, patch=patch, actor=user)
    except ValidationFailed as exc:
        session.rollback()
        errors = field_errors(exc)
        return _render_form(request, session, user, errors=errors, status_code=422, **context)
    except Conflict as exc:
        session.rollback()
        return _render_form(
            request, session, user, message=str(exc), conflict=True, status_code=409, **context
        )
    except Forbidden as exc:
        session.rollback()
        return _render_form(request, session, user, message=str(exc), status_code=403, **context)
    return RedirectResponse(f"/activities/{activity.id}?done=updated", status_code=303)


# --- the workflow and deleting ------------------------------------------------------------------


def _detail_again(request, session, activity_id, user, message, status_code, **extra):
    """The detail page again, with why the action did not happen."""
    session.rollback()
    activity = _load(session, activity_id, user)
    context = detail.context(session, activity, user, action_error=message, **extra)
    return render(request, "activities/detail.html", context, status_code=status_code)


def _transition(request, session, user, activity_id: int, action, posted: FormData):
    activity = _load(session, activity_id, user)
    comment = form_text(posted, "comment")[:2_000].replace("\x00", "")
    version = query.small_int(form_text(posted, "version"), 0, 1, INT32_MAX)
    if not version:
        return _detail_again(
            request,
            session,
            activity_id,
            user,
            "This form has no valid version; reload the page and try again.",
            422,
            comment=comment,
        )
    try:
        workflow.transition(
            session,
            activity=activity,
            action=action,
            version=version,
            actor=user,
            comment=comment,
        )
    except ValidationFailed as exc:
        errors = field_errors(exc)
        return _detail_again(
            request,
            session,
            activity_id,
            user,
            "Nothing was changed: " + "; ".join(errors.values()) + ".",
            422,
            comment=comment,
            comment_error=errors.get("comment"),
        )
    except Conflict as exc:
        return _detail_again(request, session, activity_id, user, str(exc), 409, comment=comment)
    except Forbidden as exc:
        return _detail_again(request, session, activity_id, user, str(exc), 403, comment=comment)
    done = {"submit": "submitted", "approve": "approved", "return": "returned"}[action.value]
    if done in _REVIEWED:  # on to the next record waiting for this reviewer
        next_id, waiting = my_work.next_to_review(session, user)
        if next_id is None:
            return RedirectResponse(f"/my-work?done={done}", status_code=303)
        return RedirectResponse(
            f"/activities/{next_id}?done={done}&waiting={waiting}", status_code=303
        )
    return RedirectResponse(f"/activities/{activity_id}?done={done}", status_code=303)


@router.post("/activities/{activity_id}/submit")
def submit_activity(
    request: Request, activity_id: int, session: SessionDep, user: MissionStaff, posted: FormDep
):
    return _transition(request, session, user, activity_id, workflow.Action.SUBMIT, posted)


@router.post("/activities/{activity_id}/approve")
def approve_activity(
    request: Request, activity_id: int, session: SessionDep, user: Reviewer, posted: FormDep
):
    return _transition(request, session, user, activity_id, workflow.Action.APPROVE, posted)


@router.post("/activities/{activity_id}/return")
def return_activity(
    request: Request, activity_id: int, session: SessionDep, user: Reviewer, posted: FormDep
):
    return _transition(request, session, user, activity_id, workflow.Action.RETURN, posted)


@router.get("/activities/{activity_id}/delete")
def confirm_delete(request: Request, activity_id: int, session: SessionDep, user: MissionStaff):
    """Ask before deleting (a page of its own: no script needed)."""
    activity = _load(session, activity_id, user)
    if not policy.can_delete(user, activity):
        raise Forbidden(
            "Approved records cannot be deleted."
            if activity.status == Status.APPROVED.value
            else policy.edit_refusal(user, activity)
        )
    start = PartialDate.of(activity.start_date, activity.start_precision)
    return render(request, "activities/delete.html", {"a": activity, "start": start})


@router.post("/activities/{activity_id}/delete")
def delete_activity(
    request: Request, activity_id: int, session: SessionDep, user: MissionStaff, posted: FormDep
):
    activity = _load(session, activity_id, user)
    version = query.small_int(form_text(posted, "version"), 0, 1, INT32_MAX)
    if not version:
        return _detail_again(
            request,
            session,
            activity_id,
            user,
            "This form has no valid version; reload the page and try again.",
            422,
        )
    try:
        service.delete(session, activity=activity, version=version, actor=user)
    except Conflict as exc:
        return _detail_again(request, session, activity_id, user, str(exc), 409)
    except Forbidden as exc:
        return _detail_again(request, session, activity_id, user, str(exc), 403)
    return RedirectResponse("/activities?done=deleted", status_code=303)
