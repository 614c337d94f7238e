"""Missions and their reference data."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.models_common import IDS_NEVER_REUSED, enum_check, precision_check
from app.vocab import FocalPointArea, Funding, LocationKind, PartnerKind, Provenance


class Mission(Base):
    """A field operation, e.g. the OSCE Mission to Skopje (code MKD)."""

    __tablename__ = "missions"
    __table_args__ = (
        CheckConstraint("length(code) BETWEEN 2 AND 8", name="code_length"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(80))
    host_country: Mapped[str] = mapped_column(String(80))
    hq_city: Mapped[str] = mapped_column(String(80))
    mandate_summary: Mapped[str] = mapped_column(Text, default="")
    mandate_reference: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(300), default="")

    focal_points: Mapped[list[FocalPointAppointment]] = relationship(
        back_populates="mission", order_by="FocalPointAppointment.start_date"
    )


class Location(Base):
    """A place activities happen: office, border crossing, transit centre, municipality."""

    __tablename__ = "locations"
    __table_args__ = (
        enum_check("kind", LocationKind.values()),
        CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint(
            "longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude_range"
        ),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(80))
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("missions.id"), index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(300), default="")

    mission: Mapped[Mission | None] = relationship()


class Partner(Base):
    """An organisation a mission works with."""

    __tablename__ = "partners"
    __table_args__ = (enum_check("kind", PartnerKind.values()), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    acronym: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(32))
    country: Mapped[str | None] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(300), default="")


class FocalPointAppointment(Base):
    """Who is a mission's focal point for an area, from when to when."""

    __tablename__ = "focal_point_appointments"
    __table_args__ = (
        enum_check("area", FocalPointArea.values()),
        precision_check("start_precision"),
        precision_check("end_precision"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    area: Mapped[str] = mapped_column(String(32))
    holder: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    start_precision: Mapped[str] = mapped_column(String(8))
    end_date: Mapped[date | None] = mapped_column(Date)
    end_precision: Mapped[str | None] = mapped_column(String(8))
    notes: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(300), default="")

    mission: Mapped[Mission] = relationship(back_populates="focal_points")


class Project(Base):
    """An umbrella for activities, e.g. an extra-budgetary project."""

    __tablename__ = "projects"
    __table_args__ = (
        enum_check("funding", Funding.values()),
        precision_check("start_precision"),
        precision_check("end_precision"),
        CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
            name="end_after_start",
        ),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    funding: Mapped[str] = mapped_column(String(32))
    start_date: Mapped[date | None] = mapped_column(Date)
    start_precision: Mapped[str | None] = mapped_column(String(8))
    end_date: Mapped[date | None] = mapped_column(Date)
    end_precision: Mapped[str | None] = mapped_column(String(8))
    summary: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(300), default="")

    mission: Mapped[Mission] = relationship()


class Development(Base):
    """Something that happened in a host country or the region, for the timeline."""

    __tablename__ = "developments"
    __table_args__ = (
        precision_check("occurred_precision"),
        enum_check("provenance", Provenance.values()),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    country: Mapped[str] = mapped_column(String(80), index=True)
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    occurred_precision: Mapped[str] = mapped_column(String(8))
    summary: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(300), default="")
    provenance: Mapped[str] = mapped_column(String(16), default=Provenance.ENTERED.value)
