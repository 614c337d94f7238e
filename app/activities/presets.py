"""What choosing an activity type fills in on the form: the usual OSCE dimension, response area
and themes, always editable, never over a value the person chose.

Where the values come from: the activities the study describes (source 001, §4.2 and
§6.1–6.7), as seeded in `seeds/activities.yaml` (61 records) and, for monitoring visits, the
reconstructed police development unit visits of `seeds/reconstructed_visits.yaml` (001 §6.1).
For each type: the most common dimension and response area among that type's seeded records,
and the themes found on at least half of them. Two ties are broken by the study:
- meetings are 8 politico-military and 8 cross-dimensional; cross-dimensional goes with the
  most common response area, reporting & liaising (§6.2: liaising with the host authorities
  and the other international actors is cross-dimensional, like the reports);
- research support is one record each of three dimensions; cross-dimensional goes with the
  research response area it has in two of the three (§6.7).
`tests/test_presets.py` recomputes the table from the seed file, so a change to either shows.

The server uses this table for a new form opened with `?type=` and for the no-JavaScript
"Show the fields for this type" refresh; the page carries it as JSON for activity-form.js.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.vocab import ActivityType, Dimension, ResponseArea, Theme


@dataclass(frozen=True)
class Preset:
    dimension: Dimension
    response_area: ResponseArea
    themes: tuple[Theme, ...]

    def values(self) -> dict[str, Any]:
        """As the form holds them."""
        return {
            "dimension": self.dimension.value,
            "response_area": self.response_area.value,
            "themes": [t.value for t in self.themes],
        }


PRESETS: dict[ActivityType, Preset] = {
    ActivityType.MONITORING_VISIT: Preset(
        Dimension.POLITICO_MILITARY,
        ResponseArea.MONITORING,
        (Theme.BORDER_MANAGEMENT, Theme.EARLY_WARNING),
    ),
    ActivityType.TRAINING: Preset(
        Dimension.HUMAN,
        ResponseArea.LOCAL_GOVERNANCE,
        (Theme.ANTI_TRAFFICKING, Theme.ANTI_SMUGGLING, Theme.PROTECTION_HUMAN_RIGHTS),
    ),
    ActivityType.REPORT: Preset(
        Dimension.CROSS_DIMENSIONAL, ResponseArea.REPORTING_LIAISING, (Theme.EARLY_WARNING,)
    ),
    ActivityType.MEETING: Preset(
        Dimension.CROSS_DIMENSIONAL, ResponseArea.REPORTING_LIAISING, (Theme.REGIONAL_COOPERATION,)
    ),
    ActivityType.EVENT: Preset(
        Dimension.HUMAN,
        ResponseArea.HUMAN_RIGHTS,
        (Theme.REGIONAL_COOPERATION, Theme.PROTECTION_HUMAN_RIGHTS),
    ),
    ActivityType.AWARENESS: Preset(
        Dimension.HUMAN, ResponseArea.AWARENESS_RAISING, (Theme.TOLERANCE,)
    ),
    ActivityType.ASSISTANCE: Preset(
        Dimension.POLITICO_MILITARY,
        ResponseArea.POLICING_CRIME,
        (Theme.BORDER_MANAGEMENT, Theme.REGIONAL_COOPERATION),
    ),
    ActivityType.RESEARCH_SUPPORT: Preset(
        Dimension.CROSS_DIMENSIONAL, ResponseArea.RESEARCH, (Theme.PROTECTION_HUMAN_RIGHTS,)
    ),
}
PRESET_FIELDS = ("dimension", "response_area", "themes")


def as_json() -> dict[str, dict[str, Any]]:
    """The table for the page (a JSON block read by activity-form.js)."""
    return {t.value: preset.values() for t, preset in PRESETS.items()}


def _same(name: str, value: Any, preset_value: Any) -> bool:
    if name == "themes":
        return sorted(value or []) == sorted(preset_value)
    return value == preset_value


def apply(form: dict[str, Any], chosen: str, previous: str = "", *, new: bool = True) -> None:
    """Fill `form` with the presets of the type `chosen`, in place.

    A field is filled when it is empty, or, on a new record, when it still holds the preset of
    the type shown before (`previous`): that value came from the table, not from the person.
    Anything else was chosen by the person and is kept. An edit fills empty fields only."""
    if chosen not in ActivityType.values():
        return
    wanted = PRESETS[ActivityType(chosen)].values()
    before = (
        PRESETS[ActivityType(previous)].values()
        if new and previous in ActivityType.values() and previous != chosen
        else None
    )
    for name in PRESET_FIELDS:
        value = form.get(name)
        if not value or (before is not None and _same(name, value, before[name])):
            form[name] = list(wanted[name]) if name == "themes" else wanted[name]
