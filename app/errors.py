"""Domain errors and how they become HTTP answers.

Services raise these; the handlers in `install_error_handlers` turn them into
JSON with the same shape FastAPI uses for request validation, so a client reads
every 4xx the same way: ``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException


@dataclass
class FieldError:
    loc: tuple[str | int, ...]
    msg: str
    type: str = "value_error"

    def as_dict(self) -> dict:
        return {"loc": list(self.loc), "msg": self.msg, "type": self.type}


@dataclass
class ValidationFailed(Exception):
    """Input that is well-formed but breaks a domain rule; one message per field."""

    errors: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in self.errors)


class NotFound(Exception):
    """The record does not exist, or the caller may not know that it does."""


class Conflict(Exception):
    """The request is valid but clashes with the record's current state (stale version)."""


def _detail(msg: str, type_: str) -> dict:
    return {"detail": [{"loc": [], "msg": msg, "type": type_}]}


def _clean_pydantic_errors(errors) -> list[dict]:
    """Keep what a person needs (where, what) and drop echoes of the input and urls."""
    cleaned = []
    for err in errors:
        msg = str(err.get("msg", "invalid value"))
        msg = msg.removeprefix("Value error, ")
        cleaned.append({"loc": list(err.get("loc", [])), "msg": msg, "type": err.get("type")})
    return cleaned


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ValidationFailed)
    async def _validation_failed(_: Request, exc: ValidationFailed) -> JSONResponse:
        return JSONResponse({"detail": [e.as_dict() for e in exc.errors]}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _clean_pydantic_errors(exc.errors())}, status_code=422)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(_detail(str(exc) or "Not found", "not_found"), status_code=404)

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse(_detail(str(exc), "conflict"), status_code=409)

    @app.exception_handler(StaleDataError)
    async def _stale(_: Request, exc: StaleDataError) -> JSONResponse:
        msg = "The record was changed by someone else meanwhile; reload it and try again."
        return JSONResponse(_detail(msg, "conflict"), status_code=409)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        # Services validate first; this is the database's last word on a race.
        msg = "The change conflicts with existing data (a duplicate or a broken reference)."
        return JSONResponse(_detail(msg, "conflict"), status_code=409)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            _detail(str(exc.detail), "http_error"),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            _detail("Something went wrong on our side; the change was not saved.", "server_error"),
            status_code=500,
        )
