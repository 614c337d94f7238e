"""Pages: the activity list, one activity with its history, the type-aware form, and the
review workflow's buttons. Routes are thin: they read the request, call the same services
as the JSON API (`service`, `workflow`, `policy`), and render."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts import policy
from app.accounts.deps import MissionStaff, Reviewer, SignedIn, Viewer
from app.accounts.models import User
from app.activities import service, workflow
from app.activities.models import Activity
from app.activities.schemas import ActivityCreate, ActivityUpdate
from app.audit import service as audit
from app.config import get_settings
from app.deps import SessionDep
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.forms import field_errors
from app.missions import service as missions
from app.partial_dates import PartialDate
from app.vocab import (
    ALL_TYPE_FIELDS,
    TYPE_FIELDS,
    ActivityType,
    AlertLevel,
    AssistanceKind,
    Dimension,
    EventKind,
    Finding,
    LocationKind,
    MeetingKind,
    MeetingLevel,
    PartnerKind,
    Provenance,
    Recipient,
    ReportKind,
    ResponseArea,
    Role,
    Status,
    TargetGroup,
    Theme,
)
from app.web import render

router = APIRouter(include_in_schema=False)

INT32_MAX = 2_147_483_647
PAGE_SIZE = 25
DATE_HINT = "YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD — e.g. 2015, 2015-Q4, 2015-11, 2015-11-19"


async def _read_form(request: Request) -> FormData:
    """The posted form, read once (the endpoints themselves run in the thread pool)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(_read_form)]


# --- fields: labels, widgets, readable values ----------------------------------------------


@dataclass(frozen=True)
class Spec:
    """How one field is asked for and shown."""

    label: str
    kind: str  # text, textarea, number, bool, select, multi, date
    vocab: Any = None
    hint: str = ""
    maxlength: int | None = None


COMMON_LABELS = {
    "mission": "Lead mission",
    "other_missions": "Other missions taking part",
    "type": "Type of activity",
    "title": "Title",
    "start": "Start",
    "end": "End",
    "dimension": "OSCE dimension",
    "response_area": "Response area",
    "themes": "Themes",
    "locations": "Locations",
    "partners": "Partners",
    "project": "Project",
    "summary": "Summary",
    "source": "Source or reference",
    "status": "Status",
    "review_comment": "Review comment",
    "provenance": "Provenance",
    "external_id": "External id",
}

TYPE_SPECS: dict[str, Spec] = {
    "team": Spec("Team", "text", hint="e.g. Police development unit team", maxlength=200),
    "team_size": Spec("Team size (people)", "number"),
    "overnight": Spec("Overnight stay", "bool"),
    "persons_observed": Spec("Persons observed", "number"),
    "observations": Spec("Observations", "textarea", maxlength=10_000),
    "findings": Spec("Findings", "multi", Finding),
    "alert_level": Spec(
        "Alert level",
        "select",
        AlertLevel,
        hint="The early-warning signal: elevated and high alerts show on the mission dashboard.",
    ),
    "alert_closed": Spec(
        "Alert closed", "bool", hint="Tick once the situation that raised the alert is resolved."
    ),
    "target_group": Spec("Target group", "select", TargetGroup),
    "participants_total": Spec("Participants in total", "number"),
    "participants_women": Spec("Of whom women", "number"),
    "training_days": Spec("Days of training", "number"),
    "reference_number": Spec("Reference number", "text", hint="e.g. SEC.FR/230/16", maxlength=80),
    "report_kind": Spec("Kind of report", "select", ReportKind),
    "recipients": Spec("Recipients", "multi", Recipient),
    "self_initiated": Spec(
        "Self-initiated",
        "bool",
        hint="Tick if the mission wrote it on its own initiative; "
        "leave empty if Vienna asked for it.",
    ),
    "period_from": Spec("Period covered from", "date", hint=DATE_HINT),
    "period_to": Spec("Period covered to", "date", hint=DATE_HINT),
    "meeting_kind": Spec("Kind of meeting", "select", MeetingKind),
    "meeting_level": Spec("Level", "select", MeetingLevel),
    "organisations_present": Spec("Organisations present", "textarea", maxlength=2_000),
    "event_kind": Spec("Kind of event", "select", EventKind),
    "attendees": Spec("Attendees", "number"),
    "outcome": Spec(
        "Outcome", "textarea", hint="e.g. “Tirana Declaration on Migration”", maxlength=2_000
    ),
    "audience_reached": Spec("Audience reached (people)", "number"),
    "assistance_kind": Spec("Kind of assistance", "select", AssistanceKind),
    "research_topic": Spec("Research topic", "text", maxlength=300),
}

LABELS = {**COMMON_LABELS, **{name: spec.label for name, spec in TYPE_SPECS.items()}}

VOCABS = {
    "type": ActivityType,
    "dimension": Dimension,
    "response_area": ResponseArea,
    "themes": Theme,
    "status": Status,
    "provenance": Provenance,
    **{name: spec.vocab for name, spec in TYPE_SPECS.items() if spec.vocab is not None},
}
LIST_FIELDS = ("other_missions", "locations", "partners", "themes", "findings", "recipients")
BOOL_FIELDS = tuple(n for n, s in TYPE_SPECS.items() if s.kind == "bool")
NUMBER_FIELDS = tuple(n for n, s in TYPE_SPECS.items() if s.kind == "number")
DATE_FIELDS = ("start", "end", "period_from", "period_to")
REQUIRED = {
    "type": "choose the type of activity",
    "title": "give the activity a title",
    "start": "give the start date (a year is enough if that is all you know)",
    "dimension": "choose the OSCE dimension",
    "response_area": "choose the response area",
}
TEXT_FIELDS = ("title", "summary", "source", "project", "type", "dimension", "response_area")


def _vocab_label(vocab, value) -> str:
    try:
        return vocab(value).label
    except ValueError:
        return str(value)


def readable(name: str, value: Any) -> str:
    """A stored or snapshot value in words: labels for vocabularies, dates with their
    precision, Yes/No, and '—' for nothing."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, PartialDate):
        return value.human()
    vocab = VOCABS.get(name)
    if isinstance(value, list):
        return ", ".join(_vocab_label(vocab, v) if vocab else str(v) for v in value)
    if vocab is not None:
        return _vocab_label(vocab, value)
    if name in DATE_FIELDS and isinstance(value, str):
        try:
            return PartialDate.parse(value).human()
        except ValueError:
            return value
    if isinstance(value, int):
        return f"{value:,}"
    text = str(value)
    return text if len(text) <= 240 else text[:240] + "…"


# --- the list ---------------------------------------------------------------------------------

FILTER_KEYS = ("q", "mission", "type", "area", "theme", "status", "from", "to", "joint", "sort")
SORT_LABELS = {
    "-start": "Newest first",
    "start": "Oldest first",
    "title": "Title A–Z",
    "-title": "Title Z–A",
    "-updated": "Recently changed",
    "updated": "Least recently changed",
    "-created": "Recently logged",
    "created": "First logged",
}
DEFAULT_SORT = "-start"
NOTICES = {
    "created": "The activity was saved as a draft.",
    "updated": "Your changes were saved.",
    "unchanged": "Nothing was changed.",
    "submitted": "Submitted for review: it now waits for the head of mission’s approval.",
    "approved": "Approved.",
    "returned": "Returned to the mission with your comment.",
    "deleted": "The activity was deleted.",
}


def _read_filters(
    session: Session, params
) -> tuple[dict[str, str], service.ActivityFilters | None, dict[str, str]]:
    """The filter form as typed, the filters it means, and a message per bad value."""
    form = {key: (params.get(key) or "").strip() for key in FILTER_KEYS}
    form["joint"] = "1" if form["joint"].lower() in {"1", "true", "on", "yes"} else ""
    errors: dict[str, str] = {}
    mission = None
    if form["mission"]:
        mission = missions.get_by_code(session, form["mission"][:8])
        if mission is None or len(form["mission"]) > 8:
            errors["mission"] = f"there is no mission with the code {form['mission'][:20]!r}"
    for key, vocab in (("type", ActivityType), ("area", ResponseArea), ("theme", Theme)):
        if form[key] and form[key] not in vocab.values():
            errors[key] = "choose one of the listed values"
    if form["status"] and form["status"] not in Status.values():
        errors["status"] = "choose one of the listed values"
    dates = {}
    for key in ("from", "to"):
        if form[key]:
            try:
                dates[key] = PartialDate.parse(form[key].upper()[:20])
            except ValueError as exc:
                errors[key] = str(exc)
    if "from" in dates and "to" in dates and dates["to"].end < dates["from"].start:
        errors["to"] = "the end of the period is before its start"
    if len(form["q"]) > 200:
        errors["q"] = "search for at most 200 characters"
    if form["sort"] and form["sort"] not in SORT_LABELS:
        errors["sort"] = "choose one of the listed orders"
    if errors:
        return form, None, errors
    filters = service.ActivityFilters(
        mission=mission,
        type=form["type"] or None,
        area=form["area"] or None,
        theme=form["theme"] or None,
        status=form["status"] or None,
        date_from=dates["from"].start if "from" in dates else None,
        date_to=dates["to"].end if "to" in dates else None,
        q=form["q"].replace("\x00", "") or None,
        joint=True if form["joint"] else None,
    )
    return form, filters, {}


def _small_int(text: str | None, default: int, low: int, high: int) -> int | None:
    """A small positive whole number from the query string; None if it is not one."""
    if not text:
        return default
    if not re.fullmatch(r"\d{1,10}", text.strip()):
        return None
    value = int(text)
    return value if low <= value <= high else None


def _cursor_ok(cursor: str, sort: str) -> bool:
    """A cursor this list could have made: readable, for this order, and with values the
    database can compare (a forged one must be a message, never a server error)."""
    if len(cursor) > 500 or sort not in SORT_LABELS:
        return len(cursor) <= 500
    try:
        value, row_id = service.decode_cursor(cursor, sort)
    except ValidationFailed:
        return False
    if not 0 <= row_id <= INT32_MAX:
        return False
    if isinstance(value, str):
        return "\x00" not in value and len(value) <= 300
    if isinstance(value, datetime):
        return value.tzinfo is None
    return True


def _query(form: dict[str, str], **extra) -> str:
    pairs = [(k, v) for k, v in form.items() if v and not (k == "sort" and v == DEFAULT_SORT)]
    pairs += [(k, str(v)) for k, v in extra.items() if v not in (None, "")]
    return urlencode(pairs)


@router.get("/activities")
def activity_list(request: Request, session: SessionDep, user: SignedIn):
    """Activities the user may see, filtered and sorted, a page at a time."""
    params = request.query_params
    form, filters, errors = _read_filters(session, params)
    page_size_max = get_settings().page_size_max
    limit = _small_int(params.get("limit"), PAGE_SIZE, 1, page_size_max)
    page_number = _small_int(params.get("page"), 1, 1, 10**6) or 1
    if limit is None:
        errors["limit"] = f"a page holds between 1 and {page_size_max} activities"
    cursor = params.get("cursor") or None
    if cursor and not _cursor_ok(cursor, form["sort"] or DEFAULT_SORT):
        errors["cursor"] = "this page link is not valid; start again from the first page"
    rows, total, next_cursor = [], None, None
    if not errors:
        try:
            rows, total, next_cursor = service.list_page(
                session,
                filters=filters,
                sort=form["sort"] or DEFAULT_SORT,
                limit=limit,
                cursor=cursor,
                visible=policy.visible_activities(user),
            )
        except ValidationFailed as exc:
            errors = field_errors(exc)
            if "cursor" in errors:
                errors["cursor"] = "this page link is not valid; start again from the first page"
    keep_limit = limit if limit not in (None, PAGE_SIZE) else None
    first = (page_number - 1) * (limit or PAGE_SIZE) + 1
    return render(
        request,
        "activities/list.html",
        {
            "form": form,
            "errors": errors,
            "rows": rows,
            "total": total,
            "first": first,
            "last": first + len(rows) - 1,
            "next_url": "/activities?"
            + _query(form, limit=keep_limit, cursor=next_cursor, page=page_number + 1)
            if next_cursor
            else None,
            "first_url": "/activities?" + _query(form, limit=keep_limit) if cursor else None,
            "clear_url": "/activities",
            "filtered": any(form[k] for k in FILTER_KEYS if k not in ("sort",)),
            "more_open": bool(errors)
            or any(form[k] for k in FILTER_KEYS if k not in ("q", "sort"))
            or form["sort"] not in ("", DEFAULT_SORT),
            "missions": missions.get_all(session),
            "sort_labels": SORT_LABELS,
            "can_log": user.role in policy.MISSION_ROLES and user.mission is not None,
            "notice": NOTICES.get(params.get("done", "")),
        },
        status_code=422 if errors else 200,
    )


# --- one activity -----------------------------------------------------------------------------


def _load(session: Session, activity_id: int, user: Viewer) -> Activity:
    """The activity if `user` may see it; 404 otherwise (also for ids beyond any row)."""
    if not 1 <= activity_id <= INT32_MAX:
        raise NotFound(f"No activity with id {activity_id}.")
    return service.get_or_raise(session, activity_id, actor=user)


@dataclass
class HistoryItem:
    at: datetime
    who: str
    action: str
    headline: str
    changes: list[tuple[str, str, str]]
    comment: str | None


def _history(session: Session, activity: Activity) -> list[HistoryItem]:
    entries = audit.history(session, entity=service.ENTITY, entity_id=activity.id)
    ids = {e.user_id for e in entries if e.user_id is not None}
    names = (
        dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
        if ids
        else {}
    )
    items = []
    for e in entries:
        before, after = e.before or {}, e.after or {}
        changes: list[tuple[str, str, str]] = []
        comment = None
        if e.action == "create":
            status = _vocab_label(Status, after.get("status", "draft")).lower()
            headline = f"Created (status: {status})"
        elif e.action == "transition":
            action = (e.detail or "").split(":", 1)[0]
            headline = {
                "submit": "Submitted for review",
                "approve": "Approved",
                "return": "Returned with a comment",
            }.get(action, "Status changed")
            comment = after.get("review_comment") if action == "return" else None
            changes.append(
                (
                    "Status",
                    readable("status", before.get("status")),
                    readable("status", after.get("status")),
                )
            )
        elif e.action == "update":
            headline = "Changed"
            for name in after:
                if name == "version":
                    continue
                changes.append(
                    (
                        LABELS.get(name, name.replace("_", " ").capitalize()),
                        readable(name, before.get(name)),
                        readable(name, after.get(name)),
                    )
                )
        else:
            headline = e.action.capitalize()
        who = names.get(e.user_id, "Unknown user") if e.user_id else "FieldLog (data load)"
        items.append(HistoryItem(e.at, who, e.action, headline, changes, comment))
    return items


def _detail_context(session: Session, activity: Activity, user: Viewer, **extra) -> dict:
    author = session.get(User, activity.created_by_id) if activity.created_by_id else None
    return {
        "a": activity,
        "start": PartialDate.of(activity.start_date, activity.start_precision),
        "end": PartialDate.of(activity.end_date, activity.end_precision),
        "type_fields": [
            (TYPE_SPECS[name].label, readable(name, _stored(activity, name)))
            for name in TYPE_FIELDS[ActivityType(activity.type)]
        ],
        "history": _history(session, activity),
        "author": author.name if author else None,
        "can_edit": policy.can_edit(user, activity),
        "can_delete": policy.can_delete(user, activity),
        "actions": [a.value for a in workflow.available(user, activity)],
        "comment": "",
        **extra,
    }


def _stored(activity: Activity, name: str) -> Any:
    value = getattr(activity, name)
    if name in ("period_from", "period_to") and value is not None:
        return PartialDate.of(value, "day")
    return value


@router.get("/activities/new")
def new_activity(request: Request, session: SessionDep, user: MissionStaff):
    """A blank form; `?type=monitoring_visit` chooses the type at once."""
    chosen = request.query_params.get("type", "")
    form = _blank_form()
    if chosen in ActivityType.values():
        form["type"] = chosen
    return _render_form(request, session, user, form=form)


@router.post("/activities/new")
def create_activity(request: Request, session: SessionDep, user: MissionStaff, posted: FormDep):
    """Save a new draft of the user's mission, or show the form again with every value kept."""
    form = _form_from_post(posted)
    if _wants_refresh(posted, form):
        return _render_form(request, session, user, form=form, refreshed=_refresh_note(posted))
    data, errors = _data_from_form(form)
    data["mission"] = user.mission.code if user.mission else ""
    model = None
    if not errors:
        try:
            model = ActivityCreate.model_validate(data)
        except ValidationError as exc:
            errors = field_errors(exc)
    if errors:
        return _render_form(request, session, user, form=form, errors=errors, status_code=422)
    try:
        activity = service.create(session, data=model, actor=user)
    except ValidationFailed as exc:
        session.rollback()
        return _render_form(
            request, session, user, form=form, errors=field_errors(exc), status_code=422
        )
    except Forbidden as exc:
        session.rollback()
        return _render_form(request, session, user, form=form, message=str(exc), status_code=403)
    return RedirectResponse(f"/activities/{activity.id}?done=created", status_code=303)


@router.get("/activities/{activity_id}")
def activity_detail(request: Request, activity_id: int, session: SessionDep, user: SignedIn):
    """One activity: every field, what the user may do with it now, and its history."""
    activity = _load(session, activity_id, user)
    notice = NOTICES.get(request.query_params.get("done", ""))
    return render(
        request,
        "activities/detail.html",
        _detail_context(session, activity, user, notice=notice),
    )


@router.get("/activities/{activity_id}/edit")
def edit_activity(request: Request, activity_id: int, session: SessionDep, user: MissionStaff):
    activity = _load(session, activity_id, user)
    if not policy.can_edit(user, activity):
        raise Forbidden(policy.edit_refusal(user, activity))
    return _render_form(request, session, user, form=_form_from_record(activity), activity=activity)


@router.post("/activities/{activity_id}/edit")
def update_activity(
    request: Request, activity_id: int, session: SessionDep, user: MissionStaff, posted: FormDep
):
    """Save the changes (only the fields that differ from the record), checking the version
    the form was read at; a stale one answers 409 with everything typed kept."""
    activity = _load(session, activity_id, user)
    form = _form_from_post(posted)
    form["version"] = (posted.get("version") or "").strip()
    context = {"form": form, "activity": activity}
    if not policy.can_edit(user, activity):
        message = policy.edit_refusal(user, activity)
        return _render_form(request, session, user, message=message, status_code=403, **context)
    if _wants_refresh(posted, form):
        return _render_form(request, session, user, refreshed=_refresh_note(posted), **context)
    version = _small_int(form["version"], 0, 1, INT32_MAX)
    if not version:
        message = "This form has no valid version; open the record's edit page again."
        return _render_form(request, session, user, message=message, status_code=422, **context)
    data, errors = _data_from_form(form)
    patch = None
    if not errors:
        changes = _changes(data, service.to_read(activity).model_dump(mode="json"))
        if not changes:
            return RedirectResponse(f"/activities/{activity.id}?done=unchanged", status_code=303)
        try:
            patch = ActivityUpdate.model_validate({**changes, "version": version})
        except ValidationError as exc:
            errors = field_errors(exc)
    if errors:
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
    context = _detail_context(session, activity, user, action_error=message, **extra)
    return render(request, "activities/detail.html", context, status_code=status_code)


def _transition(request, session, user, activity_id: int, action, posted: FormData):
    activity = _load(session, activity_id, user)
    comment = (posted.get("comment") or "")[:2_000].replace("\x00", "")
    version = _small_int(posted.get("version"), 0, 1, INT32_MAX)
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
    version = _small_int(posted.get("version"), 0, 1, INT32_MAX)
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


# --- the form: from a record or a post, to the API's shape, and back -----------------------------


def _blank_form() -> dict[str, Any]:
    form: dict[str, Any] = {name: "" for name in (*TEXT_FIELDS, "start", "end", "version")}
    for name in ALL_TYPE_FIELDS:
        form[name] = "" if name not in BOOL_FIELDS else False
    for name in LIST_FIELDS:
        form[name] = []
    return form


def _form_from_record(activity: Activity) -> dict[str, Any]:
    read = service.to_read(activity).model_dump(mode="json")
    form = _blank_form()
    for name in form:
        value = read.get(name)
        if name in LIST_FIELDS:
            form[name] = list(value or [])
        elif name in BOOL_FIELDS:
            form[name] = bool(value)
        else:
            form[name] = "" if value is None else str(value)
    return form


def _form_from_post(posted: FormData) -> dict[str, Any]:
    """Everything typed, as typed (for showing the form again)."""
    form = _blank_form()
    for name in form:
        if name in LIST_FIELDS:
            form[name] = [str(v)[:120] for v in posted.getlist(name)][:60]
        elif name in BOOL_FIELDS:
            form[name] = (posted.get(name) or "") not in ("", "false", "0")
        else:
            value = posted.get(name)
            form[name] = value if isinstance(value, str) else ""
    return form


def _wants_refresh(posted: FormData, form: dict[str, Any]) -> bool:
    """'Show the fields for this type' (no JavaScript), or Save pressed after changing the
    type without seeing the new type's fields."""
    if posted.get("_action") == "refresh":
        return True
    shown = posted.get("_shown_type")
    return shown is not None and form["type"] in ActivityType.values() and shown != form["type"]


def _refresh_note(posted: FormData) -> str | None:
    if posted.get("_action") == "refresh":
        return None
    return "You changed the type: fill in the fields for this type below, then save."


def _data_from_form(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The body the API schema expects, and messages for what cannot even be read."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    for name in ("title", "type", "dimension", "response_area", "project"):
        data[name] = form[name].strip() or None
    for name in ("summary", "source"):
        data[name] = form[name].strip()
    for name in ("start", "end"):
        data[name] = form[name].strip().upper() or None
    for name in ("other_missions", "locations", "partners", "themes"):
        data[name] = [v for v in form[name] if v]
    for name, message in REQUIRED.items():
        if not data[name]:
            errors[name] = message
    own = set(TYPE_FIELDS.get(ActivityType(data["type"]), ())) if _known_type(data) else set()
    for name in ALL_TYPE_FIELDS:
        value = form[name]
        if name not in own:
            # Another type's field is sent only by a hand-made post: let the rules say why.
            if value not in ("", [], False):
                data[name] = True if value is True else value
            continue
        kind = TYPE_SPECS[name].kind
        if kind == "bool":
            data[name] = bool(value)
        elif kind == "multi":
            data[name] = [v for v in value if v] or None
        elif kind == "number":
            text = value.strip().replace(" ", "")
            if not text:
                data[name] = None
            elif re.fullmatch(r"-?\d{1,12}", text):
                data[name] = int(text)
            else:
                errors[name] = "enter a whole number, e.g. 12"
        elif kind == "date":
            data[name] = value.strip().upper() or None
        elif kind == "textarea":
            data[name] = value.strip() or None
        else:
            data[name] = value.strip() or None
    return data, errors


def _known_type(data: dict[str, Any]) -> bool:
    return data.get("type") in ActivityType.values()


def _same(name: str, new: Any, old: Any) -> bool:
    if name in LIST_FIELDS:
        return sorted(new or []) == sorted(old or [])
    if name in BOOL_FIELDS:
        return bool(new) == bool(old)
    if name in ("summary", "source"):
        return (new or "") == (old or "")
    return new == old


def _changes(data: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Only what the person changed: a PATCH of the fields that differ from the record."""
    return {
        name: value
        for name, value in data.items()
        if name != "mission" and not _same(name, value, current.get(name))
    }


# --- rendering the form ---------------------------------------------------------------------


def _grouped(rows, key) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return sorted(groups.items(), key=lambda item: item[0])


def _render_form(
    request: Request,
    session: Session,
    user: Viewer,
    *,
    form: dict[str, Any],
    activity: Activity | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    refreshed: str | None = None,
    conflict: bool = False,
    status_code: int = 200,
):
    lead = activity.mission if activity is not None else user.mission
    if lead is None:
        raise Forbidden("Only staff of a mission log its activities.")
    all_missions = missions.get_all(session)
    own_country = next((m.host_country for m in all_missions if m.id == lead.id), None)
    locations = _grouped(missions.list_locations(session), lambda loc: loc.country)
    # the lead mission's own country first: most of its work happens there
    locations.sort(key=lambda item: (item[0] != own_country, item[0]))
    partners = [
        (PartnerKind(kind).label, rows)
        for kind, rows in _grouped(missions.list_partners(session), lambda p: p.kind)
    ]
    projects = missions.list_projects(session)
    projects = sorted(projects, key=lambda p: (p.mission_id != lead.id, p.title))
    chosen = form["type"] if form["type"] in ActivityType.values() else ""
    errors = errors or {}
    visible = {*COMMON_LABELS, *(TYPE_FIELDS[ActivityType(chosen)] if chosen else ())}
    return render(
        request,
        "activities/form.html",
        {
            "form": form,
            "activity": activity,
            "editing": activity is not None,
            "lead": lead,
            "errors": errors,
            "summary_errors": [
                (name, LABELS.get(name, "This form" if name == "__all__" else name), msg)
                for name, msg in errors.items()
            ],
            "hidden_errors": {name for name in errors if name not in visible},
            "message": message,
            "refreshed": refreshed,
            "conflict": conflict,
            "chosen": chosen,
            "types": list(ActivityType),
            "type_fields": {t.value: TYPE_FIELDS[t] for t in ActivityType},
            "specs": TYPE_SPECS,
            "labels": LABELS,
            "other_missions": [m for m in all_missions if m.id != lead.id],
            "locations": locations,
            "location_kinds": {k.value: k.label for k in LocationKind},
            "partners": partners,
            "projects": projects,
            "mission_codes": {m.id: m.code for m in all_missions},
            "date_hint": DATE_HINT,
            "is_hom": user.role == Role.HEAD_OF_MISSION.value,
        },
        status_code=status_code,
    )
