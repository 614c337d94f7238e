"""Trainings record women and men, and may have several target groups.

- `activities.participants_men` (a count, trainings only); women and men together are at
  most the total (`women_and_men_within_total` replaces `women_within_total`); whoever is
  neither counts as "not recorded".
- `activities.target_group` (one value) becomes `activity_target_groups`, a row per group,
  as themes are kept; each existing group moves into it, and the column goes.
- Until now the form asked for the total and "of whom women": a training that gave both
  recorded everyone, so its men are set to the total less the women. Without that the
  share of women, now taken over the people whose sex was recorded (women + men), would
  read 100% for every such training.
- The aggregates follow (app/activities/counting.py): `split` is now the people whose sex
  was recorded (women + men) on activity_stats and on training_stats (a new column
  there), and a training counts in the training_stats row of each of its groups. Both
  tables are refilled from the activities, by the new rules going up and the old going
  down.

Down, each training gets its first group (in code order) back in `target_group` and the
men are dropped: a database that never held men comes back exactly as it was.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 12:00:00.000000

Every migration is revertable: downgrade() undoes exactly what upgrade() does.
"""

from collections.abc import Sequence
from itertools import product

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TARGET_GROUPS = (
    "border_police",
    "police",
    "judges_prosecutors",
    "lawyers",
    "social_workers",
    "ngo_activists",
    "officials",
)
STATUSES = ("draft", "submitted", "approved", "returned")
GROUP_CHECK = " OR ".join(f"target_group = '{g}'" for g in TARGET_GROUPS)
WOMEN_WITHIN_TOTAL = (
    "participants_women IS NULL OR participants_total IS NULL "
    "OR participants_women <= participants_total"
)
WOMEN_AND_MEN_WITHIN_TOTAL = (
    "participants_total IS NULL "
    "OR coalesce(participants_women, 0) + coalesce(participants_men, 0) "
    "<= participants_total"
)
# SQLite rebuilds activities in batch mode; reflection does not see AUTOINCREMENT (0005).
ACTIVITIES_KWARGS = {"sqlite_autoincrement": True}
STATS_KWARGS = {"sqlite_with_rowid": False}


def upgrade() -> None:
    op.create_table(
        "activity_target_groups",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("target_group", sa.String(length=32), nullable=False),
        sa.CheckConstraint(GROUP_CHECK, name=op.f("ck_activity_target_groups_target_group_valid")),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_target_groups_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "activity_id", "target_group", name=op.f("pk_activity_target_groups")
        ),
    )
    op.create_index(
        "ix_activity_target_groups_target_group_activity_id",
        "activity_target_groups",
        ["target_group", "activity_id"],
        unique=False,
    )
    op.execute(
        "INSERT INTO activity_target_groups (activity_id, target_group) "
        "SELECT id, target_group FROM activities WHERE target_group IS NOT NULL"
    )
    with op.batch_alter_table("activities", table_kwargs=ACTIVITIES_KWARGS) as batch:
        batch.add_column(sa.Column("participants_men", sa.Integer(), nullable=True))
        batch.drop_constraint(op.f("ck_activities_target_group_valid"), type_="check")
        batch.drop_constraint(op.f("ck_activities_target_group_only_on_training"), type_="check")
        batch.drop_constraint(op.f("ck_activities_women_within_total"), type_="check")
        batch.drop_column("target_group")
        batch.create_check_constraint(
            op.f("ck_activities_participants_men_not_negative"),
            "participants_men IS NULL OR participants_men >= 0",
        )
        batch.create_check_constraint(
            op.f("ck_activities_participants_men_only_on_training"),
            "type = 'training' OR participants_men IS NULL",
        )
        batch.create_check_constraint(
            op.f("ck_activities_women_and_men_within_total"), WOMEN_AND_MEN_WITHIN_TOTAL
        )
    op.execute(
        "UPDATE activities SET participants_men = participants_total - participants_women "
        "WHERE type = 'training' AND participants_women IS NOT NULL "
        "AND participants_total IS NOT NULL"
    )
    with op.batch_alter_table("training_stats", table_kwargs=STATS_KWARGS) as batch:
        for status in STATUSES:
            batch.add_column(
                sa.Column(
                    f"split_{status}", sa.Integer(), nullable=False, server_default=sa.text("0")
                )
            )
    # The models give the column a default on insert, not on the server.
    with op.batch_alter_table("training_stats", table_kwargs=STATS_KWARGS) as batch:
        for status in STATUSES:
            batch.alter_column(f"split_{status}", server_default=None)
    _refill(new_rules=True)


def downgrade() -> None:
    with op.batch_alter_table("activities", table_kwargs=ACTIVITIES_KWARGS) as batch:
        batch.add_column(sa.Column("target_group", sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE activities SET target_group = (SELECT min(g.target_group) "
        "FROM activity_target_groups g WHERE g.activity_id = activities.id)"
    )
    with op.batch_alter_table("activities", table_kwargs=ACTIVITIES_KWARGS) as batch:
        batch.drop_constraint(op.f("ck_activities_women_and_men_within_total"), type_="check")
        batch.drop_constraint(
            op.f("ck_activities_participants_men_only_on_training"), type_="check"
        )
        batch.drop_constraint(op.f("ck_activities_participants_men_not_negative"), type_="check")
        batch.drop_column("participants_men")
        batch.create_check_constraint(op.f("ck_activities_target_group_valid"), GROUP_CHECK)
        batch.create_check_constraint(
            op.f("ck_activities_target_group_only_on_training"),
            "type = 'training' OR target_group IS NULL",
        )
        batch.create_check_constraint(op.f("ck_activities_women_within_total"), WOMEN_WITHIN_TOTAL)
    op.drop_index(
        "ix_activity_target_groups_target_group_activity_id", table_name="activity_target_groups"
    )
    op.drop_table("activity_target_groups")
    with op.batch_alter_table("training_stats", table_kwargs=STATS_KWARGS) as batch:
        for status in STATUSES:
            batch.drop_column(f"split_{status}")
    _refill(new_rules=False)


def _per_status(name: str, expression: str) -> list[tuple[str, str]]:
    """(column, SQL) for each status: sum(expression) over that status's rows."""
    return [
        (f"{name}_{s}", f"sum(CASE WHEN a.status = '{s}' THEN {expression} ELSE 0 END)")
        for s in STATUSES
    ]


def _refill(*, new_rules: bool) -> None:
    """activity_stats and training_stats from the activities, by the rules of this
    revision (`new_rules`) or of the one before (as revision 0003 filled them)."""
    if op.get_bind().dialect.name == "postgresql":
        month = "CAST(date_trunc('month', a.start_date) AS DATE)"
        year = "CAST(date_trunc('year', a.start_date) AS DATE)"
    else:
        month = "date(a.start_date, 'start of month')"
        year = "date(a.start_date, 'start of year')"
    if new_rules:  # the people whose sex was recorded
        split = "coalesce(a.participants_women, 0) + coalesce(a.participants_men, 0)"
    else:  # the people of trainings that gave the number of women
        split = (
            "CASE WHEN a.participants_women IS NOT NULL "
            "THEN coalesce(a.participants_total, 0) ELSE 0 END"
        )
    op.execute("DELETE FROM activity_stats")
    op.execute("DELETE FROM training_stats")
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
        + _per_status("split", f"CASE WHEN {lead_training} THEN {split} ELSE 0 END")
        + _per_status(
            "alerts",
            "CASE WHEN a.type = 'monitoring_visit' AND a.alert_level IN "
            "('low', 'elevated', 'high') AND NOT coalesce(a.alert_closed, false) "
            "THEN 1 ELSE 0 END",
        )
    )
    names = ", ".join(name for name, _ in values)
    sums = ", ".join(sql for _, sql in values)
    levels = {
        "fine": ("a.type", "a.response_area", "a.dimension"),
        "area": ("'*'", "a.response_area", "'*'"),
        "type": ("a.type", "'*'", "'*'"),
        "all": ("'*'", "'*'", "'*'"),
    }
    for (grain, trunc), (level, (kind, area, dimension)) in product(
        (("month", month), ("year", year)), levels.items()
    ):
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
            GROUP BY {", ".join(groups)}
        """)
    training = (
        _per_status("n", "1")
        + _per_status("trained", "coalesce(a.participants_total, 0)")
        + _per_status("women", "coalesce(a.participants_women, 0)")
    )
    if new_rules:  # a row per target group ('' for none), each with the whole training
        training += _per_status("split", split)
        group = "coalesce(g.target_group, '')"
        source = "activities a LEFT JOIN activity_target_groups g ON g.activity_id = a.id"
    else:
        group = "coalesce(a.target_group, '')"
        source = "activities a"
    op.execute(f"""
        INSERT INTO training_stats (mission_id, period, target_group,
            {", ".join(name for name, _ in training)})
        SELECT a.mission_id, {month}, {group},
            {", ".join(sql for _, sql in training)}
        FROM {source} WHERE a.type = 'training'
        GROUP BY a.mission_id, {month}, {group}
    """)
