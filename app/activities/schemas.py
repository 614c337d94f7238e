"""Request and response shapes for activities, built from the field registry (`fields.py`).

Shape rules live here (types, enums, lengths, ranges); rules that need the
database or several fields at once live in `service.validate`.
"""

from __future__ import annotations

from types import GenericAlias
from typing import TYPE_CHECKING, Any

from pydantic import Field, create_model, field_validator
from pydantic.fields import FieldInfo

from app.activities.fields import ALL_TYPE_FIELDS, CHANGEABLE, ENTERED, FIELDS, FieldDef, Widget
from app.partial_dates import PartialDate
from app.schemas_common import (
    Code,
    Count,
    InputModel,
    OutputModel,
    PartialDateField,
    StrictBool,
    Text,
    UtcDateTime,
    Version,
)
from app.vocab import (
    ActivityType,
    Dimension,
    Provenance,
    ResponseArea,
    Status,
    Theme,
)


def _list_of(item_type: Any) -> Any:
    """`list[item_type]` for a type known only at run time (a type checker reads
    `list[field.vocab]` as a static annotation and cannot resolve it)."""
    return GenericAlias(list, (item_type,))


def _request_type(field: FieldDef) -> Any:
    """What a request's value for the field must be."""
    match field.widget:
        case Widget.TEXT | Widget.TEXTAREA:
            if field.max_length is None:
                raise AssertionError(f"the text field {field.name!r} needs a max_length")
            return Text(field.max_length, min_length=field.min_length)
        case Widget.NUMBER:
            return Count
        case Widget.BOOL:
            return StrictBool
        case Widget.SELECT:
            return field.vocab
        case Widget.MULTI:
            return _list_of(field.vocab)
        case Widget.DATE:
            return PartialDateField
        case Widget.CODE:
            return Code
        case Widget.CODES:
            return list[Code]
    raise AssertionError(f"no request type for the widget {field.widget!r}")


def _not_null(schema: dict[str, Any]) -> None:
    """A PATCH field that may be left out but not sent as null: its schema without null."""
    options = [option for option in schema.pop("anyOf", []) if option != {"type": "null"}]
    schema.pop("default", None)
    if len(options) == 1:
        schema.update(options[0])
    elif options:
        schema["anyOf"] = options


def _request_field(field: FieldDef, *, patch: bool = False) -> tuple[Any, FieldInfo]:
    """The field in a create body, or (`patch`) in a PATCH body, where it may be left out."""
    value_type = _request_type(field)
    limits: dict[str, Any] = {"max_length": field.max_items} if field.is_list else {}
    if field.description:
        limits["description"] = field.description
    if patch and (field.required or not field.nullable):
        # left out it stays as it is; null is refused by ActivityUpdate._not_null
        return value_type | None, Field(default=None, json_schema_extra=_not_null, **limits)
    if patch or field.blank is None and not field.required:
        return value_type | None, Field(default=None, **limits)
    if field.required:
        return value_type, Field(**limits)
    if field.is_list:
        return value_type, Field(default_factory=list, **limits)
    return value_type, Field(default=field.blank, **limits)


class _RegistryInput(InputModel):
    """A request body whose fields come from the registry when the module loads."""

    if TYPE_CHECKING:
        # The type checker cannot list fields made at run time: it reads any of them as Any.
        def __getattr__(self, name: str) -> Any: ...


# Values typed Any: the dict also fills create_model's own keyword parameters for the checker.
_create_fields: dict[str, Any] = {field.name: _request_field(field) for field in ENTERED}
ActivityCreate = create_model(
    "ActivityCreate", __base__=_RegistryInput, __module__=__name__, **_create_fields
)

# A PATCH cannot erase what every record must hold.
_NOT_NULL = tuple(f.name for f in CHANGEABLE if f.required or not f.nullable)
_LISTS = frozenset(f.name for f in CHANGEABLE if f.is_list)


_update_fields: dict[str, Any] = {
    field.name: _request_field(field, patch=True) for field in CHANGEABLE
}
_ActivityUpdateFields = create_model(
    "ActivityUpdateFields", __base__=_RegistryInput, __module__=__name__, **_update_fields
)


class ActivityUpdate(_ActivityUpdateFields):
    """PATCH body: only the fields sent change; `version` must match the stored one."""

    version: Version

    @field_validator(*_NOT_NULL, mode="after")
    @classmethod
    def _not_null(cls, value, info):
        """Leave a field out to keep it; null would erase something the record needs."""
        if value is None:
            hint = " (send [] to empty the list)" if info.field_name in _LISTS else ""
            raise ValueError(f"{info.field_name} cannot be null{hint}")
        return value


def _read_type(field: FieldDef) -> Any:
    """What a response holds for one of a type's own fields (null when not recorded)."""
    value_type: Any  # a type made at run time, for pydantic to read
    match field.widget:
        case Widget.TEXT | Widget.TEXTAREA | Widget.CODE | Widget.DATE:
            # a type's own dates are stored as days: the response gives the ISO date
            value_type = str
        case Widget.CODES:
            value_type = list[str]
        case Widget.NUMBER:
            value_type = int
        case Widget.BOOL:
            value_type = bool
        case Widget.SELECT:
            value_type = field.vocab
        case Widget.MULTI:
            value_type = _list_of(field.vocab)
    return value_type | None


class _ActivityReadCommon(OutputModel):
    """What every activity record holds, in the order responses give it."""

    id: int
    external_id: str | None
    mission: str
    other_missions: list[str]
    is_joint: bool
    type: ActivityType
    title: str
    start: PartialDateField
    end: PartialDateField | None
    locations: list[str]
    partners: list[str]
    project: str | None
    dimension: Dimension
    response_area: ResponseArea
    themes: list[Theme]
    summary: str
    source: str
    status: Status
    review_comment: str | None
    provenance: Provenance
    created_at: UtcDateTime
    updated_at: UtcDateTime
    version: int


_read_fields: dict[str, Any] = {name: (_read_type(FIELDS[name]), None) for name in ALL_TYPE_FIELDS}
ActivityRead = create_model(
    "ActivityRead", __base__=_ActivityReadCommon, __module__=__name__, **_read_fields
)


class ActivityPage(OutputModel):
    items: list[ActivityRead]
    total: int = Field(
        description="How many activities match the filters. Exact when `total_is_lower_bound` "
        "is false. Filters the kept aggregates answer (mission, type, response area, theme, "
        "status, a period of whole months or years) always count exactly; others (words, "
        "a location, provenance, joint only, a period in days) count at most 10,001 matches "
        "among at most 20,000 records read."
    )
    total_is_lower_bound: bool = Field(
        default=False,
        description="True when the count stopped: at least `total` activities match, "
        "perhaps more (`total` is 10000 when more than 10,000 match).",
    )
    limit: int
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


__all__ = ["ActivityCreate", "ActivityPage", "ActivityRead", "ActivityUpdate", "PartialDate"]
