"""Splitting a large day into regions: territories, or regions drawn around a rough pre-assignment.

A day of more than `region_orders` orders (the most one solve takes on well) is split into regions of
about half that, leaving each region room for the border passes. Territories given in the data are the
regions (a territory above `region_orders` is split further). Otherwise a quick priority-first
pre-assignment gives each order to a nearby technician who can do it (skills, van stock) and has the
hours, and technicians are clustered by where that work lies, so each region gets the trades and the hands
its orders need; a lopsided region is halved. Orders beyond the roster's hours are held for the border
passes. A pinned order goes with its technician; an order nobody in its region can do moves to the nearest
region that has someone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from dispatch.domain import Day, Order, Technician
from dispatch.geo import planar_km
from dispatch.policy import TravelModel

# Regions are about this share of region_orders; one with more than BALANCE times its share is halved.
REGION_SHARE = 0.5
BALANCE = 1.4
# The rough pre-assignment that regions are drawn from charges each order its service and the drive to
# it, at the default travel model and never more than MAX_LEG_MINUTES (a route strings visits together).
_GUESS = TravelModel()
MAX_LEG_MINUTES = 30.0


@dataclass(frozen=True)
class Region:
    name: str
    technicians: tuple[str, ...]
    orders: tuple[str, ...]  # solved in round 1
    # orders of the region beyond what its technicians' hours seem to allow: offered in the border pass,
    # once round 1 has shown where time is left, so a region's spare hours go to the most urgent of them
    held: tuple[str, ...] = ()


def qualified_matrix(techs: Sequence[Technician], orders: Sequence[Order]) -> np.ndarray:
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
    xy = planar_km(np.array([o.lat for o in orders]), np.array([o.lon for o in orders]), lat0)
    homes = planar_km(np.array([t.home_lat for t in techs]), np.array([t.home_lon for t in techs]), lat0)
    qualified = qualified_matrix(techs, orders)
    hours = np.array([(t.shift_end - t.shift_start).total_seconds() / 60 - (t.break_minutes or 0) for t in techs])
    cap = np.array([t.max_orders if t.max_orders is not None else len(orders) for t in techs])
    tech_ix = {t.id: i for i, t in enumerate(techs)}
    part_names = sorted({p for o in orders for p in o.required_parts})
    stock = {p: np.array([t.van_stock.get(p, 0) for t in techs]) for p in part_names}
    sums, counts = homes.copy(), np.ones(len(techs))
    owner = np.full(len(orders), -1)
    minutes_per_km = 60 * _GUESS.road_factor / _GUESS.speed_kmh
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
    xy = planar_km(np.array([o.lat for o in day.orders]), np.array([o.lon for o in day.orders]), lat0)
    qualified = qualified_matrix(techs, day.orders)
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
    xy = planar_km(np.array([o.lat for o in day.orders]), np.array([o.lon for o in day.orders]), lat0)
    centre = {r: xy[order_region == r].mean(axis=0) if (order_region == r).any() else None for r in regions}
    qualified = qualified_matrix(day.technicians, day.orders)
    skilled = qualified_matrix(day.technicians, [replace(o, required_parts={}) for o in day.orders])
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
    xy_homes = planar_km(np.array([t.home_lat for t in techs]), np.array([t.home_lon for t in techs]), lat0)
    order_region = np.empty(len(orders), dtype=int)
    for j, o in enumerate(orders):
        if o.territory in t_ix:
            order_region[j] = t_ix[str(o.territory)]
        else:
            here = planar_km(np.array([o.lat]), np.array([o.lon]), lat0)[0]
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
