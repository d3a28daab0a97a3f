"""User rows and the record of failed logins per client (in the database, so the back-off holds across workers)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, Timestamps


class Role(StrEnum):
    dispatcher = "dispatcher"
    technician = "technician"
    storekeeper = "storekeeper"
    planner = "planner"
    supervisor = "supervisor"  # the service standards: the report, complaints, alerts, follow-up calls


ROLE_VALUES = ", ".join(f"'{r.value}'" for r in Role)


class User(Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({ROLE_VALUES})", name="role"),
        # a technician user is always linked to exactly one technician, and only technician users are
        CheckConstraint("(role = 'technician') = (technician_id IS NOT NULL)", name="technician_link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lower-case
    full_name: Mapped[str | None] = mapped_column(String(200))
    hashed_password: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    technician_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("technicians.id", ondelete="RESTRICT"), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)


class LoginFailure(Base):
    """One failed login of `username` from `client` (its address). Rows are forgotten after the login window."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_client_username_at", "client", "username", "at"),
                      Index("ix_login_failures_at", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    username: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)
