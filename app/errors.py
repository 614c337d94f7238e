"""Domain errors and how they become HTTP answers.

Services raise these; the handlers in `install_error_handlers` turn them into
JSON with the same shape FastAPI uses for request validation, so a client reads
every 4xx the same way: ``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path


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


class NotAuthenticated(Exception):
    """Nobody is signed in (or the session or token has ended)."""


class Forbidden(Exception):
    """Signed in, but this role or mission may not do this."""


# --- how an error answer looks, for the OpenAPI description ---------------------------------


class ErrorItem(BaseModel):
    loc: list[str | int] = Field(
        description='Where: e.g. ["body", "participants_women"], ["query", "from"]; [] for the '
        "request as a whole."
    )
    msg: str = Field(description="What is wrong, in words for a person.")
    type: str = Field(description="A machine-readable kind, e.g. value_error, not_found.")


class ErrorBody(BaseModel):
    """Every 4xx answer of the API: one item per problem."""

    detail: list[ErrorItem]


ERROR_ANSWERS: dict[int, str] = {
    400: "The address holds a NUL character, or an upload is malformed.",
    401: "No valid token: send `Authorization: Bearer <token>` with a token that has not "
    "expired or been revoked.",
    403: "Your role or mission may not do this.",
    404: "No such record, or one you may not see.",
    409: "The record changed meanwhile (a stale `version`), or the change clashes with its "
    "state (a wrong workflow step, a duplicate).",
    413: "The request body is larger than the server accepts.",
    422: "The input breaks a rule; each item names the field and says why.",
    503: "The database is busy with other writes; send the request again after "
    "`Retry-After` seconds.",
}

BUSY_MESSAGE = (
    "The database is busy with other changes just now; nothing was saved. "
    "Try again in a few seconds."
)
BUSY_RETRY_AFTER = "2"  # seconds, the Retry-After of a 503 for a busy database
# PostgreSQL's SQLSTATEs for "try again": serialization failure, deadlock, lock not available.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def database_busy(exc: DBAPIError) -> bool:
    """Whether the database refused for a moment (a lock), not for good: SQLite's
    "database is locked" after the busy timeout, PostgreSQL's deadlock or lock timeout."""
    if getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES:
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "database is busy" in message


def error_answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers an operation can give, for a route's or router's `responses=`:
    each with the shared body (ErrorBody), and 401 with its WWW-Authenticate header."""
    answers: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        answer: dict[str, Any] = {"model": ErrorBody, "description": ERROR_ANSWERS[status]}
        if status == 401:
            answer["headers"] = {
                "WWW-Authenticate": {
                    "description": "How to authenticate: `Bearer`.",
                    "schema": {"type": "string"},
                }
            }
        answers[status] = answer
    return answers


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


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _answer(request: Request, status: int, msg: str, type_: str, headers=None):
    """JSON for the API, a plain page for people."""
    if wants_json(request):
        return JSONResponse(_detail(msg, type_), status_code=status, headers=headers)
    from app.web import render

    response = render(request, "error.html", {"status": status, "message": msg}, status_code=status)
    if headers:
        response.headers.update(headers)
    return response


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ValidationFailed)
    async def _validation_failed(request: Request, exc: ValidationFailed):
        if not wants_json(request):
            return _answer(request, 422, str(exc), "value_error")
        return JSONResponse({"detail": [e.as_dict() for e in exc.errors]}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError):
        errors = _clean_pydantic_errors(exc.errors())
        if not wants_json(request):
            text = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in errors
            )
            return _answer(request, 422, text, "value_error")
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(NotAuthenticated)
    async def _not_authenticated(request: Request, exc: NotAuthenticated):
        if wants_json(request):
            return JSONResponse(
                _detail(str(exc) or "Sign in first.", "not_authenticated"),
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        return _answer(request, 403, str(exc) or "Not allowed.", "forbidden")

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return _answer(request, 404, str(exc) or "Not found.", "not_found")

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict):
        return _answer(request, 409, str(exc), "conflict")

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError):
        msg = "The record was changed by someone else meanwhile; reload it and try again."
        return _answer(request, 409, msg, "conflict")

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError):
        # Services validate first; this is the database's last word on a race.
        msg = "The change conflicts with existing data (a duplicate or a broken reference)."
        return _answer(request, 409, msg, "conflict")

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError):
        if not database_busy(exc):
            raise exc
        headers = {"Retry-After": BUSY_RETRY_AFTER}
        return _answer(request, 503, BUSY_MESSAGE, "database_busy", headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        msg = str(exc.detail)
        headers = getattr(exc, "headers", None)
        if exc.status_code == 404 and msg == "Not Found":
            msg = "There is no page at this address."
        if exc.status_code == 405:
            allowed = allowed_methods(request)
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
            msg = f"This address answers {', '.join(allowed)} only."
        return _answer(request, exc.status_code, msg, "http_error", headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this address. The router's own 405 names only
    the methods of the first route whose path matches (GET of GET/PATCH/DELETE)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.methods and route.path and compile_path(route.path)[0].fullmatch(request.url.path):
            methods.update(route.methods)
    order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return sorted(methods, key=lambda m: (order.index(m) if m in order else len(order), m))
