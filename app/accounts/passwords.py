"""Password hashing (Argon2id through pwdlib) and the password rules.

Hashing is deliberately slow; callers run it off the event loop (sync routes run
in Starlette's thread pool, the CLI has no loop).
"""

from __future__ import annotations

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 256

_hasher = PasswordHash((Argon2Hasher(),))
# Verified against when the account does not exist, so both cases take as long.
_DUMMY_HASH = _hasher.hash("fieldlog-timing-equaliser-not-a-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """True if `password` matches; always does the same work, even without a hash."""
    if not password_hash:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    try:
        return _hasher.verify(password, password_hash)
    except Exception:
        return False


def password_problem(password: str, *, user_inputs: list[str] | None = None) -> str | None:
    """Why `password` is refused, in words a person understands; None if it is fine."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    result = zxcvbn(password[:100], user_inputs=user_inputs or [])
    if result["score"] < 3:
        warning = result["feedback"].get("warning") or "It is too easy to guess."
        return f"This password is too common or easy to guess. {warning}".strip()
    return None
