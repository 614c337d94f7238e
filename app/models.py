"""Import every model so Base.metadata knows the whole schema (for Alembic and tests)."""

from app.accounts.models import ApiToken, LoginFailure, User, UserSession
from app.activities.aggregate_models import ActivityStat, LocationStat, TrainingStat, VisitStat
from app.activities.models import Activity, ActivityTheme, IdempotencyKey
from app.audit.models import AuditEntry
from app.db import Base
from app.exchange.jobs import Job
from app.missions.models import (
    Development,
    FocalPointAppointment,
    Location,
    Mission,
    Partner,
    Project,
)
from app.notifications.models import DigestSent, Notice, NoticePreference, OutboxMail

__all__ = [
    "Activity",
    "ActivityStat",
    "TrainingStat",
    "VisitStat",
    "LocationStat",
    "ApiToken",
    "LoginFailure",
    "UserSession",
    "ActivityTheme",
    "AuditEntry",
    "Base",
    "Development",
    "IdempotencyKey",
    "Job",
    "FocalPointAppointment",
    "Location",
    "Mission",
    "Partner",
    "Project",
    "User",
    "Notice",
    "NoticePreference",
    "OutboxMail",
    "DigestSent",
]
