"""Every page reads its form and reports its errors through app/forms.py."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ValidationError

from app.errors import FieldError, ValidationFailed
from app.forms import field_errors

APP = Path(__file__).resolve().parent.parent / "app"


def test_only_app_forms_reads_a_posted_form():
    readers = [
        path.relative_to(APP).as_posix()
        for path in APP.rglob("*.py")
        if ".form()" in path.read_text(encoding="utf-8")
    ]
    assert readers == ["forms.py"]


class _Shape(BaseModel):
    title: str
    size: int


def test_field_errors_gives_one_message_per_field_raw_or_as_sentences():
    try:
        _Shape.model_validate({"size": "many"})
    except ValidationError as exc:
        raw = field_errors(exc)
        sentences = field_errors(exc, as_sentences=True)
    assert raw == {
        "title": "Field required",
        "size": "Input should be a valid integer, unable to parse string as an integer",
    }
    assert sentences["title"] == "This is required."
    found = ValidationFailed(
        [
            FieldError(("body", "locations", 2), "no location 'atlantis'"),
            FieldError(("body", "locations", 3), "no location 'lemuria'"),
            FieldError((), "the record changed meanwhile"),
        ]
    )
    assert field_errors(found) == {
        "locations": "no location 'atlantis'",
        "__all__": "the record changed meanwhile",
    }
    assert field_errors(found, as_sentences=True)["locations"] == "No location 'atlantis'"
