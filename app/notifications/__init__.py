"""Notifications: notices in the app, their mails (an outbox a worker sends over SMTP) and
the weekly digests.

Loading the package subscribes its events to the audit trail (events.py), so every process
that loads the whole schema (app.models: the app, the `fieldlog` command, the tests and
migrations) writes the notices in the transaction of each change.
"""

from app.audit import service as _audit
from app.notifications import events as _events

_audit.observe(_events.on_audit_entry)
