"""The one column list shared by the import template, the importer and the exports,
built from the field registry (app/activities/fields.py).

Each column is an ActivityCreate field (or, for a few export-only columns, a
fact about the stored record). Cell text forms:

- lists (missions, locations, partners, themes, findings, recipients, target groups):
  values separated by ``;`` (``|`` or a comma work too);
- yes/no fields: ``yes`` or ``no`` (``true``/``false``, ``1``/``0`` are read too);
- dates: ``YYYY``, ``YYYY-Qn``, ``YYYY-MM`` or ``YYYY-MM-DD`` (the precision is kept);
- vocabularies: the code (``monitoring_visit``) or its label (``Monitoring visit``).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.activities.fields import FIELDS, Widget
from app.vocab import Labelled


@dataclass(frozen=True)
class Column:
    name: str
    label: str  # the header of a readable export
    hxl: str
    help: str
    widget: Widget
    vocab: type[Labelled] | None
    required: bool  # the template and the importer insist on the column
    export_only: bool
    width: int


COLUMNS: list[Column] = [
    Column(
        name=field.name,
        label=field.label,
        hxl=field.hxl,
        help=field.help,
        widget=field.widget,
        vocab=field.vocab,
        required=bool(field.required) and not field.supplied,
        export_only=field.export_only,
        width=field.width,
    )
    for field in FIELDS.values()
    if field.exported
]
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
NAMES: list[str] = [c.name for c in COLUMNS]
IMPORT_NAMES: list[str] = [c.name for c in COLUMNS if not c.export_only]
REQUIRED: list[str] = [c.name for c in COLUMNS if c.required]

# Columns of an older template, read as the column that took their place (a file made
# before migration 0007 still imports: its one target group is a list of one).
RENAMED: dict[str, str] = {"target_group": "target_groups"}

TRUE_WORDS = frozenset({"yes", "y", "true", "1", "x"})
FALSE_WORDS = frozenset({"no", "n", "false", "0"})
