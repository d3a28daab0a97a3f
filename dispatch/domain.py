"""Plain, frozen domain types that validate themselves on creation.

Times are naive local datetimes of the plan's area. Errors are ValueError naming the field and value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from immutabledict import immutabledict


class Priority(StrEnum):
    P1 = "P1"  # emergency: equipment down, safety
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"

    @property
    def rank(self) -> int:
        return int(self.value[1])


def _frozen_map(value: Mapping[str, int] | None) -> Mapping[str, int]:
    return immutabledict(sorted((value or {}).items()))


def _check_lat_lon(owner: str, lat: float, lon: float) -> None:
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"{owner}: lat {lat} is outside -90..90")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"{owner}: lon {lon} is outside -180..180")


def _check_quantities(owner: str, field_name: str, parts: Mapping[str, int]) -> None:
    for part, qty in parts.items():
        if not part:
            raise ValueError(f"{owner}: {field_name} has an empty part name")
        if qty < 0:
            raise ValueError(f"{owner}: {field_name} quantity {qty} of {part} is negative")


@dataclass(frozen=True)
class Technician:
    id: str
    name: str
    skills: frozenset[str]
    home_lat: float
    home_lon: float
    shift_start: datetime
    shift_end: datetime
    break_start: datetime | None = None
    break_end: datetime | None = None
    break_minutes: int | None = None
    max_orders: int | None = None
    van_stock: Mapping[str, int] = field(default_factory=dict)
    territory: str | None = None  # the region a large day is split by, when the data gives one

    def __post_init__(self) -> None:
        who = f"technician {self.id}"
        if not self.id:
            raise ValueError("technician: id is empty")
        object.__setattr__(self, "skills", frozenset(self.skills))
        object.__setattr__(self, "van_stock", _frozen_map(self.van_stock))
        _check_lat_lon(who, self.home_lat, self.home_lon)
        if self.shift_end < self.shift_start:
            raise ValueError(f"{who}: shift_end {self.shift_end:%H:%M} is before shift_start {self.shift_start:%H:%M}")
        if (self.break_start is None) != (self.break_end is None):
            raise ValueError(f"{who}: break_start and break_end must be given together")
        if self.break_start is not None and self.break_end is not None:
            if self.break_end < self.break_start:
                raise ValueError(f"{who}: break_end {self.break_end:%H:%M} is before break_start {self.break_start:%H:%M}")
            if self.break_minutes is None:
                raise ValueError(f"{who}: break_minutes is missing for the break window")
        if self.break_minutes is not None:
            if self.break_minutes < 0:
                raise ValueError(f"{who}: break_minutes {self.break_minutes} is negative")
            if self.break_start is None or self.break_end is None:
                raise ValueError(f"{who}: break_minutes {self.break_minutes} given without break_start/break_end")
            if (self.break_end - self.break_start).total_seconds() < self.break_minutes * 60:
                raise ValueError(f"{who}: break_minutes {self.break_minutes} does not fit in the break window")
        if self.max_orders is not None and self.max_orders < 0:
            raise ValueError(f"{who}: max_orders {self.max_orders} is negative")
        _check_quantities(who, "van_stock", self.van_stock)

    @property
    def has_break(self) -> bool:
        return self.break_minutes is not None and self.break_minutes > 0


@dataclass(frozen=True)
class Order:
    id: str
    customer: str
    lat: float
    lon: float
    priority: Priority
    required_skills: frozenset[str]
    duration_min: int
    created_at: datetime
    window_start: datetime | None = None
    window_end: datetime | None = None
    required_parts: Mapping[str, int] = field(default_factory=dict)
    pinned_technician: str | None = None
    territory: str | None = None

    def __post_init__(self) -> None:
        who = f"order {self.id}"
        if not self.id:
            raise ValueError("order: id is empty")
        object.__setattr__(self, "priority", Priority(self.priority))
        object.__setattr__(self, "required_skills", frozenset(self.required_skills))
        object.__setattr__(self, "required_parts", _frozen_map(self.required_parts))
        _check_lat_lon(who, self.lat, self.lon)
        if self.duration_min < 0:
            raise ValueError(f"{who}: duration_min {self.duration_min} is negative")
        if self.window_start and self.window_end and self.window_end < self.window_start:
            raise ValueError(f"{who}: window_end {self.window_end:%H:%M} is before window_start {self.window_start:%H:%M}")
        _check_quantities(who, "required_parts", self.required_parts)


PRIORITIES = tuple(Priority)


def _per_priority(values: Mapping[Any, float], what: str, *, positive: bool) -> Mapping[Priority, float]:
    # Priority is a StrEnum, so "P1" and Priority.P1 are the same key.
    out: dict[Priority, float] = {}
    for p in PRIORITIES:
        if p not in values:
            raise ValueError(f"{what}: missing {p.value}")
        v = values[p]
        if not math.isfinite(v) or v < 0 or (positive and v == 0):
            raise ValueError(f"{what}: {p.value} value {v} must be {'> 0' if positive else '>= 0'}")
        out[p] = v
    unknown = {str(k) for k in values} - {p.value for p in PRIORITIES}
    if unknown:
        raise ValueError(f"{what}: unknown priority {sorted(unknown)[0]!r}")
    return immutabledict(out)


@dataclass(frozen=True)
class SlaPolicy:
    """Response deadlines in hours from `created_at` to the start of service."""

    hours: Mapping[Priority, float] = field(
        default_factory=lambda: {Priority.P1: 4, Priority.P2: 8, Priority.P3: 24, Priority.P4: 72}
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "hours", _per_priority(self.hours, "sla hours", positive=True))

    def deadline(self, order: Order) -> datetime:
        from datetime import timedelta

        return order.created_at + timedelta(hours=self.hours[order.priority])


@dataclass(frozen=True)
class Weights:
    """Objective weights of DESIGN.md; every plan reports each part separately."""

    unserved: Mapping[Priority, float] = field(
        default_factory=lambda: {Priority.P1: 100_000, Priority.P2: 30_000, Priority.P3: 10_000, Priority.P4: 3_000}
    )
    late_per_minute: Mapping[Priority, float] = field(
        default_factory=lambda: {Priority.P1: 100, Priority.P2: 30, Priority.P3: 10, Priority.P4: 3}
    )
    per_km: float = 1.0
    # cost per minute of spread between the busiest and least busy technician; 0 switches it off
    balance_per_minute: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "unserved", _per_priority(self.unserved, "unserved weights", positive=False))
        object.__setattr__(self, "late_per_minute", _per_priority(self.late_per_minute, "lateness weights", positive=False))
        if not math.isfinite(self.per_km) or self.per_km < 0:
            raise ValueError(f"per_km {self.per_km} must be >= 0")
        if not math.isfinite(self.balance_per_minute) or self.balance_per_minute < 0:
            raise ValueError(f"balance_per_minute {self.balance_per_minute} must be >= 0")


@dataclass(frozen=True)
class TravelModel:
    """Geodesic distance times a road factor, driven at a constant speed."""

    road_factor: float = 1.3
    speed_kmh: float = 40.0

    def __post_init__(self) -> None:
        if not math.isfinite(self.road_factor) or self.road_factor < 1.0:
            raise ValueError(f"road_factor {self.road_factor} must be >= 1")
        if not math.isfinite(self.speed_kmh) or self.speed_kmh <= 0:
            raise ValueError(f"speed_kmh {self.speed_kmh} must be > 0")


MIN_REGION_ORDERS = 20


@dataclass(frozen=True)
class Policy:
    """Everything a plan was made with, recorded in the plan so a checker can recompute it."""

    sla: SlaPolicy = field(default_factory=SlaPolicy)
    weights: Weights = field(default_factory=Weights)
    travel: TravelModel = field(default_factory=TravelModel)
    seed: int = 0
    time_limit: float = 10.0
    solution_limit: int | None = None
    # the most orders solved as one problem: a larger day is split into regions of about half as many,
    # solved in parallel and stitched (dispatch.regions); None solves every day as one problem
    region_orders: int | None = 600

    def __post_init__(self) -> None:
        if not math.isfinite(self.time_limit) or self.time_limit <= 0:
            raise ValueError(f"time_limit {self.time_limit} must be > 0")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise ValueError(f"solution_limit {self.solution_limit} must be >= 1")
        if self.region_orders is not None and self.region_orders < MIN_REGION_ORDERS:
            raise ValueError(f"region_orders {self.region_orders} must be >= {MIN_REGION_ORDERS} (or None)")

    def by_region(self, orders: int) -> bool:
        """Whether a day of this many orders is planned region by region."""
        return self.region_orders is not None and orders > self.region_orders

    def to_dict(self) -> dict[str, object]:
        return {
            "sla_hours": {p.value: self.sla.hours[p] for p in PRIORITIES},
            "weights": {
                "unserved": {p.value: self.weights.unserved[p] for p in PRIORITIES},
                "late_per_minute": {p.value: self.weights.late_per_minute[p] for p in PRIORITIES},
                "per_km": self.weights.per_km,
                "balance_per_minute": self.weights.balance_per_minute,
            },
            "travel": {"model": "geodesic", "road_factor": self.travel.road_factor, "speed_kmh": self.travel.speed_kmh},
            "seed": self.seed,
            "time_limit": self.time_limit,
            "solution_limit": self.solution_limit,
            "region_orders": self.region_orders,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Policy:
        d: dict = dict(data)
        w: dict = dict(d.get("weights") or {})
        t: dict = dict(d.get("travel") or {})
        return cls(
            sla=SlaPolicy(d["sla_hours"]) if "sla_hours" in d else SlaPolicy(),
            weights=Weights(
                unserved=w.get("unserved", Weights().unserved),
                late_per_minute=w.get("late_per_minute", Weights().late_per_minute),
                per_km=w.get("per_km", 1.0),
                balance_per_minute=w.get("balance_per_minute", 0.0),
            ),
            travel=TravelModel(road_factor=t.get("road_factor", 1.3), speed_kmh=t.get("speed_kmh", 40.0)),
            seed=int(d.get("seed", 0)),
            time_limit=float(d.get("time_limit", 10.0)),
            solution_limit=d.get("solution_limit"),
            region_orders=d.get("region_orders", 600),
        )


@dataclass(frozen=True)
class Day:
    """One plan date with its roster and open orders; ids are unique within each list."""

    date: date
    technicians: tuple[Technician, ...]
    orders: tuple[Order, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "technicians", tuple(self.technicians))
        object.__setattr__(self, "orders", tuple(self.orders))
        for kind, items in (("technician", self.technicians), ("order", self.orders)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ValueError(f"{kind} id {item.id!r} is duplicated")
                seen.add(item.id)
        tech_ids = {t.id for t in self.technicians}
        for o in self.orders:
            if o.pinned_technician is not None and o.pinned_technician not in tech_ids:
                raise ValueError(f"order {o.id}: pinned_technician {o.pinned_technician!r} is not a known technician")

    @property
    def midnight(self) -> datetime:
        return datetime(self.date.year, self.date.month, self.date.day)

    def technician(self, tech_id: str) -> Technician:
        for t in self.technicians:
            if t.id == tech_id:
                return t
        raise KeyError(tech_id)
