"""The policy a plan is made with: response deadlines, objective weights, travel model and solver limits.

Defined once: each default lives in its dataclass, `Policy.from_dict` lays what is given over those
defaults, `Policy.updated` returns a checked copy with some parts changed, and every check is in a
`__post_init__`. A plan records `Policy.to_dict()`, so a checker can recompute it without being told.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

from immutabledict import immutabledict

from dispatch.domain import PRIORITIES, Order, Priority

GEODESIC = "geodesic"
OSM = "osm"  # roads of an OpenStreetMap extract (dispatch.roads)
MIN_REGION_ORDERS = 20


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

    def response_hours(self, order: Order) -> float:
        """The hours for the order's priority, tightened (never loosened) by the order's contract hours."""
        hours = self.hours[order.priority]
        return hours if order.sla_hours is None else min(hours, order.sla_hours)

    def deadline(self, order: Order) -> datetime:
        """The one response deadline of an order: every plan, check, re-plan and KPI asks here."""
        return order.created_at + timedelta(hours=self.response_hours(order))


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
    """Geodesic distance times a road factor, driven at a constant speed; `source` names where a plan's
    travel times came from when they were not this model (a road network, a matrix given by the caller)."""

    road_factor: float = 1.3
    speed_kmh: float = 40.0
    source: str = GEODESIC
    # an `osm` source: the extract (its path when planned) and its SHA-256, and how far a location may lie
    # from the nearest road before it is refused
    file: str = ""
    sha256: str = ""
    max_snap_m: float = 1000.0

    def __post_init__(self) -> None:
        if not math.isfinite(self.road_factor) or self.road_factor < 1.0:
            raise ValueError(f"road_factor {self.road_factor} must be >= 1")
        if not math.isfinite(self.speed_kmh) or self.speed_kmh <= 0:
            raise ValueError(f"speed_kmh {self.speed_kmh} must be > 0")
        if not self.source or not isinstance(self.source, str):
            raise ValueError(f"travel source {self.source!r} must be a non-empty name")
        if self.source == OSM and not self.file:
            raise ValueError("travel source osm needs the extract's file")
        if not isinstance(self.max_snap_m, int | float) or not math.isfinite(self.max_snap_m) \
                or self.max_snap_m <= 0:
            raise ValueError(f"max_snap_m {self.max_snap_m!r} must be > 0")

    def to_dict(self) -> dict[str, Any]:
        """The plan's record: the model, and for a road source the extract, its hash and the snap limit."""
        out: dict[str, Any] = {"model": self.source, "road_factor": self.road_factor, "speed_kmh": self.speed_kmh}
        if self.source == OSM:
            out.update(file=self.file, sha256=self.sha256, max_snap_m=self.max_snap_m)
        return out


# A P4's 72 h reach about three working days; two working weeks is the most one plan looks ahead.
MAX_HORIZON_DAYS = 14


@dataclass(frozen=True)
class Policy:
    """Everything a plan was made with, recorded in the plan so a checker can recompute it."""

    sla: SlaPolicy = field(default_factory=SlaPolicy)
    weights: Weights = field(default_factory=Weights)
    travel: TravelModel = field(default_factory=TravelModel)
    seed: int = 0
    time_limit: float = 10.0
    # with a solution limit the search stops after that many solutions and the time limit does not act,
    # so the plan does not depend on how busy the machine is
    solution_limit: int | None = None
    # the most orders solved as one problem: a larger day is split into regions of about half as many,
    # solved in parallel and stitched (dispatch.planning.regions); None solves every day as one problem
    region_orders: int | None = 600
    # Stability of a re-plan (DESIGN.md, "The live day"), in objective units. Moving a visit not yet begun
    # to another technician costs `reassign_cost`: as much as 30 km of driving or 10 minutes of a P2's
    # lateness, so a visit changes hands only when that clearly pays (a P1 on time, a detour saved), never
    # for a few hundred metres. Each minute a start moves beyond 15 costs `shift_cost_per_minute`: a
    # customer told an ETA weighs about as much as a kilometre per minute. `max_moves` caps how many visits
    # may change technician in one re-plan (None: no cap).
    # The solver aims to start each visit this many minutes before its response deadline, so that a day
    # running a little late (longer services, slower drives) still starts it in time; lateness is reported
    # against the real deadline. 0: aim at the deadline itself.
    deadline_margin_minutes: float = 0.0
    reassign_cost: float = 30.0
    shift_cost_per_minute: float = 1.0
    max_moves: int | None = None
    # Skill levels, in objective units: each level a technician holds a required skill above the level the
    # order needs costs `over_qualification_cost` (as much as a kilometre of driving), so a senior is kept
    # for the jobs that need them without driving across town to spare one. An order served by another
    # technician than its `preferred_technician` costs `preferred_technician_cost` (ten kilometres).
    # Neither changes a day without levels or preferences.
    over_qualification_cost: float = 1.0
    preferred_technician_cost: float = 10.0
    # Days planned together: the plan date and the following days on which someone works (DESIGN-style
    # contract in the README). 1 plans the plan date alone.
    horizon_days: int = 1
    # Cores one solve may use (None: all this process may run on; see solver.SolveParams.cores). With a
    # solution limit the plan is the same for the same number, however busy the machine.
    cores: int | None = None

    def __post_init__(self) -> None:
        for name, kind in (("sla", SlaPolicy), ("weights", Weights), ("travel", TravelModel)):
            if not isinstance(getattr(self, name), kind):
                raise ValueError(f"{name} {getattr(self, name)!r} must be a {kind.__name__}")
        if not _whole(self.seed, 0):
            raise ValueError(f"seed {self.seed!r} must be >= 0")
        if isinstance(self.time_limit, bool) or not isinstance(self.time_limit, numbers.Real) \
                or not math.isfinite(self.time_limit) or self.time_limit <= 0:
            raise ValueError(f"time_limit {self.time_limit!r} must be > 0")
        if self.solution_limit is not None and not _whole(self.solution_limit, 1):
            raise ValueError(f"solution_limit {self.solution_limit!r} must be >= 1 (or None)")
        if self.region_orders is not None and not _whole(self.region_orders, MIN_REGION_ORDERS):
            raise ValueError(f"region_orders {self.region_orders!r} must be >= {MIN_REGION_ORDERS} (or None)")
        for name in ("reassign_cost", "shift_cost_per_minute", "deadline_margin_minutes", "over_qualification_cost",
                     "preferred_technician_cost"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
                    or value < 0:
                raise ValueError(f"{name} {value!r} must be >= 0")
        if self.max_moves is not None and not _whole(self.max_moves, 0):
            raise ValueError(f"max_moves {self.max_moves!r} must be >= 0 (or None)")
        if not _whole(self.horizon_days, 1) or self.horizon_days > MAX_HORIZON_DAYS:
            raise ValueError(f"horizon_days {self.horizon_days!r} must be 1..{MAX_HORIZON_DAYS}")
        if self.cores is not None and not _whole(self.cores, 1):
            raise ValueError(f"cores {self.cores!r} must be >= 1 (or None for all)")

    def by_region(self, orders: int) -> bool:
        """Whether a day of this many orders is planned region by region (a multi-day horizon is planned
        as one problem: its border passes re-plan one day's routes)."""
        return self.region_orders is not None and orders > self.region_orders and self.horizon_days == 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "sla_hours": {p.value: self.sla.hours[p] for p in PRIORITIES},
            "weights": {
                "unserved": {p.value: self.weights.unserved[p] for p in PRIORITIES},
                "late_per_minute": {p.value: self.weights.late_per_minute[p] for p in PRIORITIES},
                "per_km": self.weights.per_km,
                "balance_per_minute": self.weights.balance_per_minute,
            },
            "travel": self.travel.to_dict(),
            "seed": self.seed,
            "time_limit": self.time_limit,
            "solution_limit": self.solution_limit,
            "region_orders": self.region_orders,
            "deadline_margin_minutes": self.deadline_margin_minutes,
            "reassign_cost": self.reassign_cost,
            "shift_cost_per_minute": self.shift_cost_per_minute,
            "max_moves": self.max_moves,
            "over_qualification_cost": self.over_qualification_cost,
            "preferred_technician_cost": self.preferred_technician_cost,
            "horizon_days": self.horizon_days,
            "cores": self.cores,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        """The policy of a plan's JSON (`to_dict`'s shape); anything left out keeps its default, an unknown
        key is refused."""
        return cls().merged(data)

    def merged(self, data: Mapping[str, Any]) -> Policy:
        """This policy with the parts `data` gives (in `to_dict`'s shape, possibly partial) laid over it."""
        if not isinstance(data, Mapping):
            raise ValueError(f"policy must be a mapping, not {data!r}")
        unknown = next((str(k) for k in data if k not in POLICY_KEYS), None)
        if unknown is not None:
            raise ValueError(f"policy: unknown key {unknown!r}; known: {', '.join(POLICY_KEYS)}")
        changes: dict[str, Any] = {k: data[k] for k in _SCALARS
                                   if k in data}
        if "sla_hours" in data:
            changes["sla"] = _mapping("sla_hours", data["sla_hours"])
        if "weights" in data:
            changes["weights"] = _mapping("weights", data["weights"])
        if "travel" in data:
            travel = dict(_mapping("travel", data["travel"]))
            if "model" in travel:
                travel["source"] = travel.pop("model")
            changes["travel"] = travel
        return self.updated(**changes)

    def updated(self, **changes: Any) -> Policy:
        """A checked copy with some fields changed. `sla`, `weights` and `travel` take their dataclass or a
        mapping of the fields (or, for `sla`, the priorities' hours) that change."""
        unknown = next((k for k in changes if k not in _FIELDS), None)
        if unknown is not None:
            raise ValueError(f"policy: unknown field {unknown!r}; fields are {', '.join(_FIELDS)}")
        out = dict(changes)
        if isinstance(out.get("sla"), Mapping):
            out["sla"] = SlaPolicy({**self.sla.hours, **_priorities("sla_hours", out["sla"])})
        if isinstance(out.get("weights"), Mapping):
            w = dict(out["weights"])
            for key in ("unserved", "late_per_minute"):
                if key in w:
                    w[key] = {**getattr(self.weights, key), **_priorities(f"weights {key}", w[key])}
            out["weights"] = _replace_fields(self.weights, w, "weights")
        if isinstance(out.get("travel"), Mapping):
            out["travel"] = _replace_fields(self.travel, dict(out["travel"]), "travel")
        return replace(self, **out)


def _whole(value: Any, lowest: int) -> bool:
    """An integer (not a bool) of at least `lowest`."""
    return not isinstance(value, bool) and isinstance(value, numbers.Integral) and int(value) >= lowest


_SCALARS = ("seed", "time_limit", "solution_limit", "region_orders", "deadline_margin_minutes", "reassign_cost",
            "shift_cost_per_minute", "max_moves", "over_qualification_cost", "preferred_technician_cost",
            "horizon_days", "cores")
POLICY_KEYS = ("sla_hours", "weights", "travel", *_SCALARS)
_FIELDS = tuple(f.name for f in fields(Policy))


def _mapping(what: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"policy: {what} must be a mapping, not {value!r}")
    return value


def _priorities(what: str, values: Any) -> dict[Priority, Any]:
    values = _mapping(what, values)
    unknown = next((str(k) for k in values if str(k) not in {p.value for p in PRIORITIES}), None)
    if unknown is not None:
        raise ValueError(f"{what}: unknown priority {unknown!r}")
    return {Priority(str(k)): v for k, v in values.items()}


def _replace_fields(current: Any, changes: dict[str, Any], what: str) -> Any:
    names = [f.name for f in fields(current)]
    unknown = next((k for k in changes if k not in names), None)
    if unknown is not None:
        raise ValueError(f"policy: {what} has no field {unknown!r}; fields are {', '.join(names)}")
    return replace(current, **changes)
