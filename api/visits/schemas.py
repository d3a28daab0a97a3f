"""Visit bodies: record (on one of my stops), update, read; parts used on a visit."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api.parts.schemas import PartId
from api.technicians.schemas import Id

Score = Annotated[int, Field(ge=1, le=5, description="the customer's score, 1 (bad) to 5 (very good)")]


class VisitFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    arrived_at: dt.datetime | None = None
    started_at: dt.datetime | None = Field(default=None, description="start of service; default the arrival")
    done_at: dt.datetime | None = None
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
    arrived_at: dt.datetime | None
    started_at: dt.datetime | None
    done_at: dt.datetime | None
    fixed_first_time: bool | None
    resolved: bool | None
    major_repair: bool
    customer_score: int | None
    notes: str | None


class PartUse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part_id: PartId
    quantity: int = Field(ge=1, le=10_000)
