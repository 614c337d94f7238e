"""The Jinja environment: filters, globals and autoescaping, in one place."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context, select_autoescape
from jinja2.runtime import Context

from app import vocab
from app.partial_dates import PartialDate

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
env = templates.env
env.autoescape = select_autoescape(["html", "xml"], default_for_string=True, default=True)
env.trim_blocks = True
env.lstrip_blocks = True


def csrf_token(request: Request) -> str:
    """The CSRF token for forms on this page (asgi-csrf puts a getter in the scope)."""
    getter = request.scope.get("csrftoken")
    return getter() if getter else ""


def label(value: Any, enum_name: str) -> str:
    """A vocabulary value's human label, e.g. label('policing_crime', 'ResponseArea')."""
    enum = getattr(vocab, enum_name)
    try:
        return enum(value).label
    except ValueError:
        return str(value)


def partial_date(value: date | None, precision: str | None = "day") -> str:
    found = PartialDate.of(value, precision)
    return found.human() if found else ""


def number(value: int | float | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def shade(value: int, peak: int) -> str:
    """Inline background for a matrix cell: darker for more activity (text stays black,
    contrast stays above 7:1)."""
    if not value or not peak:
        return ""
    alpha = 0.08 + 0.45 * (value / peak) ** 0.5
    return f"background-color: rgba(31, 111, 178, {alpha:.2f})"


def query(params: dict[str, Any], **changes: Any) -> str:
    """A query string from `params` with `changes` applied; empty values are dropped."""
    from urllib.parse import urlencode

    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


# Policy questions by name. This module sits below the domain packages and imports none of
# them; the app's composition root (app.main) hands over each policy's questions.
_questions: dict[str, Callable[..., bool]] = {}


def answer_questions(questions: Mapping[str, Callable[..., bool]]) -> None:
    """Let templates ask these policy questions with `can(name, ...)`."""
    _questions.update(questions)


@pass_context
def can(context: Context, action: str, *about: Any) -> bool:
    """`{% if can("review", activity) %}`: the policy's answer for the signed-in user.

    Templates ask here instead of comparing role names, so the rule stays in one place.
    """
    try:
        question = _questions[action]
    except KeyError:
        raise LookupError(f"No policy question {action!r}; known: {sorted(_questions)}") from None
    return question(context.get("user"), *about)


def provide(name: str, value_for: Callable[..., Any]) -> None:
    """Let templates call `name(*args)` for a value worked out from the request when the page
    shows it (e.g. a count in the navigation). Like `answer_questions`, the composition
    root hands the providers over, so this module stays free of the domain packages."""

    @pass_context
    def value(context: Context, *args: Any) -> Any:
        request = context.get("request")
        return None if request is None else value_for(request, *args)

    env.globals[name] = value


env.globals.update(csrf_token=csrf_token, vocab=vocab, query=query, can=can)
env.filters.update(shade=shade)
env.globals.update(printed_on=date.today)  # the print-only line's date, filled at render time
env.filters.update(label=label, partial_date=partial_date, number=number)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
):
    """Render a page with the signed-in user in its context."""
    ctx = {"user": getattr(request.state, "user", None), **(context or {})}
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
