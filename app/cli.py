"""The `fieldlog` command: set up the database, load data, serve."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from app.config import Settings, get_settings
from app.errors import ValidationFailed

app = typer.Typer(
    help="FieldLog: log and compare the migration-related work of OSCE field operations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _load_models() -> None:
    """Every command sees the whole schema."""
    import app.models  # noqa: F401


ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str | None = None):
    """Alembic's config for this project, pointed at `database_url` (or the settings')."""
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url or get_settings().database_url
    config.attributes["configure_logger"] = False
    return config


@app.command()
def init() -> None:
    """Create or upgrade the database schema to the latest migration."""
    from alembic import command

    command.upgrade(alembic_config(), "head")
    typer.echo(f"Database is at the latest schema: {_display_url()}")


@app.command()
def seed() -> None:
    """Load the study's missions, focal points, places, partners, developments and activities.

    Safe to run again: records are matched by their keys, so nothing is duplicated.
    """
    from app.db import unit_of_work
    from app.seeding import seed as load

    with unit_of_work() as session:
        report = load(session)
    _analyze()
    created = ", ".join(f"{n} {k}" for k, n in sorted(report.created.items())) or "nothing"
    updated = ", ".join(f"{n} {k}" for k, n in sorted(report.updated.items())) or "nothing"
    typer.echo(f"Seed loaded. Created: {created}. Updated: {updated}.")


@app.command()
def demo(
    activities: Annotated[int, typer.Option(min=1, help="How many activities to add.")],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 1,
) -> None:
    """Add synthetic activities (marked 'synthetic', never mixed with study records)."""
    from app.db import get_engine
    from app.demo import generate

    started = time.perf_counter()
    with progress_bar() as bar:
        task = bar.add_task("Making activities", total=activities)

        def progress(done: int) -> None:
            bar.update(task, completed=done)
            if done == activities:
                bar.update(task, description="Counting aggregates, committing")

        added = generate(get_engine(), count=activities, seed=seed, progress=progress)
        bar.update(task, description="Added")
    _analyze()
    typer.echo(f"Added {added:,} synthetic activities in {time.perf_counter() - started:.1f} s.")


@contextmanager
def progress_bar(**options: Any) -> Iterator[Any]:
    """The commands' progress bar (rich): what, a bar, done of total, time spent and left."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=False, **options) as bar:
        yield bar


class ImportBar:
    """`fieldlog import`'s bar: the importer's progress callback (read, checked, written)."""

    def __init__(self, bar: Any):
        self.bar = bar
        self.task = bar.add_task("Reading the file", total=None)
        self.writing = False

    def __call__(
        self,
        *,
        read: int | None = None,
        checked: int | None = None,
        written: int | None = None,
        total: int | None = None,
        message: str | None = None,
    ) -> None:
        if total is not None:
            self.bar.update(self.task, total=total)
        if read is not None:
            self.bar.update(self.task, description="Checking rows", completed=0)
        if checked is not None:
            self.bar.update(self.task, completed=checked)
        if written is not None:
            if not self.writing:
                self.writing = True
                self.bar.update(self.task, description="Writing rows")
            self.bar.update(self.task, completed=written)


def _analyze() -> None:
    """Refresh the planner's statistics after a load (see app.db.analyze)."""
    from app.db import analyze, get_engine

    started = time.perf_counter()
    analyze(get_engine())
    typer.echo(f"Planner statistics refreshed (ANALYZE) in {time.perf_counter() - started:.1f} s.")


@app.command("rebuild-aggregates")
def rebuild_aggregates() -> None:
    """Recount the dashboard aggregates from the activities (after changing rows by hand)."""
    from app.activities.aggregates import rebuild
    from app.db import unit_of_work

    with unit_of_work() as session:
        rebuild(session)
    typer.echo("Dashboard aggregates recounted from the activities.")


@app.command("rebuild-search")
def rebuild_search() -> None:
    """Index every activity for search again (after changing rows by hand)."""
    from app.activities.search import rebuild
    from app.db import unit_of_work

    with unit_of_work() as session:
        count = rebuild(session.connection())
    typer.echo(f"Search index rebuilt: {count:,} activities.")


# Asked for at the prompt, twice, never echoed (nor kept in the shell's history).
NewPassword = Annotated[
    str,
    typer.Option(
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="At least 12 characters; common passwords are refused.",
    ),
]


def _refused(exc: ValidationFailed) -> NoReturn:
    """Say why, field by field, and stop with the exit code for bad input."""
    for error in exc.errors:
        typer.echo(f"{error.loc[-1]}: {error.msg}", err=True)
    raise typer.Exit(code=2) from None


def _refuse(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code=2)


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="Sign-in email.")],
    name: Annotated[str, typer.Option(help="The person's name.")],
    role: Annotated[str, typer.Option(help="focal_point, head_of_mission, cpc_desk or admin.")],
    mission: Annotated[
        str | None, typer.Option(help="Mission code, for focal points and heads of mission.")
    ] = None,
    password: NewPassword = "",
) -> None:
    """Add a user who can sign in."""
    from app.db import unit_of_work
    from app.missions.users import create_user as create

    try:
        with unit_of_work() as session:
            user = create(
                session, email=email, name=name, role=role, mission_code=mission, password=password
            )
            typer.echo(f"Created {user.role} {user.email}.")
    except ValidationFailed as exc:
        _refused(exc)


@app.command("reset-password")
def reset_password(
    email: Annotated[str, typer.Option(help="Sign-in email of the user.")],
    password: NewPassword = "",
) -> None:
    """Give a user a new password; their sessions end and their API tokens are revoked."""
    from app.accounts import service as accounts
    from app.db import unit_of_work

    try:
        with unit_of_work() as session:
            user = accounts.get_by_email(session, email)
            if user is None:
                typer.echo(f"No user with email {email!r}.", err=True)
                raise typer.Exit(code=2)
            accounts.set_password(session, user=user, password=password, actor_id=None)
            typer.echo(f"New password set for {user.email}; their sessions and tokens ended.")
    except ValidationFailed as exc:
        _refused(exc)


def app_role_grants(role: str, *, quote) -> list[str]:
    """What the app's role may do on PostgreSQL: read and write the data, and only read and
    append the audit trail. It owns nothing, so it can neither change the tables nor switch
    their triggers off. Default privileges extend the same rights to tables and sequences
    the owner creates later (future migrations)."""
    who = quote(role)
    return [
        f"GRANT USAGE ON SCHEMA public TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}",
        f"REVOKE UPDATE, DELETE ON audit_entries FROM {who}",
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {who}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {who}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {who}",
    ]


@app.command("grant-app-role")
def grant_app_role(
    role: Annotated[str, typer.Argument(help="The PostgreSQL role the server runs as.")],
) -> None:
    """PostgreSQL: give ROLE the rights the server needs and no more (run as the owner).

    Run it connected as the role that owns the tables (the one `fieldlog init` ran as),
    after `fieldlog init`; then serve as ROLE. See README, "Running on PostgreSQL".
    """
    from sqlalchemy import text

    from app.db import make_engine

    engine = make_engine(get_settings().database_url)
    try:
        if engine.dialect.name != "postgresql":
            typer.echo("grant-app-role is for PostgreSQL databases only.", err=True)
            raise typer.Exit(code=2)
        with engine.begin() as conn:
            for statement in app_role_grants(role, quote=engine.dialect.identifier_preparer.quote):
                conn.execute(text(statement))
    finally:
        engine.dispose()
    typer.echo(f"{role} may now read and write the data, and only read and append the audit trail.")


@app.command("demo-users")
def demo_users(
    disable: Annotated[
        bool, typer.Option("--disable", help="Deactivate them instead (before production).")
    ] = False,
) -> None:
    """Create demo users for every role and mission (demo only; see the README)."""
    from app.accounts.demo_users import DEMO_PASSWORD, disable_demo_users, ensure_demo_users
    from app.db import unit_of_work
    from app.missions.service import get_all as all_missions

    with unit_of_work() as session:
        if disable:
            typer.echo(f"{disable_demo_users(session)} demo users deactivated.")
            return
        added = ensure_demo_users(session, all_missions(session))
    typer.echo(f"{added} demo users added. Demo password for all of them: {DEMO_PASSWORD}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Processes serving requests: about one per core in production (PostgreSQL); "
            "1 for a SQLite development server.",
        ),
    ] = 1,
) -> None:
    """Serve the web app and the API (http://HOST:PORT, API docs at /docs)."""
    import uvicorn

    uvicorn.run(**uvicorn_options(get_settings(), host=host, port=port, workers=workers))


def uvicorn_options(
    settings: Settings, *, host: str, port: int, workers: int = 1
) -> dict[str, Any]:
    """How `serve` runs uvicorn.

    With more than one worker uvicorn starts that many processes, each building the app
    from the factory (hence the import string). Nothing is kept in a process between
    requests: sessions, API tokens, sign-in failures, idempotency keys and reports live
    in the database, and the engine is per process.

    X-Forwarded-For is believed only from the proxies FIELDLOG_FORWARDED_ALLOW_IPS names:
    the client address it sets is what the sign-in limits count and the audit trail
    records, so from anyone else it would be a free choice of address. (uvicorn's own
    default trusts 127.0.0.1, any local process included.) No `Server` header: it
    would only tell a scanner what to try.
    """
    trusted = settings.forwarded_allow_ips
    return {
        "app": "app.main:create_app",
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
        "server_header": False,
    }


@app.command()
def deliver(
    once: Annotated[bool, typer.Option("--once", help="One round, then stop (for cron).")] = False,
    interval: Annotated[
        float | None,
        typer.Option(min=0.1, help="Seconds between rounds (FIELDLOG_MAIL_INTERVAL_SECONDS)."),
    ] = None,
) -> None:
    """Send the notification mails waiting in the outbox (what `serve` does in the background
    when FIELDLOG_SMTP_HOST is set). Several may run against one PostgreSQL database."""
    import threading

    from app.db import get_engine
    from app.notifications import outbox

    settings = get_settings()
    if not settings.smtp_host:
        _refuse("FIELDLOG_SMTP_HOST is not set: there is no SMTP server to deliver to.")
    if once:
        done = outbox.deliver_once(get_engine(), settings)
        typer.echo(
            f"Sent {done.sent}, to retry {done.retried}, not sent {done.dropped}, "
            f"given up {done.failed}."
        )
        return
    stop = threading.Event()
    typer.echo(f"Delivering to {settings.smtp_host}:{settings.smtp_port}; Ctrl+C stops.")
    try:
        outbox.run(
            get_engine(), settings, stop, interval=interval or settings.mail_interval_seconds
        )
    except KeyboardInterrupt:
        stop.set()


@app.command()
def digest(
    week: Annotated[
        str | None,
        typer.Option(help="ISO week, e.g. 2016-W07; the week that ended last by default."),
    ] = None,
) -> None:
    """Make the weekly digests (heads of mission, CPC desk) and put them in the outbox.
    Running it again for the same week makes none twice."""
    from app.db import unit_of_work
    from app.notifications.digest import last_full_week, make_digests, parse_week, week_label

    try:
        chosen = parse_week(week) if week else last_full_week()
    except ValueError as exc:
        _refuse(str(exc))
    with unit_of_work() as session:
        made = make_digests(session, get_settings(), chosen)
    typer.echo(f"Digests for {week_label(chosen)}: {made} made (none made twice).")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A CSV or XLSX file in the template's columns.")],
    mission: Annotated[str, typer.Option(help="Code of the mission the rows belong to.")],
) -> None:
    """Import activities from a spreadsheet: every row is checked, then all go in or none."""
    from app.db import unit_of_work
    from app.exchange.importer import import_file
    from app.missions.service import get_by_code

    if not file.is_file():
        typer.echo(f"No such file: {file}", err=True)
        raise typer.Exit(code=2)
    started = time.perf_counter()
    with unit_of_work() as session:
        target = get_by_code(session, mission)
        if target is None:
            typer.echo(f"No mission with code {mission!r}.", err=True)
            raise typer.Exit(code=2)
        with progress_bar() as bar:
            result = import_file(
                session,
                file.read_bytes(),
                filename=file.name,
                mission=target,
                progress=ImportBar(bar),
            )
        if not result.ok:
            session.rollback()
    if result.errors:
        for error in result.errors:
            typer.echo(
                f"row {error.row}, column {error.column}, value {error.value!r}: {error.message}",
                err=True,
            )
    typer.echo(result.summary(), err=not result.ok)
    if not result.ok:
        raise typer.Exit(code=1)
    typer.echo(f"Done in {time.perf_counter() - started:.1f} s.")


def _display_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


if __name__ == "__main__":
    app()
