"""Pages: the reference data — developments, focal points, locations, partners, projects.

Every signed-in user reads the lists. Focal points, heads of mission, the CPC desk and
administrators log developments; administrators add and change the rest. Forms keep what was
typed and show each error next to its field; nothing is written unless everything is valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError

from app.accounts import policy
from app.accounts.deps import Admin, DevelopmentLogger, SignedIn
from app.deps import SessionDep
from app.errors import ValidationFailed
from app.forms import TextFieldsDep, field_errors
from app.missions import countries, service
from app.missions.models import FocalPointAppointment, Location, Partner, Project
from app.missions.schemas import (
    DevelopmentCreate,
    FocalPointCreate,
    FocalPointUpdate,
    LocationCreate,
    LocationUpdate,
    PartnerCreate,
    PartnerUpdate,
    ProjectCreate,
    ProjectUpdate,
)
from app.partial_dates import PartialDate
from app.vocab import FocalPointArea, Funding, LocationKind, PartnerKind
from app.web import render

router = APIRouter(include_in_schema=False)

FILTER_MAX = 80  # longest filter value a list accepts (a country name)

DEVELOPMENT_FIELDS = ("title", "country", "date", "summary", "source")
LOCATION_FIELDS = ("code", "name", "kind", "country", "mission", "latitude", "longitude", "source")
PARTNER_FIELDS = ("code", "name", "acronym", "kind", "country", "source")
PROJECT_FIELDS = ("code", "title", "mission", "funding", "start", "end", "summary", "source")
FOCAL_POINT_FIELDS = ("code", "mission", "area", "holder", "start", "end", "notes", "source")


def _typed(raw: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """What the person typed, to show again: every field, NUL bytes made visible."""
    return {name: raw.get(name, "").replace("\x00", "\ufffd") for name in fields}


def _filled(raw: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """The fields with something in them: a blank field is a missing one."""
    return {name: raw[name] for name in fields if raw.get(name, "").strip()}


def _save(
    request: Request,
    session,
    *,
    raw: dict[str, str],
    fields: tuple[str, ...],
    schema: type[BaseModel],
    action: Callable[[Any], object],
    template: str,
    context: dict[str, Any],
    done: str,
    model=None,
):
    """Validate a posted form with `schema`, run `action`; on error show the form again,
    with every problem found (the database rules too, when the shape was already wrong)."""
    try:
        action(schema.model_validate(_filled(raw, fields)))
    except (ValidationError, ValidationFailed) as exc:
        session.rollback()  # nothing of a refused form is written
        errors = field_errors(exc, as_sentences=True)
        if isinstance(exc, ValidationError):
            found = service.form_checks(session, model, _filled(raw, fields))
            for name, msg in field_errors(ValidationFailed(found), as_sentences=True).items():
                errors.setdefault(name, msg)
        order = {name: i for i, name in enumerate(fields)}
        errors = dict(sorted(errors.items(), key=lambda item: order.get(item[0], len(order))))
        return render(
            request,
            template,
            {**context, "form": _typed(raw, fields), "errors": errors},
            status_code=422,
        )
    return RedirectResponse(done, status_code=303)


def _iso(value: PartialDate | None) -> str:
    return value.iso() if value else ""


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _filter_text(name: str, value: str | None, errors: dict[str, str]) -> str | None:
    if not value:
        return None
    if len(value) > FILTER_MAX or "\x00" in value:
        errors[name] = f"Use at most {FILTER_MAX} characters, without NUL bytes."
        return None
    return value


def _filter_choice(name: str, value: str | None, choices, errors: dict[str, str]) -> str | None:
    if not value:
        return None
    if value not in choices:
        errors[name] = "Choose one of the listed values."
        return None
    return value


def _filter_date(name: str, value: str | None, errors: dict[str, str]) -> PartialDate | None:
    if not value:
        return None
    try:
        return PartialDate.parse(value[:20])
    except ValueError as exc:
        msg = str(exc)
        errors[name] = msg[:1].upper() + msg[1:] + "."
        return None


def _shown(value: str | None) -> str:
    """A filter value as typed, to show again (bounded, NUL bytes made visible)."""
    return (value or "")[:200].replace("\x00", "\ufffd")


def _may(user) -> dict[str, bool]:
    return {
        "can_manage": policy.can_manage_reference(user),
        "can_log": policy.can_log_developments(user),
    }


# --- developments -------------------------------------------------------------------------


@router.get("/developments")
def developments_page(
    request: Request,
    session: SessionDep,
    user: SignedIn,
    country: str | None = None,
    from_text: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
):
    """The timeline, newest first; `country` also shows region-wide developments."""
    errors: dict[str, str] = {}
    wanted_country = _filter_text("country", country, errors)
    start = _filter_date("from", from_text, errors)
    end = _filter_date("to", to, errors)
    if start and end and end.end < start.start:
        errors["to"] = "The end of the period is before its start."
        end = None
    rows = service.list_developments(
        session,
        country=wanted_country,
        date_from=start.start if start else None,
        date_to=end.end if end else None,
    )
    context = {
        "developments": list(reversed(rows)),
        "countries": service.development_countries(session),
        "region": service.REGION,
        "filters": {"country": _shown(country), "from": _shown(from_text), "to": _shown(to)},
        "filtered": bool(wanted_country or start or end),
        "errors": errors,
        **_may(user),
    }
    status = 422 if errors else 200
    return render(request, "reference/developments.html", context, status_code=status)


def _development_context(session) -> dict[str, Any]:
    return {"countries": service.known_countries(session), "region": service.REGION}


@router.get("/developments/new")
def new_development_page(request: Request, session: SessionDep, user: DevelopmentLogger):
    form = dict.fromkeys(DEVELOPMENT_FIELDS, "")
    context = {**_development_context(session), "form": form, "errors": {}}
    return render(request, "reference/development_form.html", context)


@router.post("/developments/new")
def create_development(
    request: Request, session: SessionDep, user: DevelopmentLogger, raw: TextFieldsDep
):
    return _save(
        request,
        session,
        raw=raw,
        fields=DEVELOPMENT_FIELDS,
        schema=DevelopmentCreate,
        action=lambda data: service.create_development(session, data=data, actor=user),
        template="reference/development_form.html",
        context=_development_context(session),
        done="/developments",
    )


# --- focal points -------------------------------------------------------------------------


@router.get("/focal-points")
def focal_points_page(request: Request, session: SessionDep, user: SignedIn):
    missions = service.missions_with_focal_points(session)
    headline = []
    for mission in missions:
        migration = [fp for fp in mission.focal_points if fp.area == FocalPointArea.MIGRATION]
        current = service.current_migration_focal_points(mission.focal_points)
        last_end = max(
            (PartialDate.of(fp.end_date, fp.end_precision) for fp in migration if fp.end_date),
            default=None,
        )
        headline.append(
            {
                "mission": mission,
                "since": service.migration_focal_point_since(current) if current else None,
                "ended": last_end if migration and not current else None,
                "covered_by": [fp for fp in mission.focal_points if fp not in migration],
            }
        )
    context = {
        "headline": headline,
        "without": [row["mission"] for row in headline if row["since"] is None],
        "appointments": service.focal_points_page(session),
        **_may(user),
    }
    return render(request, "reference/focal_points.html", context)


def _options(values) -> list[tuple[str, str]]:
    """(value, label) pairs for a select: a vocabulary's members or missions."""
    return [(v.code, v.short_name) if hasattr(v, "code") else (v.value, v.label) for v in values]


def _focal_point_context(session, record=None) -> dict[str, Any]:
    return {
        "mission_options": _options(service.get_all(session)),
        "area_options": _options(FocalPointArea),
        "record": record,
    }


def _focal_point_form(fp) -> dict[str, str]:
    return {
        "code": fp.code,
        "mission": fp.mission.code,
        "area": fp.area,
        "holder": fp.holder,
        "start": _iso(PartialDate.of(fp.start_date, fp.start_precision)),
        "end": _iso(PartialDate.of(fp.end_date, fp.end_precision)),
        "notes": fp.notes,
        "source": fp.source,
    }


# --- locations ----------------------------------------------------------------------------


@router.get("/locations")
def locations_page(
    request: Request,
    session: SessionDep,
    user: SignedIn,
    country: str | None = None,
    kind: str | None = None,
):
    errors: dict[str, str] = {}
    wanted_country = _filter_text("country", country, errors)
    if wanted_country:  # a code, or a name the controlled list reads ("Macedonia" -> MK)
        wanted_country = countries.code_for(wanted_country) or wanted_country
    wanted_kind = _filter_choice("kind", kind, LocationKind.values(), errors)
    context = {
        "locations": service.locations_page(session, country=wanted_country, kind=wanted_kind),
        "countries": service.location_countries(session),
        "kinds": list(LocationKind),
        "filters": {"country": _shown(country), "kind": _shown(kind)},
        "filtered": bool(wanted_country or wanted_kind),
        "errors": errors,
        **_may(user),
    }
    status = 422 if errors else 200
    return render(request, "reference/locations.html", context, status_code=status)


def _location_context(session, record=None) -> dict[str, Any]:
    country_options = list(countries.countries())
    if record is not None and not countries.is_code(record.country):
        # text the country migration could not read: shown, to be replaced by a choice
        country_options.insert(0, (record.country, f"{record.country} (not in the list)"))
    return {
        "mission_options": _options(service.get_all(session)),
        "kind_options": _options(LocationKind),
        "country_options": country_options,
        "record": record,
    }


def _location_form(location) -> dict[str, str]:
    return {
        "code": location.code,
        "name": location.name,
        "kind": location.kind,
        "country": location.country,
        "mission": location.mission.code if location.mission else "",
        "latitude": _number(location.latitude),
        "longitude": _number(location.longitude),
        "source": location.source,
    }


# --- partners -----------------------------------------------------------------------------


@router.get("/partners")
def partners_page(request: Request, session: SessionDep, user: SignedIn, kind: str | None = None):
    errors: dict[str, str] = {}
    wanted_kind = _filter_choice("kind", kind, PartnerKind.values(), errors)
    context = {
        "partners": service.partners_page(session, kind=wanted_kind),
        "kinds": list(PartnerKind),
        "filters": {"kind": _shown(kind)},
        "filtered": bool(wanted_kind),
        "errors": errors,
        **_may(user),
    }
    status = 422 if errors else 200
    return render(request, "reference/partners.html", context, status_code=status)


def _partner_context(session, record=None) -> dict[str, Any]:
    return {
        "kind_options": _options(PartnerKind),
        "countries": service.known_countries(session),
        "record": record,
    }


def _partner_form(partner) -> dict[str, str]:
    return {
        "code": partner.code,
        "name": partner.name,
        "acronym": partner.acronym or "",
        "kind": partner.kind,
        "country": partner.country or "",
        "source": partner.source,
    }


# --- projects -----------------------------------------------------------------------------


@router.get("/projects")
def projects_page(
    request: Request, session: SessionDep, user: SignedIn, mission: str | None = None
):
    errors: dict[str, str] = {}
    missions = service.get_all(session)
    code = mission.upper() if mission else None
    wanted = _filter_choice("mission", code, [m.code for m in missions], errors)
    scope = next((m for m in missions if m.code == wanted), None)
    context = {
        "projects": service.projects_page(session, mission=scope),
        "missions": missions,
        "filters": {"mission": _shown(mission)},
        "filtered": scope is not None,
        "errors": errors,
        **_may(user),
    }
    status = 422 if errors else 200
    return render(request, "reference/projects.html", context, status_code=status)


def _project_context(session, record=None) -> dict[str, Any]:
    return {
        "mission_options": _options(service.get_all(session)),
        "funding_options": _options(Funding),
        "record": record,
    }


def _project_form(project) -> dict[str, str]:
    return {
        "code": project.code,
        "title": project.title,
        "mission": project.mission.code,
        "funding": project.funding,
        "start": _iso(PartialDate.of(project.start_date, project.start_precision)),
        "end": _iso(PartialDate.of(project.end_date, project.end_precision)),
        "summary": project.summary,
        "source": project.source,
    }


# --- administrators' create and edit forms, one pattern for each kind of record ------------


@dataclass(frozen=True)
class AdminForms:
    """What differs between the create/edit forms of locations, partners, projects and
    focal point appointments; `add_admin_forms` turns it into four routes."""

    path: str
    template: str
    fields: tuple[str, ...]
    model: type
    create_schema: type[BaseModel]
    update_schema: type[BaseModel]
    get: Callable  # (session, code) -> record, NotFound when missing
    create: Callable  # (session, data, actor) -> record
    update: Callable  # (session, record, data, actor) -> record
    context: Callable  # (session, record=None) -> dict
    form_of: Callable  # (record) -> dict of the form's values
    defaults: dict[str, str] = field(default_factory=dict)


def add_admin_forms(spec: AdminForms) -> None:
    editable = tuple(f for f in spec.fields if f != "code")

    def new_page(request: Request, session: SessionDep, user: Admin):
        form = {**dict.fromkeys(spec.fields, ""), **spec.defaults}
        context = {**spec.context(session), "form": form, "errors": {}}
        return render(request, spec.template, context)

    def create(request: Request, session: SessionDep, user: Admin, raw: TextFieldsDep):
        return _save(
            request,
            session,
            raw=raw,
            fields=spec.fields,
            schema=spec.create_schema,
            action=lambda data: spec.create(session, data, user),
            template=spec.template,
            context=spec.context(session),
            done=spec.path,
            model=spec.model,
        )

    def edit_page(request: Request, code: str, session: SessionDep, user: Admin):
        record = spec.get(session, code)
        context = {**spec.context(session, record), "form": spec.form_of(record), "errors": {}}
        return render(request, spec.template, context)

    def update(request: Request, code: str, session: SessionDep, user: Admin, raw: TextFieldsDep):
        record = spec.get(session, code)
        return _save(
            request,
            session,
            raw=raw,
            fields=editable,
            schema=spec.update_schema,
            action=lambda data: spec.update(session, record, data, user),
            template=spec.template,
            context=spec.context(session, record),
            done=spec.path,
            model=spec.model,
        )

    router.add_api_route(f"{spec.path}/new", new_page, methods=["GET"])
    router.add_api_route(f"{spec.path}/new", create, methods=["POST"])
    router.add_api_route(f"{spec.path}/{{code}}/edit", edit_page, methods=["GET"])
    router.add_api_route(f"{spec.path}/{{code}}/edit", update, methods=["POST"])


add_admin_forms(
    AdminForms(
        path="/focal-points",
        template="reference/focal_point_form.html",
        fields=FOCAL_POINT_FIELDS,
        model=FocalPointAppointment,
        create_schema=FocalPointCreate,
        update_schema=FocalPointUpdate,
        get=service.get_focal_point_or_raise,
        create=lambda s, data, user: service.create_focal_point(s, data=data, actor=user),
        update=lambda s, record, data, user: service.update_focal_point(
            s, focal_point=record, data=data, actor=user
        ),
        context=_focal_point_context,
        form_of=_focal_point_form,
        defaults={"area": FocalPointArea.MIGRATION.value},
    )
)
add_admin_forms(
    AdminForms(
        path="/locations",
        template="reference/location_form.html",
        fields=LOCATION_FIELDS,
        model=Location,
        create_schema=LocationCreate,
        update_schema=LocationUpdate,
        get=service.get_location_or_raise,
        create=lambda s, data, user: service.create_location(s, data=data, actor=user),
        update=lambda s, record, data, user: service.update_location(
            s, location=record, data=data, actor=user
        ),
        context=_location_context,
        form_of=_location_form,
    )
)
add_admin_forms(
    AdminForms(
        path="/partners",
        template="reference/partner_form.html",
        fields=PARTNER_FIELDS,
        model=Partner,
        create_schema=PartnerCreate,
        update_schema=PartnerUpdate,
        get=service.get_partner_or_raise,
        create=lambda s, data, user: service.create_partner(s, data=data, actor=user),
        update=lambda s, record, data, user: service.update_partner(
            s, partner=record, data=data, actor=user
        ),
        context=_partner_context,
        form_of=_partner_form,
    )
)
add_admin_forms(
    AdminForms(
        path="/projects",
        template="reference/project_form.html",
        fields=PROJECT_FIELDS,
        model=Project,
        create_schema=ProjectCreate,
        update_schema=ProjectUpdate,
        get=service.get_project_or_raise,
        create=lambda s, data, user: service.create_project(s, data=data, actor=user),
        update=lambda s, record, data, user: service.update_project(
            s, project=record, data=data, actor=user
        ),
        context=_project_context,
        form_of=_project_form,
    )
)
