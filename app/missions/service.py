"""Reading missions and their reference data; creating and changing it (admin, audited)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from app.accounts import policy
from app.accounts.actor import Actor
from app.audit import service as audit
from app.errors import FieldError, Forbidden, NotFound, ValidationFailed
from app.missions import countries
from app.missions.models import (
    Development,
    FocalPointAppointment,
    Location,
    Mission,
    Partner,
    Project,
)
from app.missions.schemas import (
    DevelopmentCreate,
    FocalPointCreate,
    FocalPointUpdate,
    LocationCreate,
    LocationUpdate,
    PartnerCreate,
    PartnerRead,
    PartnerUpdate,
    ProjectCreate,
    ProjectUpdate,
    development_read,
    focal_point_read,
    location_read,
    project_read,
)
from app.partial_dates import PartialDate
from app.vocab import FocalPointArea, Provenance

# Developments that concern the whole region show on every mission's timeline.
REGION = "Western Balkans"


def get_all(session: Session) -> Sequence[Mission]:
    """Every mission, by code."""
    return session.scalars(select(Mission).order_by(Mission.code)).all()


def get_by_code(session: Session, code: str) -> Mission | None:
    return session.scalar(select(Mission).where(Mission.code == code.upper()))


def get_by_code_or_raise(session: Session, code: str) -> Mission:
    mission = get_by_code(session, code)
    if mission is None:
        raise NotFound(f"No mission with code {code!r}.")
    return mission


def own_mission_or_raise(session: Session, user: Actor) -> Mission:
    """The mission a member of staff works for; Forbidden for someone who has none."""
    if user.mission is None:
        raise Forbidden("Only staff of a mission do this, for their own mission.")
    return get_by_code_or_raise(session, user.mission.code)


# The reference tables looked up by their code column.
CodedT = TypeVar("CodedT", Mission, Location, Partner, Project)


class RowReader(Protocol):
    """What a look-up by code reads rows through: a Session, or a cache in front of one
    (the importer's, which answers a repeated look-up from memory)."""

    def scalars(self, statement: Select[Any], /) -> Iterable[Any]: ...


def by_code(session: RowReader, model: type[CodedT], codes: Sequence[str]) -> dict[str, CodedT]:
    """Map each of `codes` that exists to its row of `model` (a coded reference table)."""
    if not codes:
        return {}
    column = model.code
    wanted = {c.upper() for c in codes} if model is Mission else set(codes)
    return {row.code: row for row in session.scalars(select(model).where(column.in_(wanted)))}


def list_locations(session: Session, *, mission: Mission | None = None) -> Sequence[Location]:
    query = select(Location).order_by(Location.name)
    if mission is not None:
        query = query.where(Location.mission_id == mission.id)
    return session.scalars(query).all()


def list_partners(session: Session) -> Sequence[Partner]:
    return session.scalars(select(Partner).order_by(Partner.name)).all()


def list_projects(session: Session, *, mission: Mission | None = None) -> Sequence[Project]:
    query = select(Project).order_by(Project.title)
    if mission is not None:
        query = query.where(Project.mission_id == mission.id)
    return session.scalars(query).all()


def list_focal_points(
    session: Session, *, mission: Mission | None = None
) -> Sequence[FocalPointAppointment]:
    query = select(FocalPointAppointment).join(FocalPointAppointment.mission)
    if mission is not None:
        query = query.where(FocalPointAppointment.mission_id == mission.id)
    return session.scalars(query.order_by(Mission.code, FocalPointAppointment.start_date)).all()


def list_developments(
    session: Session,
    *,
    country: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Sequence[Development]:
    query = select(Development).order_by(Development.occurred_on, Development.id)
    if country is not None:
        query = query.where(or_(Development.country == country, Development.country == REGION))
    if date_from is not None:
        query = query.where(Development.occurred_on >= date_from)
    if date_to is not None:
        query = query.where(Development.occurred_on <= date_to)
    return session.scalars(query).all()


def migration_focal_point_since(
    focal_points: Sequence[FocalPointAppointment],
) -> PartialDate | None:
    """When the mission's first migration focal point started, or None if it never had one."""
    starts = [
        PartialDate.of(fp.start_date, fp.start_precision)
        for fp in focal_points
        if fp.area == FocalPointArea.MIGRATION
    ]
    return min(starts) if starts else None


# --- pages: reading for the reference lists -------------------------------------------------


def missions_with_focal_points(session: Session) -> Sequence[Mission]:
    """Every mission, by code, with its focal point appointments loaded."""
    query = select(Mission).options(selectinload(Mission.focal_points)).order_by(Mission.code)
    return session.scalars(query).all()


def current_migration_focal_points(
    focal_points: Sequence[FocalPointAppointment], today: date | None = None
) -> list[FocalPointAppointment]:
    """Migration appointments that have not ended (an end is the last day of its period)."""
    today = today or date.today()
    return [
        fp
        for fp in focal_points
        if fp.area == FocalPointArea.MIGRATION
        and (fp.end_date is None or PartialDate.of(fp.end_date, fp.end_precision).end >= today)
    ]


def locations_page(
    session: Session, *, country: str | None = None, kind: str | None = None
) -> Sequence[Location]:
    """Locations by country, kind and name, with the monitoring mission loaded."""
    query = select(Location).options(selectinload(Location.mission))
    if country:
        query = query.where(Location.country == country)
    if kind:
        query = query.where(Location.kind == kind)
    return session.scalars(query.order_by(Location.country, Location.kind, Location.name)).all()


def partners_page(session: Session, *, kind: str | None = None) -> Sequence[Partner]:
    query = select(Partner)
    if kind:
        query = query.where(Partner.kind == kind)
    return session.scalars(query.order_by(Partner.kind, Partner.name)).all()


def projects_page(session: Session, *, mission: Mission | None = None) -> Sequence[Project]:
    query = select(Project).join(Project.mission).options(selectinload(Project.mission))
    if mission is not None:
        query = query.where(Project.mission_id == mission.id)
    return session.scalars(query.order_by(Mission.code, Project.title)).all()


def focal_points_page(session: Session) -> Sequence[FocalPointAppointment]:
    query = (
        select(FocalPointAppointment)
        .join(FocalPointAppointment.mission)
        .options(selectinload(FocalPointAppointment.mission))
    )
    order = (Mission.code, FocalPointAppointment.area, FocalPointAppointment.start_date)
    return session.scalars(query.order_by(*order)).all()


def location_countries(session: Session) -> list[str]:
    """The countries of the locations: their codes (XK, MK, …), by name."""
    codes = session.scalars(select(Location.country).distinct())
    return sorted(codes, key=countries.country_name)


def development_countries(session: Session) -> list[str]:
    return list(
        session.scalars(select(Development.country).distinct().order_by(Development.country))
    )


def known_countries(session: Session) -> list[str]:
    """Every country named anywhere, for suggestions in forms."""
    names = {REGION, *development_countries(session)}
    names.update(countries.country_name(code) for code in location_countries(session))
    names.update(session.scalars(select(Mission.host_country)))
    return sorted(names)


# --- changing reference data: each change is validated and audited --------------------------

ENTITY_DEVELOPMENT = "development"
ENTITY_LOCATION = "location"
ENTITY_PARTNER = "partner"
ENTITY_PROJECT = "project"
ENTITY_FOCAL_POINT = "focal_point"


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise Forbidden(message)


def _manager(actor: Actor | None) -> None:
    if actor is not None:
        _require(
            policy.can_manage_reference(actor),
            "Only an administrator changes locations, partners, projects and focal points.",
        )


def _error(name: str, msg: str) -> FieldError:
    return FieldError(("body", name), msg)


def _by_code(session: Session, model, code: str):
    """The record with this code; a code no record could have (NUL bytes, too long) finds
    nothing without asking the database (PostgreSQL refuses NUL bytes in text)."""
    if not code or len(code) > 80 or "\x00" in code:
        return None
    return session.scalar(select(model).where(model.code == code))


def _code_taken(session: Session, model, code: str) -> bool:
    return session.scalar(select(model.id).where(model.code == code)) is not None


_NOUNS = {
    Location: "A location",
    Partner: "A partner",
    Project: "A project",
    FocalPointAppointment: "An appointment",
}


def _check_new_code(session: Session, model, code: str, noun: str, errors: list) -> None:
    if _code_taken(session, model, code):
        errors.append(_error("code", f"{noun} with the code {code!r} exists already"))


def _resolve_mission(session: Session, code: str | None, errors: list) -> Mission | None:
    if code is None:
        return None
    mission = get_by_code(session, code)
    if mission is None:
        errors.append(_error("mission", f"there is no mission with the code {code!r}"))
    return mission


def _check_period(start: PartialDate | None, end: PartialDate | None, errors: list) -> None:
    # The database keeps the first day of each period: an end must not start before the start.
    if start is not None and end is not None and end.start < start.start:
        errors.append(_error("end", "the end is before the start"))


def form_checks(session: Session, model, values: dict[str, str]) -> list[FieldError]:
    """The database and cross-field rules, run on a form's raw values when its shape is wrong
    too, so that a person sees every problem at once: a code in use, an unknown mission, an
    end before the start. Values that are themselves malformed are left to the schema."""
    errors: list[FieldError] = []

    def usable(name: str, longest: int) -> str | None:
        value = (values.get(name) or "").strip()
        return value if value and len(value) <= longest and "\x00" not in value else None

    if model in _NOUNS and (code := usable("code", 80)):
        _check_new_code(session, model, code, _NOUNS[model], errors)
    if mission := usable("mission", 8):
        _resolve_mission(session, mission, errors)
    try:
        start = PartialDate.parse(usable("start", 10) or "")
        end = PartialDate.parse(usable("end", 10) or "")
    except ValueError:
        pass
    else:
        _check_period(start, end, errors)
    return errors


def _set_dates(record, prefix: str, value: PartialDate | None) -> None:
    setattr(record, f"{prefix}_date", value.start if value else None)
    setattr(record, f"{prefix}_precision", value.precision.value if value else None)


def _record_create(session: Session, entity: str, record, after: dict, actor: Actor | None) -> None:
    session.flush()
    audit.record(
        session,
        action="create",
        entity=entity,
        entity_id=record.id,
        after=after,
        user_id=actor.id if actor else None,
    )


def _record_update(
    session: Session, entity: str, record, before: dict, after: dict, actor: Actor | None
) -> None:
    session.flush()
    before_diff, after_diff = audit.changed_fields(before, after)
    audit.record(
        session,
        action="update",
        entity=entity,
        entity_id=record.id,
        before=before_diff,
        after=after_diff,
        user_id=actor.id if actor else None,
    )


def slugify(text: str, *, max_length: int = 60) -> str:
    """'Incidents at Horgoš' -> 'incidents-at-horgos'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-")


def _unique_code(session: Session, model, base: str) -> str:
    taken = set(session.scalars(select(model.code).where(model.code.like(f"{base}%"))))
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}-{n}"
    return code


# developments


def development_snapshot(dev: Development) -> dict:
    return development_read(dev).model_dump(mode="json")


def create_development(
    session: Session,
    *,
    data: DevelopmentCreate,
    actor: Actor | None = None,
    provenance: Provenance = Provenance.ENTERED,
) -> Development:
    """Log a development for the timeline; its code is made from its title and date."""
    if actor is not None:
        _require(policy.can_log_developments(actor), "Your role does not log developments.")
    base = "-".join(filter(None, [slugify(data.title), data.date.iso().lower()]))
    dev = Development(
        code=_unique_code(session, Development, base),
        title=data.title,
        country=data.country,
        occurred_on=data.date.start,
        occurred_precision=data.date.precision.value,
        summary=data.summary,
        source=data.source,
        provenance=provenance.value,
    )
    session.add(dev)
    _record_create(session, ENTITY_DEVELOPMENT, dev, development_snapshot(dev), actor)
    return dev


# locations


def location_snapshot(location: Location) -> dict:
    return location_read(location).model_dump(mode="json")


def get_location_or_raise(session: Session, code: str) -> Location:
    found = _by_code(session, Location, code)
    if found is None:
        raise NotFound(f"No location with the code {code!r}.")
    return found


def _apply_location(session: Session, location: Location, data: LocationUpdate, errors: list):
    mission = _resolve_mission(session, data.mission, errors)
    if (data.latitude is None) != (data.longitude is None):
        missing = "longitude" if data.longitude is None else "latitude"
        errors.append(_error(missing, "give both latitude and longitude, or neither"))
    if errors:
        raise ValidationFailed(errors)
    location.name = data.name
    location.kind = data.kind.value
    location.country = data.country
    location.mission = mission
    location.latitude = data.latitude
    location.longitude = data.longitude
    location.source = data.source


def create_location(
    session: Session, *, data: LocationCreate, actor: Actor | None = None
) -> Location:
    _manager(actor)
    errors: list[FieldError] = []
    _check_new_code(session, Location, data.code, _NOUNS[Location], errors)
    location = Location(code=data.code)
    _apply_location(session, location, data, errors)
    session.add(location)
    _record_create(session, ENTITY_LOCATION, location, location_snapshot(location), actor)
    return location


def update_location(
    session: Session, *, location: Location, data: LocationUpdate, actor: Actor | None = None
) -> Location:
    _manager(actor)
    before = location_snapshot(location)
    _apply_location(session, location, data, [])
    after = location_snapshot(location)
    _record_update(session, ENTITY_LOCATION, location, before, after, actor)
    return location


# partners


def partner_snapshot(partner: Partner) -> dict:
    return PartnerRead.model_validate(partner).model_dump(mode="json")


def get_partner_or_raise(session: Session, code: str) -> Partner:
    found = _by_code(session, Partner, code)
    if found is None:
        raise NotFound(f"No partner with the code {code!r}.")
    return found


def _apply_partner(partner: Partner, data: PartnerUpdate) -> None:
    partner.name = data.name
    partner.acronym = data.acronym or None
    partner.kind = data.kind.value
    partner.country = data.country or None
    partner.source = data.source


def create_partner(session: Session, *, data: PartnerCreate, actor: Actor | None = None) -> Partner:
    _manager(actor)
    errors: list[FieldError] = []
    _check_new_code(session, Partner, data.code, _NOUNS[Partner], errors)
    if errors:
        raise ValidationFailed(errors)
    partner = Partner(code=data.code)
    _apply_partner(partner, data)
    session.add(partner)
    _record_create(session, ENTITY_PARTNER, partner, partner_snapshot(partner), actor)
    return partner


def update_partner(
    session: Session, *, partner: Partner, data: PartnerUpdate, actor: Actor | None = None
):
    _manager(actor)
    before = partner_snapshot(partner)
    _apply_partner(partner, data)
    _record_update(session, ENTITY_PARTNER, partner, before, partner_snapshot(partner), actor)
    return partner


# projects


def project_snapshot(project: Project) -> dict:
    return project_read(project).model_dump(mode="json")


def get_project_or_raise(session: Session, code: str) -> Project:
    found = _by_code(session, Project, code)
    if found is None:
        raise NotFound(f"No project with the code {code!r}.")
    return found


def _apply_project(session: Session, project: Project, data: ProjectUpdate, errors: list):
    mission = _resolve_mission(session, data.mission, errors)
    _check_period(data.start, data.end, errors)
    if errors or mission is None:
        raise ValidationFailed(errors)
    project.title = data.title
    project.mission = mission
    project.funding = data.funding.value
    _set_dates(project, "start", data.start)
    _set_dates(project, "end", data.end)
    project.summary = data.summary
    project.source = data.source


def create_project(session: Session, *, data: ProjectCreate, actor: Actor | None = None) -> Project:
    _manager(actor)
    errors: list[FieldError] = []
    _check_new_code(session, Project, data.code, _NOUNS[Project], errors)
    project = Project(code=data.code)
    _apply_project(session, project, data, errors)
    session.add(project)
    _record_create(session, ENTITY_PROJECT, project, project_snapshot(project), actor)
    return project


def update_project(
    session: Session, *, project: Project, data: ProjectUpdate, actor: Actor | None = None
):
    _manager(actor)
    before = project_snapshot(project)
    _apply_project(session, project, data, [])
    _record_update(session, ENTITY_PROJECT, project, before, project_snapshot(project), actor)
    return project


# focal point appointments


def focal_point_snapshot(fp: FocalPointAppointment) -> dict:
    return focal_point_read(fp).model_dump(mode="json")


def get_focal_point_or_raise(session: Session, code: str) -> FocalPointAppointment:
    found = _by_code(session, FocalPointAppointment, code)
    if found is None:
        raise NotFound(f"No focal point appointment with the code {code!r}.")
    return found


def _apply_focal_point(
    session: Session, fp: FocalPointAppointment, data: FocalPointUpdate, errors: list
) -> None:
    mission = _resolve_mission(session, data.mission, errors)
    _check_period(data.start, data.end, errors)
    if errors or mission is None:
        raise ValidationFailed(errors)
    fp.mission = mission
    fp.area = data.area.value
    fp.holder = data.holder
    _set_dates(fp, "start", data.start)
    _set_dates(fp, "end", data.end)
    fp.notes = data.notes
    fp.source = data.source


def create_focal_point(
    session: Session, *, data: FocalPointCreate, actor: Actor | None = None
) -> FocalPointAppointment:
    _manager(actor)
    errors: list[FieldError] = []
    _check_new_code(
        session, FocalPointAppointment, data.code, _NOUNS[FocalPointAppointment], errors
    )
    fp = FocalPointAppointment(code=data.code)
    _apply_focal_point(session, fp, data, errors)
    session.add(fp)
    _record_create(session, ENTITY_FOCAL_POINT, fp, focal_point_snapshot(fp), actor)
    return fp


def update_focal_point(
    session: Session,
    *,
    focal_point: FocalPointAppointment,
    data: FocalPointUpdate,
    actor: Actor | None = None,
) -> FocalPointAppointment:
    _manager(actor)
    before = focal_point_snapshot(focal_point)
    _apply_focal_point(session, focal_point, data, [])
    after = focal_point_snapshot(focal_point)
    _record_update(session, ENTITY_FOCAL_POINT, focal_point, before, after, actor)
    return focal_point
