"""create_app(): routers, static files, middleware, error handlers — nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy import Engine, text

import app.models  # noqa: F401  (the whole schema, for relationships across domains)
from app import web
from app.accounts import policy as accounts_policy
from app.accounts import saved_views
from app.accounts.deps import SESSION_COOKIE, Permission, Public, SignedIn
from app.accounts.pages import router as accounts_pages
from app.accounts.policy import Rule
from app.activities import my_work
from app.activities import policy as activities_policy
from app.activities.api import router as activities_api
from app.activities.pages import router as activities_pages
from app.config import Settings, get_settings
from app.dashboards.api import router as dashboards_api
from app.dashboards.pages import router as dashboards_pages
from app.db import make_engine
from app.errors import error_answers, install_error_handlers
from app.exchange.api import router as exchange_api
from app.exchange.job_pages import router as job_pages
from app.exchange.pages import router as exchange_pages
from app.exchange.runner import JobRunner
from app.missions import countries
from app.missions.api import router as missions_api
from app.missions.pages import router as missions_pages
from app.missions.users import router as users_pages
from app.notifications import digest, outbox
from app.notifications import pages as notification_pages
from app.offline import router as offline_pages
from app.security import (
    CSRFMiddleware,
    NulGuardMiddleware,
    RequestSizeLimitMiddleware,
    SecurityHeadersMiddleware,
    ServerTimingMiddleware,
    SignInFirstMiddleware,
)
from app.web import render

ROOT = Path(__file__).resolve().parent.parent

# Templates ask the policies by name, e.g. can("review", activity) (see app/web.py).
web.answer_questions(accounts_policy.TEMPLATE_QUESTIONS | activities_policy.TEMPLATE_QUESTIONS)
# The navigation's "My work (N)" (see templates/base.html).
web.provide("my_work_count", my_work.open_count_for)
# Locations keep an ISO 3166-1 code; pages show its name: {{ loc.country|country }}.
web.env.filters.update(country=countries.country_name)
web.provide("saved_view_links", saved_views.links_for)
# The navigation's "Notifications (N)".
web.provide("notice_count", notification_pages.unread_count_for)
# /compare: missions with nothing logged lately (templates/notifications/_silent_flag.html).
web.provide("silent_missions", digest.silent_for)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="FieldLog",
        summary="Migration-related activities of the OSCE field operations in the Western Balkans.",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # The mail worker runs beside the app only when there is an SMTP server to send to.
        lifespan=outbox.worker_lifespan if settings.smtp_host else None,
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(
        settings.database_url,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        synchronous=settings.sqlite_synchronous,
    )
    _refuse_unsafe_production(settings, app.state.engine)
    # Long work (imports, exports, reports) runs in this process's threads; its state is
    # in the database, so any worker answers for it (app/exchange/jobs.py).
    app.state.jobs = JobRunner(app.state.engine)
    install_error_handlers(app)
    app.include_router(missions_api)
    app.include_router(dashboards_api)
    app.include_router(activities_api)
    app.include_router(accounts_pages)
    app.include_router(dashboards_pages)
    app.include_router(activities_pages)
    app.include_router(missions_pages)
    app.include_router(users_pages)
    app.include_router(notification_pages.router)
    app.include_router(exchange_api)
    app.include_router(exchange_pages)
    app.include_router(job_pages)
    app.include_router(offline_pages)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    _operations_routes(app, settings)
    _describe_authentication(app)
    # Added last = outermost: headers go on every answer, CSRF failures included; a body
    # is refused for its size, or for coming from nobody, before CSRF reads a form.
    app.add_middleware(CSRFMiddleware, secret=settings.secret_key, secure=settings.cookie_secure)
    app.add_middleware(
        SignInFirstMiddleware, session_cookie=SESSION_COOKIE, open_routes=_open_to_all(app)
    )
    app.add_middleware(RequestSizeLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(ServerTimingMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.cookie_secure)
    return app


def _open_to_all(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of the routes open to someone not signed in (the sign-in form, the
    health check): those whose Permission is PUBLIC, read from the route table."""

    def rules(dependant) -> set[Rule]:
        found = {d.call.rule for d in dependant.dependencies if isinstance(d.call, Permission)}
        return found.union(*(rules(d) for d in dependant.dependencies))

    return {
        (method, context.path)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and context.path is not None  # an APIRoute always has one
        and Rule.PUBLIC in rules(context.original_route.dependant)
        for method in context.methods or ()
    }


def _describe_authentication(app: FastAPI) -> None:
    """The OpenAPI description says which operations need a Bearer token: all but the
    open ones (`_open_to_all`); the tokens are read by app.accounts.deps."""
    describe = app.openapi
    open_routes = _open_to_all(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = describe()
        schema.setdefault("components", {})["securitySchemes"] = {
            "token": {
                "type": "http",
                "scheme": "bearer",
                "description": "A personal access token from your account page (/account).",
            }
        }
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                if (method.upper(), path) not in open_routes:
                    operation["security"] = [{"token": []}]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


class Health(BaseModel):
    status: Literal["ok", "database unreachable"]


def _refuse_unsafe_production(settings: Settings, engine: Engine) -> None:
    """In production, demo users with their published password must not exist."""
    if settings.environment != "production":
        return
    from app.accounts.demo_users import any_demo_users
    from app.db import unit_of_work

    with unit_of_work(engine, write=False) as session:
        if any_demo_users(session):
            raise RuntimeError(
                "Demo users exist in this database; remove them (they share a published "
                "password) before running with FIELDLOG_ENVIRONMENT=production."
            )


def _operations_routes(app: FastAPI, settings: Settings) -> None:
    @app.get(
        "/healthz",
        tags=["operations"],
        response_model=Health,
        responses={
            503: {"model": Health, "description": "The database does not answer."},
            **error_answers(400),
        },
    )
    def healthz(user: Public) -> JSONResponse:
        """200 when the database answers, 503 when it does not."""
        try:
            with app.state.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/", include_in_schema=False)
    def home(user: SignedIn) -> RedirectResponse:
        """Each person starts where their work is: mission staff on their own work."""
        if my_work.has_my_work(user):
            return RedirectResponse("/my-work", status_code=303)
        if user.mission is not None:
            return RedirectResponse(f"/missions/{user.mission.code}", status_code=303)
        return RedirectResponse("/compare", status_code=303)

    if not settings.docs_enabled:
        return

    @app.get("/openapi.json", include_in_schema=False)
    def openapi(user: SignedIn) -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request, user: SignedIn):
        """Swagger UI from static/vendor, so the docs work offline and under the CSP."""
        return render(request, "docs.html")
