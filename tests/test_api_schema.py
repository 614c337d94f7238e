"""The OpenAPI description is exact: schemathesis sends what it allows (and what it does
not) to every operation, as each role, and checks every answer against it.

Every default check runs: no 500s; every status, content type, header and body is
documented; schema-valid requests are accepted and schema-invalid ones refused; requests
without a token or with a wrong one are refused; a deleted record stays gone. Where the
schema allows a request that a rule it cannot express rightly refuses with 422 (listed in
TUNED, with the rule), that one check accepts a 422 for that operation; the 422 itself is
still documented and checked.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from app.config import Settings
from app.db import make_engine
from app.exchange.api import XLSX
from app.main import create_app
from tests.conftest import Backend, migrate, seed_database

ROLES = ("fp.mkd", "hom.mkd", "cpc", "admin")

# Operations whose schema-valid requests may be refused by a rule the schema cannot express,
# and which rule. For these, `positive_data_acceptance` also expects a 422.
PERIOD = "the end of the period before its start; a day that does not exist (2015-02-30)"
CODES = "a mission, location, partner or project code that does not exist"
TUNED = {
    ("GET", "/api/v1/activities"): f"{CODES}; {PERIOD}; a cursor from another list",
    ("GET", "/api/v1/exports/activities.csv"): f"{CODES}; {PERIOD}",
    ("GET", "/api/v1/exports/activities.xlsx"): f"{CODES}; {PERIOD}",
    ("GET", "/api/v1/exports/activities.json"): f"{CODES}; {PERIOD}",
    ("GET", "/api/v1/missions/{code}/summary"): PERIOD,
    ("GET", "/api/v1/missions/{code}/dashboard"): PERIOD,
    ("GET", "/api/v1/compare"): PERIOD,
    ("POST", "/api/v1/activities"): f"{CODES}; the end before the start; more women than "
    "participants; a type's own fields on another type",
    ("PATCH", "/api/v1/activities/{activity_id}"): f"{CODES}; the end before the start; more "
    "women than participants; a type's own fields on another type",
    ("POST", "/api/v1/activities/{activity_id}/return"): "returning needs a comment",
    ("POST", "/api/v1/developments"): "a day that does not exist (2015-02-30); a text of "
    "spaces only (the surrounding spaces are dropped before its length is checked)",
    ("POST", "/api/v1/imports"): "what the file holds: its columns and every cell",
}
# What `positive_data_acceptance` takes as accepted: its defaults without 5xx (a server
# error is never right), and 400: a NUL character anywhere in the address is refused before
# routing (the JSON Schema of a string cannot leave one character out).
ACCEPTED = ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "generation": {
                "max-examples": 10,
                "deterministic": True,
                # Each request carries the role's token (below); the `ignored_auth` check
                # still sends each one without it and with a wrong one, and expects 401.
                "with-security-parameters": False,
                # Unknown query parameters are ignored by design (a page's links carry
                # their own, e.g. `page`), which an OpenAPI parameter list cannot say.
                "allow-extra-parameters": False,
            },
            "suppress-health-check": ["all"],
            "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
            "operations": [
                {
                    "include-name": f"{method} {path}",
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}
                    },
                }
                for method, path in TUNED
            ],
        }
    )


class _AppUnderTest:
    """The ASGI app the schema's calls go to: the running test's own (own database)."""

    target = None

    async def __call__(self, scope, receive, send):
        await self.target(scope, receive, send)


APP = _AppUnderTest()
schema = schemathesis.openapi.from_dict(
    create_app(Settings(database_url="sqlite://")).openapi(), config=_config()
)
schema.app = APP


@pytest.fixture(scope="module")
def seeded_sqlite(tmp_path_factory):
    """A migrated, seeded SQLite database to copy per test, and its API token per role.
    SQLite only: the description is the same on PostgreSQL, and SQLite keeps the
    schemathesis runs under three minutes."""
    backend = Backend("sqlite", tmp_path_factory.mktemp("api-schema"))
    url = backend.new_url()
    migrate(url)
    tokens = seed_database(url)
    yield backend, url, tokens
    backend.close()


@pytest.fixture
def app_under_test(seeded_sqlite):
    """The app on its own copy of the seeded database."""
    backend, template, _ = seeded_sqlite
    url = backend.copy(template)
    engine = make_engine(url)
    APP.target = create_app(Settings(database_url=url), engine)
    yield APP.target
    APP.target = None
    engine.dispose()
    backend.drop(url)


@pytest.fixture
def role_tokens(seeded_sqlite) -> dict[str, str]:
    return seeded_sqlite[2]


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
def test_every_answer_matches_the_openapi_description(case, role, app_under_test, role_tokens):
    # A minute, not the client's default 10 s: on a loaded 2-core CI machine a whole
    # export (streamed, with its workbook built) has taken longer; the answer is checked
    # all the same.
    case.call_and_validate(headers={"Authorization": f"Bearer {role_tokens[role]}"}, timeout=60)


class _AsRole(schema.as_state_machine()):
    """Sequences of calls, each answer's ids feeding the next call (links inferred from the
    schemas: a list's or a record's `id` is an `activity_id`), so that `use_after_free` and
    `ensure_resource_availability` see the records a sequence reads, changes or deletes."""

    token = ""

    def get_call_kwargs(self, case):
        # a minute per answer, as in the test above (the client's default is 10 s)
        return {"headers": {"Authorization": f"Bearer {self.token}"}, "timeout": 60}


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
def test_sequences_of_calls_keep_to_the_description(role, app_under_test, role_tokens):
    workflow = type("Workflow", (_AsRole,), {"token": role_tokens[role]})
    workflow.run(
        settings=hypothesis.settings(
            max_examples=10,
            stateful_step_count=12,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )


# --- the findings one by one, each in a few requests ------------------------------------------


def test_a_405_names_every_method_the_address_answers(client):
    for method in ("PUT", "OPTIONS", "POST"):
        response = client.request(method, "/api/v1/activities/1")
        assert response.status_code == 405, method
        assert response.headers["allow"] == "GET, PATCH, DELETE", method
        assert (
            response.json()["detail"][0]["msg"] == "This address answers GET, PATCH, DELETE only."
        )
    assert client.delete("/api/v1/activities").headers["allow"] == "GET, POST"


def test_moments_are_given_in_utc_with_their_offset(client):
    activity = client.get("/api/v1/activities", params={"limit": 1}).json()["items"][0]
    history = client.get(f"/api/v1/activities/{activity['id']}/history").json()
    for moment in (activity["created_at"], activity["updated_at"], *(e["at"] for e in history)):
        assert moment.endswith("Z"), moment


def test_the_description_gives_each_status_its_body_and_each_file_its_content_type():
    described = create_app(Settings(database_url="sqlite://")).openapi()
    paths = described["paths"]
    error_body = {"$ref": "#/components/schemas/ErrorBody"}

    def answer(path, method, status):
        return paths[path][method]["responses"][str(status)]

    assert set(paths["/api/v1/activities/{activity_id}"]["patch"]["responses"]) == {
        "200", "400", "401", "403", "404", "409", "413", "422"
    }  # fmt: skip
    for status in (400, 401, 403, 404, 409, 413, 422):
        body = answer("/api/v1/activities/{activity_id}", "patch", status)["content"]
        assert body["application/json"]["schema"] == error_body, status
    assert "WWW-Authenticate" in answer("/api/v1/missions", "get", 401)["headers"]
    for path, media_type in [
        ("/api/v1/exports/activities.csv", "text/csv; charset=utf-8"),
        ("/api/v1/exports/activities.xlsx", XLSX),
        ("/api/v1/imports/template.csv", "text/csv; charset=utf-8"),
        ("/api/v1/imports/template.xlsx", XLSX),
    ]:
        assert list(answer(path, "get", 200)["content"]) == [media_type], path
    assert (
        described["components"]["schemas"]["ActivityRead"]["properties"]["created_at"]["format"]
        == "date-time"
    )
    assert all(
        operation.get("security") == [{"token": []}]
        for path, operations in paths.items()
        for operation in operations.values()
        if path != "/healthz"
    )
