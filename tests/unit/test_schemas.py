"""The shape rules of a request body, checked by the schema alone: no database, no app.

Rules that need the database (does this mission exist?) or several fields at once
(is the end after the start?) are in service.validate and tested through the API.
"""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from app.activities.query import ActivityQuery
from app.activities.schemas import ActivityCreate, ActivityUpdate
from app.activities.service import decode_cursor, encode_cursor
from app.forms import field_errors
from app.schemas_common import INT32_MAX
from tests.support import DROP, TYPE_EXAMPLES, activity_body


def refusal(model, body: dict) -> list[dict]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    return caught.value.errors()


@pytest.mark.parametrize("activity_type", sorted(TYPE_EXAMPLES))
def test_the_builders_body_of_each_type_is_valid(activity_type):
    created = ActivityCreate.model_validate(activity_body(activity_type))
    assert created.type == activity_type
    assert created.start.iso() == "2016-03-15"


@pytest.mark.parametrize(
    ("case", "overrides", "loc", "words"),
    [
        ("title-missing", {"title": DROP}, ("title",), "required"),
        ("title-empty", {"title": ""}, ("title",), "at least 1"),
        ("title-301", {"title": "x" * 301}, ("title",), "at most 300"),
        ("title-nul", {"title": "a\x00b"}, ("title",), "NUL"),
        ("summary-10001", {"summary": "x" * 10_001}, ("summary",), "at most 10000"),
        ("mission-empty", {"mission": ""}, ("mission",), "at least 1"),
        ("type-unknown", {"type": "picnic"}, ("type",), "monitoring_visit"),
        ("area-unknown", {"response_area": "cooking"}, ("response_area",), "monitoring"),
        ("dimension-unknown", {"dimension": "fourth"}, ("dimension",), "human"),
        ("theme-unknown", {"themes": ["asylum", "cooking"]}, ("themes", 1), "asylum"),
        ("start-month-13", {"start": "2015-13"}, ("start",), "month"),
        ("start-number", {"start": 2015}, ("start",), "string"),
        ("end-30-feb", {"end": "2016-02-30"}, ("end",), "no such day"),
        ("count-negative", {"attendees": -1}, ("attendees",), "greater than or equal to 0"),
        ("count-int32", {"attendees": INT32_MAX + 1}, ("attendees",), str(INT32_MAX)),
        ("count-text", {"attendees": "many"}, ("attendees",), "integer"),
        ("finding-unknown", {"findings": ["ufo"]}, ("findings", 0), "overcrowding"),
        ("too-many-missions", {"other_missions": ["SRB"] * 21}, ("other_missions",), "20"),
        ("unknown-field", {"status": "approved"}, ("status",), "not permitted"),
    ],
    ids=lambda value: value if isinstance(value, str) and "-" in value else None,
)
def test_a_bad_body_is_refused_at_the_field_with_a_reason(case, overrides, loc, words):
    errors = refusal(ActivityCreate, activity_body("meeting", **overrides))
    at_loc = [e for e in errors if e["loc"] == loc]
    assert at_loc, f"{case}: no error at {loc}: {errors}"
    assert words in at_loc[0]["msg"], f"{case}: {at_loc[0]['msg']}"


def test_counts_as_digits_are_refused_the_form_and_importer_convert_them_first():
    """A count is a JSON integer: "40" is text, not 40 (the form and the importer turn typed
    text into numbers before validating)."""
    [error] = refusal(ActivityCreate, activity_body("event", attendees="40"))
    assert (error["loc"], error["type"]) == (("attendees",), "int_type")
    assert ActivityCreate.model_validate(activity_body("event", attendees=40)).attendees == 40


@pytest.mark.parametrize(
    ("field", "hint"),
    [("title", ""), ("start", ""), ("themes", "send [] to empty the list")],
)
def test_a_change_may_not_erase_a_needed_field_with_null(field, hint):
    errors = refusal(ActivityUpdate, {"version": 3, field: None})
    [error] = [e for e in errors if e["loc"] == (field,)]
    assert f"{field} cannot be null" in error["msg"] and hint in error["msg"]


def test_a_change_needs_a_version_of_at_least_one():
    assert refusal(ActivityUpdate, {"title": "x"})[0]["loc"] == ("version",)
    assert refusal(ActivityUpdate, {"version": 0})[0]["loc"] == ("version",)
    assert ActivityUpdate.model_validate({"version": 1}).model_fields_set == {"version"}


def test_form_errors_put_the_first_message_next_to_each_field():
    bad = activity_body(title="", themes=["cooking", "nonsense"], start="yesterday")
    with pytest.raises(ValidationError) as caught:
        ActivityCreate.model_validate(bad)
    errors = field_errors(caught.value)
    assert set(errors) == {"title", "themes", "start"}
    assert "at least 1" in errors["title"]
    assert not errors["start"].startswith("Value error")  # pydantic's prefix is dropped


def test_a_cursor_is_read_back_only_for_its_own_sort():
    cursor = encode_cursor("start", date(2016, 3, 1), 42)
    assert decode_cursor(cursor, "start") == (date(2016, 3, 1), 42)
    assert ActivityQuery.model_validate({"sort": "start", "cursor": cursor}).cursor == cursor
    for wrong in ("title", "-start"):
        with pytest.raises(ValueError):
            decode_cursor(cursor, wrong)
        assert [e["loc"] for e in refusal(ActivityQuery, {"sort": wrong, "cursor": cursor})] == [
            ("cursor",)
        ]


@pytest.mark.parametrize("cursor", ["", "not base64 at all!", "e30", "bnVsbA", "W10"])
def test_a_damaged_cursor_is_refused_not_crashed_on(cursor):
    with pytest.raises(ValueError, match="start again from the first page"):
        decode_cursor(cursor, "start")
    if cursor:  # a blank query parameter means "not given"
        errors = refusal(ActivityQuery, {"sort": "start", "cursor": cursor})
        assert [e["loc"] for e in errors] == [("cursor",)]
