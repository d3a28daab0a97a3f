"""Large days by region: split the day, solve the regions as futures, border passes, stitch one plan.

One OR-Tools model of thousands of orders neither fits a dispatch time limit nor improves on the insertion
plan (at 1,000 x 100 it only matched it); regions of a few hundred orders do, and they run side by side on
dask workers.

1. Split. A day of more than `region_orders` orders (the most one solve takes on well) is split into
   regions of about half that, leaving each region room for the border passes. Territories given in the
   data are the regions (a territory above `region_orders` is split further). Otherwise a quick
   priority-first pre-assignment gives each order to a nearby technician who can do it (skills, van stock)
   and has the hours, and technicians are clustered by where that work lies, so each region gets the
   trades and the hands its orders need; a lopsided region is halved. Orders beyond the roster's hours
   are held for the border passes. A pinned order goes with its technician; an order nobody in its region
   can do moves to the nearest region that has someone.
2. Round 1: every region is solved as a Day of its own.
3. Border passes (BORDER_ROUNDS). Orders left out so far are often near a border, where a neighbour has time to spare.
   Technicians are regrouped by where their routes run, into another number of groups (so the borders
   move); each left-out or held order joins the group of the nearest technician who can do it; every group
   is solved again from its routes (the solver keeps them, inserts what fits, searches from there), and
   its new plan is kept only if it costs less.
4. Stitch: the routes of all regions, each unassigned order with the reason of the last solve that saw it,
   KPIs and objective over the whole day. Every order of the day is on exactly one route or unassigned.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from dispatch.domain import Day, Order, Policy, Technician
from dispatch.plan import Plan, Route, Unassigned
from dispatch.travel import TravelSource
from solver.problem import UNSERVED

if TYPE_CHECKING:
    from dispatch.parallel import DaskExecutor

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# Share of the time limit for round 1; the border passes share the rest. On 5,000 x 500 with two workers,
# 70 % and one pass gave 2 % less cost than 50 % and two passes: a region's search needs the seconds more.
ROUND_ONE_SHARE = 0.7
BORDER_ROUNDS = 1
# Shortest search a region gets, whatever the time limit and the number of waves.
MIN_REGION_SECONDS = 1.0
# Regions are about this share of region_orders; one with more than BALANCE times its share is halved.
REGION_SHARE = 0.5
BALANCE = 1.4
# The rough pre-assignment that regions are drawn from charges each order its service and the drive to
# it, at the default travel model and never more than MAX_LEG_MINUTES (a route strings visits together).
ROAD_FACTOR_GUESS = 1.3
SPEED_GUESS_KMH = 40.0
MAX_LEG_MINUTES = 30.0

_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON = 111.320


@dataclass(frozen=True)
class Region:
    name: str
    technicians: tuple[str, ...]
    orders: tuple[str, ...]  # solved in round 1
    # orders of the region beyond what its technicians' hours seem to allow: offered in the border pass,
    # once round 1 has shown where time is left, so a region's spare hours go to the most urgent of them
    held: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegionTask:
    """One region's solve, as sent to a worker: its own Day, the policy of the region's share of time and,
    in the border pass, the routes to start from (technician id -> order ids)."""

    region: Region
    day: Day
    policy: Policy
    travel: TravelSource | None = None
    start: Mapping[str, tuple[str, ...]] | None = None


def _xy(lats: np.ndarray, lons: np.ndarray, lat0: float) -> np.ndarray:
    """Local planar km: good enough to cluster a metropolitan area, and what k-means needs (Euclidean)."""
    return np.column_stack([lons * _KM_PER_DEG_LON * math.cos(math.radians(lat0)), lats * _KM_PER_DEG_LAT])


def _qualified(techs: Sequence[Technician], orders: Sequence[Order]) -> np.ndarray:
    """qualified[t, o]: technician t has every skill order o needs and carries its parts (one test per
    distinct need)."""
    def need(o: Order) -> tuple[frozenset[str], tuple[tuple[str, int], ...]]:
        return o.required_skills, tuple(sorted(o.required_parts.items()))

    needs = sorted({need(o) for o in orders}, key=lambda n: (sorted(n[0]), n[1]))
    by_need = np.array([[skills <= t.skills and all(t.van_stock.get(p, 0) >= q for p, q in parts)
                         for skills, parts in needs] for t in techs], dtype=bool).reshape(len(techs), len(needs))
    ix = {n: i for i, n in enumerate(needs)}
    return by_need[:, [ix[need(o)] for o in orders]] if orders else np.zeros((len(techs), 0), bool)


def _preassign(day: Day, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """A rough plan without routes: each order, most urgent first, to the qualified technician whose work so
    far lies nearest and who still has the hours for it (service plus the drive to it). Returns the
    technician of each order (-1 when nobody has the hours) and where each technician's work lies.

    Regions are then drawn around technicians' work, so each region gets the skills and the hands its
    orders need: clustering orders alone left regions short of scarce trades (boiler, elevator)."""
    techs, orders = day.technicians, day.orders
    xy = _xy(np.array([o.lat for o in orders]), np.array([o.lon for o in orders]), lat0)
    homes = _xy(np.array([t.home_lat for t in techs]), np.array([t.home_lon for t in techs]), lat0)
    qualified = _qualified(techs, orders)
    hours = np.array([(t.shift_end - t.shift_start).total_seconds() / 60 - (t.break_minutes or 0) for t in techs])
    cap = np.array([t.max_orders if t.max_orders is not None else len(orders) for t in techs])
    tech_ix = {t.id: i for i, t in enumerate(techs)}
    part_names = sorted({p for o in orders for p in o.required_parts})
    stock = {p: np.array([t.van_stock.get(p, 0) for t in techs]) for p in part_names}
    sums, counts = homes.copy(), np.ones(len(techs))
    owner = np.full(len(orders), -1)
    minutes_per_km = 60 * ROAD_FACTOR_GUESS / SPEED_GUESS_KMH
    for j in sorted(range(len(orders)), key=lambda j: (orders[j].priority.rank, orders[j].created_at, j)):
        o = orders[j]
        if o.pinned_technician is not None:
            able = np.zeros(len(techs), bool)
            able[tech_ix[o.pinned_technician]] = True
        else:
            able = qualified[:, j].copy()
        anchors = sums / counts[:, None]
        dist = np.linalg.norm(anchors - xy[j], axis=1)
        charge = o.duration_min + np.minimum(dist * minutes_per_km, MAX_LEG_MINUTES)
        able &= (charge <= hours) & (cap > 0)
        for p, q in o.required_parts.items():
            able &= stock[p] >= q
        if not able.any():
            continue
        t = int(np.flatnonzero(able)[np.argmin(dist[able])])
        owner[j] = t
        hours[t] -= charge[t]
        cap[t] -= 1
        for p, q in o.required_parts.items():
            stock[p][t] -= q
        sums[t] += xy[j]
        counts[t] += 1
    return owner, sums / counts[:, None]


def _cluster(day: Day, k: int, seed: int, lat0: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(region of each order, region of each technician, orders held for the border pass) for k regions
    drawn around technicians' work."""
    from sklearn.cluster import KMeans

    owner, anchors = _preassign(day, lat0)
    techs = day.technicians
    k = min(k, len(techs))
    orders_of = np.bincount(owner[owner >= 0], minlength=len(techs))
    work = orders_of + 1
    tech_region = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(anchors, sample_weight=work)
    # k-means regions can be lopsided (a dense centre); one far above the target would get a weak search
    target = orders_of.sum() / k
    while True:
        sizes = np.bincount(tech_region, weights=orders_of, minlength=int(tech_region.max()) + 1)
        big = int(np.argmax(sizes))
        members = np.flatnonzero(tech_region == big)
        if sizes[big] <= BALANCE * target or len(members) < 2:
            break
        halves = KMeans(n_clusters=2, n_init=4, random_state=seed).fit_predict(anchors[members],
                                                                               sample_weight=work[members])
        tech_region[members[halves == 1]] = int(tech_region.max()) + 1
    order_region = np.empty(len(day.orders), dtype=int)
    xy = _xy(np.array([o.lat for o in day.orders]), np.array([o.lon for o in day.orders]), lat0)
    qualified = _qualified(techs, day.orders)
    for j in range(len(day.orders)):
        if owner[j] >= 0:
            order_region[j] = tech_region[owner[j]]
            continue
        # beyond the roster's hours: the region of the nearest technician who could do it
        able = np.flatnonzero(qualified[:, j]) if qualified[:, j].any() else np.arange(len(techs))
        order_region[j] = tech_region[able[int(np.argmin(np.linalg.norm(anchors[able] - xy[j], axis=1)))]]
    # an order nobody is qualified for is not held: its region's solve gives the reason
    return order_region, tech_region, (owner < 0) & qualified.any(axis=0)


def _repair(day: Day, order_region: np.ndarray, tech_region: np.ndarray, lat0: float) -> None:
    """In place: pinned orders to their technician's region; an order nobody in its region is qualified
    for to the nearest region (by its orders' centre) that has a qualified technician."""
    tech_ix = {t.id: i for i, t in enumerate(day.technicians)}
    for j, o in enumerate(day.orders):
        if o.pinned_technician is not None:
            order_region[j] = tech_region[tech_ix[o.pinned_technician]]
    regions = np.unique(np.concatenate([order_region, tech_region]))
    xy = _xy(np.array([o.lat for o in day.orders]), np.array([o.lon for o in day.orders]), lat0)
    centre = {r: xy[order_region == r].mean(axis=0) if (order_region == r).any() else None for r in regions}
    qualified = _qualified(day.technicians, day.orders)
    skilled = _qualified(day.technicians, [replace(o, required_parts={}) for o in day.orders])
    for j, o in enumerate(day.orders):
        if o.pinned_technician is not None:
            continue
        # who can do it; when nobody can, who has the skills, so the region's reason names the missing part
        able = qualified[:, j] if qualified[:, j].any() else skilled[:, j]
        if not able.any() or (able & (tech_region == order_region[j])).any():
            continue
        options = sorted({int(tech_region[t]) for t in np.flatnonzero(able)},
                         key=lambda r: float(np.linalg.norm(xy[j] - (centre[r] if centre[r] is not None else xy[j]))))
        order_region[j] = options[0]


def _pieces(orders: int, region_orders: int) -> int:
    """How many regions `orders` orders make: one up to region_orders, else about half of it each."""
    return 1 if orders <= region_orders else math.ceil(orders / (REGION_SHARE * region_orders))


def split_day(day: Day, region_orders: int, *, seed: int = 0) -> list[Region]:
    """The regions of a day: its territories when every technician has one, else regions drawn around a
    pre-assignment; a day (or territory) above `region_orders` orders is cut into regions of about half
    that. Every technician and every order is in exactly one region."""
    if region_orders < 1:
        raise ValueError(f"region_orders {region_orders} must be >= 1")
    techs, orders = day.technicians, day.orders
    if not orders or not techs:
        return [Region("all", tuple(t.id for t in techs), tuple(o.id for o in orders))]
    lat0 = float(np.mean([o.lat for o in orders]))
    names: list[str]
    if all(t.territory for t in techs):
        names, order_region, tech_region, held = _by_territory(day, region_orders, seed, lat0)
    else:
        k = _pieces(len(orders), region_orders)
        if k <= 1:
            return [Region("all", tuple(t.id for t in techs), tuple(o.id for o in orders))]
        order_region, tech_region, held = _cluster(day, min(k, len(orders)), seed, lat0)
        names = [f"R{i + 1:02d}" for i in range(int(max(order_region.max(), tech_region.max())) + 1)]
    _repair(day, order_region, tech_region, lat0)
    out = []
    for r, name in enumerate(names):
        members = Region(name, tuple(t.id for t, x in zip(techs, tech_region, strict=True) if x == r),
                         tuple(o.id for o, x, h in zip(orders, order_region, held, strict=True) if x == r and not h),
                         tuple(o.id for o, x, h in zip(orders, order_region, held, strict=True) if x == r and h))
        if members.technicians or members.orders or members.held:
            out.append(members)
    return out


def _by_territory(day: Day, region_orders: int, seed: int,
                  lat0: float) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Regions from the territory columns; an order without a known territory goes to the territory of the
    nearest technician home; a territory far above region_orders is split by location."""
    techs, orders = day.technicians, day.orders
    territories = sorted({str(t.territory) for t in techs})
    t_ix = {name: i for i, name in enumerate(territories)}
    tech_region = np.array([t_ix[str(t.territory)] for t in techs])
    xy_homes = _xy(np.array([t.home_lat for t in techs]), np.array([t.home_lon for t in techs]), lat0)
    order_region = np.empty(len(orders), dtype=int)
    for j, o in enumerate(orders):
        if o.territory in t_ix:
            order_region[j] = t_ix[str(o.territory)]
        else:
            here = _xy(np.array([o.lat]), np.array([o.lon]), lat0)[0]
            order_region[j] = tech_region[int(np.argmin(np.linalg.norm(xy_homes - here, axis=1)))]
    names: list[str] = []
    new_orders = np.empty_like(order_region)
    new_techs = np.empty_like(tech_region)
    held = np.zeros(len(orders), dtype=bool)
    for r, name in enumerate(territories):
        o_mask, t_mask = order_region == r, tech_region == r
        k = _pieces(int(o_mask.sum()), region_orders)
        if k <= 1 or t_mask.sum() < k:
            new_orders[o_mask], new_techs[t_mask] = len(names), len(names)
            names.append(name)
            continue
        sub = Day(day.date, tuple(t for t, m in zip(techs, t_mask, strict=True) if m),
                  tuple(o for o, m in zip(orders, o_mask, strict=True) if m and not _pinned_outside(o, t_mask, techs)))
        labels, tech_labels, sub_held = _cluster(sub, k, seed, lat0)
        sub_ix = {o.id: i for i, o in enumerate(sub.orders)}
        for j in map(int, np.flatnonzero(o_mask)):
            pos = sub_ix.get(orders[j].id)
            new_orders[j] = len(names) + (labels[pos] if pos is not None else 0)  # a pin elsewhere: _repair moves it
            held[j] = pos is not None and bool(sub_held[pos])
        new_techs[t_mask] = len(names) + tech_labels
        pieces = int(max(labels.max(), tech_labels.max())) + 1  # halving a lopsided piece adds some
        names += [f"{name}/{i + 1}" for i in range(pieces)]
    return names, new_orders, new_techs, held


def _pinned_outside(o: Order, t_mask: np.ndarray, techs: Sequence[Technician]) -> bool:
    return o.pinned_technician is not None and not any(
        m and t.id == o.pinned_technician for t, m in zip(techs, t_mask, strict=True))


def sub_day(day: Day, technicians: Sequence[str], orders: Sequence[str]) -> Day:
    """The part of a day with these technicians and orders, in the day's order (a pinned order must come
    with its technician: the Day refuses a pin to someone it does not have)."""
    t_set, o_set = set(technicians), set(orders)
    return Day(day.date, tuple(t for t in day.technicians if t.id in t_set),
               tuple(o for o in day.orders if o.id in o_set))


def solve_region(task: RegionTask) -> Plan:
    """The plan of one region; runs in this process or on a dask worker."""
    from dispatch.build import build_problem, to_plan
    from dispatch.planning import solve_params
    from solver import solve

    built = build_problem(task.day, task.policy, task.travel)
    start = None
    if task.start is not None:
        index = {o.id: j for j, o in enumerate(task.day.orders)}
        start = [[index[i] for i in task.start.get(t.id, ()) if i in index] for t in task.day.technicians]
    solution = solve(built.problem, time_limit=task.policy.time_limit, seed=task.policy.seed,
                     params=solve_params(task.policy), start=start)
    return to_plan(built, solution)


def _in_dask_worker() -> bool:
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return True


def _run(fn: Callable[[T], R], items: Sequence[T], executor: DaskExecutor | None) -> list[R]:
    """On the executor; inside a dask worker (a service plan job), on that worker's cluster; else here."""
    if executor is not None:
        return executor.map(fn, items)
    if _in_dask_worker():
        from distributed import worker_client

        with worker_client() as client:  # secedes: this task waits without holding a worker thread
            return list(client.gather(client.map(fn, items, pure=False)))
    return [fn(x) for x in items]


def _parallelism(executor: DaskExecutor | None) -> int:
    if executor is not None:
        return max(1, sum(executor.client.nthreads().values()))
    if _in_dask_worker():
        from distributed import get_client

        return max(1, sum(get_client().nthreads().values()))
    return 1


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
        pts.append(_xy(lats, lons, lat0).mean(axis=0))
    return np.array(pts)


def _border_tasks(day: Day, policy: Policy, routes: Mapping[str, Route], left: Sequence[str], groups: int,
                  seed: int, travel: TravelSource | None) -> list[RegionTask]:
    """Technicians regrouped by where their routes are, each group with its routes as the start and the
    left-out orders nearest to a qualified one of its technicians."""
    from sklearn.cluster import KMeans

    techs = day.technicians
    lat0 = float(np.mean([o.lat for o in day.orders]))
    pts = _route_points(day, routes, lat0)
    labels = KMeans(n_clusters=min(groups, len(techs)), n_init=4, random_state=seed).fit_predict(pts)
    by_id = {o.id: o for o in day.orders}
    left_orders = [by_id[i] for i in left]
    qualified = _qualified(techs, left_orders)
    tech_ix = {t.id: i for i, t in enumerate(techs)}
    extra: dict[int, list[str]] = {}
    for j, o in enumerate(left_orders):
        if o.pinned_technician is not None:
            extra.setdefault(int(labels[tech_ix[o.pinned_technician]]), []).append(o.id)
            continue
        able = np.flatnonzero(qualified[:, j])
        if not len(able):
            continue  # nobody anywhere: round 1's reason stands
        here = _xy(np.array([o.lat]), np.array([o.lon]), lat0)[0]
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
    from dispatch.kpis import objective_of

    served = {s.order_id for r in routes for s in r.stops}
    left = [u for u in unassigned if u.order_id not in served]
    part = Plan(date=task.day.date, routes=tuple(routes), unassigned=tuple(left))
    return objective_of(task.day, part, policy)["total"]


def _waves(n: int, workers: int) -> int:
    return max(1, math.ceil(n / workers))


def plan_by_region(day: Day, policy: Policy, *, travel: TravelSource | None = None,
                   executor: DaskExecutor | None = None, regions: Sequence[Region] | None = None) -> Plan:
    """The plan of a large day, solved region by region (see the module notes) within about
    `policy.time_limit` seconds of wall time on the available workers."""
    from dispatch.kpis import compute_kpis, objective_of

    began = time.perf_counter()
    if regions is None:
        regions = split_day(day, policy.region_orders or len(day.orders), seed=policy.seed)
    workers = _parallelism(executor)
    first = max(MIN_REGION_SECONDS, ROUND_ONE_SHARE * policy.time_limit / _waves(len(regions), workers))
    region_policy = replace(policy, time_limit=first, region_orders=None)
    tasks = [RegionTask(r, sub_day(day, r.technicians, r.orders), region_policy, travel) for r in regions]
    log.info("large day: %d orders x %d technicians in %d regions, %.1f s each on %d workers",
             len(day.orders), len(day.technicians), len(regions), first, workers)
    plans = _run(solve_region, tasks, executor)
    routes = {r.technician_id: r for p in plans for r in p.routes}
    unassigned = {u.order_id: u for p in plans for u in p.unassigned}
    held = [i for r in regions for i in r.held]
    border: list[dict[str, Any]] = []
    rounds = BORDER_ROUNDS if len(regions) > 1 else (1 if held else 0)
    for n in range(rounds):
        left = [*unassigned, *(i for i in held if n == 0)]
        rest = policy.time_limit - (time.perf_counter() - began)
        groups = max(1, len(regions) - 1 if n % 2 == 0 else len(regions))
        btasks = _border_tasks(day, policy, routes, left, groups, policy.seed + 1 + n, travel)
        each = rest / (rounds - n) / _waves(len(btasks), workers)
        if n > 0 and each < MIN_REGION_SECONDS:
            break  # the held orders are placed; no time left to improve on it
        each = max(MIN_REGION_SECONDS, each)
        btasks = [replace(t, policy=replace(region_policy, time_limit=each)) for t in btasks]
        log.info("border pass %d: %d left-out orders, %d groups, %.1f s each", n + 1, len(left), len(btasks), each)
        for task, plan in zip(btasks, _run(solve_region, btasks, executor), strict=True):
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
        policy=policy.to_dict(),
    )
    kpis = compute_kpis(day, stitched, policy)
    kpis["solver"] = {
        "status": "feasible",
        "wall_time_s": round(time.perf_counter() - began, 2),
        "solutions_found": sum(int(p.kpis.get("solver", {}).get("solutions_found", 0)) for p in plans),
        "regions": [{"name": r.name, "technicians": len(r.technicians), "orders": len(r.orders),
                     "unassigned": len(p.unassigned)} for r, p in zip(regions, plans, strict=True)],
        "border": border,
    }
    return replace(stitched, kpis=kpis, objective=objective_of(day, stitched, policy))


__all__ = ["Region", "RegionTask", "plan_by_region", "solve_region", "split_day", "sub_day"]
