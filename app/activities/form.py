"""The activity form: from a record or a post, to the API's shape, and back."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.deps import Viewer
from app.activities import service
from app.activities.fields import (
    CHANGEABLE,
    COMMON_FIELDS,
    DATE_HINT,
    FIELDS,
    LABELS,
    REQUIRED,
    TYPE_FIELDS,
    Widget,
)
from app.activities.models import Activity
from app.errors import Forbidden
from app.missions import service as missions
from app.vocab import (
    ActivityType,
    LocationKind,
    PartnerKind,
)

router = APIRouter(include_in_schema=False)

# --- the form: from a record or a post, to the API's shape, and back -----------------------------


def blank() -> dict[str, Any]:
    """An empty form. Besides the fields: the version an edit was read at, and the key a new
    record's form is saved with, so that sending it twice saves it once (idempotency.py)."""
    form: dict[str, Any] = {"version": "", "idempotency_key": ""}
    for field in CHANGEABLE:
        form[field.name] = [] if field.is_list else False if field.widget == Widget.BOOL else ""
    return form


def from_record(activity: Activity) -> dict[str, Any]:
    read = service.to_read(activity).model_dump(mode="json")
    form = blank()
    for name in form:
        value = read.get(name)
        if isinstance(form[name], list):
            form[name] = list(value or [])
        elif isinstance(form[name], bool):
            form[name] = bool(value)
        else:
            form[name] = "" if value is None else str(value)
    return form


def from_post(posted: FormData) -> dict[str, Any]:
    """Everything typed, as typed (for showing the form again)."""
    form = blank()
    for name in form:
        if isinstance(form[name], list):
            form[name] = [str(v)[:120] for v in posted.getlist(name)][:60]
        elif isinstance(form[name], bool):
            form[name] = (posted.get(name) or "") not in ("", "false", "0")
        else:
            value = posted.get(name)
            form[name] = value if isinstance(value, str) else ""
    return form


def wants_refresh(posted: FormData, form: dict[str, Any]) -> bool:
    """'Show the fields for this type' (no JavaScript), or Save pressed after changing the
    type without seeing the new type's fields."""
    if posted.get("_action") == "refresh":
        return True
    shown = posted.get("_shown_type")
    return shown is not None and form["type"] in ActivityType.values() and shown != form["type"]


def refresh_note(posted: FormData) -> str | None:
    if posted.get("_action") == "refresh":
        return None
    return "You changed the type: fill in the fields for this type below, then save."


def to_data(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The body the API schema expects, and messages for what cannot even be read."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    chosen = ActivityType(form["type"]) if form["type"] in ActivityType.values() else None
    for field in CHANGEABLE:
        name, value = field.name, form[field.name]
        if field.owner is not None and field.owner != chosen:
            # Another type's field is sent only by a hand-made post: let the rules say why.
            if value not in ("", [], False):
                data[name] = True if value is True else value
            continue
        match field.widget:
            case Widget.BOOL:
                data[name] = bool(value)
            case Widget.MULTI | Widget.CODES:
                data[name] = [v for v in value if v] or field.blank
            case Widget.NUMBER:
                text = value.strip().replace(" ", "")
                if not text:
                    data[name] = None
                elif re.fullmatch(r"-?\d{1,12}", text):
                    data[name] = int(text)
                else:
                    errors[name] = "enter a whole number, e.g. 12"
            case Widget.DATE:
                data[name] = value.strip().upper() or field.blank
            case _:
                data[name] = value.strip() or field.blank
        if name in REQUIRED and not data.get(name):
            errors[name] = REQUIRED[name]
    return data, errors


def _same(name: str, new: Any, old: Any) -> bool:
    field = FIELDS[name]
    if field.is_list:
        return sorted(new or []) == sorted(old or [])
    if field.widget == Widget.BOOL:
        return bool(new) == bool(old)
    if field.blank == "":
        return (new or "") == (old or "")
    return new == old


def changes(data: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
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


def context(
    session: Session,
    user: Viewer,
    *,
    form: dict[str, Any],
    activity: Activity | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    refreshed: str | None = None,
    conflict: bool = False,
) -> dict[str, Any]:
    """What the form page shows: the values, the choices for the lead mission, the errors."""
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
    visible = {*COMMON_FIELDS, *(TYPE_FIELDS[ActivityType(chosen)] if chosen else ())}
    return {
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
        "fields": FIELDS,
        "other_missions": [m for m in all_missions if m.id != lead.id],
        "locations": locations,
        "location_kinds": {k.value: k.label for k in LocationKind},
        "partners": partners,
        "projects": projects,
        "mission_codes": {m.id: m.code for m in all_missions},
        "date_hint": DATE_HINT,
    }
