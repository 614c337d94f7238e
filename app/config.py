"""One settings class, read from FIELDLOG_* environment variables; fails fast on bad values."""

from __future__ import annotations

from functools import lru_cache
from ipaddress import ip_network
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-do-not-use-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIELDLOG_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = Field(
        default="development",
        description="production refuses the development secret and the demo users.",
    )
    database_url: str = Field(
        default="sqlite:///fieldlog.db",
        description="SQLAlchemy URL. SQLite file in the working directory by default; "
        "postgresql+psycopg://user@host/db in production.",
    )
    secret_key: str = Field(
        default=DEV_SECRET,
        min_length=16,
        description="Signs session and CSRF cookies. Set a long random value in production.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=5000, ge=0, description="How long a SQLite writer waits for the lock."
    )
    page_size_max: int = Field(default=200, ge=1, le=1000, description="Cap on list `limit`.")
    docs_enabled: bool = Field(default=True, description="Serve /docs and /openapi.json.")
    cookie_secure: bool = Field(
        default=False, description="Mark cookies Secure (set true behind HTTPS)."
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="Sign out after this long without a request."
    )
    session_absolute_hours: int = Field(
        default=12, ge=1, le=24 * 30, description="Sign out this long after signing in, always."
    )
    # Sign-in throttling (app/accounts/service.py, "signing in"; SECURITY.md has the rule).
    login_max_failures_per_account_and_address: int = Field(
        default=5,
        ge=1,
        description="Failed sign-ins for one account from one address before that address "
        "must wait to try the account again (1 s, doubling with each failure more).",
    )
    login_max_failures_per_address: int = Field(
        default=20,
        ge=1,
        description="Failed sign-ins from one address, for any accounts, before it must wait.",
    )
    login_max_failures_per_account: int = Field(
        default=50,
        ge=1,
        description="Failed sign-ins for one account from all addresses before addresses it "
        "has not signed in from lately must wait; its owner's own addresses never do.",
    )
    login_lockout_minutes: int = Field(
        default=15,
        ge=1,
        le=24 * 60,
        description="Window that failures are counted in, and the longest wait.",
    )
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        default="NORMAL",
        description="SQLite's PRAGMA synchronous. NORMAL (with WAL): a power cut may lose the "
        "last transactions, never corrupts. FULL: a committed transaction survives a power "
        "cut too, at the cost of a disk sync per commit.",
    )

    max_request_bytes: int = Field(
        default=25 * 1024 * 1024,
        ge=64 * 1024,
        description="Largest request body accepted (bytes); larger ones are refused with 413 "
        "before they are read in full. Keep it above the 20 MB an import file may have.",
    )
    idempotency_days: int = Field(
        default=30,
        ge=7,
        le=3650,
        description="How long a create's Idempotency-Key is remembered (days): a resend "
        "within it answers with the record already made. At least a week, for a device "
        "that was offline that long.",
    )
    forwarded_allow_ips: str = Field(
        default="",
        description="Comma-separated addresses or networks of the reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed (e.g. 127.0.0.1 when nginx runs "
        "on the same host). Empty: believe no one, use the connection's own address.",
    )

    # Notifications by mail (app/notifications). No host: no mail is sent, notices still show.
    smtp_host: str = Field(default="", description="SMTP server for notice mails; empty: off.")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP server port.")
    smtp_user: str = Field(default="", description="SMTP user name; empty: no login.")
    smtp_password: str = Field(default="", description="SMTP password.")
    smtp_from: str = Field(
        default="fieldlog@localhost", description="The From address of notice mails."
    )
    smtp_starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS.")
    mail_interval_seconds: float = Field(
        default=10.0, ge=0.1, le=3600, description="How often the mail worker looks for mail."
    )
    public_base_url: str = Field(
        default="http://localhost:8000",
        description="Where people open FieldLog: the links in mails start with it.",
    )
    silent_weeks: int = Field(
        default=4,
        ge=1,
        le=52,
        description="A mission or focal point with nothing logged for this many weeks is "
        "flagged as silent on /compare and in the digests.",
    )

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses_or_networks(cls, value: str) -> str:
        items = [item.strip() for item in value.split(",") if item.strip()]
        for item in items:
            if item == "*":
                continue
            try:
                ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"FIELDLOG_FORWARDED_ALLOW_IPS: {item!r} is not an address or network "
                    "(e.g. 127.0.0.1, 10.0.0.0/8, or * for any)"
                ) from None
        return ",".join(items)

    @field_validator("sqlite_synchronous", mode="before")
    @classmethod
    def _synchronous_in_capitals(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, url: str) -> str:
        if not url.startswith(("sqlite", "postgresql")):
            raise ValueError("FIELDLOG_DATABASE_URL must be a sqlite:// or postgresql:// URL")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url

    @model_validator(mode="after")
    def _production_is_strict(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("FIELDLOG_SECRET_KEY must be set to a long random value in production")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
