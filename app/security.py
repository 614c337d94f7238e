"""Security headers on every response, errors included; limits on what a request may send
before anyone has looked at it (its size; a body at all, when nobody is signed in); CSRF."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from urllib.parse import urlencode

from asgi_csrf import asgi_csrf
from starlette.requests import cookie_parser
from starlette.responses import RedirectResponse
from starlette.routing import compile_path
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


async def _plain(
    scope: Scope,
    send: Send,
    status: int,
    message: str,
    type_: str,
    *,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
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
            "headers": [(b"content-type", content_type), *headers],
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


# Every answer but a static file may hold what only a signed-in person may see (pages,
# API answers, exports; the sign-in page holds a CSRF token): no browser or proxy keeps
# a copy, for the next person at a shared computer to find in the history or cache.
NO_STORE = (b"cache-control", b"no-store")
STATIC_PREFIX = "/static/"


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
        dynamic = not scope.get("path", "").startswith(STATIC_PREFIX)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in names]
                if https:
                    extra.append(HSTS)
                if dynamic and b"cache-control" not in names:
                    extra.append(NO_STORE)
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            logger.exception("Unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await _plain_500(scope, send_with_headers)


class RequestSizeLimitMiddleware:
    """Refuses a request whose body is larger than `max_bytes` with 413, before it is read:
    at once when Content-Length says so, else as soon as the bytes received pass the limit
    (a chunked body has no Content-Length). Without it, a 300 MB post was read into
    memory, or spooled to disk, in full before anything looked at it.

    Past the limit, this sends the 413 itself and tells the app the client has gone, so
    the app stops reading; whatever the app answers after that is dropped.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        received = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                refused = True
                if not started:
                    await self._refuse(scope, send)
                return {"type": "http.disconnect"}
            return message

        async def send_unless_refused(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, send_unless_refused)
        except Exception:
            if not refused:  # else: the app tripping over the "disconnect" it was given
                raise

    async def _refuse(self, scope: Scope, send: Send) -> None:
        megabytes = f"{self.max_bytes / 1024 / 1024:.3g}"
        message = f"The request is too large: FieldLog accepts at most {megabytes} MB."
        await _plain(scope, send, 413, message, "too_large")


class SignInFirstMiddleware:
    """A request that would change something (any method but GET, HEAD and OPTIONS) and
    carries neither a session cookie nor an Authorization header is refused before its
    body is read: 401 from the API, the sign-in page for pages (as the routes themselves
    answer). Only `open_routes` (the sign-in form) take posts from anyone.

    The routes check the cookie or token for real; this only spares the server from
    reading (up to the size limit) what nobody signed in may send.
    """

    def __init__(
        self, app: ASGIApp, *, session_cookie: str, open_routes: Iterable[tuple[str, str]]
    ) -> None:
        """`open_routes`: (method, path template) of the routes open to everyone."""
        self.app = app
        self.session_cookie = session_cookie
        self.open_routes = [(method, compile_path(path)[0]) for method, path in open_routes]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in ("GET", "HEAD", "OPTIONS")
            or self._credentials(scope)
            or any(
                method == scope["method"] and pattern.fullmatch(scope["path"])
                for method, pattern in self.open_routes
            )
        ):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path.startswith("/api/"):
            await _plain(
                scope,
                send,
                401,
                "Sign in first.",
                "not_authenticated",
                headers=[(b"www-authenticate", b"Bearer")],
            )
            return
        query = scope.get("query_string", b"").decode("latin-1")
        target = f"{path}?{query}" if query else path
        answer = RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
        await answer(scope, receive, send)

    def _credentials(self, scope: Scope) -> bool:
        headers = dict(scope.get("headers") or [])
        if headers.get(b"authorization"):
            return True
        cookies = cookie_parser(headers.get(b"cookie", b"").decode("latin-1"))
        return bool(cookies.get(self.session_cookie))


async def _plain_500(scope: Scope, send: Send) -> None:
    message = "Something went wrong on our side; nothing was saved. Please try again."
    await _plain(scope, send, 500, message, "server_error")


async def _csrf_failed(scope: Scope, send: Send, message_id) -> None:
    message = (
        "This form has expired or did not come from FieldLog (CSRF check failed). "
        "Go back, reload the page and try again."
    )
    await _plain(scope, send, 403, message, "csrf_failed")


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
    messages = []  # as many bytes as RequestSizeLimitMiddleware lets through, at most
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    token: list[str] = []

    def on_field(field) -> None:
        if field.field_name == b"csrftoken" and field.value is not None:
            token.append(field.value.decode("utf-8", "replace"))

    try:
        # Files are only skipped over here; one larger than python-multipart keeps in memory
        # spills to a temporary file, closed (and so deleted) as soon as it is complete.
        parser = FormParser(
            "multipart/form-data", on_field, lambda file: file.close(), boundary=boundary
        )
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
