"""Customer bodies: create, update, read."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.timefields import LocalDateTime
from dispatch.domain import Priority

CustomerId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Hours = Annotated[float, Field(gt=0, le=24 * 365)]


class CustomerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: CustomerId
    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    phone: str | None = Field(default=None, max_length=40)
    sla_hours: dict[Priority, Hours] | None = None


class CustomerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    phone: str | None = Field(default=None, max_length=40)
    sla_hours: dict[Priority, Hours] | None = None


class CustomerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    address: str | None
    lat: float | None
    lon: float | None
    phone: str | None
    sla_hours: dict[Priority, float] | None


class HistorySummary(BaseModel):
    orders: int
    visits: int
    average_score: float | None
    complaints: int
    open_complaints: int = Field(description="complaints not resolved yet")
    last_visit: dt.date | None
    first_time_fix: float | None = Field(description="first visits that fixed the order, over finished first "
                                                     "visits")


class HistoryVisit(BaseModel):
    date: dt.date
    technician_id: str
    outcome: Literal["fixed", "solved", "unresolved", "open"] = Field(
        description="fixed on the order's first visit, solved, finished unresolved, or not finished")
    reason: str | None = Field(description="why an unresolved visit needs another")
    score: int | None
    notes: str | None


class HistoryOrder(BaseModel):
    order_id: str
    created_at: LocalDateTime
    priority: Priority
    status: str
    visits: list[HistoryVisit]


class HistoryComplaint(BaseModel):
    id: int
    received_at: LocalDateTime
    channel: str
    order_id: str | None
    status: Literal["open", "responded", "resolved"]
    outcome: str | None


class CustomerHistory(BaseModel):
    customer_id: str
    name: str
    summary: HistorySummary
    orders: list[HistoryOrder] = Field(description="newest first, at most `limit`")
    complaints: list[HistoryComplaint] = Field(description="newest first")
