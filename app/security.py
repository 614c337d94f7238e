"""Security headers on every response, errors included, and CSRF protection."""

from __future__ import annotations

import json
import logging

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
    if scope.get("path", "").startswith("/api/"):
        body = json.dumps({"detail": [{"loc": [], "msg": message, "type": "server_error"}]})
        content_type = b"application/json"
    else:
        body = f"<!doctype html><title>Error</title><h1>Error</h1><p>{message}</p>"
        content_type = b"text/html; charset=utf-8"
    await send(
        {"type": "http.response.start", "status": 500, "headers": [(b"content-type", content_type)]}
    )
    await send({"type": "http.response.body", "body": body.encode()})


async def _csrf_failed(scope: Scope, send: Send, message_id) -> None:
    message = (
        "This form has expired or did not come from FieldLog (CSRF check failed). "
        "Go back, reload the page and try again."
    )
    if scope.get("path", "").startswith("/api/"):
        body = json.dumps({"detail": [{"loc": [], "msg": message, "type": "csrf_failed"}]})
        content_type = b"application/json"
    else:
        body = (
            "<!doctype html><html lang=en><title>Form expired</title>"
            f"<h1>Form expired</h1><p>{message}</p></html>"
        )
        content_type = b"text/html; charset=utf-8"
    await send(
        {"type": "http.response.start", "status": 403, "headers": [(b"content-type", content_type)]}
    )
    await send({"type": "http.response.body", "body": body.encode()})


class CSRFMiddleware:
    """asgi-csrf (double-submit cookie): the token comes from the `csrftoken` form field
    or the `x-csrftoken` header; Bearer-token API calls carry no cookie to forge."""

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
        await self.app(scope, receive, send)
