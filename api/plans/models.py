"""Plan job rows, the published plan of each date, and the per-technician routes published from it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text, func, true
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


UNFINISHED = (JobStatus.queued.value, JobStatus.running.value)


class PlanJob(Base):
    """One plan request and, once solved, its plan (the JSON contract); the plan is written with `done`."""

    __tablename__ = "plan_jobs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'cancelled')", name="status"),
        # a plan exists exactly when the job is done: nothing partial is ever stored
        CheckConstraint("(status = 'done') = (plan IS NOT NULL)", name="plan_when_done"),
        Index("ix_plan_jobs_date_status", "date", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.queued.value)
    phase: Mapped[str] = mapped_column(String(40), default="waiting for a solver")
    policy: Mapped[dict[str, Any]]  # dispatch.domain.Policy.to_dict(): what the solve is given
    parent_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("plan_jobs.id", ondelete="SET NULL"))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pins: Mapped[dict[str, Any]]  # order id -> technician id the solve was given
    # the Day the solve was given (technicians with van stock, orders), so a plan can be checked later
    input: Mapped[dict[str, Any] | None] = mapped_column(deferred=True)
    error: Mapped[str | None] = mapped_column(Text)
    plan: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # no result by then means the solver was stopped (a killed process, a restarted service): the job failed
    deadline_at: Mapped[datetime] = mapped_column(DateTime)
    # a live re-plan's moment of the day: what happened by then is frozen (None: a plan from the morning)
    at: Mapped[datetime | None] = mapped_column(DateTime)


class PublishedPlan(Base):
    """The plan technicians see for a date: one per date, replaced by publishing another of that date."""

    __tablename__ = "published_plans"

    date: Mapped[date] = mapped_column(Date, primary_key=True)
    # a multi-day plan is the published plan of each of its dates
    plan_id: Mapped[str] = mapped_column(String(36), ForeignKey("plan_jobs.id", ondelete="RESTRICT"), index=True)
    published_at: Mapped[datetime] = mapped_column(DateTime)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # 1 for the date's first publication, then one more at each: technicians see which route is the latest
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # what this publication changed against the one before (the plan contract's change items; [] for the first)
    changes: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class PublishedRoute(Base):
    """One technician's route of the published plan, ready to serve (stops with address and parts to bring)."""

    __tablename__ = "published_routes"

    date: Mapped[date] = mapped_column(Date, ForeignKey("published_plans.date", ondelete="CASCADE"),
                                       primary_key=True)
    technician_id: Mapped[str] = mapped_column(String(64), ForeignKey("technicians.id", ondelete="CASCADE"),
                                               primary_key=True)
    plan_id: Mapped[str] = mapped_column(String(36), ForeignKey("plan_jobs.id", ondelete="CASCADE"), index=True)
    published_at: Mapped[datetime] = mapped_column(DateTime)
    route: Mapped[dict[str, Any]]


class PublishedStop(Base):
    """Which technicians visit which order under the published plan of a date (who may see the order): one
    row per technician, so each member of a crew, with the lead (whose van gives the parts) marked."""

    __tablename__ = "published_stops"
    __table_args__ = (Index("ix_published_stops_technician_order", "technician_id", "order_id"),)

    date: Mapped[date] = mapped_column(Date, ForeignKey("published_plans.date", ondelete="CASCADE"),
                                       primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    technician_id: Mapped[str] = mapped_column(String(64), ForeignKey("technicians.id", ondelete="CASCADE"),
                                               primary_key=True)
    lead: Mapped[bool] = mapped_column(default=True, server_default=true())
