"""Repair order bodies: create, update (no status: cancelling has its own route), cancel, read, import."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.orders.models import OrderStatus
from api.parts.schemas import PartId
from api.technicians.schemas import Id, Lat, Lon, Tag, Territory
from dispatch.domain import Priority

Quantity = Annotated[int, Field(ge=1, le=10_000)]


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Id
    customer_id: Id
    lat: Lat
    lon: Lon
    address: str | None = Field(default=None, max_length=300)
    priority: Priority
    required_skills: list[Tag] = Field(default_factory=list, max_length=20)
    duration_min: int = Field(ge=0, le=24 * 60)
    created_at: datetime | None = Field(default=None, description="starts the response clock; default now")
    window_start: datetime | None = None
    window_end: datetime | None = None
    required_parts: dict[PartId, Quantity] = Field(default_factory=dict, max_length=50)
    pinned_technician_id: Id | None = None
    notes: str | None = Field(default=None, max_length=2000)
    territory: Territory | None = None


class OrderUpdate(BaseModel):
    """Only the fields sent are changed; id, status and source are not among them."""

    model_config = ConfigDict(extra="forbid")

    customer_id: Id | None = None
    lat: Lat | None = None
    lon: Lon | None = None
    address: str | None = Field(default=None, max_length=300)
    priority: Priority | None = None
    required_skills: list[Tag] | None = Field(default=None, max_length=20)
    duration_min: int | None = Field(default=None, ge=0, le=24 * 60)
    created_at: datetime | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    required_parts: dict[PartId, Quantity] | None = Field(default=None, max_length=50)
    pinned_technician_id: Id | None = None
    notes: str | None = Field(default=None, max_length=2000)
    territory: Territory | None = None


class OrderCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]


class OutcomeRead(BaseModel):
    """How the order's last finished visit ended, so the dispatcher sees why it is back in the pool."""

    event: Literal["done", "unresolved"]
    reason: str | None = Field(description="unresolved: part_missing, second_technician, customer_absent, other")
    note: str | None
    time: datetime
    technician_id: str


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    customer_id: str
    lat: float
    lon: float
    address: str | None
    priority: Priority
    required_skills: list[str]
    duration_min: int
    created_at: datetime
    window_start: datetime | None
    window_end: datetime | None
    required_parts: dict[str, int]
    pinned_technician_id: str | None
    notes: str | None
    territory: str | None
    status: OrderStatus
    cancelled_at: datetime | None
    cancel_reason: str | None
    source: str
    last_outcome: OutcomeRead | None = Field(default=None, description="the last finished visit's outcome")


class CellErrorRead(BaseModel):
    """One bad cell of an imported file, numbered as a spreadsheet shows it (header = row 1)."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str


class ImportResult(BaseModel):
    created: int
    order_ids: list[str]
    customers_created: list[str]


class CandidateRead(BaseModel):
    """A technician and whether they could take the order on the date asked (what a pin may choose)."""

    technician_id: str
    name: str
    fits: bool
    reason: str | None = Field(description="why not, in words: 'lacks refrigeration', 'van holds 0 of 1 × "
                                           "CMP-900', 'off that day'...; null when the order fits")
    rules: list[str] = Field(description="the rules of the model it breaks: required skill, van stock, shift, "
                                         "appointment window")


class WindowProposal(BaseModel):
    """Another appointment window proposed to the order's customer (a plan's fix); the order keeps its window
    until it is changed (PATCH) once the customer agrees."""

    model_config = ConfigDict(extra="forbid")

    window_start: datetime = Field(description="local time, e.g. 2026-12-02T10:00")
    window_end: datetime = Field(description="on the same date, not before window_start")
