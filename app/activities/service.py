"""Creating, changing, deleting and listing activities.

Services take a session and keyword arguments; they flush but never commit
(the request's unit of work does). Every change is written through writes.py,
which keeps the dashboard aggregates and the audit trail in step with it.

`actor` is the signed-in user, checked against the policy; None means the
system itself (the seed loader, the CLI), which the policy does not restrict.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, NamedTuple

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from app.accounts.actor import Actor
from app.activities import policy, search, writes
from app.activities.counting import wholly_within_sql
from app.activities.fields import ALL_TYPE_FIELDS, TYPE_FIELDS
from app.activities.models import (
    Activity,
    ActivityTheme,
    activity_locations,
    activity_other_missions,
)
from app.activities.schemas import ActivityCreate, ActivityRead, ActivityUpdate
from app.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from app.missions.models import Location, Mission, Partner, Project
from app.missions.service import RowReader, by_code
from app.models_common import utcnow
from app.partial_dates import PartialDate
from app.schemas_common import INT32_MAX
from app.vocab import ActivityType, Provenance, Status

ENTITY = "activity"
_PARTIAL_DATE_FIELDS = ("period_from", "period_to")


def get(session: Session, activity_id: int) -> Activity | None:
    """One activity with its links loaded."""
    return session.scalar(
        select(Activity)
        .where(Activity.id == activity_id)
        .options(*load_links())
        .execution_options(populate_existing=True)
    )


def get_or_raise(session: Session, activity_id: int, *, actor: Actor | None = None) -> Activity:
    """The activity, if it exists and `actor` may see it; NotFound otherwise (no leak)."""
    activity = get(session, activity_id)
    if activity is None or (actor is not None and not policy.can_see(actor, activity)):
        raise NotFound(f"No activity with id {activity_id}.")
    return activity


def load_links():
    return (
        selectinload(Activity.other_missions),
        selectinload(Activity.locations),
        selectinload(Activity.partners),
        selectinload(Activity.theme_rows),
        selectinload(Activity.target_group_rows),
        selectinload(Activity.project),
    )


# --- validation ---------------------------------------------------------------------------


@dataclass
class Resolved:
    """The rows an activity's codes refer to, once they are known to exist."""

    mission: Mission
    other_missions: list[Mission]
    locations: list[Location]
    partners: list[Partner]
    project: Project | None


def validate(session: RowReader, values: dict[str, Any], *, loc_prefix=("body",)) -> Resolved:
    """Check the rules that span fields or need the database; raise ValidationFailed.

    `values` is a whole activity (a create body, or a record merged with a patch),
    with codes for missions, locations, partners and project. The importer calls
    this too (with a cache in front of the session), so a spreadsheet row obeys
    exactly the API's rules.
    """
    errors: list[FieldError] = []

    def err(field: str | tuple, msg: str) -> None:
        loc = field if isinstance(field, tuple) else (field,)
        errors.append(FieldError((*loc_prefix, *loc), msg))

    activity_type = ActivityType(values["type"])
    own = set(TYPE_FIELDS[activity_type])
    for name in ALL_TYPE_FIELDS:
        if name not in own and values.get(name) is not None:
            owner = next(t for t, fields in TYPE_FIELDS.items() if name in fields)
            err(
                name,
                f"{name} belongs to {owner.label.lower()} records, not to "
                f"{activity_type.label.lower()} records",
            )

    start, end = values.get("start"), values.get("end")
    if start is not None and end is not None and end.start < start.start:
        err("end", f"the end ({end.human()}) is before the start ({start.human()})")
    period_from, period_to = values.get("period_from"), values.get("period_to")
    if period_from is not None and period_to is not None and period_to.end < period_from.start:
        err("period_to", "the period covered ends before it starts")

    for name, problem in participants_problems(
        values.get("participants_total"),
        values.get("participants_women"),
        values.get("participants_men"),
    ):
        err(name, problem)

    missions = by_code(session, Mission, [values["mission"], *values.get("other_missions", [])])
    mission = missions.get(values["mission"].upper())
    if mission is None:
        err("mission", f"no mission with code {values['mission']!r}")
    others: list[Mission] = []
    for i, code in enumerate(values.get("other_missions") or []):
        other = missions.get(code.upper())
        if other is None:
            err(("other_missions", i), f"no mission with code {code!r}")
        elif mission is not None and other.id == mission.id:
            err(("other_missions", i), "the lead mission cannot also be listed as taking part")
        elif other not in others:
            others.append(other)

    def resolve(field: str, model) -> list:
        codes = values.get(field) or []
        found = by_code(session, model, codes)
        rows = []
        for i, code in enumerate(codes):
            if code not in found:
                err((field, i), f"no {model.__name__.lower()} with code {code!r}")
            elif found[code] not in rows:
                rows.append(found[code])
        return rows

    locations = resolve("locations", Location)
    partners = resolve("partners", Partner)
    project = None
    if values.get("project"):
        project = by_code(session, Project, [values["project"]]).get(values["project"])
        if project is None:
            err("project", f"no project with code {values['project']!r}")

    if errors or mission is None:  # an unknown mission is always among the errors
        raise ValidationFailed(errors)
    return Resolved(mission, others, locations, partners, project)


def participants_problems(
    total: int | None, women: int | None, men: int | None
) -> list[tuple[str, str]]:
    """What is wrong with a training's counts, as (field, message) pairs.

    Women and men are each optional (None: not recorded); given, they need the total
    (the share of women is taken over people counted in a known total) and together
    they are at most the total: whoever is neither is "not recorded".
    """
    problems = []
    for name, value, word in (
        ("participants_women", women, "women"),
        ("participants_men", men, "men"),
    ):
        if value is not None and total is None:
            problems.append(
                (
                    name,
                    f"give the participants in total (participants_total) when you give "
                    f"the number of {word}",
                )
            )
    if total is not None:
        if women is not None and women > total:
            problems.append(
                (
                    "participants_women",
                    f"{women} women cannot be more than the {total} participants in total",
                )
            )
        elif men is not None and men > total:
            problems.append(
                (
                    "participants_men",
                    f"{men} men cannot be more than the {total} participants in total",
                )
            )
        elif women is not None and men is not None and women + men > total:
            problems.append(
                (
                    "participants_men",
                    f"{women} women and {men} men make {women + men}, more than the {total} "
                    "participants in total",
                )
            )
    return problems


def fields_of(model) -> dict[str, Any]:
    """A schema's fields as Python values (partial dates stay PartialDate, unlike model_dump)."""
    return {name: getattr(model, name) for name in type(model).model_fields}


# --- writing --------------------------------------------------------------------------------


def fill(activity, values: dict[str, Any], resolved: Resolved) -> None:
    """Copy validated values onto a row (or a plain record: the importer builds those)."""
    start: PartialDate = values["start"]
    end: PartialDate | None = values.get("end")
    activity.mission = resolved.mission
    # In the order the relationships read back, so an answer equals a later read.
    activity.other_missions = sorted(resolved.other_missions, key=lambda m: m.code)
    activity.is_joint = bool(resolved.other_missions)
    activity.locations = sorted(resolved.locations, key=lambda loc: loc.name)
    activity.partners = sorted(resolved.partners, key=lambda p: p.name)
    activity.project = resolved.project
    activity.type = ActivityType(values["type"]).value
    activity.title = values["title"]
    activity.start_date, activity.start_precision = start.start, start.precision.value
    activity.end_date = end.start if end else None
    activity.end_precision = end.precision.value if end else None
    activity.dimension = str(values["dimension"])
    activity.response_area = str(values["response_area"])
    activity.themes = [str(t) for t in values.get("themes") or []]
    activity.summary = values.get("summary") or ""
    activity.source = values.get("source") or ""
    own = set(TYPE_FIELDS[ActivityType(values["type"])])
    for name in ALL_TYPE_FIELDS:
        value: Any = values.get(name) if name in own else None
        if name == "period_from" and value is not None:
            value = value.start
        elif name == "period_to" and value is not None:
            value = value.end
        elif isinstance(value, list):
            value = [str(v) for v in value]
        elif hasattr(value, "value"):
            value = value.value
        setattr(activity, name, value)


def create(
    session: Session,
    *,
    data: ActivityCreate,
    actor: Actor | None = None,
    status: Status = Status.DRAFT,
    provenance: Provenance = Provenance.ENTERED,
) -> Activity:
    """Validate and add a new activity; it starts as a draft unless told otherwise."""
    values = fields_of(data)
    resolved = validate(session, values)
    if actor is not None and not policy.can_create_for(actor, resolved.mission.id):
        own = actor.mission.code if actor.mission else "none"
        raise Forbidden(f"You can log activities for your own mission ({own}) only.")
    author_id = actor.id if actor else None
    if data.external_id and session.scalar(
        select(Activity.id).where(Activity.external_id == data.external_id)
    ):
        raise ValidationFailed(
            [FieldError(("body", "external_id"), "an activity with this external_id exists")]
        )
    activity = Activity(
        external_id=data.external_id,
        status=status.value,
        provenance=provenance.value,
        created_by_id=author_id,
    )
    fill(activity, values, resolved)
    return writes.add(session, activity, actor_id=author_id)


def _as_values(activity: Activity) -> dict[str, Any]:
    """The record in the shape `validate` reads (codes, partial dates)."""
    values: dict[str, Any] = {
        "mission": activity.mission.code,
        "other_missions": [m.code for m in activity.other_missions],
        "type": activity.type,
        "title": activity.title,
        "start": PartialDate.of(activity.start_date, activity.start_precision),
        "end": PartialDate.of(activity.end_date, activity.end_precision),
        "locations": [loc.code for loc in activity.locations],
        "partners": [p.code for p in activity.partners],
        "project": activity.project.code if activity.project else None,
        "dimension": activity.dimension,
        "response_area": activity.response_area,
        "themes": activity.themes,
        "summary": activity.summary,
        "source": activity.source,
    }
    for name in ALL_TYPE_FIELDS:
        values[name] = getattr(activity, name)
    for name in _PARTIAL_DATE_FIELDS:
        if values[name] is not None:
            values[name] = PartialDate.of(values[name], "day")
    return values


def check_version(activity: Activity, version: int) -> None:
    if activity.version != version:
        raise Conflict(
            f"Activity {activity.id} is at version {activity.version}, not {version}: "
            "someone changed it since you read it. Reload it and apply your change again."
        )


def update(
    session: Session, *, activity: Activity, patch: ActivityUpdate, actor: Actor | None = None
) -> Activity:
    """Apply the fields sent; a change of type clears the old type's own fields.

    A head of mission editing an approved record leaves it approved; the audit
    entry records the change like any other.
    """
    if actor is not None and not policy.can_edit(actor, activity):
        raise Forbidden(policy.edit_refusal(actor, activity))
    check_version(activity, patch.version)
    values = _as_values(activity)
    changes = {k: v for k, v in fields_of(patch).items() if k in patch.model_fields_set}
    changes.pop("version", None)
    if "type" in changes and changes["type"] != activity.type:
        for name in ALL_TYPE_FIELDS:
            if name not in changes:
                values[name] = None
    values.update(changes)
    resolved = validate(session, values)
    if actor is not None and not policy.can_create_for(actor, resolved.mission.id):
        raise Forbidden("A record cannot be moved to another mission.")
    with writes.change(session, activity, actor_id=actor.id if actor else None):
        fill(activity, values, resolved)
        # Touch the row itself so the version moves even when only links changed.
        activity.updated_at = utcnow()
    return activity


def delete(
    session: Session, *, activity: Activity, version: int, actor: Actor | None = None
) -> None:
    """Delete a draft or returned record (approved records stay: reports may cite them)."""
    if actor is not None and not policy.can_delete(actor, activity):
        raise Forbidden(
            "Approved records cannot be deleted."
            if activity.status == Status.APPROVED.value
            else policy.edit_refusal(actor, activity)
        )
    check_version(activity, version)
    writes.delete(session, activity, actor_id=actor.id if actor else None)


# --- reading --------------------------------------------------------------------------------


def to_read(activity: Activity | SimpleNamespace) -> ActivityRead:
    """The API's view of a record: a row, or a plain record made by `bulk.new_record`."""
    values = {name: getattr(activity, name) for name in ALL_TYPE_FIELDS}
    if activity.period_from is not None:
        values["period_from"] = activity.period_from.isoformat()
    if activity.period_to is not None:
        values["period_to"] = activity.period_to.isoformat()
    return ActivityRead(
        id=activity.id,
        external_id=activity.external_id,
        mission=activity.mission.code,
        other_missions=[m.code for m in activity.other_missions],
        is_joint=activity.is_joint,
        type=activity.type,
        title=activity.title,
        start=PartialDate.of(activity.start_date, activity.start_precision),
        end=PartialDate.of(activity.end_date, activity.end_precision),
        locations=[loc.code for loc in activity.locations],
        partners=[p.code for p in activity.partners],
        project=activity.project.code if activity.project else None,
        dimension=activity.dimension,
        response_area=activity.response_area,
        themes=activity.themes,
        summary=activity.summary,
        source=activity.source,
        status=activity.status,
        review_comment=activity.review_comment,
        provenance=activity.provenance,
        created_at=activity.created_at,
        updated_at=activity.updated_at,
        version=activity.version,
        **values,
    )


def snapshot(activity: Activity | SimpleNamespace) -> dict[str, Any]:
    """The record as JSON-ready values, for the audit trail."""
    return to_read(activity).model_dump(
        mode="json", exclude={"created_at", "updated_at", "is_joint"}
    )


@dataclass(frozen=True)
class ActivityFilters:
    mission: Mission | None = None
    type: str | None = None
    area: str | None = None
    theme: str | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None
    joint: bool | None = None
    provenance: str | None = None
    location: Location | None = None


def involving(mission_id: int):
    """Activities a mission leads or takes part in."""
    return or_(
        Activity.mission_id == mission_id,
        exists().where(
            activity_other_missions.c.activity_id == Activity.id,
            activity_other_missions.c.mission_id == mission_id,
        ),
    )


def apply_filters(query: Select, filters: ActivityFilters) -> Select:
    if filters.mission is not None:
        query = query.where(involving(filters.mission.id))
    if filters.type:
        query = query.where(Activity.type == filters.type)
    if filters.area:
        query = query.where(Activity.response_area == filters.area)
    if filters.status:
        query = query.where(Activity.status == filters.status)
    if filters.provenance:
        query = query.where(Activity.provenance == filters.provenance)
    if filters.theme:
        query = query.where(
            exists().where(
                ActivityTheme.activity_id == Activity.id, ActivityTheme.theme == filters.theme
            )
        )
    if filters.location is not None:
        query = query.where(
            exists().where(
                activity_locations.c.activity_id == Activity.id,
                activity_locations.c.location_id == filters.location.id,
            )
        )
    if filters.date_from is not None or filters.date_to is not None:
        # the dashboards' rule: all of the record's (partial) date lies in the period
        query = query.where(wholly_within_sql(filters.date_from, filters.date_to))
    if filters.q:
        # the full-text index's matches (search.py): every word, as a prefix, in any spelling
        query = query.where(search.matches(filters.q))
    if filters.joint is True:
        query = query.where(Activity.is_joint.is_(True))
    return query


# Sort keys: name -> (column, how a cursor value is read back).
class Sort(NamedTuple):
    """A sort key: the column, and how a cursor's text is read back into its value."""

    column: InstrumentedAttribute[Any]
    parse: Callable[[str], Any]


SORTS = {
    "start": Sort(Activity.start_date, date.fromisoformat),
    "title": Sort(Activity.title, str),
    "created": Sort(Activity.created_at, datetime.fromisoformat),
    "updated": Sort(Activity.updated_at, datetime.fromisoformat),
}
SORT_CHOICES = [*SORTS, *(f"-{name}" for name in SORTS)]
# A search's own order: the best matches first (search.py), the default when words are given.
RELEVANCE = "relevance"


def encode_cursor(sort: str, value: Any, row_id: int) -> str:
    raw = json.dumps(
        {"s": sort, "v": value.isoformat() if hasattr(value, "isoformat") else value, "i": row_id}
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


CURSOR_INVALID = "this cursor is not valid for this list; start again from the first page"


def _relevance_value(text: str) -> Any:
    """A best-match cursor's value: the score ("r:<float>"), or the id when the matches
    were too many to rank ("n:<id>"; listing.py: they are then listed newest first)."""
    if text.startswith("n:") and text[2:].isdigit() and len(text) < 14:
        return int(text[2:])
    if not text.startswith("r:"):
        raise ValueError(CURSOR_INVALID)
    value = float(text[2:])
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(CURSOR_INVALID)
    return value


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    """Read a cursor made by `encode_cursor` for the same sort; ValueError otherwise.

    A forged cursor must be a message, never a server error: its values have to be ones
    the database can compare (an id in range, a short string without NUL, a naive time)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(data, dict) or data.get("s") != sort:
            raise ValueError(CURSOR_INVALID)
        row_id, text = data["i"], data["v"]
        if not isinstance(row_id, int) or isinstance(row_id, bool):
            raise ValueError(CURSOR_INVALID)
        if not 0 <= row_id <= INT32_MAX or not isinstance(text, str):
            raise ValueError(CURSOR_INVALID)
        if "\x00" in text or len(text) > 300:
            raise ValueError(CURSOR_INVALID)
        value = _relevance_value(text) if sort == RELEVANCE else SORTS[sort.lstrip("-")].parse(text)
        if getattr(value, "tzinfo", None) is not None:
            raise ValueError(CURSOR_INVALID)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValueError(CURSOR_INVALID) from None
    return value, row_id
