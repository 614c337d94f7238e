"""The activity form: from a record or a post, to the API's shape, and back."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.deps import Viewer
from app.activities import presets, service
from app.activities.fields import (
    CHANGEABLE,
    COMMON_FIELDS,
    DATE_FIELDS,
    FIELDS,
    LABELS,
    REQUIRED,
    TYPE_FIELDS,
    Widget,
)
from app.activities.models import Activity
from app.errors import Forbidden
from app.missions import countries
from app.missions import service as missions
from app.partial_dates import PartialDate
from app.vocab import (
    ActivityType,
    DatePrecision,
    LocationKind,
    PartnerKind,
)

router = APIRouter(include_in_schema=False)

# --- the form: from a record or a post, to the API's shape, and back -----------------------------


# --- dates: a precision and a native input per precision ---------------------------------------

# The form asks for a date as its precision plus the native input for that precision, named
# `<field>_<part>`: `start_precision` = day, month, quarter or year; `start_day` (an
# <input type=date>), `start_month` (<input type=month>), `start_year` and `start_quarter`
# (a year, and Q1-Q4 for a quarter). `compose` turns them into the partial date the API reads.
PRECISIONS: tuple[str, ...] = tuple(p.value for p in DatePrecision)
DATE_PARTS = ("precision", "day", "month", "quarter", "year")


def date_parts(text: str) -> dict[str, str]:
    """A partial date as the form's parts: its precision, its own input, and the coarser
    inputs too (so that choosing a coarser precision keeps the date). Text that is not a
    date stays as typed, in the day input."""
    parts = dict.fromkeys(DATE_PARTS, "")
    parts["precision"] = DatePrecision.DAY.value
    text = (text or "").strip()
    if not text:
        return parts
    try:
        parsed = PartialDate.parse(text.upper())
    except ValueError:
        parts["day"] = text
        return parts
    d = parsed.start
    parts["precision"] = parsed.precision.value
    parts["year"] = f"{d.year:04d}"
    parts["quarter"] = str((d.month - 1) // 3 + 1)
    if parsed.precision in (DatePrecision.DAY, DatePrecision.MONTH):
        parts["month"] = f"{d.year:04d}-{d.month:02d}"
    if parsed.precision == DatePrecision.DAY:
        parts["day"] = d.isoformat()
    return parts


def compose(form: dict[str, Any], name: str) -> tuple[str, str | None]:
    """The partial date the parts of date field `name` say (`2016-03-02`, `2016-03`,
    `2016-Q1`, `2016`), and a message when they cannot say one. Nothing given: ''."""
    part = {p: str(form.get(f"{name}_{p}") or "").strip() for p in DATE_PARTS}
    match part["precision"]:
        case "month":
            return part["month"].upper(), None
        case "quarter":
            if not part["year"] and not part["quarter"]:
                return "", None
            if not part["year"]:
                return "", "give the year of the quarter"
            if part["quarter"] not in ("1", "2", "3", "4"):
                return "", "choose the quarter"
            return f"{part['year']}-Q{part['quarter']}", None
        case "year":
            return part["year"], None
        case _:
            return part["day"].upper(), None


def _date_form(form: dict[str, Any], name: str, text: str) -> None:
    form[name] = text
    for part, value in date_parts(text).items():
        form[f"{name}_{part}"] = value


def blank() -> dict[str, Any]:
    """An empty form. Besides the fields: the version an edit was read at, and the key a new
    record's form is saved with, so that sending it twice saves it once (idempotency.py)."""
    form: dict[str, Any] = {"version": "", "idempotency_key": ""}
    for field in CHANGEABLE:
        form[field.name] = [] if field.is_list else False if field.widget == Widget.BOOL else ""
        if field.widget == Widget.DATE:
            _date_form(form, field.name, "")
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
    for name in DATE_FIELDS:
        if name in form:
            _date_form(form, name, form[name])
    return form


def like(activity: Activity, lead_code: str) -> dict[str, Any]:
    """A new draft "like" `activity`: its type, its place (locations) and its team (the
    other missions taking part, and a visit's team and team size), nothing else. Never the
    lead mission among the other missions (a record of another mission may name it)."""
    record = from_record(activity)
    form = blank()
    form["type"] = record["type"]
    form["locations"] = list(record["locations"])
    form["other_missions"] = [code for code in record["other_missions"] if code != lead_code]
    for name in ("team", "team_size"):
        if name in TYPE_FIELDS.get(ActivityType(record["type"]), ()):
            form[name] = record[name]
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
    for name in DATE_FIELDS:
        if name not in form:
            continue
        if form[f"{name}_precision"] in PRECISIONS:
            form[name], _ = compose(form, name)
        else:  # a post without the parts (a script, an old page): the date as typed
            _date_form(form, name, form[name])
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
                text, problem = compose(form, name)
                if problem:
                    errors[name] = problem
                data[name] = text or field.blank
            case _:
                data[name] = value.strip() or field.blank
        if name in REQUIRED and not data.get(name):
            errors.setdefault(name, REQUIRED[name])
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


# A type's own fields that are seldom known when the record is first logged: on the form they
# follow the others, in a collapsed "More about this …" (open when one holds a value).
TYPE_FIELDS_LATER: dict[ActivityType, tuple[str, ...]] = {
    ActivityType.MONITORING_VISIT: (
        "team",
        "team_size",
        "overnight",
        "persons_observed",
        "alert_closed",
    ),
}


def _type_field_sections(
    form: dict[str, Any], errors: dict[str, str]
) -> dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]]:
    """Per type: the fields shown first, those after in "More about this …", and whether that
    section opens (one of them holds a value or an error)."""
    sections = {}
    for activity_type in ActivityType:
        later = TYPE_FIELDS_LATER.get(activity_type, ())
        first = tuple(n for n in TYPE_FIELDS[activity_type] if n not in later)
        opened = any(form.get(n) not in ("", [], False, None) or n in errors for n in later)
        sections[activity_type.value] = (first, later, opened)
    return sections


# The collapsed sections after the type's own fields, and what each holds: a section with an
# error opens.
PICKER_SECTIONS: dict[str, tuple[str, ...]] = {
    "classification": ("dimension", "response_area", "themes"),
    "with": ("partners", "project", "other_missions"),
    "end": ("end",),
    "summary": ("summary", "source"),
}


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
    liked: Activity | None = None,
) -> dict[str, Any]:
    """What the form page shows: the values, the choices for the lead mission, the errors."""
    lead = activity.mission if activity is not None else user.mission
    if lead is None:
        raise Forbidden("Only staff of a mission log its activities.")
    all_missions = missions.get_all(session)
    own_country = next(
        (countries.code_for(m.host_country) for m in all_missions if m.id == lead.id), None
    )
    # The place: the lead mission's own locations first (most of its work happens there),
    # then the others by country, its host country first.
    all_locations = missions.list_locations(session)
    own_locations = [loc for loc in all_locations if loc.mission_id == lead.id]
    locations = _grouped(
        [loc for loc in all_locations if loc.mission_id != lead.id], lambda loc: loc.country
    )
    locations.sort(key=lambda item: (item[0] != own_country, countries.country_name(item[0])))
    locations = [(countries.country_name(code), places) for code, places in locations]
    if own_locations:
        locations.insert(0, (f"{lead.short_name}: your mission's places", own_locations))
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
        "liked": liked,
        "chosen": chosen,
        "types": list(ActivityType),
        "type_fields": _type_field_sections(form, errors),
        "fields": FIELDS,
        "other_missions": [m for m in all_missions if m.id != lead.id],
        "locations": locations,
        "location_kinds": {k.value: k.label for k in LocationKind},
        "partners": partners,
        "projects": projects,
        "mission_codes": {m.id: m.code for m in all_missions},
        "precisions": list(DatePrecision),
        "quarters": [
            ("1", "Q1 (Jan–Mar)"),
            ("2", "Q2 (Apr–Jun)"),
            ("3", "Q3 (Jul–Sep)"),
            ("4", "Q4 (Oct–Dec)"),
        ],
        "presets": presets.as_json(),
        "pickers_open": {
            name: bool(set(errors) & set(names)) for name, names in PICKER_SECTIONS.items()
        },
    }
