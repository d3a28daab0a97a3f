"""Plan job bodies: request, re-plan, read (status, progress, then the plan), publish."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.plans.models import JobStatus
from api.technicians.schemas import Id

TimeLimit = Field(default=None, gt=0, le=600, description="seconds of search; default the deployment's")
Seed = Field(default=None, ge=0, le=2**31 - 1)
SolutionLimit = Field(default=None, ge=1, le=1_000_000, description="stop after this many improving solutions")


class PlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: dt.date
    time_limit: float | None = TimeLimit
    seed: int | None = Seed
    solution_limit: int | None = SolutionLimit


class ReplanRequest(BaseModel):
    """Re-plan the date of a plan; `pins` first pin these orders to these technicians (as PATCH /orders does)."""

    model_config = ConfigDict(extra="forbid")

    pins: dict[Id, Id] = Field(default_factory=dict, max_length=500, description="order id -> technician id")
    time_limit: float | None = TimeLimit
    seed: int | None = Seed
    solution_limit: int | None = SolutionLimit


class PlanRead(BaseModel):
    id: str
    date: dt.date
    status: JobStatus
    phase: str
    progress: float = Field(ge=0, le=1, description="a time-based estimate while running")
    time_limit: float
    seed: int
    solution_limit: int | None
    parent_id: str | None
    pins: dict[str, str]
    error: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    published: bool
    plan: dict[str, Any] | None = Field(description="the plan JSON contract (routes, unassigned with reasons, "
                                                    "kpis, objective, policy) once done")


class PlanSummary(BaseModel):
    id: str
    date: dt.date
    status: JobStatus
    created_at: dt.datetime
    finished_at: dt.datetime | None
    published: bool


class PublishedRead(BaseModel):
    date: dt.date
    plan_id: str
    published_at: dt.datetime
    technicians: list[str]


class PartToBring(BaseModel):
    part_id: str
    name: str
    quantity: int


class StopRead(BaseModel):
    seq: int
    order_id: str
    customer_id: str
    customer_name: str
    phone: str | None
    address: str | None
    lat: float
    lon: float
    priority: str
    eta: dt.datetime = Field(description="arrival on site")
    arrival: dt.datetime
    start: dt.datetime
    end: dt.datetime
    duration_min: int
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    travel_km: float
    travel_minutes: float
    late_minutes: float
    required_skills: list[str]
    parts: list[PartToBring]
    notes: str | None


class Place(BaseModel):
    lat: float
    lon: float
    address: str | None


class Interval(BaseModel):
    start: dt.datetime
    end: dt.datetime


class RouteRead(BaseModel):
    """A technician's route of the published plan: ordered stops with ETAs, addresses and parts to bring."""

    date: dt.date
    plan_id: str
    technician_id: str
    technician_name: str
    home: Place
    depart: dt.datetime | None
    back: dt.datetime | None
    break_: Interval | None = Field(alias="break")
    travel_km: float = Field(description="the whole route, the drive home included")
    travel_minutes: float
    stops: list[StopRead]
    parts_to_bring: list[PartToBring]
