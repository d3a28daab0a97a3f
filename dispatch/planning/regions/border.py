"""Large days by region: round 1 over the regions, border passes, one stitched plan.

One OR-Tools model of thousands of orders neither fits a dispatch time limit nor improves on the insertion
plan (at 1,000 x 100 it only matched it); regions of a few hundred orders do, and they run side by side on
dask workers (dispatch.parallel.run_all).

1. Split (dispatch.planning.regions.split).
2. Round 1: every region is solved as a Day of its own.
3. Border passes (BORDER_ROUNDS). Orders left out so far are often near a border, where a neighbour has
   time to spare. Technicians are regrouped by where their routes run, into another number of groups (so
   the borders move); each left-out or held order joins the group of the nearest technician who can do it;
   every group is solved again from its routes (the solver keeps them, inserts what fits, searches from
   there), and its new plan is kept only if it costs less.
4. Stitch: the routes of all regions, each unassigned order with the reason of the last solve that saw it,
   KPIs and objective over the whole day. Every order of the day is on exactly one route or unassigned.
5. Fixes (when asked for), region by region (`_fixes_by_region`).

Time: with a solution limit every solve is bounded by its solution count and nothing here looks at the
clock, so the same day, policy and seed give the same plan however busy the machine is. Without one, the
time limit covers the whole call (dispatch.planning.budget): once the day is split, round 1 gets
ROUND_ONE_SHARE of what is left before the deadline after the estimated cost of the stitching and the fixes,
the border passes what is left after that, and the fixes stop at the deadline.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from dispatch.analysis.kpis import compute_kpis, objective_of
from dispatch.domain import Day
from dispatch.geo import planar_km
from dispatch.parallel import DaskExecutor, parallelism, run_all
from dispatch.plan import Plan, Route, SolverStats, Unassigned
from dispatch.planning.budget import (
    FIXES_CUT,
    after_search,
    deadline_of,
    fixes_cut,
    left,
    noted,
    untried_notes,
)
from dispatch.planning.fixes import Stores, find_fixes
from dispatch.planning.regions.split import Region, qualified_matrix, split_day, sub_day
from dispatch.planning.solving import solve_day
from dispatch.planning.translate import recorded_policy
from dispatch.policy import Policy
from dispatch.travel import TravelSource
from solver.rules import UNSERVED

log = logging.getLogger(__name__)

# Share of the time limit for round 1; the border passes share the rest. On 5,000 x 500 with two workers,
# 70 % and one pass gave 2 % less cost than 50 % and two passes (benchmarks/RESULTS_regions.md).
ROUND_ONE_SHARE = 0.7
BORDER_ROUNDS = 1
# Shortest search a region gets, whatever the time limit and the number of waves.
MIN_REGION_SECONDS = 1.0


@dataclass(frozen=True)
class RegionTask:
    """One region's solve, as sent to a worker: its own Day, the policy of the region's share of time and,
    in the border pass, the routes to start from (technician id -> order ids)."""

    region: Region
    day: Day
    policy: Policy
    travel: TravelSource | None = None
    start: Mapping[str, tuple[str, ...]] | None = None


def solve_region(task: RegionTask) -> Plan:
    """The plan of one region (or border group); runs in this process or on a dask worker."""
    # the fixes of a large day are found once, on the stitched plan
    # On dask the regions are solved side by side, one core each; in this process too, so that a bounded
    # plan is the same wherever its regions were solved.
    return solve_day(task.day, task.policy.updated(cores=1), travel=task.travel, start=task.start, fixes=False,
                     improve_start=True)


def _route_points(day: Day, routes: Mapping[str, Route], lat0: float) -> np.ndarray:
    """Where each technician works: the centre of their stops, or home when idle."""
    by_id = {o.id: o for o in day.orders}
    pts = []
    for t in day.technicians:
        r = routes.get(t.id)
        if r is not None and r.stops:
            lats = np.array([by_id[s.order_id].lat for s in r.stops])
            lons = np.array([by_id[s.order_id].lon for s in r.stops])
        else:
            lats, lons = np.array([t.home_lat]), np.array([t.home_lon])
        pts.append(planar_km(lats, lons, lat0).mean(axis=0))
    return np.array(pts)


def _border_tasks(day: Day, policy: Policy, routes: Mapping[str, Route], left: Sequence[str], groups: int,
                  seed: int, travel: TravelSource | None) -> list[RegionTask]:
    """Technicians regrouped by where their routes are, each group with its routes as the start and the
    left-out orders nearest to a qualified one of its technicians."""
    from sklearn.cluster import KMeans  # imported when a large day needs it: sklearn takes a second to load

    techs = day.technicians
    lat0 = float(np.mean([o.lat for o in day.orders]))
    pts = _route_points(day, routes, lat0)
    labels = KMeans(n_clusters=min(groups, len(techs)), n_init=4, random_state=seed).fit_predict(pts)
    by_id = {o.id: o for o in day.orders}
    left_orders = [by_id[i] for i in left]
    qualified = qualified_matrix(techs, left_orders)
    tech_ix = {t.id: i for i, t in enumerate(techs)}
    extra: dict[int, list[str]] = {}
    for j, o in enumerate(left_orders):
        if o.pinned_technician is not None:
            extra.setdefault(int(labels[tech_ix[o.pinned_technician]]), []).append(o.id)
            continue
        able = np.flatnonzero(qualified[:, j])
        if not len(able):
            continue  # nobody anywhere: round 1's reason stands
        here = planar_km(np.array([o.lat]), np.array([o.lon]), lat0)[0]
        nearest = able[int(np.argmin(np.linalg.norm(pts[able] - here, axis=1)))]
        extra.setdefault(int(labels[nearest]), []).append(o.id)
    tasks = []
    for g in sorted({int(x) for x in labels}):
        members = [t.id for t, x in zip(techs, labels, strict=True) if x == g]
        start = {tid: tuple(s.order_id for s in routes[tid].stops) for tid in members if tid in routes}
        served = [i for seq in start.values() for i in seq]
        if not served and not extra.get(g):
            continue
        # Routes full of the lowest class while a more urgent order waits: take that class off the routes,
        # so the priority-first insertion places the urgent order first and puts the rest back where they fit.
        ranks = [by_id[i].priority.rank for i in served]
        if ranks and extra.get(g) and min(by_id[i].priority.rank for i in extra[g]) < max(ranks):
            lowest = max(ranks)
            start = {tid: tuple(i for i in seq if by_id[i].priority.rank != lowest) for tid, seq in start.items()}
        region = Region(f"B{g + 1:02d}", tuple(members), tuple(served + extra.get(g, [])))
        tasks.append(RegionTask(region, sub_day(day, region.technicians, region.orders), policy, travel, start))
    return tasks


def _group_cost(task: RegionTask, routes: Sequence[Route], unassigned: Sequence[Unassigned], policy: Policy) -> float:
    """The objective of one group's part of the plan: its routes, and its orders on none of them."""
    served = {s.order_id for r in routes for s in r.stops}
    left = [u for u in unassigned if u.order_id not in served]
    part = Plan(date=task.day.date, routes=tuple(routes), unassigned=tuple(left))
    return objective_of(task.day, part, policy)["total"]


def _waves(n: int, workers: int) -> int:
    return max(1, math.ceil(n / workers))


def plan_by_region(day: Day, policy: Policy, *, travel: TravelSource | None = None,
                   executor: DaskExecutor | None = None, regions: Sequence[Region] | None = None,
                   fixes: bool = False, stores: Stores | None = None, deadline: float | None = None) -> Plan:
    """The plan of a large day, solved region by region (see the module notes), with the fixes of its orders
    left out and late stops when `fixes` (`stores`: where parts are): by `deadline` (a time.monotonic()
    moment; default `policy.time_limit` seconds from now) on the available workers, or, with a solution
    limit, bounded by solutions alone."""
    began = time.perf_counter()
    # under a solution limit no decision here may depend on the clock (the time limits then do not act)
    by_clock = policy.solution_limit is None
    if not by_clock:
        deadline = None
    elif deadline is None:
        deadline = deadline_of(policy)
    # what the stitching and the fixes are expected to take, kept back from the searches
    reserve = after_search(len(day.orders), policy, fixes=fixes)
    if regions is None:
        regions = split_day(day, policy.region_orders or len(day.orders), seed=policy.seed)
    workers = parallelism(executor)
    # (the split and a cluster's start-up are behind us: the clock has counted them)
    available = policy.time_limit if deadline is None else left(deadline) - reserve
    first = max(MIN_REGION_SECONDS, ROUND_ONE_SHARE * available / _waves(len(regions), workers))
    region_policy = replace(policy, time_limit=first, region_orders=None)
    tasks = [RegionTask(r, sub_day(day, r.technicians, r.orders), region_policy, travel) for r in regions]
    log.info("large day: %d orders x %d technicians in %d regions, %.1f s each on %d workers",
             len(day.orders), len(day.technicians), len(regions), first, workers)
    plans = run_all(solve_region, tasks, executor=executor)
    routes = {r.technician_id: r for p in plans for r in p.routes}
    unassigned = {u.order_id: u for p in plans for u in p.unassigned}
    held = [i for r in regions for i in r.held]
    border: list[dict[str, Any]] = []
    notes: list[str] = []
    rounds = BORDER_ROUNDS if len(regions) > 1 else (1 if held else 0)
    for n in range(rounds):
        left_out = [*unassigned, *(i for i in held if n == 0)]
        groups = max(1, len(regions) - 1 if n % 2 == 0 else len(regions))
        btasks = _border_tasks(day, policy, routes, left_out, groups, policy.seed + 1 + n, travel)
        rest = ((1 - ROUND_ONE_SHARE) * policy.time_limit if deadline is None
                else left(deadline) - reserve)
        each = rest / (rounds - n) / _waves(len(btasks), workers)
        if by_clock and each < MIN_REGION_SECONDS:
            # no time left for a border pass: the held orders stay out, said so
            notes.append(f"border pass {n + 1} skipped: the time limit ran out ({len(left_out)} orders left "
                         "out so far)")
            break
        each = max(MIN_REGION_SECONDS, each)
        btasks = [replace(t, policy=replace(region_policy, time_limit=each)) for t in btasks]
        log.info("border pass %d: %d left-out orders, %d groups, %.1f s each", n + 1, len(left_out), len(btasks),
                 each)
        for task, plan in zip(btasks, run_all(solve_region, btasks, executor=executor), strict=True):
            if _group_cost(task, plan.routes, plan.unassigned, policy) >= _group_cost(
                    task, [routes[t] for t in task.region.technicians if t in routes],
                    [unassigned.get(i, Unassigned(i, "")) for i in task.region.orders], policy):
                continue  # the group was better as it was (its routes lost some of the lowest class)
            for tid in task.region.technicians:
                routes.pop(tid, None)
            routes.update({r.technician_id: r for r in plan.routes})
            for oid in task.region.orders:
                unassigned.pop(oid, None)
            unassigned.update({u.order_id: u for u in plan.unassigned})
            border.append({"round": n + 1, "name": task.region.name, "technicians": len(task.region.technicians),
                           "orders": len(task.region.orders), "unassigned": len(plan.unassigned)})
    served = {s.order_id for r in routes.values() for s in r.stops}
    for o in day.orders:  # held for the border pass and then in no group: still reported, never lost
        if o.id not in served and o.id not in unassigned:
            unassigned[o.id] = Unassigned(o.id, "left out when the day was split into regions", rule=UNSERVED)
    order_pos = {o.id: j for j, o in enumerate(day.orders)}
    stitched = Plan(
        date=day.date,
        routes=tuple(routes[t.id] for t in day.technicians if t.id in routes),
        unassigned=tuple(sorted(unassigned.values(), key=lambda u: order_pos[u.order_id])),
        policy=recorded_policy(policy, travel).to_dict(),
    )
    stats = SolverStats(
        status="feasible",
        wall_time_s=round(time.perf_counter() - began, 2),
        solutions_found=sum(p.kpis.solver.solutions_found for p in plans if p.kpis and p.kpis.solver),
        regions=tuple({"name": r.name, "technicians": len(r.technicians), "orders": len(r.orders),
                       "unassigned": len(p.unassigned)} for r, p in zip(regions, plans, strict=True)),
        border=tuple(border),
        notes=(*notes, *untried_notes(stitched.unassigned)),
    )
    kpis = compute_kpis(day, stitched, policy, solver=stats)
    plan = replace(stitched, kpis=kpis, objective=kpis.objective)
    if fixes and deadline is not None:
        log.info("fixes by region: %.1f s left", left(deadline))
    return _fixes_by_region(day, plan, regions, policy, travel, stores, deadline) if fixes else plan


def _fixes_by_region(day: Day, plan: Plan, regions: Sequence[Region], policy: Policy, travel: TravelSource | None,
                     stores: Stores | None, until: float | None) -> Plan:
    """`plan` with the fixes of its orders left out and late stops, found region by region: each region's
    technicians with the orders on their routes and the region's orders left out, as one small problem
    (regions an order's crew spans go together). One problem of the whole day would take as long as the
    solve: at 5,000 x 500 its travel matrices alone took about 50 s and 3 GiB. A fix then names a
    technician of the order's region, where the nearest ones almost always are. `until` as in
    `dispatch.planning.fixes.attach`: when it cuts the fixes short the plan says so in one note."""
    region_of = {t: n for n, r in enumerate(regions) for t in r.technicians}
    home = {o: n for n, r in enumerate(regions) for o in (*r.orders, *r.held)}
    group = list(range(len(regions)))  # union-find over regions: an order on routes of several joins them

    def root(n: int) -> int:
        while group[n] != n:
            group[n] = group[group[n]]
            n = group[n]
        return n

    first_region: dict[str, int] = {}
    for r in plan.routes:
        for s in r.stops:
            n = region_of[r.technician_id]
            if s.order_id in first_region:
                group[root(n)] = root(first_region[s.order_id])
            first_region.setdefault(s.order_id, n)
    pinned = {o.id: o.pinned_technician for o in day.orders if o.pinned_technician is not None}
    techs: dict[int, list[str]] = {}
    orders: dict[int, list[str]] = {}
    for t in day.technicians:
        techs.setdefault(root(region_of[t.id]), []).append(t.id)
    for oid, n in first_region.items():
        orders.setdefault(root(n), []).append(oid)
    for u in plan.unassigned:
        n = region_of[pinned[u.order_id]] if u.order_id in pinned else home[u.order_id]
        orders.setdefault(root(n), []).append(u.order_id)
    by_tech = {r.technician_id: r for r in plan.routes}
    rank = {o.id: o.priority.rank for o in day.orders}
    by_order = {u.order_id: u for u in plan.unassigned}
    # the regions with the most urgent order left out first, should the time run out
    keys = sorted(techs, key=lambda g: (min((rank[i] for i in orders.get(g, ()) if i in by_order), default=9), g))
    fixed_stops: dict[tuple[str, str], Any] = {}
    fixed_left: dict[str, Unassigned] = {}
    looked, partial = 0, False  # groups looked at; the last of them cut short
    for g in keys:
        if until is not None and left(until) <= 0:
            break
        looked += 1
        part_day = sub_day(day, techs[g], orders.get(g, ()))
        part = Plan(date=day.date, routes=tuple(by_tech[t] for t in techs[g] if t in by_tech),
                    unassigned=tuple(by_order[i] for i in orders.get(g, ()) if i in by_order),
                    policy=plan.policy)
        found = find_fixes(part_day, part, policy, travel=travel, stores=stores, until=until)
        for r in found.routes:
            fixed_stops.update({(r.technician_id, s.order_id): s for s in r.stops if s.fixes})
        fixed_left.update({u.order_id: u for u in found.unassigned})
        if fixes_cut(found):
            partial = True
            break
    out = replace(
        plan,
        routes=tuple(replace(r, stops=tuple(fixed_stops.get((r.technician_id, s.order_id), s) for s in r.stops))
                     for r in plan.routes),
        unassigned=tuple(fixed_left.get(u.order_id, u) for u in plan.unassigned),
    )
    if partial or looked < len(keys):
        out = noted(out, f"{FIXES_CUT} in {looked} of the {len(keys)} regions{' (the last in part)' if partial else ''}, "
                         "those with the most urgent orders left out first: the time limit ran out")
    return out
