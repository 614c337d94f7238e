"""A refused import answers with the status its kind of refusal carries, in the API and on
the page alike; the words of the message play no part in it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.exchange import importer
from app.exchange.api import result_json
from app.exchange.reading import MAX_BYTES, FileRefused, FileTooLarge
from app.missions.service import get_by_code

API = "/api/v1/imports"
PAGE = "/imports"
TOO_LARGE = b"a" * (MAX_BYTES + 1)
UNREADABLE = b"PK\x03\x04 not really a workbook"


def _upload(client, path: str, data: bytes, name: str):
    return client.post(path, files={"file": (name, data, "text/csv")})


@pytest.mark.parametrize("path", [API, PAGE])
def test_a_file_over_the_size_limit_is_413(client_as, path):
    response = _upload(client_as("fp.mkd"), path, TOO_LARGE, "big.csv")
    assert response.status_code == 413, response.text[:500]
    assert f"{MAX_BYTES // 1_048_576} MB are accepted" in response.text


def test_an_unreadable_file_is_422(client_as):
    response = _upload(client_as("fp.mkd"), API, UNREADABLE, "broken.xlsx")
    assert response.status_code == 422, response.text[:500]
    assert "file_refused" in response.text


def test_an_unreadable_file_is_refused_on_its_job_page(client_as):
    """The page's upload runs as a job (app/exchange/runner.py): reading the file is part
    of it, and its page says why nothing was imported."""
    client = client_as("fp.mkd")
    response = _upload(client, PAGE, UNREADABLE, "broken.xlsx")
    client.app.state.jobs.wait(timeout=60)
    page = client.get(response.url)
    assert "/jobs/" in str(response.url) and page.status_code == 200
    assert "was not imported" in page.text


def test_the_page_without_a_file_is_422(client_as):
    response = client_as("fp.mkd").post(PAGE, data={})
    assert response.status_code == 422
    assert "Choose a CSV or XLSX file" in response.text


def test_importing_into_another_mission_is_403(session):
    """The routes always import into the user's own mission; the importer refuses any
    other itself, and that refusal is a 403 wherever it is shown."""
    srb = get_by_code(session, "SRB")
    focal_point = session.scalar(select(User).where(User.email.like("fp.mkd@%")))
    result = importer.import_file(session, b"title\n", mission=srb, actor=focal_point)
    assert isinstance(result.refusal, importer.NotYourMission)
    assert "own mission (MKD)" in result.refused
    assert result.status_code == 403
    assert result_json(result).status_code == 403


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        # the wording of a size refusal on a refusal that is not one: still 422
        (FileRefused("The file is 30.0 MB; files up to 20 MB are accepted."), 422),
        (FileTooLarge("Too big."), 413),
        (importer.NotYourMission("Not here."), 403),
    ],
)
def test_the_status_follows_the_kind_of_refusal_not_its_words(refusal, status):
    result = importer.ImportResult(refusal=refusal)
    assert result.status_code == status
    response = result_json(result)
    assert response.status_code == status
    assert str(refusal).encode() in response.body
