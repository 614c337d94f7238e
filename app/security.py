"""Security headers on every response, errors included, and CSRF protection."""

from __future__ import annotations

import json
import logging
import time

from asgi_csrf import asgi_csrf
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("fieldlog")

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Chart and docs libraries set element styles; scripts stay strictly 'self'.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class NulGuardMiddleware:
    """Refuse NUL characters in the path or query string with a clear 400: PostgreSQL
    cannot store or compare them, and no legitimate link carries one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            b"%00" in scope.get("query_string", b"")
            or "\x00" in scope.get("path", "")
            or b"%00" in scope.get("raw_path", b"")
        ):
            await _plain(scope, send, 400, "The address contains a NUL character.", "nul")
            return
        await self.app(scope, receive, send)


async def _plain(scope: Scope, send: Send, status: int, message: str, type_: str) -> None:
    if scope.get("path", "").startswith("/api/"):
        body = json.dumps({"detail": [{"loc": [], "msg": message, "type": type_}]})
        content_type = b"application/json"
    else:
        body = f"<!doctype html><html lang=en><title>Error</title><h1>Error</h1><p>{message}</p>"
        content_type = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type)],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})


class ServerTimingMiddleware:
    """`Server-Timing: app;dur=…` on every response: the time spent inside the app, so
    operators (and bench/dashboards.py) can read server-side cost without a profiler."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                duration = (time.perf_counter() - started) * 1000
                headers = [
                    *message.get("headers", []),
                    (b"server-timing", f"app;dur={duration:.2f}".encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_timing)


class SecurityHeadersMiddleware:
    """Adds the headers to every response and turns an unhandled error into a plain 500
    (no traceback), so even that answer carries the headers."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https" or self.hsts
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in names]
                if https:
                    extra.append(HSTS)
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            logger.exception("Unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await _plain_500(scope, send_with_headers)


async def _plain_500(scope: Scope, send: Send) -> None:
    message = "Something went wrong on our side; nothing was saved. Please try again."
    await _plain(scope, send, 500, message, "server_error")


async def _csrf_failed(scope: Scope, send: Send, message_id) -> None:
    message = (
        "This form has expired or did not come from FieldLog (CSRF check failed). "
        "Go back, reload the page and try again."
    )
    await _plain(scope, send, 403, message, "csrf_failed")


MULTIPART_LIMIT = 25 * 1024 * 1024


class CSRFMiddleware:
    """asgi-csrf (double-submit cookie): the token comes from the `csrftoken` form field
    or the `x-csrftoken` header; Bearer-token API calls carry no cookie to forge.

    asgi-csrf's own multipart reader no longer fits python-multipart, so for a
    multipart form (a file upload) this middleware reads the `csrftoken` field itself
    and hands it on as the header, which asgi-csrf then checks against the cookie.
    """

    def __init__(self, app: ASGIApp, *, secret: str, secure: bool) -> None:
        self.app = asgi_csrf(
            app,
            signing_secret=secret,
            cookie_secure=secure,
            cookie_samesite="Strict",
            always_protect={"/login"},
            send_csrf_failed=_csrf_failed,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(scope.get("headers") or [])
            content_type = headers.get(b"content-type", b"")
            # the same exemptions as asgi-csrf: no cookie to forge, or a Bearer token
            exempt = not headers.get(b"cookie") or headers.get(b"authorization", b"").startswith(
                b"Bearer "
            )
            if (
                not exempt
                and content_type.split(b";", 1)[0].strip().lower() == b"multipart/form-data"
            ):
                multipart = await _multipart_token(scope, receive, send, content_type)
                if multipart is None:
                    return
                scope, receive = multipart
        await self.app(scope, receive, send)


async def _multipart_token(scope: Scope, receive: Receive, send: Send, content_type: bytes):
    """(scope with the form's token as x-csrftoken, a receive that replays the body),
    or None once a refusal has been sent."""
    from python_multipart import FormParser
    from python_multipart.multipart import parse_options_header

    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        await _plain(scope, send, 400, "The upload is malformed (no multipart boundary).", "bad")
        return None
    messages, size = [], 0
    while True:
        message = await receive()
        messages.append(message)
        size += len(message.get("body", b""))
        if size > MULTIPART_LIMIT:
            await _plain(scope, send, 413, "The upload is too large (25 MB at most).", "too_large")
            return None
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    token: list[str] = []

    def on_field(field) -> None:
        if field.field_name == b"csrftoken" and field.value is not None:
            token.append(field.value.decode("utf-8", "replace"))

    try:
        parser = FormParser("multipart/form-data", on_field, lambda file: None, boundary=boundary)
        for message in messages:
            parser.write(message.get("body", b""))
        parser.finalize()
    except Exception:
        await _plain(scope, send, 400, "The upload is malformed.", "bad")
        return None
    if not token:
        await _csrf_failed(scope, send, None)
        return None
    headers = [(k, v) for k, v in scope.get("headers", []) if k != b"x-csrftoken"]
    headers.append((b"x-csrftoken", token[0].encode("latin-1", "replace")))
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return {**scope, "headers": headers}, replay
