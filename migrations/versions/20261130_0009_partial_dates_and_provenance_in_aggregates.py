"""Aggregates: partial dates kept apart, reconstructed and synthetic records counted.

A record known only to its quarter or year used to be counted in that period's first
month; its monthly row now has a grain of its own ('q-unk', 'y-unk'), and the 'month'
rows hold only records known to the month or the day. Two figures are added per status:
`recon_*` (reconstructed records) and `synth_*` (synthetic ones). The upgrade refills
activity_stats from the activities with plain SQL, so it does not depend on the
application code of the day; the downgrade refills it the old way. visit_stats (visits
per week) keeps only visits known to the day: a visit of "March 2016" has no week.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 04:30:00.000000

Every migration is revertable: downgrade() undoes exactly what upgrade() does.
"""

from collections.abc import Sequence
from itertools import product

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("draft", "submitted", "approved", "returned")
NEW_FIGURES = {"recon": "reconstructed", "synth": "synthetic"}


def upgrade() -> None:
    for figure, status in product(NEW_FIGURES, STATUSES):
        op.add_column(
            "activity_stats",
            sa.Column(f"{figure}_{status}", sa.Integer(), nullable=False, server_default="0"),
        )
    op.execute("DELETE FROM activity_stats")
    _fill(op.get_bind().dialect.name, honest=True)
    _fill_visits(op.get_bind().dialect.name, honest=True)


def downgrade() -> None:
    op.execute("DELETE FROM activity_stats")
    for figure, status in product(NEW_FIGURES, STATUSES):
        # SQLite (3.35+) and PostgreSQL both drop a plain column in place
        op.execute(f"ALTER TABLE activity_stats DROP COLUMN {figure}_{status}")
    _fill(op.get_bind().dialect.name, honest=False)
    _fill_visits(op.get_bind().dialect.name, honest=False)


def _per_status(name: str, expression: str) -> list[tuple[str, str]]:
    """(column, SQL) for each status: sum(expression) over that status's rows."""
    return [
        (f"{name}_{s}", f"sum(CASE WHEN a.status = '{s}' THEN {expression} ELSE 0 END)")
        for s in STATUSES
    ]


def _fill(dialect: str, *, honest: bool) -> None:
    """Fill activity_stats: `honest` keeps partial dates out of the month rows and counts
    reconstructed and synthetic records (this revision); otherwise the rows of 0003."""
    if dialect == "postgresql":
        month = "CAST(date_trunc('month', a.start_date) AS DATE)"
        year = "CAST(date_trunc('year', a.start_date) AS DATE)"
    else:
        month = "date(a.start_date, 'start of month')"
        year = "date(a.start_date, 'start of year')"
    lead_training = "inv.is_lead = 1 AND a.type = 'training'"
    values = (
        _per_status("n", "1")
        + _per_status(
            "trained",
            f"CASE WHEN {lead_training} THEN coalesce(a.participants_total, 0) ELSE 0 END",
        )
        + _per_status(
            "women", f"CASE WHEN {lead_training} THEN coalesce(a.participants_women, 0) ELSE 0 END"
        )
        + _per_status(
            "split",  # the people whose sex was recorded (0007): women and men given
            f"CASE WHEN {lead_training} THEN coalesce(a.participants_women, 0) "
            "+ coalesce(a.participants_men, 0) ELSE 0 END",
        )
        + _per_status(
            "alerts",
            "CASE WHEN a.type = 'monitoring_visit' AND a.alert_level IN "
            "('low', 'elevated', 'high') AND NOT coalesce(a.alert_closed, false) "
            "THEN 1 ELSE 0 END",
        )
    )
    if honest:
        for figure, provenance in NEW_FIGURES.items():
            values += _per_status(
                figure, f"CASE WHEN a.provenance = '{provenance}' THEN 1 ELSE 0 END"
            )
        grains = (
            ("month", month, "a.start_precision IN ('day', 'month')"),
            ("q-unk", month, "a.start_precision = 'quarter'"),
            ("y-unk", year, "a.start_precision = 'year'"),
            ("year", year, "1 = 1"),
        )
    else:
        grains = (("month", month, "1 = 1"), ("year", year, "1 = 1"))
    names = ", ".join(name for name, _ in values)
    sums = ", ".join(sql for _, sql in values)
    levels = {
        "fine": ("a.type", "a.response_area", "a.dimension"),
        "area": ("'*'", "a.response_area", "'*'"),
        "type": ("a.type", "'*'", "'*'"),
        "all": ("'*'", "'*'", "'*'"),
    }
    for (grain, trunc, where), (level, (kind, area, dimension)) in product(grains, levels.items()):
        # PostgreSQL refuses constants in GROUP BY: group by the real columns only
        groups = ["t.theme", trunc, "inv.mission_id", "a.mission_id"] + [
            column for column in (kind, area, dimension) if column != "'*'"
        ]
        op.execute(f"""
            INSERT INTO activity_stats (grain, level, theme, period, mission_id,
                lead_mission_id, type, response_area, dimension, {names})
            SELECT '{grain}', '{level}', t.theme, {trunc}, inv.mission_id, a.mission_id,
                {kind}, {area}, {dimension}, {sums}
            FROM activities a
            JOIN (SELECT id AS activity_id, mission_id, 1 AS is_lead FROM activities
                  UNION ALL
                  SELECT activity_id, mission_id, 0 FROM activity_missions) inv
              ON inv.activity_id = a.id
            JOIN (SELECT id AS activity_id, '' AS theme FROM activities
                  UNION ALL
                  SELECT activity_id, theme FROM activity_themes) t
              ON t.activity_id = a.id
            WHERE {where}
            GROUP BY {", ".join(groups)}
        """)


def _fill_visits(dialect: str, *, honest: bool) -> None:
    """Refill visit_stats: `honest` counts only visits known to the day (this revision)."""
    if dialect == "postgresql":
        week = "CAST(date_trunc('week', a.start_date) AS DATE)"
    else:
        week = (
            "date(a.start_date, '-' || ((CAST(strftime('%w', a.start_date) AS INTEGER) + 6) % 7)"
            " || ' days')"
        )
    known = "AND a.start_precision = 'day'" if honest else ""
    visits = _per_status("n", "1")
    op.execute("DELETE FROM visit_stats")
    op.execute(f"""
        INSERT INTO visit_stats (mission_id, week, location_id,
            {", ".join(name for name, _ in visits)})
        SELECT a.mission_id, {week}, al.location_id, {", ".join(sql for _, sql in visits)}
        FROM activities a JOIN activity_locations al ON al.activity_id = a.id
        WHERE a.type = 'monitoring_visit' {known}
        GROUP BY a.mission_id, {week}, al.location_id
    """)
