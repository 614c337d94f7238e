"""Ids are never reused on SQLite: AUTOINCREMENT on the tables whose ids people see.

Without AUTOINCREMENT, SQLite gives a new row the highest id in the table plus one, so
after the highest record is deleted the next one takes its id, and with it the deleted
record's audit trail and addresses (a focal point's new activity showed the history of
another mission's deleted draft). With AUTOINCREMENT, SQLite remembers the highest id
it ever handed out (in sqlite_sequence). PostgreSQL's sequences never hand an id out
twice, so there is nothing to change there.

SQLite cannot add AUTOINCREMENT to a table, so batch mode rebuilds each one: the rows
keep their ids (the copy seeds sqlite_sequence with the highest), and the CHECK
constraints, indexes and foreign keys are carried over from the reflected table. No
triggers live on these tables (the audit trail's are on audit_entries, not rebuilt).
Reflection does not see AUTOINCREMENT: a later migration that rebuilds one of these
tables must pass table_kwargs={"sqlite_autoincrement": True} again
(tests/test_hardening.py checks that the flag is there at head).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 22:10:00.000000

Every migration is revertable: downgrade() undoes exactly what upgrade() does.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables whose ids appear in the audit trail or in addresses.
TABLES = (
    "missions",
    "users",
    "api_tokens",
    "locations",
    "partners",
    "projects",
    "focal_point_appointments",
    "developments",
    "activities",
)


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ) as batch:
            if not autoincrement:
                # AUTOINCREMENT needs the key declared on the column, where it has no name;
                # going back, the key gets its name again, as revision 0001 created it.
                batch.create_primary_key(f"pk_{table}", ["id"])


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
