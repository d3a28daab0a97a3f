"""The plan contract of DESIGN.md: routes of stops, unassigned orders with reasons, KPIs and the policy."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

Date = date  # the type, where a field named `date` hides it

# Stop statuses (DESIGN.md, "The live day"): a morning plan's stops are all planned.
PLANNED = "planned"
STOP_STATUSES = ("done", "unresolved", "in_service", "on_site", "en_route", PLANNED)
# What a re-plan did to an order, against the plan it started from.
CHANGE_KINDS = ("added", "reassigned", "shifted", "dropped", "cancelled")
# A visit whose start moves by more than this many minutes counts as shifted (and its customer re-told).
SHIFT_TOLERANCE_MINUTES = 15
# The one-change fixes for an order left out or late (dispatch.planning.fixes), and each kind's own fields.
FIX_KINDS = ("overtime", "window", "skill", "part", "swap", "tomorrow")
FIX_FIELDS = {"overtime": ("minutes",), "window": ("window_start", "window_end"), "skill": ("skill",),
              "part": ("part", "quantity", "store"), "swap": ("swap_order_id",), "tomorrow": ("date",)}


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


@dataclass(frozen=True)
class Fix:
    """One change that would let an order be served (an order left out) or served on time (a late stop):
    with it, the order inserted on `technician_id`'s route as stop number `position` (0: first of the day,
    counted on the route without the order itself, and for a swap without `swap_order_id`) keeps every hard
    rule, starting at `eta`. `cost_delta` is what the whole change adds to the objective, by part (the
    objective's rule names, `change` for the change itself, and `total`). The kind's own fields:
    `minutes` (overtime: the shift ends that much later), `window_start`/`window_end` (window, HH:MM),
    `skill`, `part`/`quantity` (put in the van; `store`, a stock location that holds them, when known),
    `swap_order_id` (the less urgent order that leaves the route), `date` (tomorrow)."""

    kind: str
    technician_id: str
    position: int
    arrival: datetime
    eta: datetime
    late_minutes: float
    cost_delta: Mapping[str, float]
    text: str = ""  # the change in a dispatcher's words
    minutes: int | None = None
    window_start: str | None = None
    window_end: str | None = None
    skill: str | None = None
    part: str | None = None
    quantity: int | None = None
    store: str | None = None
    swap_order_id: str | None = None
    date: date | None = None

    def __post_init__(self) -> None:
        if self.kind not in FIX_KINDS:
            raise ValueError(f"fix {self.kind!r} must be one of {', '.join(FIX_KINDS)}")
        if self.position < 0:
            raise ValueError(f"fix {self.kind}: position {self.position} must be >= 0")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind, "technician_id": self.technician_id, "position": self.position,
            "arrival": _iso(self.arrival), "eta": _iso(self.eta), "late_minutes": round(self.late_minutes, 1),
            "cost_delta": {k: round(v, 3) for k, v in self.cost_delta.items()}, "text": self.text,
        }
        for name in FIX_FIELDS[self.kind]:
            value = getattr(self, name)
            if value is not None or name != "store":
                out[name] = value.isoformat() if isinstance(value, date) else value
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Fix:
        def opt(name: str, kind: type) -> Any:
            return None if d.get(name) is None else kind(d[name])
        return cls(kind=str(d["kind"]), technician_id=str(d["technician_id"]), position=int(d["position"]),
                   arrival=datetime.fromisoformat(d["arrival"]), eta=datetime.fromisoformat(d["eta"]),
                   late_minutes=float(d["late_minutes"]),
                   cost_delta={str(k): float(v) for k, v in d["cost_delta"].items()}, text=str(d.get("text", "")),
                   minutes=opt("minutes", int), window_start=opt("window_start", str),
                   window_end=opt("window_end", str), skill=opt("skill", str), part=opt("part", str),
                   quantity=opt("quantity", int), store=opt("store", str), swap_order_id=opt("swap_order_id", str),
                   date=None if not d.get("date") else date.fromisoformat(d["date"]))


@dataclass(frozen=True)
class Stop:
    order_id: str
    arrival: datetime
    start: datetime
    end: datetime
    travel_km: float  # from the previous stop (or home)
    travel_minutes: float
    late_minutes: float  # past the response deadline at start of service
    # "planned", or what the day made of it at a re-plan's `at` (STOP_STATUSES); fixed stops carry actual times
    status: str = "planned"
    # the response deadline it was timed against (a customer contract may tighten the policy's); None in
    # plans written before it was recorded
    deadline: datetime | None = None
    fixes: tuple[Fix, ...] = ()  # a late stop's: the changes that would start it on time, cheapest first
    # a job for several technicians: the whole crew, the one whose van gives the parts first (every
    # member's route has the stop, with the same start); empty for a one-person job
    crew: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in STOP_STATUSES:
            raise ValueError(f"stop {self.order_id}: status {self.status!r} must be one of {', '.join(STOP_STATUSES)}")
        if not self.arrival <= self.start <= self.end:
            raise ValueError(f"stop {self.order_id}: arrival {self.arrival}, start {self.start}, end {self.end} out of order")

    def to_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "arrival": _iso(self.arrival),
            "start": _iso(self.start),
            "end": _iso(self.end),
            "travel_km": round(self.travel_km, 3),
            "travel_minutes": round(self.travel_minutes, 2),
            "late_minutes": round(self.late_minutes, 2),
            "status": self.status,
        } | ({} if self.deadline is None else {"deadline": _iso(self.deadline)}) \
          | ({"fixes": [f.to_dict() for f in self.fixes]} if self.late_minutes > 0 else {}) \
          | ({"crew": list(self.crew)} if self.crew else {})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Stop:
        return cls(
            order_id=str(d["order_id"]),
            arrival=datetime.fromisoformat(d["arrival"]),
            start=datetime.fromisoformat(d["start"]),
            end=datetime.fromisoformat(d["end"]),
            travel_km=float(d["travel_km"]),
            travel_minutes=float(d["travel_minutes"]),
            late_minutes=float(d["late_minutes"]),
            status=str(d.get("status", PLANNED)),
            deadline=datetime.fromisoformat(d["deadline"]) if d.get("deadline") else None,
            fixes=tuple(Fix.from_dict(f) for f in d.get("fixes") or ()),
            crew=tuple(str(t) for t in d.get("crew") or ()),
        )

    @property
    def fixed(self) -> bool:
        """Begun or finished at the re-plan's `at`: a re-plan keeps it as it is."""
        return self.status != PLANNED


@dataclass(frozen=True)
class Route:
    technician_id: str
    stops: tuple[Stop, ...]
    break_: tuple[datetime, datetime] | None  # (start, end) of the break, None when there is none
    travel_km: float  # whole route, including the drive home
    depart: datetime | None = None  # leaves home
    back: datetime | None = None  # back home
    return_km: float = 0.0
    return_minutes: float = 0.0
    date: Date | None = None  # the day of the route (a plan sets its own date where this is left out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "technician_id": self.technician_id,
            "date": None if self.date is None else self.date.isoformat(),
            "stops": [s.to_dict() for s in self.stops],
            "break": None if self.break_ is None else {"start": _iso(self.break_[0]), "end": _iso(self.break_[1])},
            "travel_km": round(self.travel_km, 3),
            "depart": None if self.depart is None else _iso(self.depart),
            "back": None if self.back is None else _iso(self.back),
            "return_km": round(self.return_km, 3),
            "return_minutes": round(self.return_minutes, 2),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Route:
        b = d.get("break")
        return cls(
            technician_id=str(d["technician_id"]),
            stops=tuple(Stop.from_dict(s) for s in d["stops"]),
            break_=None if not b else (datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"])),
            travel_km=float(d["travel_km"]),
            depart=datetime.fromisoformat(d["depart"]) if d.get("depart") else None,
            back=datetime.fromisoformat(d["back"]) if d.get("back") else None,
            return_km=float(d.get("return_km", 0.0)),
            return_minutes=float(d.get("return_minutes", 0.0)),
            date=date.fromisoformat(d["date"]) if d.get("date") else None,
        )


@dataclass(frozen=True)
class Unassigned:
    order_id: str
    reason: str  # a sentence a dispatcher can act on
    rule: str = ""  # the rule name behind it (solver.problem rule names)
    fixes: tuple[Fix, ...] = ()  # the changes that would let it be served, cheapest first

    def to_dict(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "reason": self.reason, "rule": self.rule,
                "fixes": [f.to_dict() for f in self.fixes]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Unassigned:
        return cls(order_id=str(d["order_id"]), reason=str(d["reason"]), rule=str(d.get("rule", "")),
                   fixes=tuple(Fix.from_dict(f) for f in d.get("fixes") or ()))


@dataclass(frozen=True)
class Change:
    """One order whose plan a re-plan changed: its technician before and after (None: not on a route) and
    how far its start moved (None when it is not served in both plans)."""

    order_id: str
    change: str  # one of CHANGE_KINDS
    from_technician: str | None = None
    to_technician: str | None = None
    eta_shift_minutes: float | None = None

    def __post_init__(self) -> None:
        if self.change not in CHANGE_KINDS:
            raise ValueError(f"change of {self.order_id}: {self.change!r} must be one of {', '.join(CHANGE_KINDS)}")

    def to_dict(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "change": self.change, "from_technician": self.from_technician,
                "to_technician": self.to_technician,
                "eta_shift_minutes": None if self.eta_shift_minutes is None else round(self.eta_shift_minutes, 1)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Change:
        shift = d.get("eta_shift_minutes")
        return cls(order_id=str(d["order_id"]), change=str(d["change"]),
                   from_technician=None if d.get("from_technician") is None else str(d["from_technician"]),
                   to_technician=None if d.get("to_technician") is None else str(d["to_technician"]),
                   eta_shift_minutes=None if shift is None else float(shift))


@dataclass(frozen=True)
class Churn:
    """How much a re-plan moved: visits not yet begun that changed technician (those an absent technician
    gave up included), visits whose start moved by more than SHIFT_TOLERANCE_MINUTES, the largest move of a
    start in minutes, and how many technicians' routes changed."""

    reassigned: int = 0
    shifted_over_15_min: int = 0
    max_eta_shift_minutes: float = 0.0
    technicians_affected: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"reassigned": self.reassigned, "shifted_over_15_min": self.shifted_over_15_min,
                "max_eta_shift_minutes": round(self.max_eta_shift_minutes, 1),
                "technicians_affected": self.technicians_affected}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Churn:
        return cls(reassigned=int(d["reassigned"]), shifted_over_15_min=int(d["shifted_over_15_min"]),
                   max_eta_shift_minutes=float(d["max_eta_shift_minutes"]),
                   technicians_affected=int(d["technicians_affected"]))


@dataclass(frozen=True)
class TechnicianWorkload:
    """One technician's work over the days it covers (one day, or a multi-day plan's horizon): working
    minutes (service and driving, the drive home included; waiting and the break are not work) and orders
    served."""

    minutes: float
    orders: int

    def to_dict(self) -> dict[str, Any]:
        return {"minutes": round(self.minutes, 1), "orders": self.orders}


@dataclass(frozen=True)
class Workload:
    """How evenly the work is shared over the days it covers: each technician's workload (idle ones at
    zero), and over the technicians who work (at least one stop) the spread (busiest minus least busy) and
    the max/mean ratio of minutes and of orders (1.0 is perfectly even; 0 when nobody works).

    `Kpis.workload` covers the plan's days (summed per technician over a multi-day horizon);
    `Kpis.by_day[date].workload` covers one day of a multi-day plan and lists the technicians who work it."""

    per_technician: Mapping[str, TechnicianWorkload]
    working: int
    spread_minutes: float
    max_mean_minutes: float
    spread_orders: int
    max_mean_orders: float

    def to_dict(self) -> dict[str, Any]:
        return {"per_technician": {t: w.to_dict() for t, w in self.per_technician.items()},
                "working": self.working, "spread_minutes": round(self.spread_minutes, 1),
                "max_mean_minutes": round(self.max_mean_minutes, 3), "spread_orders": self.spread_orders,
                "max_mean_orders": round(self.max_mean_orders, 3)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Workload:
        return cls(per_technician={str(t): TechnicianWorkload(minutes=float(w["minutes"]), orders=int(w["orders"]))
                                   for t, w in d["per_technician"].items()},
                   working=int(d["working"]), spread_minutes=float(d["spread_minutes"]),
                   max_mean_minutes=float(d["max_mean_minutes"]), spread_orders=int(d["spread_orders"]),
                   max_mean_orders=float(d["max_mean_orders"]))


@dataclass(frozen=True)
class PriorityKpis:
    """One priority class: how many orders, how many served, on time (started within the response
    deadline, to the half minute), late, and left out."""

    orders: int
    served: int
    on_time: int
    late: int
    unserved: int

    def to_dict(self) -> dict[str, int]:
        return {"orders": self.orders, "served": self.served, "on_time": self.on_time, "late": self.late,
                "unserved": self.unserved}


@dataclass(frozen=True)
class SolverStats:
    """How the plan was found: what the search said, how long it took (measured, never acted upon), how many
    solutions it saw; a large day adds its regions and border passes."""

    status: str
    wall_time_s: float
    solutions_found: int
    regions: tuple[Mapping[str, Any], ...] = ()
    border: tuple[Mapping[str, Any], ...] = ()
    # what the time limit cut short (explanations, fixes, a border pass), in a sentence each
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "wall_time_s": self.wall_time_s,
                               "solutions_found": self.solutions_found}
        if self.regions:
            out["regions"] = [dict(r) for r in self.regions]
            out["border"] = [dict(b) for b in self.border]
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SolverStats:
        return cls(status=str(d["status"]), wall_time_s=float(d["wall_time_s"]),
                   solutions_found=int(d["solutions_found"]), regions=tuple(d.get("regions") or ()),
                   border=tuple(d.get("border") or ()), notes=tuple(str(n) for n in d.get("notes") or ()))


@dataclass(frozen=True)
class Kpis:
    """The KPIs every plan reports (dispatch.analysis.kpis computes them); `objective` is the weighted cost
    per part of the objective, keyed by the rule names of solver.rules, and its `total`.

    A multi-day plan's figures are totals over its days, and `by_day` (ISO date -> Kpis) gives the same
    figures for each day: that day's routes and the orders served that day (`orders` then counts those).
    Orders left unassigned belong to no day: they count in the totals only (a day's `unassigned` is 0 and
    its objective has no unserved cost), so the days' totals plus the unserved cost make the plan's total.
    A one-day plan has no `by_day` (its totals are that day); nor have the entries of `by_day`."""

    orders: int
    served: int
    unassigned: int
    technicians: int
    technicians_used: int
    by_priority: Mapping[str, PriorityKpis]
    total_late_minutes: float
    max_late_minutes: float
    travel_km: float
    travel_minutes: float
    utilization: Mapping[str, float]
    mean_utilization: float
    unassigned_by_reason: Mapping[str, int]
    objective: Mapping[str, float]
    solver: SolverStats | None = None
    churn: Churn | None = None  # a re-plan's, against the plan it started from
    workload: Workload | None = None  # absent in plans made before it was reported
    by_day: Mapping[str, Kpis] = field(default_factory=dict)  # a multi-day plan's, per ISO date

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "orders": self.orders, "served": self.served, "unassigned": self.unassigned,
            "technicians": self.technicians, "technicians_used": self.technicians_used,
            "by_priority": {p: k.to_dict() for p, k in self.by_priority.items()},
            "total_late_minutes": self.total_late_minutes, "max_late_minutes": self.max_late_minutes,
            "travel_km": self.travel_km, "travel_minutes": self.travel_minutes,
            "utilization": dict(self.utilization), "mean_utilization": self.mean_utilization,
            "unassigned_by_reason": dict(self.unassigned_by_reason), "objective": dict(self.objective),
        }
        if self.solver is not None:
            out["solver"] = self.solver.to_dict()
        if self.churn is not None:
            out["churn"] = self.churn.to_dict()
        if self.workload is not None:
            out["workload"] = self.workload.to_dict()
        if self.by_day:
            out["by_day"] = {d: k.to_dict() for d, k in self.by_day.items()}
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Kpis:
        return cls(
            orders=int(d["orders"]), served=int(d["served"]), unassigned=int(d["unassigned"]),
            technicians=int(d["technicians"]), technicians_used=int(d["technicians_used"]),
            by_priority={str(p): PriorityKpis(**{k: int(v) for k, v in x.items()})
                         for p, x in d["by_priority"].items()},
            total_late_minutes=float(d["total_late_minutes"]), max_late_minutes=float(d["max_late_minutes"]),
            travel_km=float(d["travel_km"]), travel_minutes=float(d["travel_minutes"]),
            utilization={str(k): float(v) for k, v in d["utilization"].items()},
            mean_utilization=float(d["mean_utilization"]),
            unassigned_by_reason={str(k): int(v) for k, v in d["unassigned_by_reason"].items()},
            objective={str(k): float(v) for k, v in d["objective"].items()},
            solver=SolverStats.from_dict(d["solver"]) if d.get("solver") else None,
            churn=Churn.from_dict(d["churn"]) if d.get("churn") else None,
            workload=Workload.from_dict(d["workload"]) if d.get("workload") else None,
            by_day={str(k): Kpis.from_dict(x) for k, x in (d.get("by_day") or {}).items()},
        )


@dataclass(frozen=True)
class Plan:
    date: date
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    kpis: Kpis | None = None  # None until computed (a plan being assembled)
    policy: Mapping[str, Any] = field(default_factory=dict)
    objective: Mapping[str, float] = field(default_factory=dict)  # cost per part of the objective
    changes: tuple[Change, ...] = ()  # a re-plan's, against the plan it started from
    at: datetime | None = None  # a re-plan's: the moment of the day it starts from
    # the days planned, the plan date first (a multi-day horizon); a route's date is one of them
    dates: tuple[Date, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "dates", tuple(self.dates) or (self.date,))
        if self.dates[0] != self.date:
            raise ValueError(f"plan dates {[d.isoformat() for d in self.dates]} must begin with its date "
                             f"{self.date.isoformat()}")
        if any(r.date is None for r in self.routes):
            object.__setattr__(self, "routes", tuple(r if r.date is not None else replace(r, date=self.date)
                                                     for r in self.routes))

    def routes_on(self, day: Date) -> tuple[Route, ...]:
        return tuple(r for r in self.routes if r.date == day)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "date": self.date.isoformat(),
            "dates": [d.isoformat() for d in self.dates],
            "routes": [r.to_dict() for r in self.routes],
            "unassigned": [u.to_dict() for u in self.unassigned],
            "kpis": self.kpis.to_dict() if self.kpis is not None else {},
            "objective": dict(self.objective),
            "policy": dict(self.policy),
        }
        if self.at is not None:
            out["at"] = _iso(self.at)
            out["changes"] = [c.to_dict() for c in self.changes]
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Plan:
        return cls(
            date=date.fromisoformat(d["date"]),
            routes=tuple(Route.from_dict(r) for r in d["routes"]),
            unassigned=tuple(Unassigned.from_dict(u) for u in d["unassigned"]),
            kpis=Kpis.from_dict(d["kpis"]) if d.get("kpis") else None,
            policy=dict(d.get("policy") or {}),
            objective=dict(d.get("objective") or {}),
            changes=tuple(Change.from_dict(c) for c in d.get("changes") or ()),
            at=datetime.fromisoformat(d["at"]) if d.get("at") else None,
            dates=tuple(date.fromisoformat(x) for x in d.get("dates") or ()),
        )

    @classmethod
    def from_json(cls, text: str) -> Plan:
        return cls.from_dict(json.loads(text))

    def assigned_ids(self) -> list[str]:
        """The orders served, each once (a crew's stop is on every member's route)."""
        return list(dict.fromkeys(s.order_id for r in self.routes for s in r.stops))
