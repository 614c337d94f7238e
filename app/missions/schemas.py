"""Response shapes for missions and reference data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from annotated_types import GroupedMetadata
from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from app.missions import countries
from app.missions.models import Development, FocalPointAppointment, Location, Mission, Project
from app.partial_dates import PartialDate
from app.schemas_common import Code, InputModel, OutputModel, PartialDateField, TextRules
from app.vocab import FocalPointArea, Funding, LocationKind, PartnerKind


class MissionRead(OutputModel):
    code: str
    name: str
    short_name: str
    host_country: str
    hq_city: str
    mandate_summary: str
    mandate_reference: str
    source: str
    migration_focal_point_since: PartialDateField | None = None


class LocationRead(OutputModel):
    code: str
    name: str
    kind: str
    country: str = Field(description="ISO 3166-1 alpha-2 code (XK for Kosovo).")
    country_name: str = ""
    mission: str | None
    latitude: float | None
    longitude: float | None
    source: str


class PartnerRead(OutputModel):
    code: str
    name: str
    acronym: str | None
    kind: str
    country: str | None
    source: str


class FocalPointRead(OutputModel):
    code: str
    mission: str
    area: str
    holder: str
    start: PartialDateField
    end: PartialDateField | None
    notes: str
    source: str


class ProjectRead(OutputModel):
    code: str
    title: str
    mission: str
    funding: str
    start: PartialDateField | None
    end: PartialDateField | None
    summary: str
    source: str


class DevelopmentRead(OutputModel):
    code: str
    title: str
    country: str
    date: PartialDateField
    summary: str
    source: str
    provenance: str


def mission_read(mission: Mission, since: PartialDate | None) -> MissionRead:
    data = MissionRead.model_validate(mission, from_attributes=True)
    data.migration_focal_point_since = since
    return data


def location_read(location: Location) -> LocationRead:
    return LocationRead(
        code=location.code,
        name=location.name,
        kind=location.kind,
        country=location.country,
        country_name=countries.country_name(location.country),
        mission=location.mission.code if location.mission else None,
        latitude=location.latitude,
        longitude=location.longitude,
        source=location.source,
    )


def focal_point_read(fp: FocalPointAppointment) -> FocalPointRead:
    return FocalPointRead(
        code=fp.code,
        mission=fp.mission.code,
        area=fp.area,
        holder=fp.holder,
        start=PartialDate.of(fp.start_date, fp.start_precision),
        end=PartialDate.of(fp.end_date, fp.end_precision),
        notes=fp.notes,
        source=fp.source,
    )


def project_read(project: Project) -> ProjectRead:
    return ProjectRead(
        code=project.code,
        title=project.title,
        mission=project.mission.code,
        funding=project.funding,
        start=PartialDate.of(project.start_date, project.start_precision),
        end=PartialDate.of(project.end_date, project.end_precision),
        summary=project.summary,
        source=project.source,
    )


def development_read(dev: Development) -> DevelopmentRead:
    return DevelopmentRead(
        code=dev.code,
        title=dev.title,
        country=dev.country,
        date=PartialDate.of(dev.occurred_on, dev.occurred_precision),
        summary=dev.summary,
        source=dev.source,
        provenance=dev.provenance,
    )


# --- input: creating and changing reference data --------------------------------------------
# Shape rules live here (types, enums, lengths, ranges); rules that need the database (unknown
# mission, duplicate code) live in `service`.

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError("use lower-case letters, digits and single hyphens, e.g. presevo-crossing")
    return value


@dataclass(frozen=True)
class Trimmed(GroupedMetadata):
    """Text with its surrounding spaces dropped, then held to the shared text rules
    (`schemas_common.TextRules`: the length, no NUL bytes). Written `Annotated[str, Trimmed(300)]`
    so that a type checker reads a plain `str`; `min_length=1` refuses a blank."""

    max_length: int
    min_length: int = 0

    def __iter__(self) -> Iterator[object]:
        yield from TextRules(self.max_length, min_length=self.min_length)
        yield BeforeValidator(_strip)


# A code (slug) naming a record in URLs, the API and imports, e.g. "tabanovce-transit".
Slug = Annotated[
    str,
    Trimmed(80, min_length=1),
    AfterValidator(_slug),
    WithJsonSchema({"type": "string", "pattern": _SLUG.pattern, "maxLength": 80}),
]


# The texts the forms below take, by what they hold.
Title = Annotated[str, Trimmed(300, min_length=1)]
Name = Annotated[str, Trimmed(200, min_length=1)]
Country = Annotated[str, Trimmed(80, min_length=1)]
Notes = Annotated[str, Trimmed(10_000)]


def _country_code(value: str) -> str:
    code = countries.code_for(value)
    if code is None:
        raise ValueError(
            "choose a country from the list (an ISO 3166-1 code such as MK, or XK for Kosovo)"
        )
    return code


# A country of the controlled list: its ISO 3166-1 alpha-2 code (XK for Kosovo); a name
# ("North Macedonia", "Macedonia") is read as its code.
CountryCode = Annotated[
    str,
    Trimmed(80, min_length=1),
    AfterValidator(_country_code),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 80,
            "description": "ISO 3166-1 alpha-2 code (XK for Kosovo); a country name is also read.",
        }
    ),
]
Source = Annotated[str, Trimmed(300)]


def _degrees(limit: int, example: str):
    """A coordinate in decimal degrees, with a message that says what is wanted."""

    def check(value):
        if isinstance(value, bool):
            value = None
        elif isinstance(value, str):
            try:
                value = float(value.strip().replace(",", "."))
            except ValueError:
                value = None
        if not isinstance(value, int | float) or not -limit <= value <= limit:
            raise ValueError(f"use decimal degrees between -{limit} and {limit}, e.g. {example}")
        return float(value)

    return check


Latitude = Annotated[
    float, BeforeValidator(_degrees(90, "42.459")), Field(ge=-90, le=90, allow_inf_nan=False)
]
Longitude = Annotated[
    float,
    BeforeValidator(_degrees(180, "21.767")),
    Field(ge=-180, le=180, allow_inf_nan=False),
]


class DevelopmentCreate(InputModel):
    """A development for the timeline; its code is made from the title and the date."""

    title: Title
    country: Country = Field(
        description='The country it happened in, or "Western Balkans" for the whole region.'
    )
    date: PartialDateField
    summary: Notes = ""
    source: Source = ""


class LocationUpdate(InputModel):
    name: Name
    kind: LocationKind
    country: CountryCode
    mission: Code | None = Field(default=None, description="The mission that monitors it.")
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    source: Source = ""


class LocationCreate(LocationUpdate):
    code: Slug


class PartnerUpdate(InputModel):
    name: Name
    acronym: Annotated[str, Trimmed(40)] | None = None
    kind: PartnerKind
    country: Annotated[str, Trimmed(80)] | None = None
    source: Source = ""


class PartnerCreate(PartnerUpdate):
    code: Slug


class ProjectUpdate(InputModel):
    title: Title
    mission: Code
    funding: Funding
    start: PartialDateField | None = None
    end: PartialDateField | None = None
    summary: Notes = ""
    source: Source = ""


class ProjectCreate(ProjectUpdate):
    code: Slug


class FocalPointUpdate(InputModel):
    mission: Code
    area: FocalPointArea
    holder: Name = Field(description="A role title, never a personal name.")
    start: PartialDateField
    end: PartialDateField | None = None
    notes: Notes = ""
    source: Source = ""


class FocalPointCreate(FocalPointUpdate):
    code: Slug
