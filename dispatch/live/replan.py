"""Re-plan from where the day stands: `replan_day(day, previous, events, at, policy)`.

The freeze (dispatch.live.state) fixes what happened; each technician goes on from the place and end of
the last fixed visit with what is left in the van; the previous plan's routes are the starting solution
(repaired around the new facts: new orders inserted at their cheapest place, visits of an absent
technician handed over), and the stability costs of the policy keep visits with their technician unless
moving them clearly pays. The result is a whole-day plan: fixed stops with their actual times first, then
the planned ones, with the `changes` and `kpis.churn` against the previous plan.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np

from dispatch.analysis.kpis import compute_kpis
from dispatch.domain import Day, Order, Technician
from dispatch.events import Event, EventKind
from dispatch.live.changes import compare
from dispatch.live.state import DayState, TechnicianState, VisitStatus, crews_of, day_state
from dispatch.plan import Plan, Route, Stop, Unassigned
from dispatch.planning.fixes import Stores
from dispatch.planning.solving import solve_day
from dispatch.planning.translate import Previously, StartFrom, recorded_policy
from dispatch.policy import Policy
from dispatch.travel import TravelSource, travel_for
from solver.rules import PINNED_TECHNICIAN

log = logging.getLogger(__name__)

CANCELLED = "cancelled"
# Under a time limit the solve gets this share of what is left of it (explaining what is left out and
# assembling the day take the rest: about 0.6 s of 2 s at 500 orders), and never less than _MIN_SOLVE s.
_SOLVE_SHARE = 0.7
_MIN_SOLVE = 0.2
NOT_YET_KNOWN = "not yet known"


@dataclass(frozen=True)
class _Leg:
    km: float
    minutes: float


def _legs(travel: TravelSource, points: Sequence[tuple[float, float]]) -> list[_Leg]:
    """The legs between consecutive points."""
    if len(points) < 2:
        return []
    lats, lons = zip(*points, strict=True)
    dist, dur = travel.matrices(np.array(lats), np.array(lons))
    return [_Leg(int(dist[i, i + 1]) / 1000, int(dur[i, i + 1]) / 60) for i in range(len(points) - 1)]


def _fixed_stops(tech: Technician, state: TechnicianState, orders: dict[str, Order], policy: Policy,
                 travel: TravelSource, at: datetime, crews: dict[str, tuple[str, ...]]) -> list[Stop]:
    """The technician's fixed visits as stops: actual times for what happened, and for a visit under way
    (en route, on site) the expected ones, never before `at`. A crew job's stop names its crew (`crews`)."""
    points = [(tech.home_lat, tech.home_lon)] + [(orders[v.order_id].lat, orders[v.order_id].lon)
                                                 for v in state.fixed]
    legs = _legs(travel, points)
    stops: list[Stop] = []
    for v, leg in zip(state.fixed, legs, strict=True):
        o = orders[v.order_id]
        duration = timedelta(minutes=o.duration_min)
        opens = o.window_start or datetime.min
        if v.status is VisitStatus.EN_ROUTE:
            departed = v.departed or at
            arrival = max(at, departed + timedelta(minutes=leg.minutes))
            start = max(arrival, opens)
            end = start + duration
        elif v.status is VisitStatus.ON_SITE:
            arrival = v.arrival or at
            start = max(at, arrival, opens)
            end = start + duration
        else:  # done, unresolved, in service: what was reported (the freeze gives an in-service end)
            start = v.start or v.arrival or v.end or at
            arrival = min(v.arrival or start, start)
            end = max(v.end or start + duration, start)
        deadline = policy.sla.deadline(o)
        late = max(0.0, (start - deadline).total_seconds() / 60)
        stops.append(Stop(o.id, arrival, start, end, leg.km, leg.minutes, late, status=v.status.value,
                          deadline=deadline, crew=crews.get(o.id, ()) if o.technicians_needed > 1 else ()))
    return stops


def _going_on(tech: Technician, state: TechnicianState, fixed: Sequence[Stop], orders: dict[str, Order],
              at: datetime, brk: tuple[datetime, datetime] | None) -> StartFrom:
    used: dict[str, int] = {}
    for v, stop in zip(state.fixed, fixed, strict=True):
        if stop.crew and stop.crew[0] != tech.id:
            continue  # a crew's parts come out of its lead's van
        for part, q in orders[v.order_id].required_parts.items():
            used[part] = used.get(part, 0) + q
    if fixed:
        last = orders[fixed[-1].order_id]
        lat, lon, free = last.lat, last.lon, max(state.free_from, fixed[-1].end, at)
    else:
        lat, lon, free = tech.home_lat, tech.home_lon, max(state.free_from, tech.shift_start, at)
    if brk is not None and brk[0] <= free < brk[1]:  # on the break at `at` (reported, or as planned)
        free = brk[1]
    return StartFrom(lat, lon, free, state.break_taken, used, len(state.fixed))


def open_routes(plan: Plan, wanted: set[str], technicians: set[str]) -> dict[str, list[str]]:
    """Per technician of `technicians`, the `wanted` orders of `plan` not yet begun, in their order: the
    routes a re-plan starts from and a recommendation inserts into. A crew job is on its lead's route alone:
    the solver places a crew again, all its members at once."""
    return {r.technician_id: [s.order_id for s in r.stops if not s.fixed and s.order_id in wanted
                              and (not s.crew or s.crew[0] == r.technician_id)]
            for r in plan.routes if r.technician_id in technicians}


def previously(plan: Plan, wanted: set[str]) -> dict[str, Previously]:
    """Where and when `plan` has each `wanted` order not yet begun: what the stability costs weigh (a crew
    job's, with its lead, as the solver weighs it)."""
    return {s.order_id: Previously(r.technician_id, s.start) for r in plan.routes for s in r.stops
            if s.order_id in wanted and not s.fixed and (not s.crew or s.crew[0] == r.technician_id)}


def _taken_break(tech: Technician, state: TechnicianState, events: Sequence[Event], previous: Plan,
                 at: datetime) -> tuple[datetime, datetime] | None:
    if not state.break_taken or not tech.break_minutes:
        return None
    reported = [e.time for e in events if e.kind is EventKind.BREAK and e.technician_id == tech.id and e.time <= at]
    if reported:
        return min(reported), min(reported) + timedelta(minutes=tech.break_minutes)
    return next((r.break_ for r in previous.routes if r.technician_id == tech.id), None)


@dataclass(frozen=True)
class LiveInputs:
    """What a re-plan or a recommendation starts from at `at`."""

    policy: Policy  # as the plan records it
    travel: TravelSource
    state: DayState
    present: tuple[Technician, ...]  # not absent
    fixed: dict[str, list[Stop]]  # technician -> fixed stops, in order
    starts: dict[str, StartFrom]  # present technician -> where and when they go on
    breaks: dict[str, tuple[datetime, datetime] | None]  # technician -> the break behind them, if any


def live_inputs(day: Day, previous: Plan, events: Sequence[Event], at: datetime, policy: Policy | None = None,
                travel: TravelSource | None = None) -> LiveInputs:
    policy = recorded_policy(policy or Policy(), travel)
    travel = travel or travel_for(policy.travel)
    state = day_state(day, events, at, previous)
    orders = {o.id: o for o in day.orders}
    present = tuple(t for t in day.technicians if not state.technicians[t.id].absent)
    crews = _fixed_crews(day, state, previous)
    fixed = {t.id: _fixed_stops(t, state.technicians[t.id], orders, policy, travel, at, crews)
             for t in day.technicians}
    breaks = {t.id: _taken_break(t, state.technicians[t.id], events, previous, at) for t in day.technicians}
    starts = {t.id: _going_on(t, state.technicians[t.id], fixed[t.id], orders, at, breaks[t.id]) for t in present}
    return LiveInputs(policy, travel, state, present, fixed, starts, breaks)


def _fixed_crews(day: Day, state: DayState, previous: Plan) -> dict[str, tuple[str, ...]]:
    """order -> the members a fixed crew job has (all its members once begun, dispatch.live.state), the lead of
    the previous plan first, else the first to report."""
    before = crews_of(previous)
    held: dict[str, list[str]] = {}
    needed = {o.id: o.technicians_needed for o in day.orders}
    for t in day.technicians:
        for v in state.technicians[t.id].fixed:
            if needed[v.order_id] == 1:
                continue
            if v.order_id not in held or t.id not in held[v.order_id]:
                held.setdefault(v.order_id, []).append(t.id)
    out = {}
    for order, members in held.items():
        rank = {m: k for k, m in enumerate(before.get(order, ()))}
        first = {t: min((v.start or v.end or v.arrival or v.departed or datetime.max)
                        for v in state.technicians[t].fixed if v.order_id == order) for t in members}
        out[order] = tuple(sorted(members, key=lambda m: (rank.get(m, len(rank)), first[m], m)))
    return out


def _break_after(tech: Technician, free: datetime) -> tuple[datetime, datetime] | None:
    """The break of a technician with nothing more to do, taken once free, if it still fits its window."""
    if not tech.has_break or tech.break_start is None or tech.break_end is None or not tech.break_minutes:
        return None
    start = max(free, tech.break_start)
    end = start + timedelta(minutes=tech.break_minutes)
    return (start, end) if end <= tech.break_end else None


def replan_day(day: Day, previous: Plan, events: Sequence[Event], at: datetime, policy: Policy | None = None, *,
               travel: TravelSource | None = None, warm_start: bool = True, stores: Stores | None = None) -> Plan:
    """The day re-planned at `at` from `events` and the `previous` plan (see the module docstring).
    `warm_start=False` solves the orders left from scratch, with no starting solution (for comparison).
    `stores` (part -> stores holding it) let a part fix name where to fetch the parts."""
    began = time.perf_counter()
    live = live_inputs(day, previous, events, at, policy, travel)
    policy, travel, state, starts = live.policy, live.travel, live.state, live.starts
    orders = {o.id: o for o in day.orders}
    present_ids = {t.id for t in live.present}
    unassigned: list[Unassigned] = []
    to_plan: list[Order] = []
    for order_id in state.to_plan:
        o = orders[order_id]
        if o.pinned_technician is not None and o.pinned_technician not in present_ids:
            unassigned.append(Unassigned(order_id, f"pinned to {o.pinned_technician}, who is absent", PINNED_TECHNICIAN))
        else:
            to_plan.append(o)
    # an unresolved order's previous visit is behind it: it starts afresh
    wanted = {o.id for o in to_plan} - set(state.unresolved)
    solve_policy = policy
    if policy.solution_limit is None:
        # the time limit bounds the whole re-plan: keep a share for explaining what is left out and assembling
        left = policy.time_limit - (time.perf_counter() - began)
        solve_policy = policy.updated(time_limit=max(_MIN_SOLVE, left * _SOLVE_SHARE))
    sub = solve_day(Day(day.date, live.present, tuple(to_plan)), solve_policy, travel=travel,
                    start=open_routes(previous, wanted, present_ids) if warm_start else None, starts=starts,
                    previous=previously(previous, wanted) if warm_start else None, eject=warm_start,
                    fix_offsets={t: len(stops) for t, stops in live.fixed.items()}, stores=stores)
    return assemble(day, previous, live, at, sub, unassigned)


def assemble(day: Day, previous: Plan, live: LiveInputs, at: datetime, sub: Plan,
             unassigned: Sequence[Unassigned] = ()) -> Plan:
    """The whole-day plan from the planned part `sub` (the orders left at `at`, timed from where each
    technician goes on): fixed stops first, the orders cancelled or not yet known left out, with the
    `changes` and `kpis.churn` against `previous`."""
    policy, travel, state, fixed = live.policy, live.travel, live.state, live.fixed
    unassigned = list(unassigned)
    planned = {r.technician_id: r for r in sub.routes}
    routes = []
    for t in day.technicians:
        route = _merged(t, fixed[t.id], planned.get(t.id), state.technicians[t.id], live.breaks[t.id], previous,
                        travel, at)
        if route is not None:
            routes.append(route)
    cancelled = set(state.cancelled)
    unassigned += list(sub.unassigned)
    unassigned += [Unassigned(i, "cancelled by the customer", CANCELLED) for i in state.cancelled]
    unassigned += [Unassigned(o.id, f"created at {o.created_at:%H:%M}, after the re-plan at {at:%H:%M}",
                              NOT_YET_KNOWN) for o in day.orders if o.created_at > at]
    plan = Plan(date=day.date, routes=tuple(routes), unassigned=tuple(unassigned), policy=policy.to_dict(), at=at)
    changes, churn = compare(previous, plan, cancelled)
    plan = replace(plan, changes=changes)
    solver_stats = sub.kpis.solver if sub.kpis is not None else None
    kpis = compute_kpis(day, plan, policy, solver=solver_stats, churn=churn)
    log.info("re-planned at %s: %d to plan, %d fixed, %d reassigned, %d changes", at.strftime("%H:%M"),
             len(state.to_plan), sum(len(f) for f in fixed.values()), churn.reassigned, len(changes))
    return replace(plan, kpis=kpis, objective=kpis.objective)


def _merged(tech: Technician, fixed: list[Stop], planned: Route | None, tstate: TechnicianState,
            taken: tuple[datetime, datetime] | None, previous: Plan, travel: TravelSource,
            at: datetime) -> Route | None:
    """The technician's whole-day route: fixed stops, then the planned ones; `taken` is the break behind them."""
    new = list(planned.stops) if planned is not None else []
    if not fixed and not new:
        return None
    before = next((r for r in previous.routes if r.technician_id == tech.id), None)
    depart: datetime | None
    if fixed:
        # left home when the phone said so, else as the plan had it, else just in time for the first visit
        driven = fixed[0].arrival - timedelta(minutes=fixed[0].travel_minutes)
        planned_depart = before.depart if before is not None else None
        depart = tstate.fixed[0].departed or min(planned_depart or driven, driven)
    else:
        depart = planned.depart if planned is not None else None
    brk = taken
    if brk is None and planned is not None:
        brk = planned.break_
    if new and planned is not None:
        back, return_km, return_minutes = planned.back, planned.return_km, planned.return_minutes
    else:
        leg = _legs(travel, [(tstate.lat, tstate.lon), (tech.home_lat, tech.home_lon)])[0]
        free = fixed[-1].end
        if brk is None and not tstate.break_taken and not tstate.absent:  # an absent technician goes home
            brk = _break_after(tech, max(free, at))
        if brk is not None and brk[1] > free:  # home once the break is over
            free = brk[1]
        back = free + timedelta(minutes=leg.minutes)
        return_km, return_minutes = leg.km, leg.minutes
    stops = (*fixed, *new)
    travel_km = sum(s.travel_km for s in stops) + return_km
    return Route(tech.id, stops, brk, travel_km, depart=depart, back=back, return_km=return_km,
                 return_minutes=return_minutes)

