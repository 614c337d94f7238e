"""Pages: sign in and out, your account and API tokens.

User administration (who signs in, with which role, for which mission) is in
app/missions/users.py: it needs the missions, and missions sit above accounts.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from app.accounts import saved_views, service
from app.accounts.deps import (
    SESSION_COOKIE,
    Public,
    SignedIn,
    client_address,
    sign_session_token,
    unsign_session_token,
)
from app.deps import RowId, SessionDep
from app.errors import ValidationFailed
from app.forms import field_errors
from app.web import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a person to another site after signing in."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parsed = urlparse(target)
    return "/" if parsed.netloc or parsed.scheme else target


@router.get("/login")
def login_page(request: Request, user: Public, next: str | None = None):
    if user is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "accounts/login.html", {"next": _safe_next(next), "email": ""})


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    user: Public,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
):
    """Sign in. Runs in the thread pool, so Argon2 never blocks the event loop.

    The session this browser had (its cookie, if any, whoever it belonged to) ends: a
    sign-in never leaves an earlier session of the same browser open beside the new one.
    """
    settings = request.app.state.settings
    cookie = request.cookies.get(SESSION_COOKIE)
    result = service.login(
        session,
        settings,
        email=email,
        password=password,
        client_addr=client_address(request),
        previous_session_token=unsign_session_token(settings, cookie) if cookie else None,
    )
    if result.session_token is None:
        page = render(
            request,
            "accounts/login.html",
            {"next": _safe_next(next), "email": email, "error": result.error},
            status_code=401 if result.retry_after is None else 429,
        )
        if result.retry_after is not None:
            page.headers["Retry-After"] = str(result.retry_after)
        return page
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        sign_session_token(settings, result.session_token),
        max_age=settings.session_absolute_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, user: SignedIn):
    token = getattr(request.state, "session_token", None)
    if token:
        service.end_session(session, token=token, user_id=user.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account")
def account_page(request: Request, session: SessionDep, user: SignedIn):
    return render(
        request,
        "accounts/account.html",
        {"tokens": service.list_tokens(session, user=user), "form": {"name": "", "days": 90}},
    )


@router.post("/account/tokens")
def create_token(
    request: Request,
    session: SessionDep,
    user: SignedIn,
    name: Annotated[str, Form(max_length=200)] = "",
    days: Annotated[str, Form(max_length=10)] = "90",
):
    """Create a personal access token; its secret is shown on this response only."""
    form = {"name": name, "days": days}
    try:
        token, secret = service.create_token(
            session, user=user, name=name, days=int(days) if days.strip().isdigit() else 0
        )
    except ValidationFailed as exc:
        return render(
            request,
            "accounts/account.html",
            {
                "tokens": service.list_tokens(session, user=user),
                "form": form,
                "errors": field_errors(exc),
            },
            status_code=422,
        )
    return render(
        request,
        "accounts/account.html",
        {
            "tokens": service.list_tokens(session, user=user),
            "form": {"name": "", "days": 90},
            "new_secret": secret,
            "new_token": token,
        },
    )


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: RowId, session: SessionDep, user: SignedIn):
    service.revoke_token(session, user=user, token_id=token_id)
    return RedirectResponse("/account", status_code=303)


# --- saved views -----------------------------------------------------------------------------


def _views_page(
    request: Request, session, user, *, form=None, errors=None, saved=None, status_code=200
):
    return render(
        request,
        "accounts/saved_views.html",
        {
            "views": saved_views.visible_to(session, user),
            "kinds": saved_views.KIND_LABELS,
            "form": form or {"name": "", "address": "", "shared": False},
            "errors": errors or {},
            "saved": saved,
        },
        status_code=status_code,
    )


@router.get("/saved-views")
def saved_views_page(request: Request, session: SessionDep, user: SignedIn, saved: str = ""):
    """Your saved views (and, for the CPC desk, those shared with it)."""
    return _views_page(request, session, user, saved=int(saved) if saved.isdigit() else None)


@router.post("/saved-views")
def save_view(
    request: Request,
    session: SessionDep,
    user: SignedIn,
    name: Annotated[str, Form(max_length=400)] = "",
    address: Annotated[str, Form(max_length=4000)] = "",
    shared: Annotated[str, Form(max_length=10)] = "",
):
    """Keep the page the user is looking at under a name (the form on the list, dashboard
    and comparison sends that page's address)."""
    form = {"name": name, "address": address, "shared": bool(shared)}
    try:
        view = saved_views.save(session, user=user, name=name, address=address, shared=bool(shared))
    except ValidationFailed as exc:
        return _views_page(
            request, session, user, form=form, errors=field_errors(exc), status_code=422
        )
    return RedirectResponse(f"/saved-views?saved={view.id}", status_code=303)


@router.post("/saved-views/{view_id}/delete")
def delete_view(view_id: RowId, session: SessionDep, user: SignedIn):
    saved_views.delete(session, user=user, view_id=view_id)
    return RedirectResponse("/saved-views", status_code=303)
