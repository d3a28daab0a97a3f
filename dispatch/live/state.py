"""The state of the day at `at`: what is fixed, where and when each technician goes on, what is left to plan.

The freeze of DESIGN.md ("The live day"): visits done or unresolved keep their actual times; a visit in
service stays with its technician and ends at max(start + duration, at); a visit the technician has departed
for or arrived at stays as the next stop; a break begun (or planned before `at` in the previous plan and not
reported otherwise) is taken. A technician goes on from the last fixed stop, or from home at
max(shift_start, at). Orders done or cancelled are not planned again; an unresolved one goes back to the
pool with its response clock still running; orders created after `at` are not known yet. Events after `at`
are ignored.

A crew job (a visit for several technicians together) is one visit of each member: once any member has
started it, it is in service for every member of the crew (as the previous plan names it, and whoever
reported on it) from the crew's common start, the first `started`, whatever the others reported; each
member's own `done` or `unresolved` ends their stop, and the lead's (the first of the plan's crew, whose van
gives the parts) decides the order's outcome. A crew job that members have only departed for or arrived at
fixes nothing: it is planned again, with all its members at one start.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from dispatch.domain import Day, Order
from dispatch.events import Event, EventKind
from dispatch.plan import Plan


class VisitStatus(StrEnum):
    DONE = "done"
    UNRESOLVED = "unresolved"
    IN_SERVICE = "in_service"
    ON_SITE = "on_site"  # arrived, service not begun
    EN_ROUTE = "en_route"
    PLANNED = "planned"


@dataclass(frozen=True)
class FixedVisit:
    """A visit the re-plan must keep as it is; times are what was reported (or, for a visit in service, its
    expected end)."""

    order_id: str
    technician_id: str
    status: VisitStatus
    departed: datetime | None = None
    arrival: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class TechnicianState:
    technician_id: str
    fixed: tuple[FixedVisit, ...]  # in the order they happened; an en-route or on-site visit comes last
    free_from: datetime  # when the technician can take the next new visit (after the fixed ones)
    lat: float  # where the technician goes on from
    lon: float
    break_taken: bool
    absent_from: datetime | None = None

    @property
    def absent(self) -> bool:
        return self.absent_from is not None


@dataclass(frozen=True)
class DayState:
    at: datetime
    technicians: dict[str, TechnicianState]
    to_plan: tuple[str, ...]  # orders known at `at`, not done, not cancelled, not fixed on a route
    done: tuple[str, ...]
    unresolved: tuple[str, ...]  # visited, need another visit: in `to_plan` unless fixed again
    cancelled: tuple[str, ...]

    @property
    def absent(self) -> tuple[str, ...]:
        return tuple(t for t, s in self.technicians.items() if s.absent)


def crews_of(previous: Plan | None) -> dict[str, tuple[str, ...]]:
    """order -> the crew `previous` gives it, the lead first (crew jobs only)."""
    out: dict[str, tuple[str, ...]] = {}
    for r in previous.routes if previous is not None else ():
        for s in r.stops:
            if s.crew:
                out.setdefault(s.order_id, s.crew)
    return out


def day_state(day: Day, events: Iterable[Event], at: datetime, previous: Plan | None = None) -> DayState:
    """The state of `day` at `at` from `events` (as read by dispatch.io.events, so already consistent)."""
    orders = {o.id: o for o in day.orders}
    known = [e for e in sorted(events, key=lambda e: (e.time, e.row or 0)) if e.time <= at]
    crews = crews_of(previous)
    visits: dict[tuple[str, str], dict[str, datetime]] = {}  # (technician, order) -> step -> time, under way
    finished: dict[str, list[FixedVisit]] = {t.id: [] for t in day.technicians}
    done: list[str] = []
    unresolved: list[str] = []
    cancelled: list[str] = []
    absent: dict[str, datetime] = {}
    breaks: dict[str, datetime] = {}
    for e in known:
        tech, order = e.technician_id, e.order_id
        if e.kind is EventKind.CANCELLED:
            cancelled.append(str(order))
        elif e.kind is EventKind.ABSENT:
            absent.setdefault(str(tech), e.time)
        elif e.kind is EventKind.BREAK:
            breaks.setdefault(str(tech), e.time)
        elif e.kind in (EventKind.DEPARTED, EventKind.ARRIVED, EventKind.STARTED):
            visits.setdefault((str(tech), str(order)), {})[e.kind.value] = e.time
        else:  # done or unresolved
            steps = visits.pop((str(tech), str(order)), {})
            status = VisitStatus.DONE if e.kind is EventKind.DONE else VisitStatus.UNRESOLVED
            finished[str(tech)].append(FixedVisit(str(order), str(tech), status, steps.get("departed"),
                                                  steps.get("arrived"), steps.get("started"), e.time))
            lead = crews.get(str(order), (tech,))[0]
            if orders[str(order)].technicians_needed == 1 or lead == tech:  # a crew's outcome is its lead's
                (done if e.kind is EventKind.DONE else unresolved).append(str(order))
    _crews_together(orders, crews, visits, finished)
    under_way: dict[str, FixedVisit] = {}
    # a technician redirected on the way has two visits under way: the one with the latest report holds, the
    # other goes back to the pool (the log refuses moving on from a visit in service)
    for (tech, order), steps in sorted(visits.items(), key=lambda item: max(item[1].values())):
        if "started" not in steps and orders[order].technicians_needed > 1:
            continue  # a crew job nobody has begun is planned again, all its members together
        if "started" in steps:
            end = max(steps["started"] + timedelta(minutes=orders[order].duration_min), at)
            visit = FixedVisit(order, tech, VisitStatus.IN_SERVICE, steps.get("departed"), steps.get("arrived"),
                               steps["started"], end)
        elif "arrived" in steps:
            visit = FixedVisit(order, tech, VisitStatus.ON_SITE, steps.get("departed"), steps["arrived"])
        else:
            visit = FixedVisit(order, tech, VisitStatus.EN_ROUTE, steps["departed"])
        under_way[tech] = visit
    planned_breaks = _planned_breaks(previous)
    states = {}
    for t in day.technicians:
        fixed = [*finished[t.id], *([under_way[t.id]] if t.id in under_way else [])]
        last = fixed[-1] if fixed else None
        if last is None:
            lat, lon, free = t.home_lat, t.home_lon, max(t.shift_start, at)
        else:
            o = orders[last.order_id]
            lat, lon = o.lat, o.lon
            # an en-route or on-site visit still has its service ahead: the re-plan times it
            free = max(last.end or at, at)
        planned = planned_breaks.get(t.id)
        # a break planned before `at` is taken unless the phone says otherwise: a report during it, a service
        # across it, or a visit under way while it would still run
        busy = planned is not None and (
            any(planned[0] <= e.time < planned[1] for e in known if e.technician_id == t.id)
            or any(v.start is not None and v.start < planned[1] and min(v.end or at, at) > planned[0]
                   for v in fixed)
            or (t.id in under_way and at < planned[1]))
        taken = t.id in breaks or (planned is not None and planned[0] < at and not busy)
        if t.id in breaks and t.break_minutes:  # on the break at `at`: free once it is over
            free = max(free, breaks[t.id] + timedelta(minutes=t.break_minutes))
        states[t.id] = TechnicianState(t.id, tuple(fixed), free, lat, lon, taken, absent.get(t.id))
    fixed_ids = {v.order_id for v in under_way.values()}
    gone = set(done) | set(cancelled) | fixed_ids
    to_plan = tuple(o.id for o in day.orders if o.id not in gone and o.created_at <= at)
    return DayState(at, states, to_plan, tuple(done), tuple(unresolved), tuple(cancelled))


def _crews_together(orders: dict[str, Order], crews: dict[str, tuple[str, ...]],
                    visits: dict[tuple[str, str], dict[str, datetime]], finished: dict[str, list[FixedVisit]]) -> None:
    """A crew job begun by any member is in service for all of its members from the first `started` (see
    the module docstring): the members' visits under way and finished take that start, and a member who
    reported nothing of it has it in service, unless they are in service elsewhere."""
    begun: dict[str, datetime] = {}
    for (_, order), steps in visits.items():
        if orders[order].technicians_needed > 1 and "started" in steps:
            begun[order] = min(begun.get(order, steps["started"]), steps["started"])
    for vs in finished.values():
        for v in vs:
            if orders[v.order_id].technicians_needed > 1 and v.start is not None:
                begun[v.order_id] = min(begun.get(v.order_id, v.start), v.start)
    for order, start in begun.items():
        members = dict.fromkeys([*crews.get(order, ()), *(t for t, o in visits if o == order),
                                 *(t for t, vs in finished.items() for v in vs if v.order_id == order)])
        for tech in members:
            if tech not in finished:
                continue  # not on the roster
            vs = finished[tech]
            mine = [k for k, v in enumerate(vs) if v.order_id == order]
            if mine:
                for k in mine:
                    vs[k] = replace(vs[k], start=start)
                continue
            elsewhere = any("started" in steps for (t, o), steps in visits.items() if t == tech and o != order)
            if (tech, order) in visits or not elsewhere:
                visits.setdefault((tech, order), {})["started"] = start


def _planned_breaks(previous: Plan | None) -> dict[str, tuple[datetime, datetime]]:
    if previous is None:
        return {}
    return {r.technician_id: r.break_ for r in previous.routes if r.break_ is not None}
