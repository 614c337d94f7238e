"""Column helpers shared by the domain models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint


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
