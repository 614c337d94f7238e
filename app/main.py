"""create_app(): routers, static files, error handlers — nothing else."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text

import app.models  # noqa: F401  (the whole schema, for relationships across domains)
from app.activities.api import router as activities_api
from app.config import Settings, get_settings
from app.dashboards.api import router as dashboards_api
from app.db import make_engine
from app.errors import install_error_handlers
from app.missions.api import router as missions_api

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="FieldLog",
        summary="Migration-related activities of the OSCE field operations in the Western Balkans.",
        version="0.1.0",
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(
        settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    install_error_handlers(app)
    app.include_router(missions_api)
    app.include_router(dashboards_api)
    app.include_router(activities_api)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")

    @app.get("/healthz", tags=["operations"])
    def healthz() -> JSONResponse:
        """200 when the database answers, 503 when it does not."""
        try:
            with app.state.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "database unreachable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    return app
