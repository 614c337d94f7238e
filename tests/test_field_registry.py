"""The field registry (app/activities/fields.py) is the one home of each activity field's
facts: these tests fail when a consumer (schemas, form, spreadsheet columns, database)
grows or loses a field the registry does not know, or disagrees with it."""

from __future__ import annotations

import html
import io
import json
import re
import types
import typing

import pytest
from openpyxl import load_workbook
from pydantic import ValidationError

from app.activities import fields as registry
from app.activities import models, service
from app.activities.fields import FIELDS, Widget
from app.activities.models import Activity
from app.activities.schemas import ActivityCreate, ActivityRead, ActivityUpdate
from app.errors import ValidationFailed
from app.exchange import columns as cols
from app.vocab import ActivityType

# Columns of `activities` that are bookkeeping, not what anyone records.
BOOKKEEPING = {"id", "created_by_id", "created_at", "updated_at", "version", "is_joint"}
# Stored columns that hold one registry field in another shape.
STORED_AS = {
    "mission_id": "mission",
    "project_id": "project",
    "start_date": "start",
    "start_precision": "start",
    "end_date": "end",
    "end_precision": "end",
}
# Fields kept in tables of their own.
LINKED = {"other_missions", "locations", "partners", "themes", "target_groups"}

BASE = {
    "mission": "MKD",
    "title": "Registry check",
    "start": "2016-03",
    "dimension": "human",
    "response_area": "monitoring",
}


def sample(field: registry.FieldDef):
    """A value the field's own type accepts."""
    return {
        Widget.TEXT: "x",
        Widget.TEXTAREA: "x",
        Widget.NUMBER: 1,
        Widget.BOOL: True,
        Widget.SELECT: field.vocab.values()[0] if field.vocab else None,
        Widget.MULTI: field.vocab.values()[:1] if field.vocab else None,
        Widget.DATE: "2016",
        Widget.CODE: "X",
        Widget.CODES: ["X"],
    }[field.widget]


def allows_none(annotation) -> bool:
    return type(None) in typing.get_args(annotation) or annotation is type(None)


def without_none(annotation):
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        rest = [a for a in typing.get_args(annotation) if a is not type(None)]
        return rest[0] if len(rest) == 1 else annotation
    return annotation


# --- the registry covers the data ------------------------------------------------------------


def test_every_stored_column_of_user_data_is_a_registry_field():
    columns = {c.key for c in Activity.__table__.columns} - BOOKKEEPING
    as_fields = {STORED_AS.get(name, name) for name in columns} | LINKED
    stored = {f.name for f in FIELDS.values() if f.name != "country"}
    assert as_fields == stored


def test_every_create_field_is_a_registry_field_and_back():
    entered = [f.name for f in FIELDS.values() if f.entered]
    assert list(ActivityCreate.model_fields) == entered
    assert set(ActivityUpdate.model_fields) == {f.name for f in registry.CHANGEABLE} | {"version"}
    assert set(FIELDS) - set(ActivityRead.model_fields) == {"country"}


def test_each_type_field_belongs_to_exactly_one_type_and_common_fields_to_none():
    for activity_type, names in registry.TYPE_FIELDS.items():
        assert names, f"{activity_type} has no fields of its own"
        assert all(FIELDS[name].owner == activity_type for name in names)
    assert sorted(registry.ALL_TYPE_FIELDS) == sorted(
        name for names in registry.TYPE_FIELDS.values() for name in names
    )
    assert set(registry.COMMON_FIELDS).isdisjoint(registry.ALL_TYPE_FIELDS)


def test_every_field_is_described_consistently():
    for field in FIELDS.values():
        assert field.label and field.widget in Widget
        assert (field.vocab is not None) == (field.widget in (Widget.SELECT, Widget.MULTI))
        assert (field.max_items is not None) == (field.widget in registry.LIST_WIDGETS)
        if field.widget in (Widget.TEXT, Widget.TEXTAREA) and field.entered:
            assert field.max_length, f"{field.name} needs a length limit"
        if field.widget == Widget.MULTI:
            assert field.max_items == len(field.vocab)


# --- the schemas follow the registry ---------------------------------------------------------


def test_create_limits_are_the_registrys():
    properties = ActivityCreate.model_json_schema()["properties"]
    for field in registry.ENTERED:
        schema = properties[field.name]
        shapes = schema.get("anyOf", [schema])
        shape = next(s for s in shapes if s.get("type") != "null")
        assert (len(shapes) > 1) == (field.blank is None and not field.required), field.name
        if field.max_length is not None:
            assert shape["maxLength"] == field.max_length, field.name
            too_long = {**BASE, "type": "event", field.name: "x" * (field.max_length + 1)}
            with pytest.raises(ValidationError, match=field.name):
                ActivityCreate.model_validate(too_long)
        if field.max_items is not None:
            assert shape["maxItems"] == field.max_items, field.name
        if field.widget == Widget.NUMBER:
            assert shape["minimum"] == 0, field.name


def test_required_fields_are_the_registrys():
    required = set(ActivityCreate.model_json_schema()["required"])
    assert required == {f.name for f in registry.ENTERED if f.required}


def test_a_patch_cannot_null_what_every_record_holds():
    for field in registry.CHANGEABLE:
        holds_always = bool(field.required) or not field.nullable
        try:
            ActivityUpdate.model_validate({"version": 1, field.name: None})
        except ValidationError as exc:
            assert holds_always, f"{field.name} should take null"
            assert f"{field.name} cannot be null" in str(exc)
        else:
            assert not holds_always, f"{field.name} should refuse null"


def test_the_read_model_agrees_with_the_registry():
    for name, info in ActivityRead.model_fields.items():
        field = FIELDS.get(name)
        if field is None:
            assert name in BOOKKEEPING
            continue
        annotation = info.annotation
        if field.owner is not None:
            assert allows_none(annotation) and not info.is_required(), name
        else:
            assert allows_none(annotation) == (field.nullable and not field.required), name
        inner = without_none(annotation)
        if field.widget == Widget.SELECT:
            assert inner is field.vocab, name
        elif field.widget == Widget.MULTI:
            assert typing.get_args(inner) == (field.vocab,), name
        elif field.widget in registry.LIST_WIDGETS:
            assert typing.get_origin(inner) is list, name


def test_each_type_accepts_exactly_its_registry_fields(session):
    """The service's per-type rule (and the database's CHECKs, built from the same
    table) accept a type's own fields and refuse every other type's."""
    for activity_type in ActivityType:
        for name in registry.ALL_TYPE_FIELDS:
            field = FIELDS[name]
            body = {**BASE, "type": activity_type.value, name: sample(field)}
            values = service.fields_of(ActivityCreate.model_validate(body))
            try:
                service.validate(session, values)
                refused = []
            except ValidationFailed as exc:
                refused = [e.msg for e in exc.errors if e.loc[-1] == name]
            belongs_elsewhere = any("belongs to" in msg for msg in refused)
            assert belongs_elsewhere == (field.owner != activity_type), (activity_type, name)


def test_the_database_checks_and_counts_come_from_the_registry():
    checks = {str(c.name) for c in Activity.__table__.constraints if "_only_on_" in str(c.name)}
    assert checks == {
        f"ck_activities_{name}_only_on_{FIELDS[name].owner.value}"
        for name in registry.ALL_TYPE_FIELDS
        if name not in models.STORED_APART
    }
    numbers = {f.name for f in FIELDS.values() if f.widget == Widget.NUMBER}
    assert set(models.COUNT_FIELDS) == numbers
    for field in FIELDS.values():
        column = Activity.__table__.columns.get(field.name)
        length = getattr(getattr(column, "type", None), "length", None)
        if field.max_length is not None and length is not None:
            assert length >= field.max_length, field.name


# --- the spreadsheet columns follow the registry ---------------------------------------------


def test_columns_are_the_registrys_exported_fields_in_its_order():
    exported = [f for f in FIELDS.values() if f.exported]
    assert [f.name for f in exported] == cols.NAMES
    assert [f.name for f in registry.ENTERED] == cols.IMPORT_NAMES
    assert [c.name for c in cols.COLUMNS if c.export_only] == ["status", "country"]
    for column, field in zip(cols.COLUMNS, exported, strict=True):
        assert (column.hxl, column.widget, column.vocab, column.width) == (
            field.hxl,
            field.widget,
            field.vocab,
            field.width,
        )
        assert column.help
    assert len({c.hxl for c in cols.COLUMNS}) == len(cols.COLUMNS)
    assert all(re.fullmatch(r"#[a-z_]+(\+[a-z_]+)*", c.hxl) for c in cols.COLUMNS)
    # the lead mission may be left blank (it is the importing mission's): not a required column
    assert cols.REQUIRED == ["type", "title", "start", "dimension", "response_area"]


def test_templates_and_exports_carry_every_registry_column(client_as):
    client = client_as("cpc")
    template = client.get("/api/v1/imports/template.csv").text
    assert template.strip().split(",") == [f.name for f in registry.ENTERED]
    workbook = load_workbook(
        io.BytesIO(client.get("/api/v1/imports/template.xlsx").content), read_only=True
    )
    guide = [row[0] for row in workbook["Instructions"].iter_rows(values_only=True)]
    assert all(f.name in guide for f in registry.ENTERED)
    exported = json.loads(
        client.get("/api/v1/exports/activities.json", params={"mission": "MKD"}).text
    )
    assert exported and all(set(row) == set(cols.NAMES) for row in exported)


# --- the form follows the registry -----------------------------------------------------------


def test_the_form_asks_for_every_changeable_field_as_the_registry_says(client_as):
    page = html.unescape(client_as("fp.mkd").get("/activities/new").text)
    for field in registry.CHANGEABLE:
        assert f'id="f-{field.name}"' in page, field.name
        assert field.label in page, field.name
        if field.hint:
            assert field.hint in page, field.name
        if field.max_length and field.widget in (Widget.TEXT, Widget.TEXTAREA):
            control = re.search(rf'<(input|textarea) id="f-{field.name}"[^>]*>', page)
            assert f'maxlength="{field.max_length}"' in control.group(0), field.name
        if field.required:
            # a control's label, or the legend of a group (the type's tiles, a date's inputs)
            label = re.search(rf'<label for="f-{field.name}">.*?</label>', page, re.S) or re.search(
                rf'<fieldset id="f-{field.name}"[^>]*>\s*<legend>.*?</legend>', page, re.S
            )
            assert label, field.name
            assert 'class="req"' in label.group(0), field.name
