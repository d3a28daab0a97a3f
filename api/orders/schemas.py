"""Repair order bodies: create, update (no status: cancelling has its own route), cancel, read, import."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from api.orders.models import OrderStatus
from api.parts.schemas import PartId
from api.technicians.schemas import LEVELS_DOC, Id, Lat, Lon, Skill, Territory
from api.timefields import LocalDateTime
from dispatch.domain import MAX_CREW, Priority

Quantity = Annotated[int, Field(ge=1, le=10_000)]
REQUIRED_SKILLS_DOC = ("the technician needs all of them; a level is written hvac:2 as in orders.csv (the "
                       "technician must hold hvac at level 2 or more). Sending the list replaces the levels too")
PREFERRED_DOC = ("the technician the customer asks for: plans give them the order when it costs little more "
                 "(not a pin); one not on the day's roster is ignored, as by `dispatch solve`")
FORBIDDEN_DOC = "technicians the customer refuses: plans never give them the order"
WINDOW_DATE_DOC = "the day of the appointment window; window_start and window_end lie on it"
CREW_DOC = (f"technicians the job needs together (1..{MAX_CREW}): they start together and stay for its "
            "duration; each has the stop on their route and reports their own visit, the lead's closes the order")


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Id
    customer_id: Id
    lat: Lat
    lon: Lon
    address: str | None = Field(default=None, max_length=300)
    priority: Priority
    required_skills: list[Skill] = Field(default_factory=list, max_length=20, description=REQUIRED_SKILLS_DOC)
    duration_min: int = Field(ge=0, le=24 * 60)
    created_at: LocalDateTime | None = Field(default=None, description="starts the response clock; default now")
    window_start: LocalDateTime | None = None
    window_end: LocalDateTime | None = None
    required_parts: dict[PartId, Quantity] = Field(default_factory=dict, max_length=50)
    pinned_technician_id: Id | None = None
    preferred_technician_id: Id | None = Field(default=None, description=PREFERRED_DOC)
    forbidden_technician_ids: list[Id] = Field(default_factory=list, max_length=50, description=FORBIDDEN_DOC)
    window_date: date | None = Field(default=None, description=WINDOW_DATE_DOC)
    technicians_needed: int = Field(default=1, ge=1, le=MAX_CREW, description=CREW_DOC)
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
    required_skills: list[Skill] | None = Field(default=None, max_length=20, description=REQUIRED_SKILLS_DOC)
    duration_min: int | None = Field(default=None, ge=0, le=24 * 60)
    created_at: LocalDateTime | None = None
    window_start: LocalDateTime | None = None
    window_end: LocalDateTime | None = None
    required_parts: dict[PartId, Quantity] | None = Field(default=None, max_length=50)
    pinned_technician_id: Id | None = None
    preferred_technician_id: Id | None = Field(default=None, description=PREFERRED_DOC)
    forbidden_technician_ids: list[Id] | None = Field(default=None, max_length=50, description=FORBIDDEN_DOC)
    window_date: date | None = Field(default=None, description=WINDOW_DATE_DOC)
    technicians_needed: int | None = Field(default=None, ge=1, le=MAX_CREW, description=CREW_DOC)
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
    time: LocalDateTime
    technician_id: str


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    customer_id: str
    lat: float
    lon: float
    address: str | None
    priority: Priority
    required_skills: list[str] = Field(description="skill tags, without levels")
    required_skill_levels: dict[str, int] = Field(description=LEVELS_DOC.format("required_skills"))
    duration_min: int
    created_at: LocalDateTime
    window_start: LocalDateTime | None
    window_end: LocalDateTime | None
    window_date: date | None = Field(description=WINDOW_DATE_DOC)
    required_parts: dict[str, int]
    pinned_technician_id: str | None
    preferred_technician_id: str | None = Field(description=PREFERRED_DOC)
    forbidden_technician_ids: list[str] = Field(description=FORBIDDEN_DOC)
    technicians_needed: int = Field(description=CREW_DOC)
    notes: str | None
    territory: str | None
    status: OrderStatus
    cancelled_at: LocalDateTime | None
    cancel_reason: str | None
    source: str
    last_outcome: OutcomeRead | None = Field(default=None, description="the last finished visit's outcome")

    @field_validator("required_skill_levels", "forbidden_technician_ids", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object, info: ValidationInfo) -> object:
        if value is None:  # rows stored before these columns were
            return {} if info.field_name == "required_skill_levels" else []
        return value


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

    window_start: LocalDateTime = Field(description="local time, e.g. 2026-12-02T10:00")
    window_end: LocalDateTime = Field(description="on the same date, not before window_start")
