"""Field types shared by every request and response schema."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from app.partial_dates import PartialDate

INT32_MAX = 2_147_483_647


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("text must not contain NUL characters")
    return text


def Text(max_length: int, *, min_length: int = 0):  # noqa: N802 (reads like a type)
    """A string of at most `max_length` characters, without NUL bytes."""
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(_no_nul)
    ]


Count = Annotated[int, Field(ge=0, le=INT32_MAX, strict=False)]
Code = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_no_nul)]


def _parse_partial(value):
    if isinstance(value, PartialDate):
        return value
    if not isinstance(value, str):
        raise ValueError("a date must be a string such as 2015, 2015-Q4, 2015-11 or 2015-11-19")
    return PartialDate.parse(value)


PartialDateField = Annotated[
    PartialDate,
    BeforeValidator(_parse_partial),
    PlainSerializer(lambda p: p.iso(), return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}(-Q[1-4]|-\d{2}(-\d{2})?)?$",
            "description": "A date with its precision: YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD.",
            "examples": ["2015-11"],
        }
    ),
]


class InputModel(BaseModel):
    """Request bodies: unknown fields are refused, so a client cannot set what it may not."""

    model_config = ConfigDict(extra="forbid")


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
