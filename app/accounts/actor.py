"""Who acts: the one type the policy and the services take for "the user doing this".

A request's user, whether signed in with the session cookie or calling with a Bearer
token, arrives as a `deps.Viewer`: plain values copied from the `User` row, so they
outlive the request's database session. A `User` row fits `Actor` as well, so code that
holds one can ask the same questions. The policy and the services read nothing else;
the members are read-only properties so that a frozen snapshot and a mapped row both fit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol


class ActorMission(Protocol):
    """The mission an actor belongs to, as far as the rules and the services read it."""

    @property
    def id(self) -> int: ...

    @property
    def code(self) -> str: ...


class Actor(Protocol):
    """The user a rule is asked about; `None` where an actor is optional means nobody."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> str: ...

    @property
    def mission_id(self) -> int | None:
        """Set for focal points and heads of mission only."""
        ...

    @property
    def mission(self) -> ActorMission | None: ...


if TYPE_CHECKING:
    # Both kinds of actor must keep fitting; the type checker holds them to it here.
    from app.accounts.deps import Viewer
    from app.accounts.models import User

    _a_request_user: type[Actor] = Viewer
    _a_user_row: type[Actor] = User
