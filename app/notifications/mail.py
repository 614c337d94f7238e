"""Mails: a notice or a digest made into a message (plain text and HTML from the templates
in templates/notifications/), and the SMTP connection that sends them."""

from __future__ import annotations

import contextlib
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.activities import policy
from app.activities.models import Activity
from app.config import Settings
from app.notifications.models import Notice, OutboxMail
from app.notifications.service import link
from app.web import TEMPLATES_DIR

# Its own environment: the text bodies must not be HTML-escaped, the HTML ones must.
mail_templates = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=select_autoescape(["html"], default_for_string=False, default=False),
    trim_blocks=True,
    lstrip_blocks=True,
)


def url(settings: Settings, path: str) -> str:
    return settings.public_base_url.rstrip("/") + path


def render(name: str, **context) -> tuple[str, str]:
    """(text, html) of `templates/notifications/<name>.txt` and `.html`."""
    text = mail_templates.get_template(f"notifications/{name}.txt").render(**context)
    html = mail_templates.get_template(f"notifications/{name}.html").render(**context)
    return text, html


def compose(session: Session, row: OutboxMail, settings: Settings) -> EmailMessage | None:
    """The message for one outbox row, or None when it must not be sent: the recipient
    has no address or is inactive, or may no longer see the record (asked now, with the
    record's policy, so the mail says nothing the page would not)."""
    user = session.get(User, row.user_id)
    if user is None or not user.active or not user.email:
        return None
    if row.notice_id is None:
        subject, text, html = row.subject or "", row.body_text or "", row.body_html or ""
    else:
        notice = session.get(Notice, row.notice_id)
        if notice is None:
            return None
        activity = session.get(Activity, notice.activity_id) if notice.activity_id else None
        if notice.activity_id is not None and (
            activity is None or not policy.can_see(user, activity)
        ):
            return None
        subject = f"FieldLog: {notice.text}"[:200]
        text, html = render(
            "notice",
            notice=notice,
            activity=activity,
            user=user,
            link=url(settings, link(notice)),
            settings_link=url(settings, "/notifications"),
        )
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = user.email
    message["Subject"] = subject
    message["Message-ID"] = row.message_id
    message["Date"] = formatdate(usegmt=True)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


class SmtpTransport:
    """One SMTP connection for a batch, opened at the first message."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            s = self.settings
            self.smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30)
            if s.smtp_starttls:
                self.smtp.starttls()
            if s.smtp_user:
                self.smtp.login(s.smtp_user, s.smtp_password)
        self.smtp.send_message(message)

    def close(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
            self.smtp = None
