"""The activity list's query: the filters, sort, cursor and page size as typed, checked once."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter
from sqlalchemy.orm import Session

from app.activities import service
from app.errors import ValidationFailed
from app.missions import service as missions
from app.partial_dates import PartialDate
from app.schemas_common import INT32_MAX
from app.vocab import (
    ActivityType,
    ResponseArea,
    Status,
    Theme,
)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
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


def read_filters(
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


def small_int(text: str | None, default: int, low: int, high: int) -> int | None:
    """A small positive whole number from the query string; None if it is not one."""
    if not text:
        return default
    if not re.fullmatch(r"\d{1,10}", text.strip()):
        return None
    value = int(text)
    return value if low <= value <= high else None


def cursor_ok(cursor: str, sort: str) -> bool:
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


def query_string(form: dict[str, str], **extra) -> str:
    pairs = [(k, v) for k, v in form.items() if v and not (k == "sort" and v == DEFAULT_SORT)]
    pairs += [(k, str(v)) for k, v in extra.items() if v not in (None, "")]
    return urlencode(pairs)
