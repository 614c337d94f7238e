"""Never twice: a create sent again with the same key answers with the record it made.

A device names each create with a key of its own choosing (the API's `Idempotency-Key`
header, the form's hidden field). The first send stores the key with a hash of the body
and the record it made, in the same transaction as the record; a resend with the same
key and body answers with that record, a resend with another body is refused. A field
device that was offline for days retries what it queued, and a double tap or a browser's
retry of a post must not log the activity twice.

Keys belong to their user and are kept `keep_days` (FIELDLOG_IDEMPOTENCY_DAYS); each
keyed create deletes a batch of expired ones.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.actor import Actor
from app.activities import service
from app.activities.models import Activity, IdempotencyKey
from app.activities.schemas import ActivityCreate
from app.errors import Conflict, FieldError, ValidationFailed
from app.models_common import utcnow

HEADER = "Idempotency-Key"
KEY_LOC = ("header", HEADER)
KEY_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
KEY_RULE = f"an {HEADER} is 1 to 100 letters, digits, '-', '_', '.' or ':' (a UUID, for example)"
PURGE_BATCH = 100  # expired keys deleted per create: a bounded cost, caught up over time


def is_valid(key: str) -> bool:
    return KEY_PATTERN.fullmatch(key) is not None


def _checked(key: str) -> str:
    if not is_valid(key):
        raise ValueError(KEY_RULE)
    return key


Key = Annotated[str, AfterValidator(_checked)]


def new_key() -> str:
    """A fresh key, for a form shown by the server (a device makes its own)."""
    return str(uuid.uuid4())


def body_hash(data: ActivityCreate) -> str:
    """The validated body as canonical JSON, hashed: key order, spacing and defaults left
    out or spelled out do not make two sends of one activity differ."""
    canonical = json.dumps(
        data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class KeyReused(ValidationFailed):
    """The key already made a record from another body."""

    def __init__(self, activity_id: int) -> None:
        message = (
            f"this key was already used for a different activity (activity {activity_id}); "
            "send a new key to log a new one"
        )
        super().__init__([FieldError(KEY_LOC, message, "idempotency_key_reused")])
        self.activity_id = activity_id


class RecordDeleted(Conflict):
    """The key made a record that has since been deleted."""


@dataclass(frozen=True)
class Created:
    """What a create answered: the record, and whether an earlier send had made it."""

    activity: Activity
    replayed: bool


def create_once(
    session: Session,
    *,
    data: ActivityCreate,
    actor: Actor,
    key: str | None,
    keep_days: int,
) -> Created:
    """`service.create`, once per (user, key); without a key, every call creates.

    The key's row is inserted before the record: a concurrent send with the same key
    waits on the unique index (PostgreSQL; SQLite's writers already queue), fails once
    the first commits, and then answers with the first one's record.
    """
    if key is None:
        return Created(service.create(session, data=data, actor=actor), replayed=False)
    digest = body_hash(data)
    _purge_expired(session, keep_days=keep_days)
    stored = _find(session, actor.id, key)
    if stored is None:
        row = IdempotencyKey(user_id=actor.id, key=key, body_hash=digest)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            stored = _find(session, actor.id, key)
            if stored is None:
                raise
        else:
            activity = service.create(session, data=data, actor=actor)
            row.activity_id = activity.id
            session.flush()
            return Created(activity, replayed=False)
    return Created(_replay(session, stored, digest, actor), replayed=True)


def _find(session: Session, user_id: int, key: str) -> IdempotencyKey | None:
    return session.scalar(
        select(IdempotencyKey)
        .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
        .execution_options(populate_existing=True)
    )


def _replay(session: Session, stored: IdempotencyKey, digest: str, actor: Actor) -> Activity:
    if stored.activity_id is None:
        raise RecordDeleted(
            f"The record made with this {HEADER} was deleted; nothing was created again. "
            "Send a new key to log it anew."
        )
    if stored.body_hash != digest:
        raise KeyReused(stored.activity_id)
    return service.get_or_raise(session, stored.activity_id, actor=actor)


def _purge_expired(session: Session, *, keep_days: int) -> None:
    """Delete up to PURGE_BATCH keys older than `keep_days`; rows another transaction is
    deleting are skipped, not waited for (SKIP LOCKED on PostgreSQL; SQLite's writers
    queue anyway)."""
    cutoff = utcnow() - timedelta(days=keep_days)
    expired = (
        select(IdempotencyKey.id)
        .where(IdempotencyKey.created_at < cutoff)
        .order_by(IdempotencyKey.id)
        .limit(PURGE_BATCH)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.id.in_(expired)),
        execution_options={"synchronize_session": False},
    )
