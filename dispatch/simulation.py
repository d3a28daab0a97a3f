"""The day simulator: a plan executed event by event with seeded noise, as technicians' phones would report it.

Shared by the live-day benchmark (benchmarks/live_day.py, which compares re-planning policies on it) and the
service's demo history (api/demo_history.py, which records the days it produces).

Execution, event by event: a technician who is free takes the next planned stop of their current route (a visit
in service or en route is never interrupted), leaving at once, or so as to reach an appointment window as it
opens; takes the break before a stop the plan puts after its break; starts no new visit after the shift's end
or once absent; with nothing left to do waits where they are and drives home so as to be back at the shift's
end. A re-planner, when given, replaces the plan at its triggers (each new order, the absence, every
`every_minutes`). Noise, from one numpy Generator per (seed, stream, key), so that every policy and every route
sees the same draw for the same visit or leg: service time log-normal around the planned duration (mean 1,
20 % spread), travel log-normal 10 % slower on average (15 % spread) per leg (from, to), and each visit
unresolved with probability `unresolved_share` (the order goes back to the pool).
"""

from __future__ import annotations

import heapq
import math
import time as clock
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

import numpy as np

from dispatch.demo_days import DEFAULT_DATE
from dispatch.domain import Day, Order, Priority, Technician
from dispatch.events import Event, EventKind
from dispatch.plan import Plan, Route
from dispatch.travel import pair_minutes

if TYPE_CHECKING:
    from dispatch.analysis.checker import Violation

__all__ = ["Execution", "Noise", "ReplanRecord", "Replanner", "SimConfig", "TechRun", "Visit"]

SERVICE, TRAVEL, OUTCOME = 1, 2, 3  # noise streams (the benchmark draws its arrivals and absence from 4 and 5)


@dataclass(frozen=True)
class SimConfig:
    """One simulated day: what the benchmark generates (orders, technicians, city, new arrivals, an absence),
    how it re-plans, and the noise of execution (the last four fields)."""

    orders: int
    technicians: int
    seed: int
    city: str = "lyon"
    plan_date: date = DEFAULT_DATE
    time_limit: float = 2.0  # per re-plan
    morning_time_limit: float = 10.0
    solution_limit: int | None = None  # for the morning plan and every re-plan: results independent of load
    deadline_margin_minutes: float = 0.0  # the policy's: aim to start each visit this long before its deadline
    every_minutes: int = 30
    p1_per_hour: float = 1.0
    others_per_hour: float = 1.0
    arrivals_from: time = time(8, 0)
    arrivals_until: time = time(16, 0)
    absent_at: time | None = time(12, 0)
    until: time | None = None  # the last re-plan (None: up to the day's last shift end); execution goes on
    unresolved_share: float = 0.03
    service_spread: float = 0.20
    travel_slowdown: float = 0.10
    travel_spread: float = 0.15

    def at(self, t: time) -> datetime:
        """`t` on the simulated date."""
        return datetime.combine(self.plan_date, t)


# --- noise ---------------------------------------------------------------------------------------------


def _lognormal(z: float, mean: float, spread: float) -> float:
    """A log-normal factor of the given mean and coefficient of variation, from a standard normal z."""
    sigma = math.sqrt(math.log1p(spread**2))
    return math.exp(math.log(mean) - sigma**2 / 2 + sigma * z)


class Noise:
    """Draws keyed by what they are about (order and visit number, leg endpoints), never by call order."""

    def __init__(self, cfg: SimConfig) -> None:
        self.cfg = cfg

    def rng(self, stream: int, *key: str) -> np.random.Generator:
        return np.random.default_rng([self.cfg.seed, stream, *(zlib.crc32(k.encode()) for k in key)])

    def service_factor(self, order_id: str, visit: int) -> float:
        z = float(self.rng(SERVICE, order_id, str(visit)).standard_normal())
        return _lognormal(z, 1.0, self.cfg.service_spread)

    def travel_factor(self, origin: str, destination: str) -> float:
        z = float(self.rng(TRAVEL, origin, destination).standard_normal())
        return _lognormal(z, 1.0 + self.cfg.travel_slowdown, self.cfg.travel_spread)

    def unresolved(self, order_id: str, visit: int) -> bool:
        return bool(self.rng(OUTCOME, order_id, str(visit)).random() < self.cfg.unresolved_share)


# --- execution -----------------------------------------------------------------------------------------

Replanner = Callable[[Plan, Sequence[Event], datetime], Plan]
# what happens first at one instant: the absence, then visits finishing, then the re-plan, then decisions
ABSENT_NOW, FINISH, REPLAN, WAKE = 0, 1, 2, 3


@dataclass
class TechRun:
    tech: Technician
    place: str  # "home:<id>" or an order id
    lat: float
    lon: float
    busy_until: datetime
    left_home: bool = False
    gone_home: bool = False
    back: datetime | None = None
    break_taken: bool = False
    absent: bool = False
    taken: set[str] = field(default_factory=set)  # orders visited under the current plan


@dataclass(frozen=True)
class Visit:
    order_id: str
    technician_id: str
    departed: datetime
    arrival: datetime
    start: datetime
    end: datetime
    resolved: bool


@dataclass(frozen=True)
class ReplanRecord:
    at: datetime
    trigger: str
    latency_s: float
    reassigned: int | None  # kpis.churn.reassigned (None: the plan carries no churn)
    not_begun: int  # visits of the previous plan not yet begun at `at`
    violations: tuple[str, ...]  # the checker's, as "rule: who: message"
    # those not about a fixed stop
    violations_not_fixed: tuple[str, ...] = ()
    error: str = ""
    p1_left_out: tuple[str, ...] = ()  # P1 orders known at `at` the new plan leaves unassigned, with the reason
    planned: int = 0  # planned stops in the new plan
    left_out: int = 0  # orders known at `at` the new plan leaves unassigned


class Execution:
    """One policy's day: technicians execute the current plan, the re-plan replaces it at its triggers."""

    def __init__(self, cfg: SimConfig, day: Day, plan: Plan, start: datetime, noise: Noise,
                 replanner: Replanner | None, absent: tuple[str, datetime] | None,
                 check: Callable[[Plan, Sequence[Event], datetime, Plan], Sequence[Violation]]) -> None:
        self.cfg, self.day, self.plan, self.noise = cfg, day, plan, noise
        self.replanner, self.check = replanner, check
        self.orders = {o.id: o for o in day.orders}
        self.runs = {t.id: TechRun(t, f"home:{t.id}", t.home_lat, t.home_lon, max(t.shift_start, start))
                     for t in day.technicians}
        self.until = cfg.at(cfg.until) if cfg.until else max(t.shift_end for t in day.technicians)
        self.events: list[Event] = []
        self.visits: list[Visit] = []
        self.replans: list[ReplanRecord] = []
        self.anomalies: list[str] = []  # what a re-planned plan asked that execution could not do
        self.closed: set[str] = set()  # orders resolved
        self.under_way: dict[str, str] = {}  # order -> technician, from departure to the end of service
        self.visit_count: Counter[str] = Counter()
        self._queue: list[tuple[datetime, int, int, str]] = []
        self._pending: set[tuple[str, datetime]] = set()
        self._seq = 0
        self._triggers: dict[datetime, str] = {}
        if replanner is not None:
            at = start + timedelta(minutes=cfg.every_minutes)
            while at < self.until:
                self._triggers[at] = f"every {cfg.every_minutes} min"
                at += timedelta(minutes=cfg.every_minutes)
            for o in day.orders:
                if start < o.created_at < self.until:
                    self._triggers[o.created_at] = f"new order {o.id}"
            if absent is not None:
                self._triggers[absent[1]] = f"{absent[0]} absent"
        for at in self._triggers:
            self._push(at, REPLAN, "")
        if absent is not None:
            self._push(absent[1], ABSENT_NOW, absent[0])
        for run in self.runs.values():
            self._wake(run, run.busy_until)

    def _push(self, at: datetime, kind: int, who: str) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, kind, self._seq, who))

    def _wake(self, run: TechRun, at: datetime) -> None:
        if (run.tech.id, at) not in self._pending:
            self._pending.add((run.tech.id, at))
            self._push(at, WAKE, run.tech.id)

    def _emit(self, at: datetime, kind: EventKind, tech: str | None, order: str | None, note: str = "") -> None:
        self.events.append(Event(at, kind, tech, order, note))

    def run(self) -> Execution:
        while self._queue:
            now, kind, _, who = heapq.heappop(self._queue)
            if kind == WAKE:
                self._pending.discard((who, now))
                self._decide(self.runs[who], now)
            elif kind == FINISH:
                order, tech = who.split("|")
                self.under_way.pop(order, None)
                self._wake(self.runs[tech], now)
            elif kind == ABSENT_NOW:
                self.runs[who].absent = True
                self._emit(now, EventKind.ABSENT, who, None, "sick, goes home")
                self._wake(self.runs[who], now)
            else:
                self._replan(now)
        return self

    def known_events(self, at: datetime | None = None) -> list[Event]:
        """The events reported by `at` (all of them without it), in time order, ties in the order they
        happened, numbered as the rows of the events.csv written from them."""
        ordered = sorted((e for e in self.events if at is None or e.time <= at), key=lambda e: e.time)
        return [replace(e, row=i + 2) for i, e in enumerate(ordered)]

    # --- one technician ---

    def _route(self, run: TechRun) -> Route | None:
        return next((r for r in self.plan.routes if r.technician_id == run.tech.id), None)

    def _next_stop(self, run: TechRun) -> tuple[str, datetime] | None:
        route = self._route(run)
        for s in route.stops if route else ():
            if s.status != "planned" or s.order_id in run.taken:
                continue
            if s.order_id in self.closed or s.order_id in self.under_way:
                self.anomalies.append(f"{s.order_id} planned for {run.tech.id} is already "
                                      f"{'done' if s.order_id in self.closed else 'under way'}")
                run.taken.add(s.order_id)
                continue
            return s.order_id, s.arrival
        return None

    def _drive_minutes(self, run: TechRun, lat: float, lon: float) -> float:
        return pair_minutes(run.lat, run.lon, lat, lon)

    def _decide(self, run: TechRun, now: datetime) -> None:
        tech = run.tech
        if run.gone_home or now < run.busy_until:
            return
        if run.absent or now >= tech.shift_end:
            self._go_home(run, now)
            return
        nxt = self._next_stop(run)
        if nxt is None:
            if run.left_home:  # wait where they are, home by the shift's end
                home = self._drive_minutes(run, tech.home_lat, tech.home_lon) * (1 + self.cfg.travel_slowdown)
                leave = tech.shift_end - timedelta(minutes=home)
                if leave > now:
                    self._wake(run, leave)
                else:
                    self._go_home(run, now)
            return
        order_id, planned_arrival = nxt
        route = self._route(run)
        brk = route.break_ if route else None
        if tech.has_break and not run.break_taken and brk is not None and brk[0] < planned_arrival:
            begin = max(now, tech.break_start or now)
            if begin > now:
                self._wake(run, begin)
                return
            self._emit(now, EventKind.BREAK, tech.id, None)
            run.break_taken = True
            run.busy_until = now + timedelta(minutes=tech.break_minutes or 0)
            self._wake(run, run.busy_until)
            return
        order = self.orders[order_id]
        base = self._drive_minutes(run, order.lat, order.lon)
        depart = max(now, tech.shift_start)
        if order.window_start is not None:
            depart = max(depart, order.window_start - timedelta(minutes=base))
        depart = _whole_second(depart)
        if depart > now:
            self._wake(run, depart)
            return
        self._visit(run, order, now, base)

    def _visit(self, run: TechRun, order: Order, now: datetime, base_minutes: float) -> None:
        tech = run.tech.id
        self.visit_count[order.id] += 1
        n = self.visit_count[order.id]
        drive = base_minutes * self.noise.travel_factor(run.place, order.id)
        arrival = now + timedelta(seconds=round(drive * 60))
        start = max(arrival, order.window_start) if order.window_start else arrival
        end = start + timedelta(seconds=round(order.duration_min * 60 * self.noise.service_factor(order.id, n)))
        resolved = not self.noise.unresolved(order.id, n)
        self._emit(now, EventKind.DEPARTED, tech, order.id)
        self._emit(arrival, EventKind.ARRIVED, tech, order.id)
        self._emit(start, EventKind.STARTED, tech, order.id)
        if resolved:
            self._emit(end, EventKind.DONE, tech, order.id)
            self.closed.add(order.id)
        else:
            self._emit(end, EventKind.UNRESOLVED, tech, order.id, "needs another visit")
        self.visits.append(Visit(order.id, tech, now, arrival, start, end, resolved))
        self.under_way[order.id] = tech
        run.taken.add(order.id)
        run.left_home = True
        run.place, run.lat, run.lon, run.busy_until = order.id, order.lat, order.lon, end
        self._push(end, FINISH, f"{order.id}|{tech}")

    def _go_home(self, run: TechRun, now: datetime) -> None:
        run.gone_home = True
        if not run.left_home:
            return
        t = run.tech
        drive = self._drive_minutes(run, t.home_lat, t.home_lon) * self.noise.travel_factor(run.place, f"home:{t.id}")
        run.back = now + timedelta(seconds=round(drive * 60))

    # --- the re-plan ---

    def _replan(self, at: datetime) -> None:
        assert self.replanner is not None
        begun = {v.order_id for v in self.visits if v.departed <= at}
        not_begun = sum(1 for r in self.plan.routes for s in r.stops
                        if s.status == "planned" and s.order_id not in begun)
        known = self.known_events(at)
        t0 = clock.perf_counter()
        try:
            new = self.replanner(self.plan, known, at)
        except Exception as exc:  # the re-plan API misbehaving is a finding to report, not a crash
            self.replans.append(ReplanRecord(at, self._triggers[at], clock.perf_counter() - t0, None, not_begun,
                                             (), error=f"{type(exc).__name__}: {exc}"))
            return
        latency = clock.perf_counter() - t0
        churn = new.kpis.churn if new.kpis is not None else None
        found = self.check(new, known, at, self.plan)
        fixed = {s.order_id for r in new.routes for s in r.stops if s.status != "planned"}
        self.replans.append(ReplanRecord(at, self._triggers[at], latency, None if churn is None else churn.reassigned,
                                         not_begun, tuple(str(v) for v in found),
                                         tuple(str(v) for v in found if v.order_id not in fixed),
                                         p1_left_out=tuple(f"{u.order_id}: {u.reason}" for u in new.unassigned
                                                           if self.orders[u.order_id].priority is Priority.P1
                                                           and self.orders[u.order_id].created_at <= at),
                                         planned=sum(1 for r in new.routes for s in r.stops if s.status == "planned"),
                                         left_out=sum(1 for u in new.unassigned
                                                      if self.orders[u.order_id].created_at <= at)))
        self._check_frozen(new, at)
        self.plan = new
        for run in self.runs.values():
            run.taken.clear()
            if not run.gone_home and run.busy_until <= at:
                self._wake(run, at)

    def _check_frozen(self, new: Plan, at: datetime) -> None:
        """Visits under way at `at` must stay with their technician as fixed stops."""
        fixed = {(r.technician_id, s.order_id) for r in new.routes for s in r.stops if s.status != "planned"}
        for v in self.visits:
            if v.departed <= at < v.end and (v.technician_id, v.order_id) not in fixed:
                self.anomalies.append(f"{at:%H:%M}: {v.order_id} under way by {v.technician_id} is not a fixed stop")


def _whole_second(t: datetime) -> datetime:
    return t.replace(microsecond=0) + timedelta(seconds=1 if t.microsecond else 0)
