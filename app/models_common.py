"""Column helpers shared by the domain models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint

# Table option for tables whose ids people see (in addresses and the audit trail): on
# SQLite, AUTOINCREMENT keeps a deleted record's id from being given to the next one
# (migration 0005). PostgreSQL's sequences never hand an id out twice anyway.
IDS_NEVER_REUSED = {"sqlite_autoincrement": True}


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def enum_check(column: str, values: Iterable[str], *, name: str | None = None) -> CheckConstraint:
    """CHECK that `column` holds one of `values` (or is NULL).

    Written as comparisons, not `IN (…)`: SQLite rebuilds an IN list's lookup table
    each time a statement runs, which a bulk INSERT does once per row (migration 0004).
    """
    comparisons = " OR ".join(f"{column} = '{v}'" for v in values)
    return CheckConstraint(comparisons, name=name or f"{column}_valid")


def precision_check(column: str) -> CheckConstraint:
    return enum_check(column, ["day", "month", "quarter", "year"])
