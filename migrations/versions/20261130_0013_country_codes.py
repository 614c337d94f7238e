"""Countries as codes, and per-place figures for the maps.

1. Locations keep their country as an ISO 3166-1 alpha-2 code (Kosovo: XK) instead of
   free text, so "Macedonia", "North Macedonia" and "the former Yugoslav Republic of
   Macedonia" become one country, MK. Text that names no country is **kept as it was**
   and listed on stderr and in the log (a warning per place); the location form shows it
   as "(not in the list)" until an admin chooses a country. Partners, missions and
   developments keep their text: a mission's host country and a partner's country are
   only shown, and developments name regions too ("Western Balkans").
   Downgrade writes each code's English name back ("North Macedonia", "Kosovo").
2. location_stats: approved activities per grain, period, involved mission, lead
   mission, place and type (app/activities/aggregate_models.py LocationStat), filled
   here from the activities and kept by the write path from now on.

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-30 12:30:00.000000

Every migration is revertable: downgrade() undoes exactly what upgrade() does.
"""

import logging
import sys
import unicodedata
from collections.abc import Sequence

import pycountry
import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

# Names pycountry does not carry, as this revision reads them (a frozen copy of
# app/missions/countries.py ALIASES, so later changes there do not change this step).
ALIASES = {
    "macedonia": "MK",
    "republic of macedonia": "MK",
    "the former yugoslav republic of macedonia": "MK",
    "former yugoslav republic of macedonia": "MK",
    "fyr macedonia": "MK",
    "fyrom": "MK",
    "kosovo": "XK",
    "kosovo*": "XK",
    "kosova": "XK",
    "kosovo under unscr 1244": "XK",
    "bosnia": "BA",
    "bosnia-herzegovina": "BA",
    "bosnia & herzegovina": "BA",
    "turkey": "TR",
    "moldova": "MD",
    "russia": "RU",
    "czech republic": "CZ",
    "united kingdom": "GB",
    "united states": "US",
    "syria": "SY",
    "iran": "IR",
}


def _key(text: str) -> str:
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return " ".join(plain.casefold().split())


def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for c in pycountry.countries:
        for value in (
            c.alpha_2,
            c.alpha_3,
            c.name,
            getattr(c, "common_name", None),
            getattr(c, "official_name", None),
        ):
            if value:
                table[_key(value)] = c.alpha_2
    table["xk"] = "XK"
    table.update(ALIASES)
    return table


def code_for(text: str, lookup: dict[str, str]) -> str | None:
    key = _key(text or "")
    return lookup.get(key) or lookup.get(key.removeprefix("the ").strip())


def name_of(code: str) -> str | None:
    if code == "XK":
        return "Kosovo"
    country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if country is None:
        return None
    return getattr(country, "common_name", None) or country.name


def upgrade() -> None:
    bind = op.get_bind()
    lookup = _lookup()
    unknown = []
    for id_, code, country in bind.execute(sa.text("SELECT id, code, country FROM locations")):
        new = code_for(country, lookup)
        if new is None:
            unknown.append((code, country))
        elif new != country:
            bind.execute(
                sa.text("UPDATE locations SET country = :c WHERE id = :i"), {"c": new, "i": id_}
            )
    for code, country in unknown:
        message = (
            f"0013: location {code!r}: country {country!r} is no ISO 3166-1 country; "
            "kept as typed, to be chosen in its form (/locations/{code}/edit)"
        ).replace("{code}", code)
        log.warning(message)
        print(message, file=sys.stderr)

    op.create_table(
        "location_stats",
        sa.Column("grain", sa.String(length=5), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("lead_mission_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column("recon", sa.Integer(), nullable=False),
        sa.Column("synth", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_mission_id"],
            ["missions.id"],
            name=op.f("fk_location_stats_lead_mission_id_missions"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_location_stats_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["missions.id"], name=op.f("fk_location_stats_mission_id_missions")
        ),
        sa.PrimaryKeyConstraint(
            "grain",
            "mission_id",
            "period",
            "lead_mission_id",
            "location_id",
            "type",
            name=op.f("pk_location_stats"),
        ),
        sqlite_with_rowid=False,
    )
    _fill(bind.dialect.name)


def _fill(dialect: str) -> None:
    """location_stats from the approved activities, by the rules of counting.py."""
    if dialect == "postgresql":
        month = "CAST(date_trunc('month', a.start_date) AS DATE)"
        year = "CAST(date_trunc('year', a.start_date) AS DATE)"
    else:
        month = "date(a.start_date, 'start of month')"
        year = "date(a.start_date, 'start of year')"
    alert = (
        "CASE WHEN a.type = 'monitoring_visit' AND a.alert_level IN ('low', 'elevated', 'high') "
        "AND NOT coalesce(a.alert_closed, false) THEN 1 ELSE 0 END"
    )
    grains = (
        ("month", month, "a.start_precision IN ('day', 'month')"),
        ("q-unk", month, "a.start_precision = 'quarter'"),
        ("y-unk", year, "a.start_precision = 'year'"),
        ("year", year, "1 = 1"),
    )
    for grain, trunc, where in grains:
        op.execute(f"""
            INSERT INTO location_stats (grain, mission_id, period, lead_mission_id,
                location_id, type, n, alerts, recon, synth)
            SELECT '{grain}', inv.mission_id, {trunc}, a.mission_id, al.location_id, a.type,
                count(*), sum({alert}),
                sum(CASE WHEN a.provenance = 'reconstructed' THEN 1 ELSE 0 END),
                sum(CASE WHEN a.provenance = 'synthetic' THEN 1 ELSE 0 END)
            FROM activities a
            JOIN (SELECT id AS activity_id, mission_id FROM activities
                  UNION ALL
                  SELECT activity_id, mission_id FROM activity_missions) inv
              ON inv.activity_id = a.id
            JOIN activity_locations al ON al.activity_id = a.id
            WHERE a.status = 'approved' AND {where}
            GROUP BY inv.mission_id, {trunc}, a.mission_id, al.location_id, a.type
        """)


def downgrade() -> None:
    op.drop_table("location_stats")
    bind = op.get_bind()
    for id_, country in bind.execute(sa.text("SELECT id, country FROM locations")):
        name = name_of(country)
        if name is not None:
            bind.execute(
                sa.text("UPDATE locations SET country = :c WHERE id = :i"), {"c": name, "i": id_}
            )
