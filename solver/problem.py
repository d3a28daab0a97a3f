"""The solver's only input: an immutable snapshot where everything is an index or an integer.

Units: times are integer seconds from a stated origin (for a dispatch day, midnight of the plan date;
a response deadline may therefore be negative when the order was created days ago); distances are
integer metres; costs are integer objective units (the caller chooses the scale). Locations are rows of
the two matrices. Nothing here knows ids, datetimes, files or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from solver import rules

# The rule names live in solver/rules.py; they stay importable from here.
from solver.rules import (  # noqa: F401
    APPOINTMENT_WINDOW,
    BREAK,
    FULLY_BOOKED,
    MAX_ORDERS,
    OVER_QUALIFICATION,
    PINNED_TECHNICIAN,
    PREFERRED_TECHNICIAN,
    REFUSED_TECHNICIAN,
    REQUIRED_SKILL,
    RESPONSE_DEADLINE,
    SHIFT,
    TRAVEL,
    UNSERVED,
    VAN_STOCK,
    WORKING_TIME,
    WORKLOAD_BALANCE,
)

IntMatrix = npt.NDArray[np.int64]
# Seconds in a day: a vehicle of day d of a multi-day horizon works d days after the origin.
DAY = 24 * 3600


def _require(cond: bool, message: str) -> None:
    if not cond:
        raise ValueError(message)


@dataclass(frozen=True)
class Break:
    """A break of `duration` seconds that must lie inside [earliest_start, latest_end], between visits."""

    earliest_start: int
    latest_end: int
    duration: int

    def __post_init__(self) -> None:
        _require(self.duration >= 0, f"break duration {self.duration} must be >= 0")
        _require(
            self.latest_end - self.earliest_start >= self.duration,
            f"break window [{self.earliest_start}, {self.latest_end}] is shorter than its duration "
            f"{self.duration}",
        )


@dataclass(frozen=True)
class Vehicle:
    """A technician's working day: leaves `start` no earlier than shift_start, back at `end` no later than
    shift_end. On a multi-day horizon each working day of a technician is its own vehicle: `day` is the
    day (0 = the origin's) and `technician` the index visits name it by (pinned, preferred, forbidden,
    previous_vehicle); None means the vehicle's own index (one day, one vehicle per technician)."""

    start: int
    end: int
    shift_start: int
    shift_end: int
    skills: frozenset[int] = frozenset()
    stock: tuple[int, ...] = ()  # quantity per part type index; missing trailing types mean 0
    max_visits: int | None = None
    break_: Break | None = None
    # level of each held skill by skill index; a skill beyond the tuple, or a 0 entry, is held at level 1
    levels: tuple[int, ...] = ()
    day: int = 0
    technician: int | None = None

    def __post_init__(self) -> None:
        _require(self.shift_end >= self.shift_start, f"shift_end {self.shift_end} before shift_start {self.shift_start}")
        _require(self.day >= 0, f"day {self.day} must be >= 0")
        _require(self.technician is None or self.technician >= 0, f"technician {self.technician} must be >= 0")
        _require(all(q >= 0 for q in self.stock), f"stock {self.stock} has a negative quantity")
        _require(self.max_visits is None or self.max_visits >= 0, f"max_visits {self.max_visits} must be >= 0")
        _require(all(q >= 0 for q in self.levels), f"levels {self.levels} has a negative level")

    def has_skills(self, required: frozenset[int]) -> bool:
        return required <= self.skills

    def level_of(self, skill: int) -> int:
        """The level the technician holds `skill` at (0: not held)."""
        if skill not in self.skills:
            return 0
        return max(1, self.levels[skill]) if skill < len(self.levels) else 1

    def stock_of(self, part: int) -> int:
        return self.stock[part] if part < len(self.stock) else 0


@dataclass(frozen=True)
class Visit:
    """A repair order to visit once. `window` bounds the start of service (hard); `deadline` is the soft
    response deadline on the start of service, costing `lateness_cost` per second late; leaving the visit
    out costs `drop_penalty` (None: the visit is mandatory). A `daily` window recurs on every day of a
    multi-day horizon: on a vehicle of day d it is `window` moved d days on (see Problem.window_of).

    `pinned`, `preferred`, `forbidden` and `previous_vehicle` name technicians (Problem.technician_of),
    which on a single day are the vehicle indices.

    A `crew` of more than one: that many vehicles start the visit together and stay for its service;
    together they hold every required skill at its level (rules.crew_covers), none is refused, a pinned
    technician is among them, and the parts come out of one member's van (the lead, Solution.crews)."""

    location: int
    service: int
    window: tuple[int, int] | None = None
    deadline: int | None = None
    lateness_cost: int = 0
    drop_penalty: int | None = None
    skills: frozenset[int] = frozenset()
    parts: tuple[int, ...] = ()  # quantity per part type index
    pinned: int | None = None  # vehicle index this visit must go to
    # required level of each required skill by skill index; beyond the tuple, or 0, means level 1
    levels: tuple[int, ...] = ()
    forbidden: frozenset[int] = frozenset()  # vehicle indices the customer refuses
    preferred: int | None = None  # vehicle index the customer asks for (soft: see Problem.preference_cost)
    # A re-plan's starting point: the vehicle and start (seconds) of this visit in the plan being re-planned
    # (None: a new visit, or one whose vehicle is gone). See Problem's stability costs.
    previous_vehicle: int | None = None
    previous_start: int | None = None
    daily: bool = False
    crew: int = 1

    def __post_init__(self) -> None:
        _require(self.service >= 0, f"service {self.service} must be >= 0")
        _require(
            self.window is None or self.window[0] <= self.window[1],
            f"window {self.window} ends before it starts",
        )
        _require(self.lateness_cost >= 0, f"lateness_cost {self.lateness_cost} must be >= 0")
        _require(self.drop_penalty is None or self.drop_penalty >= 0, f"drop_penalty {self.drop_penalty} must be >= 0")
        _require(all(q >= 0 for q in self.parts), f"parts {self.parts} has a negative quantity")
        _require(all(q >= 0 for q in self.levels), f"levels {self.levels} has a negative level")
        _require(self.crew >= 1, f"crew {self.crew} must be >= 1")
        object.__setattr__(self, "forbidden", frozenset(self.forbidden))
        _require(self.pinned is None or self.pinned not in self.forbidden,
                 f"pinned vehicle {self.pinned} is refused (forbidden) for this visit")

    def level_of(self, skill: int) -> int:
        """The level of `skill` the visit requires (0: not required)."""
        if skill not in self.skills:
            return 0
        return max(1, self.levels[skill]) if skill < len(self.levels) else 1


@dataclass(frozen=True)
class Problem:
    """Matrices over locations plus the vehicles (technicians) and visits (orders) that use them.

    `distance_cost` is the objective cost per metre travelled; `balance_cost` (0: off) is the cost per
    second of the spread between the busiest and the least busy technician's working time.

    Stability of a re-plan (visits with a `previous_vehicle` / `previous_start`): serving a visit on another
    vehicle than before costs `reassign_cost`; starting it more than `shift_tolerance` seconds after its
    previous start costs `shift_cost` per second beyond; `max_moves` (None: no cap) caps how many such
    visits may change vehicle."""

    distances: IntMatrix
    durations: IntMatrix
    vehicles: tuple[Vehicle, ...]
    visits: tuple[Visit, ...]
    distance_cost: int = 1
    balance_cost: int = 0
    num_skills: int = 0
    num_parts: int = 0
    reassign_cost: int = 0
    shift_cost: int = 0
    shift_tolerance: int = 15 * 60
    max_moves: int | None = None
    over_qualification_cost: int = 0  # per level a technician holds a required skill above the level needed
    preference_cost: int = 0  # a visit with a `preferred` vehicle served by another one
    span_cost: int = 0  # per second of each route's span (departure to back home, waiting included)
    _frozen: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("distances", "durations"):
            m = np.asarray(getattr(self, name), dtype=np.int64)
            _require(m.ndim == 2 and m.shape[0] == m.shape[1], f"{name} must be a square matrix, got {m.shape}")
            _require(bool((m >= 0).all()), f"{name} has a negative entry")
            m = m.copy()
            m.setflags(write=False)
            object.__setattr__(self, name, m)
        _require(self.distances.shape == self.durations.shape, "distances and durations differ in shape")
        n = self.num_locations
        technicians = {self.technician_of(k) for k in range(len(self.vehicles))}
        for i, v in enumerate(self.vehicles):
            _require(0 <= v.start < n and 0 <= v.end < n, f"vehicle {i}: location outside 0..{n - 1}")
            _require(v.skills <= frozenset(range(self.num_skills)), f"vehicle {i}: skill index outside 0..{self.num_skills - 1}")
            _require(len(v.stock) <= self.num_parts, f"vehicle {i}: stock has more than {self.num_parts} part types")
        for j, s in enumerate(self.visits):
            _require(0 <= s.location < n, f"visit {j}: location {s.location} outside 0..{n - 1}")
            _require(s.skills <= frozenset(range(self.num_skills)), f"visit {j}: skill index outside 0..{self.num_skills - 1}")
            _require(len(s.parts) <= self.num_parts, f"visit {j}: parts has more than {self.num_parts} part types")
            _require(s.forbidden <= technicians, f"visit {j}: forbidden technician among "
                                                 f"{sorted(s.forbidden - technicians)} is not a vehicle's")
            for name in ("pinned", "previous_vehicle", "preferred"):
                k = getattr(s, name)
                _require(k is None or k in technicians, f"visit {j}: {name} technician {k} is no vehicle's")
        _require(min(self.distance_cost, self.balance_cost, self.reassign_cost, self.shift_cost,
                     self.shift_tolerance, self.over_qualification_cost, self.preference_cost, self.span_cost) >= 0,
                 "costs must be >= 0")
        _require(self.max_moves is None or self.max_moves >= 0, f"max_moves {self.max_moves} must be >= 0")

    @property
    def num_locations(self) -> int:
        return int(self.distances.shape[0])

    @property
    def days(self) -> tuple[int, ...]:
        """The days the vehicles work, in order (one day: (0,))."""
        return tuple(sorted({v.day for v in self.vehicles}))

    def technician_of(self, vehicle: int) -> int:
        """The technician index visits name vehicle `vehicle` by."""
        t = self.vehicles[vehicle].technician
        return vehicle if t is None else t

    def window_of(self, visit: int, vehicle: int) -> tuple[int, int] | None:
        """The appointment window of `visit` when served by `vehicle` (a daily window on that vehicle's day)."""
        x = self.visits[visit]
        if x.window is None or not x.daily:
            return x.window
        shift = self.vehicles[vehicle].day * DAY
        return x.window[0] + shift, x.window[1] + shift

    def qualified(self, visit: int) -> list[int]:
        """Vehicles having every skill the visit requires at its level and not refused by the customer
        (ignoring pins, stock and time)."""
        x = self.visits[visit]
        return [k for k, v in enumerate(self.vehicles)
                if rules.qualified(v, x) and not rules.refused(x, self.technician_of(k))]


@dataclass(frozen=True)
class Reason:
    """Why a visit is left out, in terms of one rule.

    - REQUIRED_SKILL: no vehicle has `skill` at `level` (the level the visit needs); `vehicle` holds it
      at the highest level below (None when nobody holds it), or `skill` is None when only the
      combination is missing.
    - REFUSED_TECHNICIAN: every qualified vehicle (`vehicles`) is refused by the customer.
    - VAN_STOCK: no qualified vehicle carries `quantity` of `part`.
    - APPOINTMENT_WINDOW: the window cannot be reached within any qualified vehicle's shift.
    - SHIFT: the service is longer than any qualified vehicle's shift.
    - PINNED_TECHNICIAN: the pinned `vehicle` cannot do it; `broken` names the rules it fails.
    - MAX_ORDERS / FULLY_BOOKED: all `vehicles` (the qualified ones) are full; `vehicle` is the cheapest
      insertion found, `extra_cost` its objective increase and `broken` the rules it would violate.
    """

    rule: str
    skill: int | None = None
    level: int | None = None
    part: int | None = None
    quantity: int | None = None
    vehicle: int | None = None
    vehicles: tuple[int, ...] = ()
    broken: tuple[str, ...] = ()
    extra_cost: int | None = None


@dataclass(frozen=True)
class RouteSolution:
    """One vehicle's route: visits in order with arrival and service start times (seconds)."""

    vehicle: int
    visits: tuple[int, ...]
    arrivals: tuple[int, ...]
    starts: tuple[int, ...]
    depart: int  # leaves start location
    back: int  # arrives at end location
    break_start: int | None = None  # None when the vehicle has no break
    distance: int = 0  # metres, including the way back


@dataclass(frozen=True)
class Progress:
    wall: float  # seconds since the solve began
    cpu: float  # this process's CPU seconds since the solve began
    objective: int


@dataclass(frozen=True)
class Solution:
    routes: tuple[RouteSolution, ...]  # one per vehicle, in vehicle order (empty visits for idle ones)
    unassigned: tuple[tuple[int, Reason], ...]  # (visit index, reason), sorted by visit index
    objective: int
    costs: dict[str, int]  # objective parts by rule name (rules.SOFT_RULES)
    status: str  # "optimal", "feasible", "infeasible" (nothing found), "cancelled"
    wall_time: float = 0.0
    solutions_found: int = 0
    # each served visit of a crew of more than one: (visit, its vehicles with the lead, whose van gives
    # the parts, first), sorted by visit
    crews: tuple[tuple[int, tuple[int, ...]], ...] = ()
    # visits left out whose reason names the rule alone, sorted: the time limit ran out before their cheapest
    # insertion was tried (never under a solution limit)
    unexplained: tuple[int, ...] = ()
    # the objective of each solution the search found, in order, with the seconds since the call began (wall
    # and this process's CPU): how the search spent its time
    progress: tuple[Progress, ...] = ()
    search_profile: str = ""  # OR-Tools' local search profile, when SolveParams.profile asked for it
