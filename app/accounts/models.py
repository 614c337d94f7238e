"""Users of FieldLog."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base
from app.missions.models import Mission
from app.models_common import enum_check, utcnow
from app.vocab import Role


class User(Base):
    """A person who signs in: focal points and heads of mission belong to one mission."""

    __tablename__ = "users"
    __table_args__ = (
        enum_check("role", Role.values()),
        CheckConstraint(
            "role NOT IN ('focal_point', 'head_of_mission') OR mission_id IS NOT NULL",
            name="mission_roles_have_mission",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("missions.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    mission: Mapped[Mission | None] = relationship()
