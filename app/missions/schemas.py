"""Response shapes for missions and reference data."""

from __future__ import annotations

from app.partial_dates import PartialDate
from app.schemas_common import OutputModel, PartialDateField


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
    country: str
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


def mission_read(mission, since: PartialDate | None) -> MissionRead:
    data = MissionRead.model_validate(mission, from_attributes=True)
    data.migration_focal_point_since = since
    return data


def location_read(location) -> LocationRead:
    return LocationRead(
        code=location.code,
        name=location.name,
        kind=location.kind,
        country=location.country,
        mission=location.mission.code if location.mission else None,
        latitude=location.latitude,
        longitude=location.longitude,
        source=location.source,
    )


def focal_point_read(fp) -> FocalPointRead:
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


def project_read(project) -> ProjectRead:
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


def development_read(dev) -> DevelopmentRead:
    return DevelopmentRead(
        code=dev.code,
        title=dev.title,
        country=dev.country,
        date=PartialDate.of(dev.occurred_on, dev.occurred_precision),
        summary=dev.summary,
        source=dev.source,
        provenance=dev.provenance,
    )
