"""One settings class, read from FIELDLOG_* environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIELDLOG_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///fieldlog.db",
        description="SQLAlchemy URL. SQLite file in the working directory by default; "
        "postgresql+psycopg://user@host/db in production.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=5000, ge=0, description="How long a SQLite writer waits for the lock."
    )
    page_size_max: int = Field(default=200, ge=1, le=1000, description="Cap on list `limit`.")
    docs_enabled: bool = Field(default=True, description="Serve /docs and /openapi.json.")

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, url: str) -> str:
        if not url.startswith(("sqlite", "postgresql")):
            raise ValueError("FIELDLOG_DATABASE_URL must be a sqlite:// or postgresql:// URL")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
