"""HTML forms: reading what was posted, and turning validation errors into the messages
shown next to each field. Every page's form goes through these two, so a form reads and
reports its errors the same way everywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from pydantic import ValidationError
from starlette.datastructures import FormData

from app.errors import ValidationFailed


async def read_form(request: Request) -> FormData:
    """The posted form, read once per request (the endpoints run in the thread pool, where
    the body cannot be awaited)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]


def form_text(form: FormData, name: str) -> str:
    """One text field of a posted form; "" when missing or a file (a hand-made post)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _text_fields(form: FormDep) -> dict[str, str]:
    """The posted form's text fields, the CSRF token aside (files are not text)."""
    return {k: v for k, v in form.multi_items() if isinstance(v, str) and k != "csrftoken"}


TextFieldsDep = Annotated[dict[str, str], Depends(_text_fields)]


def field_errors(
    exc: ValidationFailed | ValidationError, *, as_sentences: bool = False
) -> dict[str, str]:
    """{field name: message} for a form: the first message per field, in plain words.

    Locations like ("body", "locations", 2) are reported on the field ("locations").
    `as_sentences` starts each message with a capital letter and says "This is required."
    for a missing field, for forms whose messages stand on their own under the field.
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
        if as_sentences:
            msg = "This is required." if msg == "Field required" else msg[:1].upper() + msg[1:]
        errors.setdefault(key, msg)
    return errors
