"""Visit bodies: record (on one of my stops), update, read; parts used on a visit; day events."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.parts.schemas import PartId
from api.technicians.schemas import Id
from api.timefields import LocalDateTime

Score = Annotated[int, Field(ge=1, le=5, description="the customer's score, 1 (bad) to 5 (very good)")]


class VisitFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    arrived_at: LocalDateTime | None = None
    started_at: LocalDateTime | None = Field(default=None, description="start of service; default the arrival")
    done_at: LocalDateTime | None = None
    fixed_first_time: bool | None = Field(default=None, description="fixed on this visit, the order's first")
    resolved: bool | None = Field(default=None, description="the problem is solved; default fixed_first_time")
    major_repair: bool | None = Field(default=None, description="schedules follow-up calls after 3 and 7 days")
    customer_score: Score | None = None
    notes: str | None = Field(default=None, max_length=2000)


class VisitCreate(VisitFields):
    order_id: Id
    date: dt.date = Field(description="the date of the published route the stop is on")


class VisitUpdate(VisitFields):
    """Only the fields sent are changed (arrive first, finish later)."""


class VisitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: str
    technician_id: str
    date: dt.date
    plan_id: str | None
    arrived_at: LocalDateTime | None
    started_at: LocalDateTime | None
    done_at: LocalDateTime | None
    fixed_first_time: bool | None
    resolved: bool | None
    major_repair: bool
    customer_score: int | None
    notes: str | None
    reason: str | None = Field(description="why an unresolved visit needs another: part_missing, "
                                           "second_technician, customer_absent, other")


class PartUse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part_id: PartId
    quantity: int = Field(ge=1, le=10_000)


EventName = Literal["departed", "arrived", "started", "done", "unresolved", "break", "absent", "cancelled"]
ReasonName = Literal["part_missing", "second_technician", "customer_absent", "other"]


class EventCreate(BaseModel):
    """One step of the day as a phone reports it (the `events.csv` contract), with what a finish carries."""

    model_config = ConfigDict(extra="forbid")

    time: LocalDateTime = Field(description="the phone's time of the event, ISO 8601 (local; one with an offset is "
                                           "converted)")
    event: EventName
    order_id: Id | None = Field(default=None, description="empty for break and absent")
    technician_id: Id | None = Field(default=None, description="staff only: whose event it is")
    reason: ReasonName | None = Field(default=None, description="why the order needs another visit (unresolved)")
    note: str = Field(default="", max_length=2000)
    parts: list[PartUse] = Field(default_factory=list, max_length=50,
                                 description="parts used on the visit, out of the van (done, unresolved)")
    customer_score: Score | None = None


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    date: dt.date
    time: LocalDateTime
    received_at: LocalDateTime
    technician_id: str | None
    order_id: str | None
    event: EventName
    reason: ReasonName | None
    note: str
