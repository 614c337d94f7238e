"""Aggregates kept beside the activities so dashboards cost the same at any size.

Each row counts the activities of one key, with one column per workflow status
(`n_draft`, `n_submitted`, `n_approved`, `n_returned`, and likewise for the other
figures), so a reader's sum picks the statuses they may see from the same row.
Every create, edit, delete and status change adds its delta in the same
transaction (stats.py); a recount from the raw rows must give the same numbers.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.vocab import Status

STATUSES = tuple(Status.values())


def _per_status(cls, *names: str):
    """Add an integer column per (figure, status): n_draft, n_submitted, …"""
    for name in names:
        for status in STATUSES:
            column = mapped_column(f"{name}_{status}", Integer, default=0, nullable=False)
            setattr(cls, f"{name}_{status}", column)
            cls.__annotations__[f"{name}_{status}"] = Mapped[int]
    return cls


ALL = "*"
LEVELS = ("fine", "area", "type", "all")


class ActivityStat(Base):
    """Activities per period, involved mission, lead mission and theme, at four levels:

    - `fine`: per type, response area and dimension (for filtered views);
    - `area`: per response area (type and dimension '*');
    - `type`: per type (response area and dimension '*');
    - `all`: one row per period and mission (everything '*').

    `grain` is 'year' (every record of the year), 'month' (records known to the month
    or day), or 'q-unk' / 'y-unk' (records known only to their quarter / year, on the
    quarter's first month / 1 January): a partial date is never counted as its period's
    first month (counting.grain_of). `recon` / `synth` count reconstructed / synthetic
    records. `theme` is '' for the all-themes rows. `mission_id`
    is every mission involved (lead or taking part); `lead_mission_id` decides
    visibility. People trained count only on the lead mission's rows. On SQLite the
    table is clustered on its key (WITHOUT ROWID): a question about one level, theme
    and mission reads one contiguous range.
    """

    __tablename__ = "activity_stats"
    __table_args__ = ({"sqlite_with_rowid": False},)

    grain: Mapped[str] = mapped_column(String(5), primary_key=True)
    level: Mapped[str] = mapped_column(String(5), primary_key=True)
    theme: Mapped[str] = mapped_column(String(40), primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    lead_mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), primary_key=True)
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    response_area: Mapped[str] = mapped_column(String(32), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)


_per_status(ActivityStat, "n", "trained", "women", "split", "alerts", "recon", "synth")


class TrainingStat(Base):
    """Trainings per month, lead mission and target group: a training with several
    groups counts in each group's row ('' for none), so rows add up to more than the
    trainings. `split` is the people whose sex was recorded (counting.py)."""

    __tablename__ = "training_stats"
    __table_args__ = ({"sqlite_with_rowid": False},)

    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    target_group: Mapped[str] = mapped_column(String(32), primary_key=True)


_per_status(TrainingStat, "n", "trained", "women", "split")


class VisitStat(Base):
    """Monitoring visits known to the day, per week (its Monday), location and lead mission;
    a visit dated only to a month, quarter or year has no week and is not counted here."""

    __tablename__ = "visit_stats"
    __table_args__ = ({"sqlite_with_rowid": False},)

    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)


_per_status(VisitStat, "n")


class LocationStat(Base):
    """Approved activities per place: grain and period (as in activity_stats: 'month',
    'q-unk', 'y-unk', 'year'), involved mission, lead mission, location and type, for the
    maps of the mission dashboard and the comparison. An activity at several places counts
    at each; a joint one for each mission involved (the comparison reads the lead mission's
    rows only, so it counts once). Only approved records are kept here: the map shows the
    headline figures (counting.py), which count approved records only. `alerts` counts
    open alerts (counting.is_open_alert); `recon` / `synth` reconstructed / synthetic
    records."""

    __tablename__ = "location_stats"
    __table_args__ = ({"sqlite_with_rowid": False},)

    grain: Mapped[str] = mapped_column(String(5), primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    lead_mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    alerts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    recon: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    synth: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
