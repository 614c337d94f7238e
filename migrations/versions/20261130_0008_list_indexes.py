"""List indexes: each page of the activity list is a few index ranges, never a scan.

The list reads one range per (lead mission, status) the reader may see, in the order of
the sort it shows (app/activities/listing.py): an index on (mission_id, status, sort
column, id) for each sort order, its twin over joint records only (a mission filter
reads the records other missions lead that it takes part in), and (mission_id, status,
id) for the exports, which read in id order. And (created_by_id, mission_id, status)
for "my work", which SQLite would otherwise read from a list index's whole mission range.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 12:00:00.000000

Every migration is revertable: downgrade() undoes exactly what upgrade() does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Sort key -> its column (None: the id alone), as app.activities.models.LIST_SORT_COLUMNS.
SORT_COLUMNS = {
    "start": "start_date",
    "title": "title",
    "created": "created_at",
    "updated": "updated_at",
    "id": None,
}


def upgrade() -> None:
    op.create_index(
        "ix_activities_created_by_mission_status",
        "activities",
        ["created_by_id", "mission_id", "status"],
    )
    for sort, column in SORT_COLUMNS.items():
        columns = ["mission_id", "status", *([column] if column else []), "id"]
        op.create_index(f"ix_activities_list_{sort}", "activities", columns)
        op.create_index(
            f"ix_activities_joint_{sort}",
            "activities",
            columns,
            sqlite_where=sa.text("is_joint = 1"),
            postgresql_where=sa.text("is_joint"),
        )


def downgrade() -> None:
    for sort in reversed(SORT_COLUMNS):
        op.drop_index(f"ix_activities_joint_{sort}", table_name="activities")
        op.drop_index(f"ix_activities_list_{sort}", table_name="activities")
    op.drop_index("ix_activities_created_by_mission_status", table_name="activities")
