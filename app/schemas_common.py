"""Field types shared by every request and response schema."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from annotated_types import GroupedMetadata
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonDict
from pydantic_core import PydanticCustomError

from app.partial_dates import PartialDate

INT32_MAX = 2_147_483_647


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("text must not contain NUL characters")
    return text


# How the schema says "no NUL character" (the validator gives the message).
NO_NUL_SCHEMA: JsonDict = {"pattern": r"^[^\x00]*$"}


@dataclass(frozen=True)
class TextRules(GroupedMetadata):
    """The shared text rules: a length and no NUL bytes. Written `Annotated[str,
    TextRules(2_000)]`, so a type checker reads a plain `str`."""

    max_length: int
    min_length: int = 0

    def __iter__(self) -> Iterator[object]:
        yield Field(
            min_length=self.min_length, max_length=self.max_length, json_schema_extra=NO_NUL_SCHEMA
        )
        yield AfterValidator(_no_nul)


def Text(max_length: int, *, min_length: int = 0) -> Any:  # noqa: N802 (reads like a type)
    """A string of at most `max_length` characters, without NUL bytes, for types built at
    run time (the activity schemas from the field registry)."""
    return Annotated[str, TextRules(max_length, min_length=min_length)]


def _int_refusal(value: object) -> str:
    """Why a JSON value is not a whole number, in words that say what to send instead."""
    wanted = "give a whole number (an integer) such as 12"
    if isinstance(value, bool):
        return f"{wanted}, not true or false"
    if isinstance(value, str):
        return f'{wanted}, not text such as "12"'
    if isinstance(value, float):
        return f"{wanted}, without a fraction"
    return wanted


def _strictly(expected: str, refusal) -> WrapValidator:
    """Refuse a value of the wrong JSON type (pydantic's strict mode) with `refusal(value)`
    as the message; range errors keep their own wording."""

    def check(value, handler):
        try:
            return handler(value)
        except ValidationError as exc:
            if exc.errors()[0]["type"] != expected:
                raise
            raise PydanticCustomError(expected, "{text}", {"text": refusal(value)}) from None

    return WrapValidator(check)


# Integers and booleans in request bodies are JSON's own: `true`, `"5"`, `5.5` or `"yes"` are
# refused, never read as 1, 5 or true. (The form and the importer turn typed text into
# numbers and booleans themselves, before validating; query strings stay text to parse.)
StrictBool = Annotated[
    bool, Strict(), _strictly("bool_type", lambda _: "give true or false (JSON booleans)")
]
# 5.0 is the number 5 in JSON, as JSON Schema counts it: taken as 5 (5.5 is refused).
_WHOLE_FLOAT = BeforeValidator(lambda v: int(v) if isinstance(v, float) and v.is_integer() else v)
Count = Annotated[
    int, Strict(), Field(ge=0, le=INT32_MAX), _strictly("int_type", _int_refusal), _WHOLE_FLOAT
]
Version = Annotated[
    int,
    Strict(),
    Field(ge=1, le=INT32_MAX, description="The version you last read."),
    _strictly("int_type", _int_refusal),
    _WHOLE_FLOAT,
]
Code = Annotated[
    str,
    Field(min_length=1, max_length=80, json_schema_extra=NO_NUL_SCHEMA),
    AfterValidator(_no_nul),
]


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# A moment in a response: stored as naive UTC, given with its offset ("2026-11-30T01:00:00Z"),
# so a client never has to guess the time zone.
UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]


def _parse_partial(value):
    if isinstance(value, PartialDate):
        return value
    if not isinstance(value, str):
        raise ValueError("a date must be a string such as 2015, 2015-Q4, 2015-11 or 2015-11-19")
    return PartialDate.parse(value)


# The four forms, years 1990–2100 (PartialDate.parse); a day that does not exist, such as
# 2015-02-30, is refused with a message the pattern cannot give.
_DATE = (
    r"(199[0-9]|20[0-9]{2}|2100)"
    r"(-Q[1-4]|-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?"
)
_DATE_SCHEMA = {
    "type": "string",
    "description": "A date with its precision: YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD.",
    "examples": ["2015-11"],
}

PartialDateField = Annotated[
    PartialDate,
    BeforeValidator(_parse_partial),
    PlainSerializer(lambda p: p.iso(), return_type=str, when_used="json"),
    # given as written (surrounding spaces are ignored), answered in the canonical form
    WithJsonSchema({**_DATE_SCHEMA, "pattern": rf"^\s*{_DATE}\s*$"}, mode="validation"),
    WithJsonSchema({**_DATE_SCHEMA, "pattern": rf"^{_DATE}$"}, mode="serialization"),
]


class InputModel(BaseModel):
    """Request bodies: unknown fields are refused, so a client cannot set what it may not."""

    model_config = ConfigDict(extra="forbid")


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def refused_as(message: str, *, with_reason: bool = False) -> WrapValidator:
    """Say `message` instead of the library's wording when the value is refused (followed by
    that wording in brackets `with_reason`)."""

    def check(value, handler):
        try:
            return handler(value)
        except ValidationError as exc:
            text = message
            if with_reason:
                text += f" ({exc.errors()[0]['msg'].lower()})"
            raise PydanticCustomError("value_error", "{text}", {"text": text}) from None

    return WrapValidator(check)


def one_of(choices) -> WrapValidator:
    """Refuse a value outside the enum or Literal `choices` naming the values to choose from:
    `Annotated[Theme, one_of(Theme)]`."""
    values = getattr(choices, "__args__", None) or [member.value for member in choices]
    return refused_as(f"choose one of the listed values: {', '.join(values)}")


NoNul = AfterValidator(_no_nul)


_KEPT_OUTSIDE = ("title", "description", "default", "examples", "deprecated")


def _or_blank(schema: dict[str, Any]) -> None:
    """A query parameter's schema, widened to what QueryModel reads: its value, or a blank."""
    value = {key: schema.pop(key) for key in list(schema) if key not in _KEPT_OUTSIDE}
    schema["anyOf"] = [value, {"type": "string", "pattern": r"^\s*$"}]


class QueryModel(BaseModel):
    """Query-string parameters, read the same way by the pages and the JSON API.

    Values arrive as typed: surrounding spaces are ignored and a blank field means
    "not given" (a GET form sends every field, filled or not). Unknown parameters are
    ignored, so pages may carry their own (`page`, `done`) alongside."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Say so in each parameter's schema: a blank value is accepted, as not given."""
        super().__pydantic_init_subclass__(**kwargs)
        for info in cls.model_fields.values():
            if info.json_schema_extra is None:
                info.json_schema_extra = _or_blank
        cls.model_rebuild(force=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data):
        if not isinstance(data, dict):
            return data
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    continue
            cleaned[key] = value
        return cleaned


def _query_date(value):
    """Query strings are typed by hand: "2015-q4" means 2015-Q4."""
    if not isinstance(value, str):
        return value
    if len(value) > 10:
        raise ValueError("a date has at most 10 characters: YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD")
    return value.upper()


QueryDate = Annotated[
    PartialDateField,
    BeforeValidator(_query_date),
    # blank means "not given"; "2015-q4" means 2015-Q4
    WithJsonSchema(
        {**_DATE_SCHEMA, "pattern": rf"^\s*({_DATE.replace('Q', '[Qq]')})?\s*$"},
        mode="validation",
    ),
]


class PeriodQuery(QueryModel):
    """A period `from`–`to`: each end a partial date of any precision, both optional."""

    start: QueryDate | None = Field(
        default=None,
        alias="from",
        description="Start of the period: YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD.",
    )
    end: QueryDate | None = Field(
        default=None,
        alias="to",
        description="End of the period (inclusive): YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD.",
    )

    @field_validator("end")
    @classmethod
    def _end_not_before_start(cls, end: PartialDate | None, info: ValidationInfo):
        start = info.data.get("start")
        if end is not None and start is not None and end.end < start.start:
            raise ValueError("the end of the period is before its start")
        return end

    @property
    def first_day(self) -> date | None:
        return self.start.start if self.start else None

    @property
    def last_day(self) -> date | None:
        return self.end.end if self.end else None
