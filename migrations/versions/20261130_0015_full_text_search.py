"""Full-text search: a search document per activity, with the database's full-text index.

SQLite: `activity_search`, an FTS5 table whose rowid is the activity's id. PostgreSQL: a
table (activity_id, document, tsv) where tsv is the stored, generated
to_tsvector('simple', document), under a GIN index. The documents are normalised in
Python (app/activities/search.py), so the backfill calls it: on SQLite as a function of
one INSERT…SELECT, on PostgreSQL in batches of 5,000.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 13:00:00.000000

Every migration is revertable: downgrade() undoes exactly what upgrade() does.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from app.activities import search

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE activity_search USING fts5("
            "document, tokenize = 'unicode61 remove_diacritics 0')"
        )
    else:
        op.execute(
            "CREATE TABLE activity_search ("
            " activity_id INTEGER PRIMARY KEY"
            " REFERENCES activities (id) ON DELETE CASCADE,"
            " document TEXT NOT NULL,"
            " tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', document)) STORED)"
        )
        op.execute("CREATE INDEX ix_activity_search_tsv ON activity_search USING gin (tsv)")
    search.rebuild(bind)


def downgrade() -> None:
    op.execute("DROP TABLE activity_search")
