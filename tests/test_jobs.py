"""Long work as jobs (app/exchange/jobs.py, runner.py, job_pages.py): a large import, an
export and a report run after the request that starts them, their state and progress in
the database, seen by their owner only; an import still writes all its rows or none."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from app.activities.models import Activity
from app.db import session_factory
from app.exchange import importer, jobs, runner
from app.exchange.jobs import Job
from app.missions.service import get_by_code
from app.models_common import utcnow
from tests.support import demo_user
from tests.test_exchange_import import _csv, _rows


def _wait(client) -> None:
    client.app.state.jobs.wait(timeout=180)


def _upload(client, data: bytes, name: str = "rows.csv"):
    return client.post("/imports", files={"file": (name, data, "text/csv")}, follow_redirects=False)


def _job_id(response) -> int:
    assert response.status_code == 303, response.text[:500]
    location = response.headers["location"]
    assert location.startswith("/jobs/")
    return int(location.rsplit("/", 1)[1])


def _job(session, job_id: int) -> Job:
    session.rollback()  # a fresh read
    job = session.get(Job, job_id)
    assert job is not None
    session.refresh(job)
    return job


def _activities(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Activity))


def test_an_import_runs_as_a_job_and_records_its_progress(client_as, session):
    client = client_as("fp.mkd")
    before = _activities(session)
    job_id = _job_id(_upload(client, _csv(_rows(1200, prefix="job"))))
    _wait(client)
    job = _job(session, job_id)
    assert (job.kind, job.state, job.shown_state()) == ("import", "done", "done")
    assert job.owner_id == demo_user(session, "fp.mkd").id
    assert (job.rows_total, job.rows_read, job.rows_checked, job.rows_written) == (
        1200,
        1200,
        1200,
        1200,
    )
    assert job.result["created"] == 1200 and job.result["error_count"] == 0
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at
    assert _activities(session) == before + 1200
    page = client.get(f"/jobs/{job_id}")
    assert page.status_code == 200
    assert "1,200 new activities imported" in page.text
    assert 'value="2400" max="2400"' in page.text  # the bar at its end
    assert "hx-trigger" not in page.text  # finished: the page stops asking
    # the same file again: every row skipped, still counted as dealt with
    again = _job_id(_upload(client, _csv(_rows(1200, prefix="job"))))
    _wait(client)
    job = _job(session, again)
    assert job.state == "done" and job.result["skipped"] == 1200
    assert job.rows_written == 1200
    assert _activities(session) == before + 1200


def test_the_importer_reports_read_checked_and_written_as_it_goes(session):
    heard: list[dict] = []

    def progress(**counts):
        heard.append(counts)

    mission = get_by_code(session, "MKD")
    result = importer.import_file(
        session, _csv(_rows(2100, prefix="hooks")), mission=mission, progress=progress
    )
    session.rollback()
    assert result.ok and result.created == 2100
    checked = [h["checked"] for h in heard if "checked" in h]
    written = [h["written"] for h in heard if "written" in h]
    assert {k: heard[1][k] for k in ("read", "total")} == {"read": 2100, "total": 2100}
    assert checked == sorted(checked) and checked[-1] == 2100 and len(checked) >= 4
    assert written == sorted(written) and written[-1] == 2100 and len(written) >= 4


def test_progress_is_written_to_the_database_throttled(engine, session):
    owner = demo_user(session, "fp.mkd")
    job = jobs.create(session, kind="import", owner_id=owner.id, title="t", params={})
    session.commit()
    progress = jobs.Progress(engine, job.id, every=60)
    progress(read=10, total=10, message="Checking 10 rows.")  # a message is written at once
    progress(checked=5)  # within the minute: kept in memory
    assert (_job(session, job.id).rows_read, _job(session, job.id).rows_checked) == (10, 0)
    progress(checked=10, force=True)
    job = _job(session, job.id)
    assert (job.rows_total, job.rows_checked, job.message) == (10, 10, "Checking 10 rows.")


def test_progress_never_waits_for_the_sqlite_write_lock(engine, session, backend):
    """While a job's own transaction holds SQLite's write lock, a progress write is
    skipped at once (and made later), not left waiting for the busy timeout."""
    if backend.name != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    owner = demo_user(session, "fp.mkd")
    job = jobs.create(session, kind="import", owner_id=owner.id, title="t", params={})
    session.commit()
    holder = session_factory(engine, write=True)()
    holder.connection()  # BEGIN IMMEDIATE: the write lock, as an import's write holds it
    try:
        progress = jobs.Progress(engine, job.id)
        started = time.perf_counter()
        progress(checked=7, force=True)
        assert time.perf_counter() - started < 1.0
    finally:
        holder.rollback()
        holder.close()
    assert _job(session, job.id).rows_checked == 0
    progress.flush()
    assert _job(session, job.id).rows_checked == 7


def test_a_file_with_one_bad_cell_writes_nothing_and_lists_the_cell(client_as, session):
    client = client_as("fp.mkd")
    before = _activities(session)
    rows = _rows(3000, prefix="bad")
    rows[2500]["participants_total"] = "many"
    job_id = _job_id(_upload(client, _csv(rows), "bad.csv"))
    _wait(client)
    job = _job(session, job_id)
    assert job.state == "failed" and job.rows_written == 0
    assert job.result["error_count"] == 1
    assert job.result["errors"][0] == {
        "row": 2502,
        "column": "participants_total",
        "value": "many",
        "msg": "give a whole number",
    }
    assert _activities(session) == before
    page = client.get(f"/jobs/{job_id}")
    assert "Nothing was imported" in page.text
    assert "<code>participants_total</code>" in page.text and ">many<" in page.text
    errors = client.get(f"/jobs/{job_id}/download")
    assert errors.status_code == 200 and errors.headers["content-type"].startswith("text/csv")
    assert "2502,participants_total,many,give a whole number" in errors.text


def test_only_the_owner_sees_a_job(client_as, session):
    owner = client_as("fp.mkd")
    job_id = _job_id(_upload(owner, _csv(_rows(3, prefix="own")), "own.csv"))
    _wait(owner)
    for who in ("hom.mkd", "fp.srb", "cpc", "admin"):
        other = client_as(who)
        for path in (f"/jobs/{job_id}", f"/jobs/{job_id}/status", f"/jobs/{job_id}/download"):
            assert other.get(path).status_code == 404, (who, path)
        assert f"/jobs/{job_id}" not in other.get("/jobs").text
    assert f"/jobs/{job_id}" in owner.get("/jobs").text
    assert owner.get(f"/jobs/{job_id}/status").status_code == 200
    anonymous = client_as(None).get(f"/jobs/{job_id}", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_a_job_whose_process_stopped_is_shown_interrupted(client_as, session):
    owner = demo_user(session, "fp.mkd")
    job = jobs.create(
        session, kind="import", owner_id=owner.id, title="Import of lost.csv", params={}
    )
    session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(state="running", heartbeat_at=utcnow() - jobs.STALE_AFTER - timedelta(1))
    )
    session.commit()
    assert _job(session, job.id).shown_state() == "interrupted"
    page = client_as("fp.mkd").get(f"/jobs/{job.id}")
    assert "Interrupted" in page.text and "hx-trigger" not in page.text
    # a running job with a fresh heartbeat is still running, and its page keeps asking
    session.execute(update(Job).where(Job.id == job.id).values(heartbeat_at=utcnow()))
    session.commit()
    page = client_as("fp.mkd").get(f"/jobs/{job.id}")
    assert "Working" in page.text and "hx-trigger" in page.text


def test_a_job_that_breaks_off_is_failed_and_changes_nothing(app, engine, session):
    owner = demo_user(session, "fp.mkd")
    job = jobs.create(session, kind="import", owner_id=owner.id, title="t", params={})
    session.commit()
    before = _activities(session)

    def work(job_session, progress):
        job_session.execute(text("DELETE FROM activities"))
        raise RuntimeError("boom")

    app.state.jobs.submit(job.id, work)
    app.state.jobs.wait(timeout=60)
    job = _job(session, job.id)
    assert job.state == "failed" and "unexpected error" in job.message
    assert _activities(session) == before


def test_old_outputs_are_cleaned_up(session):
    owner = demo_user(session, "fp.mkd")
    job = jobs.create(session, kind="export", owner_id=owner.id, title="t", params={})
    jobs.finish(session, job.id, jobs.Outcome(True, "ok", output=b"x", output_name="a.csv"))
    old = jobs.create(session, kind="export", owner_id=owner.id, title="old", params={})
    session.execute(
        update(Job).where(Job.id == old.id).values(created_at=utcnow() - timedelta(days=40))
    )
    session.commit()
    jobs.clean_up(session, now=utcnow() + timedelta(hours=25))
    session.commit()
    kept = _job(session, job.id)
    assert kept.output_name is None and jobs.output_of(session, kept) is None
    assert session.get(Job, old.id) is None


def test_an_export_runs_as_a_job_with_the_file_at_the_end(client_as, session):
    client = client_as("hom.mkd")
    # labels, as the export page gives (the API gives codes unless asked)
    expected = client.get(
        "/api/v1/exports/activities.csv", params={"mission": "MKD", "labels": "true"}
    ).text
    response = client.post(
        "/jobs/export", data={"mission": "MKD", "format": "csv"}, follow_redirects=False
    )
    job_id = _job_id(response)
    _wait(client)
    job = _job(session, job_id)
    rows = expected.count("\n") - 1
    assert job.state == "done" and job.result == {"rows": rows, "format": "csv"}
    assert job.rows_written == rows and job.rows_total == rows
    page = client.get(f"/jobs/{job_id}")
    assert f"/jobs/{job_id}/download" in page.text
    download = client.get(f"/jobs/{job_id}/download")
    assert download.text == expected
    assert 'filename="fieldlog-activities.csv"' in download.headers["content-disposition"]


def test_an_xlsx_export_job(client_as, session):
    from openpyxl import load_workbook

    client = client_as("cpc")
    job_id = _job_id(
        client.post(
            "/jobs/export",
            data={"from": "2016-01", "to": "2016-03", "format": "xlsx"},
            follow_redirects=False,
        )
    )
    _wait(client)
    job = _job(session, job_id)
    assert job.state == "done"
    workbook = load_workbook(io.BytesIO(client.get(f"/jobs/{job_id}/download").content))
    assert workbook.active.max_row == job.result["rows"] + 1


def test_a_bad_export_form_is_answered_on_the_page(client_as, session):
    client = client_as("hom.mkd")
    response = client.post(
        "/jobs/export", data={"from": "2016-13", "format": "csv"}, follow_redirects=False
    )
    assert response.status_code == 422
    assert 'id="job-from-error"' in response.text and 'value="2016-13"' in response.text
    response = client.post("/jobs/export", data={"format": "pdf"}, follow_redirects=False)
    assert response.status_code == 422 and "Choose CSV, XLSX or JSON." in response.text
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Job)) == 0


def test_the_regional_report_runs_as_a_job(client_as, session):
    from docx import Document

    client = client_as("cpc")
    assert 'action="/jobs/report"' in client.get("/report").text
    job_id = _job_id(
        client.post(
            "/jobs/report", data={"from": "2015-08", "to": "2016-06"}, follow_redirects=False
        )
    )
    _wait(client)
    job = _job(session, job_id)
    assert (job.kind, job.state) == ("report", "done")
    download = client.get(f"/jobs/{job_id}/download")
    assert 'filename="fieldlog-report-regional.docx"' in download.headers["content-disposition"]
    document = Document(io.BytesIO(download.content))
    assert any(p.text for p in document.paragraphs)
    bad = client.post("/jobs/report", data={"from": "2016-99"}, follow_redirects=False)
    assert bad.status_code == 422


def test_import_result_keeps_the_first_cells_and_counts_them_all():
    result = importer.ImportResult(
        rows=700,
        errors=[importer.CellError(n, "title", "", "give a title") for n in range(700)],
    )
    kept = runner.import_result(result)
    assert kept["error_count"] == 700 and len(kept["errors"]) == runner.SHOWN_ERRORS


def test_the_import_command_shows_a_progress_bar(cli_database, engine, tmp_path):
    from typer.testing import CliRunner

    from app.cli import app as cli

    path = tmp_path / "rows.csv"
    path.write_bytes(_csv(_rows(1500, prefix="cli")))
    result = CliRunner().invoke(cli, ["import", str(path), "--mission", "MKD"])
    assert result.exit_code == 0, result.output
    assert "Writing rows" in result.output and "1500/1500" in result.output
    assert "1,500 new activities imported" in result.output


def test_the_upload_answers_before_the_import_is_done(client_as, session):
    """The request that starts a large import returns at once; the page it leads to
    keeps asking for the progress while the job runs."""
    client = client_as("fp.mkd")
    started = time.perf_counter()
    job_id = _job_id(_upload(client, _csv(_rows(20_000, prefix="early")), "early.csv"))
    answered = time.perf_counter() - started
    job = _job(session, job_id)
    assert job.state in jobs.ACTIVE, (job.state, answered)
    status = client.get(f"/jobs/{job_id}/status")
    assert status.status_code == 200 and 'hx-trigger="every 1s"' in status.text
    _wait(client)
    job = _job(session, job_id)
    assert job.state == "done" and job.rows_written == 20_000
