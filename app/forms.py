"""Turning validation errors into messages next to each form field."""

from __future__ import annotations

from pydantic import ValidationError

from app.errors import ValidationFailed


def field_errors(exc: ValidationFailed | ValidationError) -> dict[str, str]:
    """{field name: message} for a form: the first message per field, in plain words.

    Locations like ("body", "locations", 2) are reported on the field ("locations").
    """
    if isinstance(exc, ValidationError):
        items = [
            (err["loc"], str(err["msg"]).removeprefix("Value error, ")) for err in exc.errors()
        ]
    else:
        items = [(e.loc, e.msg) for e in exc.errors]
    errors: dict[str, str] = {}
    for loc, msg in items:
        names = [str(part) for part in loc if isinstance(part, str) and part not in ("body",)]
        key = names[0] if names else "__all__"
        errors.setdefault(key, msg)
    return errors
