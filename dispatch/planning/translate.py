"""The boundary between the domain and the solver: a Day becomes a Problem, a Solution becomes a Plan.

Translation from ids and datetimes to indices and integer seconds happens here once, and back again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import numpy as np

from dispatch.analysis.kpis import compute_kpis
from dispatch.domain import Day, Order, Technician
from dispatch.plan import Plan, Route, SolverStats, Stop, Unassigned
from dispatch.planning.budget import UNTRIED, untried_notes
from dispatch.planning.reasons import reason_text
from dispatch.policy import Policy
from dispatch.travel import TravelSource, recorded_model, travel_for
from solver.problem import Break, Problem, Solution, Vehicle, Visit

# Integer objective units per DESIGN.md cost unit. 3000 keeps per-metre (per_km / 1000) and per-second
# (per_minute / 60) weights integral for the default weights.
SCALE = 3000
# Open bound of a one-sided appointment window, in seconds from midnight (a week out).
_OPEN_END = 7 * 24 * 3600


@dataclass(frozen=True)
class Built:
    """A Problem with the maps back to the Day it came from."""

    day: Day
    policy: Policy
    problem: Problem
    skills: tuple[str, ...]  # skill index -> tag
    parts: tuple[str, ...]  # part index -> part number
    dates: tuple[date, ...] = ()  # the days planned (the plan date alone on a one-day horizon)
    # vehicle index -> index in day.technicians and the date it works (empty: vehicle k is technician k
    # on the plan date)
    vehicle_technician: tuple[int, ...] = ()
    vehicle_date: tuple[date, ...] = ()

    def technician(self, vehicle: int) -> Technician:
        techs = self.day.technicians
        return techs[self.vehicle_technician[vehicle]] if self.vehicle_technician else techs[vehicle]

    def date_of(self, vehicle: int) -> date:
        return self.vehicle_date[vehicle] if self.vehicle_date else self.day.date

    @property
    def origin(self) -> datetime:
        return self.day.midnight

    def at(self, seconds: int) -> datetime:
        return self.origin + timedelta(seconds=int(seconds))

    def deadline(self, order: Order) -> datetime:
        return self.policy.sla.deadline(order)

    def cost(self, units: int) -> float:
        """Objective units of the solver in DESIGN.md cost units."""
        return units / SCALE


@dataclass(frozen=True)
class StartFrom:
    """Where and when a technician goes on from in a re-plan (dispatch.live): the place and end of the last
    fixed visit (or home at max(shift start, at)), whether the break is behind them, and what the fixed
    visits already took (parts from the van, visits against max_orders)."""

    lat: float
    lon: float
    time: datetime
    break_taken: bool = False
    parts_used: Mapping[str, int] = field(default_factory=dict)
    visits_made: int = 0


@dataclass(frozen=True)
class Previously:
    """An order's place in the plan being re-planned: its technician and start of service."""

    technician_id: str
    start: datetime


def _scaled(value: float) -> int:
    return round(value * SCALE)


def recorded_policy(policy: Policy, travel: TravelSource | None) -> Policy:
    """The policy a plan records: with the travel model of a geodesic source, or the name of any other
    source, so a checker knows what it recomputes."""
    if travel is None:
        return policy
    return policy.updated(travel=recorded_model(travel))


def build_problem(day: Day, policy: Policy | None = None, travel: TravelSource | None = None, *,
                  starts: Mapping[str, StartFrom] | None = None,
                  previous: Mapping[str, Previously] | None = None) -> Built:
    """The Problem of `day`. A re-plan adds where each technician goes on from (`starts`, by technician id;
    the others start from home) and each order's place in the plan it re-plans (`previous`, by order id),
    which the stability costs of the policy weigh."""
    policy = policy or Policy()
    travel = travel or travel_for(policy.travel)
    policy = recorded_policy(policy, travel)
    starts = starts or {}
    previous = previous or {}
    techs, orders = day.technicians, day.orders
    skills = tuple(sorted({s for t in techs for s in t.skills} | {s for o in orders for s in o.required_skills}))
    parts = tuple(sorted({p for t in techs for p in t.van_stock} | {p for o in orders for p in o.required_parts}))
    skill_ix = {s: i for i, s in enumerate(skills)}
    part_ix = {p: i for i, p in enumerate(parts)}
    tech_ix = {t.id: k for k, t in enumerate(techs)}

    # Locations: every home first, then every order, then where re-planned technicians go on from.
    going_on = [t.id for t in techs if t.id in starts]
    lats = np.array([t.home_lat for t in techs] + [o.lat for o in orders] + [starts[i].lat for i in going_on],
                    dtype=float)
    lons = np.array([t.home_lon for t in techs] + [o.lon for o in orders] + [starts[i].lon for i in going_on],
                    dtype=float)
    start_loc = {i: len(techs) + len(orders) + n for n, i in enumerate(going_on)}
    distances, durations = travel.matrices(lats, lons)

    origin = day.midnight

    def sec(dt: datetime) -> int:
        return round((dt - origin).total_seconds())

    def vector(amounts: Mapping[str, int]) -> tuple[int, ...]:
        out = [0] * len(parts)
        for p, q in amounts.items():
            out[part_ix[p]] = int(q)
        return tuple(out)

    w = policy.weights
    def used(amounts: Mapping[str, int]) -> tuple[int, ...]:
        return vector({p: q for p, q in amounts.items() if p in part_ix})  # a part no van carries is no limit

    dates = day.horizon(policy.horizon_days)
    pairs: list[tuple[int, date]] = []  # (technician index, date) of each vehicle on a multi-day horizon
    if len(dates) == 1:
        # one vehicle per technician, in roster order (the live day's code relies on it); one whose
        # work_days leave the plan date out takes no orders
        vehicles = tuple(_going_on(_vehicle(t, k, sec, skill_ix, vector), starts.get(t.id), start_loc.get(t.id), sec,
                                   used) if t.works_on(day.date) else replace(_vehicle(t, k, sec, skill_ix, vector),
                                                                              max_visits=0)
                         for k, t in enumerate(techs))
    else:
        if starts or previous:
            raise ValueError("a re-plan plans its own day: horizon_days must be 1")
        pairs = [(k, d) for d in dates for k, t in enumerate(techs) if t.works_on(d)]
        vehicles = tuple(replace(_vehicle(techs[k].on((d - day.date).days), k, sec, skill_ix, vector),
                                 day=(d - day.date).days, technician=k) for k, d in pairs)
    # An order already past its deadline when the day opens stays late whether it is served today or not:
    # that lateness is sunk, and letting the plan save it by leaving the order out would leave an aging order
    # out every day (with the default weights, any order more than 1,000 minutes late). The search aims at
    # the day's opening instead; the plan still reports lateness against the real deadline.
    opens = min((v.shift_start for v in vehicles), default=0)
    visits = []
    for j, o in enumerate(orders):
        before = previous.get(o.id)
        lo = sec(o.window_start) if o.window_start else 0
        hi = sec(o.window_end) if o.window_end else _OPEN_END
        window = (lo, hi) if (o.window_start or o.window_end) else None
        visits.append(
            Visit(
                location=len(techs) + j,
                service=o.duration_min * 60,
                window=window,
                deadline=max(opens, sec(policy.sla.deadline(o)) - round(policy.deadline_margin_minutes * 60)),
                lateness_cost=round(w.late_per_minute[o.priority] * SCALE / 60),
                drop_penalty=_scaled(w.unserved[o.priority]),
                skills=frozenset(skill_ix[s] for s in o.required_skills),
                levels=_levels(o.required_skills, o.level, skill_ix),
                parts=vector(o.required_parts),
                pinned=tech_ix[o.pinned_technician] if o.pinned_technician else None,
                # a refused or wanted technician who does not work today changes nothing
                forbidden=frozenset(tech_ix[i] for i in o.forbidden_technicians if i in tech_ix),
                preferred=tech_ix.get(o.preferred_technician) if o.preferred_technician else None,
                previous_vehicle=tech_ix.get(before.technician_id) if before else None,
                previous_start=sec(before.start) if before else None,
                # without a window_date the appointment window holds on whichever day of the horizon
                daily=len(dates) > 1 and o.window_date is None,
                crew=o.technicians_needed,
            )
        )
    problem = Problem(
        distances=distances,
        durations=durations,
        vehicles=vehicles,
        visits=tuple(visits),
        distance_cost=round(w.per_km * SCALE / 1000),
        balance_cost=round(w.balance_per_minute * SCALE / 60),
        num_skills=len(skills),
        num_parts=len(parts),
        reassign_cost=_scaled(policy.reassign_cost),
        shift_cost=round(policy.shift_cost_per_minute * SCALE / 60),
        max_moves=policy.max_moves,
        over_qualification_cost=_scaled(policy.over_qualification_cost),
        preference_cost=_scaled(policy.preferred_technician_cost),
    )
    return Built(day=day, policy=policy, problem=problem, skills=skills, parts=parts, dates=dates,
                 vehicle_technician=tuple(k for k, _ in pairs), vehicle_date=tuple(d for _, d in pairs))


def _levels(skills: frozenset[str], level: Callable[[str], int], skill_ix: dict[str, int]) -> tuple[int, ...]:
    """The level per skill index (0 where the skill is not held or needed; the solver reads 0 as 1)."""
    out = [0] * len(skill_ix)
    for s in skills:
        out[skill_ix[s]] = level(s)
    return tuple(out)


def _vehicle(t: Technician, k: int, sec: Callable[[datetime], int], skill_ix: dict[str, int],
             vector: Callable[[Mapping[str, int]], tuple[int, ...]]) -> Vehicle:
    brk = None
    if t.has_break and t.break_start is not None and t.break_end is not None and t.break_minutes:
        brk = Break(earliest_start=sec(t.break_start), latest_end=sec(t.break_end), duration=t.break_minutes * 60)
    return Vehicle(
        start=k,
        end=k,
        shift_start=sec(t.shift_start),
        shift_end=sec(t.shift_end),
        skills=frozenset(skill_ix[s] for s in t.skills),
        levels=_levels(t.skills, t.level, skill_ix),
        stock=vector(t.van_stock),
        max_visits=t.max_orders,
        break_=brk,
    )


def _going_on(v: Vehicle, start: StartFrom | None, location: int | None, sec: Callable[[datetime], int],
              vector: Callable[[Mapping[str, int]], tuple[int, ...]]) -> Vehicle:
    """The vehicle of a technician who goes on from `start` rather than from home at shift start."""
    if start is None or location is None:
        return v
    begin = max(v.shift_start, sec(start.time))
    used = vector(start.parts_used)
    return replace(
        v,
        start=location,
        shift_start=begin,
        shift_end=max(v.shift_end, begin),  # running late past the shift: no room for more
        stock=tuple(max(0, q - (used[p] if p < len(used) else 0)) for p, q in enumerate(v.stock)),
        max_visits=None if v.max_visits is None else max(0, v.max_visits - start.visits_made),
        break_=None if start.break_taken else v.break_,
    )


def to_plan(built: Built, solution: Solution) -> Plan:
    day, problem = built.day, built.problem
    orders = day.orders
    dist, dur = problem.distances, problem.durations
    crews = {j: tuple(built.technician(k).id for k in team) for j, team in solution.crews}
    routes = []
    for rs in solution.routes:
        if not rs.visits:
            continue
        v = problem.vehicles[rs.vehicle]
        stops = []
        prev = v.start
        total_m = 0
        for j, arr, start in zip(rs.visits, rs.arrivals, rs.starts, strict=True):
            o = orders[j]
            loc = problem.visits[j].location
            leg_m = int(dist[prev, loc])
            total_m += leg_m
            deadline = built.deadline(o)
            start_dt = built.at(start)
            late = max(0.0, (start_dt - deadline).total_seconds() / 60)
            stops.append(
                Stop(
                    order_id=o.id,
                    arrival=built.at(arr),
                    start=start_dt,
                    end=start_dt + timedelta(minutes=o.duration_min),
                    travel_km=leg_m / 1000,
                    travel_minutes=int(dur[prev, loc]) / 60,
                    late_minutes=late,
                    deadline=deadline,
                    crew=crews.get(j, ()),
                )
            )
            prev = loc
        ret_m = int(dist[prev, v.end])
        total_m += ret_m
        brk = None
        if rs.break_start is not None and v.break_ is not None:
            brk = (built.at(rs.break_start), built.at(rs.break_start + v.break_.duration))
        routes.append(
            Route(
                technician_id=built.technician(rs.vehicle).id,
                date=built.date_of(rs.vehicle),
                stops=tuple(stops),
                break_=brk,
                travel_km=total_m / 1000,
                depart=built.at(rs.depart),
                back=built.at(rs.back),
                return_km=ret_m / 1000,
                return_minutes=int(dur[prev, v.end]) / 60,
            )
        )
    untried = set(solution.unexplained)
    unassigned = tuple(
        Unassigned(order_id=orders[j].id, reason=reason_text(built, orders[j], r) + (UNTRIED if j in untried else ""),
                   rule=r.rule)
        for j, r in solution.unassigned
    )
    plan = Plan(date=day.date, routes=tuple(routes), unassigned=unassigned, policy=built.policy.to_dict(),
                dates=built.dates or (day.date,))
    stats = SolverStats(status=solution.status, wall_time_s=round(solution.wall_time, 2),
                        solutions_found=solution.solutions_found, notes=untried_notes(unassigned))
    kpis = compute_kpis(day, plan, built.policy, solver=stats)
    return replace(plan, kpis=kpis, objective=kpis.objective)
