"""Plain, frozen domain types that validate themselves on creation.

Times are naive local datetimes of the plan's area. Errors are ValueError naming the field and value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

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


# Skill levels: `hvac:3` is hvac at level 3; a plain tag is level 1.
MIN_LEVEL, MAX_LEVEL = 1, 5
# Weekdays as the `work_days` column names them, Monday first (date.weekday() order).
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
Date = date  # the type, where a field named `date` hides it
# Largest crew a two-person (or larger) job may ask for.
MAX_CREW = 4
# How many days running with nobody at work end the search for a horizon's next working day.
HORIZON_SEARCH_DAYS = 31


def _levels(owner: str, field_name: str, skills: frozenset[str], levels: Mapping[str, int] | None) -> Mapping[str, int]:
    """The levels above 1 of `skills` (level 1 is the plain tag, so it is not stored)."""
    for skill, level in (levels or {}).items():
        if skill not in skills:
            raise ValueError(f"{owner}: {field_name} level for {skill!r}, which is not among its skills")
        if not MIN_LEVEL <= level <= MAX_LEVEL:
            raise ValueError(f"{owner}: {field_name} level {level} of {skill!r} is outside {MIN_LEVEL}..{MAX_LEVEL}")
    return immutabledict(sorted((s, q) for s, q in (levels or {}).items() if q > MIN_LEVEL))


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
    skill_levels: Mapping[str, int] = field(default_factory=dict)  # skill -> level 2..5 (others are level 1)
    work_days: frozenset[int] = frozenset()  # weekdays worked (0 = Monday); empty: every day

    def __post_init__(self) -> None:
        who = f"technician {self.id}"
        if not self.id:
            raise ValueError("technician: id is empty")
        object.__setattr__(self, "work_days", frozenset(self.work_days))
        if not self.work_days <= frozenset(range(7)):
            raise ValueError(f"{who}: work_days {sorted(self.work_days)} holds a weekday outside 0..6")
        object.__setattr__(self, "skills", frozenset(self.skills))
        object.__setattr__(self, "skill_levels", _levels(who, "skills", self.skills, self.skill_levels))
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

    def level(self, skill: str) -> int:
        """The level the technician holds `skill` at (0: not held)."""
        return self.skill_levels.get(skill, MIN_LEVEL) if skill in self.skills else 0

    def works_on(self, day: date) -> bool:
        return not self.work_days or day.weekday() in self.work_days

    def on(self, days: int) -> Technician:
        """The same technician `days` days later: shift and break move with the day; stock and caps repeat."""
        if days == 0:
            return self
        step = timedelta(days=days)
        return replace(self, shift_start=self.shift_start + step, shift_end=self.shift_end + step,
                       break_start=None if self.break_start is None else self.break_start + step,
                       break_end=None if self.break_end is None else self.break_end + step)


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
    # the customer's contract response hours for this priority; it can only tighten the policy's (DESIGN.md)
    sla_hours: float | None = None
    skill_levels: Mapping[str, int] = field(default_factory=dict)  # required skill -> level 2..5 needed
    preferred_technician: str | None = None  # the customer asks for them (soft)
    forbidden_technicians: frozenset[str] = frozenset()  # the customer refuses them (hard)
    # the day of the appointment window (its datetimes lie on it); None: the window applies to any day
    window_date: date | None = None
    technicians_needed: int = 1  # a crew: that many technicians start together and stay for the duration

    def __post_init__(self) -> None:
        who = f"order {self.id}"
        if not self.id:
            raise ValueError("order: id is empty")
        if not 1 <= self.technicians_needed <= MAX_CREW:
            raise ValueError(f"{who}: technicians_needed {self.technicians_needed} is outside 1..{MAX_CREW}")
        if self.window_date is not None and self.window_start is None and self.window_end is None:
            raise ValueError(f"{who}: window_date {self.window_date.isoformat()} given without a window")
        for name in ("window_start", "window_end"):
            at = getattr(self, name)
            if self.window_date is not None and at is not None and not (
                    self.window_date <= at.date() <= self.window_date + timedelta(days=1)):
                raise ValueError(f"{who}: {name} {at.isoformat()} is not on window_date {self.window_date.isoformat()}")
        object.__setattr__(self, "priority", Priority(self.priority))
        object.__setattr__(self, "required_skills", frozenset(self.required_skills))
        object.__setattr__(self, "skill_levels",
                           _levels(who, "required_skills", self.required_skills, self.skill_levels))
        object.__setattr__(self, "forbidden_technicians", frozenset(self.forbidden_technicians))
        if self.pinned_technician is not None and self.pinned_technician in self.forbidden_technicians:
            raise ValueError(f"{who}: pinned_technician {self.pinned_technician!r} is among its "
                             f"forbidden_technicians (the customer refuses them)")
        object.__setattr__(self, "required_parts", _frozen_map(self.required_parts))
        _check_lat_lon(who, self.lat, self.lon)
        if self.duration_min < 0:
            raise ValueError(f"{who}: duration_min {self.duration_min} is negative")
        if self.window_start and self.window_end and self.window_end < self.window_start:
            raise ValueError(f"{who}: window_end {self.window_end:%H:%M} is before window_start {self.window_start:%H:%M}")
        _check_quantities(who, "required_parts", self.required_parts)
        if self.sla_hours is not None and not (math.isfinite(self.sla_hours) and self.sla_hours > 0):
            raise ValueError(f"{who}: sla_hours {self.sla_hours} must be a number > 0")

    def level(self, skill: str) -> int:
        """The level of `skill` the order needs (0: not required)."""
        return self.skill_levels.get(skill, MIN_LEVEL) if skill in self.required_skills else 0


PRIORITIES = tuple(Priority)


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

    def horizon(self, days: int) -> tuple[Date, ...]:
        """The days a plan of `days` days covers: the plan date and the following days on which some
        technician works, `days` in all (fewer when nobody works for HORIZON_SEARCH_DAYS days running)."""
        dates, at, idle = [self.date], self.date, 0
        while len(dates) < days and idle < HORIZON_SEARCH_DAYS:
            at += timedelta(days=1)
            if any(t.works_on(at) for t in self.technicians):
                dates.append(at)
                idle = 0
            else:
                idle += 1
        return tuple(dates)

    def technician(self, tech_id: str) -> Technician:
        for t in self.technicians:
            if t.id == tech_id:
                return t
        raise KeyError(tech_id)
