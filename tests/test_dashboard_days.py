"""Dashboards, comparison and reports for a period in days, on both databases.

A period that is not made of whole months is answered from the aggregates plus raw rows
for its partial months; on PostgreSQL the raw trainings-by-group query once failed with a
GroupingError (a 500 on every such request). Demo data puts trainings in those months."""

from __future__ import annotations

import pytest

from app.demo import generate

DAYS = {"from": "2015-06-15", "to": "2016-03-10"}


@pytest.fixture
def with_trainings(engine):
    generate(engine, count=400, seed=3)


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("hom.mkd", "/missions/MKD"),
        ("hom.mkd", "/api/v1/missions/MKD/dashboard"),
        ("hom.mkd", "/api/v1/missions/MKD/summary"),
        ("fp.mkd", "/missions/MKD"),
        ("cpc", "/missions/SRB"),
        ("cpc", "/compare"),
        ("cpc", "/api/v1/compare"),
        ("hom.mkd", "/missions/MKD/report"),
        ("cpc", "/report"),
    ],
)
def test_a_period_in_days_answers(with_trainings, client_as, who, path):
    response = client_as(who).get(path, params=DAYS)
    assert response.status_code == 200, response.text[:500]
