"""Why a visit is left out, in the model's rule names.

Before solving, `screen` rules out every (visit, vehicle) pair that no route could ever make work
(skills, pins, stock, shift, window), vectorised over all pairs; a visit left with no vehicle gets its
reason there and is not offered to the model. After solving, `explain_dropped` tries the cheapest
insertion of each dropped visit into the current routes and names the rules it would break.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from solver.problem import (
    APPOINTMENT_WINDOW,
    FULLY_BOOKED,
    MAX_ORDERS,
    PINNED_TECHNICIAN,
    REQUIRED_SKILL,
    SHIFT,
    VAN_STOCK,
    Problem,
    Reason,
)
from solver.schedule import Timing, break_of, broken_rules, earliest
from solver.tables import BoolArray, Tables

# How many of the cheapest insertion positions (by travel) get a full schedule check per dropped visit.
_CANDIDATES = 24
# How many vehicles (those with the cheapest insertion by travel) always get their best position checked.
_VEHICLES = 12


@dataclass(frozen=True)
class Screening:
    allowed: BoolArray  # n x K: vehicle k may serve visit j
    qualified: BoolArray  # n x K: has the skills and respects the pin (what a dispatcher calls qualified)
    reasons: dict[int, Reason]  # visits no vehicle can serve, with why


def screen(problem: Problem, t: Tables) -> Screening:
    n, k = len(problem.visits), len(problem.vehicles)
    if n == 0 or k == 0:
        # Nobody works today: every visit is simply beyond capacity.
        empty = np.zeros((n, k), dtype=bool)
        return Screening(empty, empty, {j: Reason(FULLY_BOOKED) for j in range(n)})
    skill_ok: BoolArray = ~(t.s_skills.astype(np.int64) @ (~t.v_skills).T.astype(np.int64)).astype(bool)
    stock_ok: BoolArray = np.asarray((t.parts[:, None, :] <= t.stock[None, :, :]).all(axis=2))
    dur = problem.durations
    out = dur[np.ix_(t.v_start, t.loc)].T  # n x K: home to visit
    home = dur[np.ix_(t.loc, t.v_end)]  # n x K: visit to home
    serve = t.service[:, None]
    shift_ok: BoolArray = t.shift_start[None, :] + out + serve + home <= t.shift_end[None, :]
    first = np.maximum(t.shift_start[None, :] + out, t.open_[:, None])
    window_ok: BoolArray = (first <= t.close[:, None]) & (first + serve + home <= t.shift_end[None, :])
    pin_ok: BoolArray = (t.pinned[:, None] < 0) | (t.pinned[:, None] == np.arange(k)[None, :])
    allowed = skill_ok & stock_ok & shift_ok & window_ok & pin_ok
    reasons: dict[int, Reason] = {}
    for j in (int(x) for x in np.flatnonzero(~allowed.any(axis=1))):
        pin = int(t.pinned[j])
        if pin >= 0:
            checks = ((REQUIRED_SKILL, skill_ok), (VAN_STOCK, stock_ok), (SHIFT, shift_ok),
                      (APPOINTMENT_WINDOW, window_ok))
            broken = tuple(rule for rule, ok in checks if not ok[j, pin])
            reasons[j] = Reason(PINNED_TECHNICIAN, vehicle=pin, broken=broken)
        elif not skill_ok[j].any():
            reasons[j] = _no_skill(problem, t, j)
        elif not (skill_ok[j] & stock_ok[j]).any():
            reasons[j] = _no_stock(t, j, skill_ok[j])
        elif not (skill_ok[j] & stock_ok[j] & shift_ok[j]).any():
            reasons[j] = Reason(SHIFT, vehicles=_ix(skill_ok[j] & stock_ok[j]))
        else:
            reasons[j] = Reason(APPOINTMENT_WINDOW, vehicles=_ix(skill_ok[j] & stock_ok[j] & shift_ok[j]))
    return Screening(allowed, skill_ok & pin_ok, reasons)


def _ix(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.flatnonzero(mask))


def _no_skill(problem: Problem, t: Tables, j: int) -> Reason:
    held = np.asarray(t.v_skills.any(axis=0), dtype=bool)
    missing = [s for s in sorted(problem.visits[j].skills) if not held[s]]
    # None: every skill is held by someone, but nobody holds them all.
    return Reason(REQUIRED_SKILL, skill=missing[0] if missing else None)


def _no_stock(t: Tables, j: int, qualified: np.ndarray) -> Reason:
    need = t.parts[j]
    short = [(int((t.stock[qualified, p] >= need[p]).sum()), p) for p in np.flatnonzero(need > 0)]
    # The part fewest qualified vans carry (none, unless only the combination is missing).
    _, p = min(short)
    return Reason(VAN_STOCK, part=int(p), quantity=int(need[p]), vehicles=_ix(qualified))


def explain_dropped(
    problem: Problem, t: Tables, screening: Screening, routes: Sequence[Sequence[int]], dropped: Sequence[int]
) -> dict[int, Reason]:
    """A FULLY_BOOKED reason per dropped visit (MAX_ORDERS when every qualified vehicle is at its cap,
    PINNED_TECHNICIAN when pinned), with its cheapest insertion and the rules that insertion breaks."""
    dist = problem.distances
    # Every insertion position of every route as one (vehicle, position, from-location, to-location) table.
    pos_vehicle, pos_index, pos_from, pos_to = [], [], [], []
    for k, route in enumerate(routes):
        v = problem.vehicles[k]
        locs = [v.start, *(problem.visits[j].location for j in route), v.end]
        pos_vehicle += [k] * (len(route) + 1)
        pos_index += list(range(len(route) + 1))
        pos_from += locs[:-1]
        pos_to += locs[1:]
    pv, pi = np.array(pos_vehicle, dtype=np.int64), np.array(pos_index, dtype=np.int64)
    pf, pt = np.array(pos_from, dtype=np.int64), np.array(pos_to, dtype=np.int64)
    empty = np.array([len(r) == 0 for r in routes], dtype=bool)
    # An idle technician drives nothing, so the whole round trip is extra there.
    base = np.where(empty[pv], 0, dist[pf, pt]) if len(pv) else np.zeros(0, dtype=np.int64)
    out: dict[int, Reason] = {}
    late_now: dict[int, int] = {}  # lateness cost of each route as it stands
    for j in dropped:
        vehicles = _ix(screening.allowed[j]) or _ix(screening.qualified[j])
        loc = problem.visits[j].location
        extra = (dist[pf, loc] + dist[loc, pt] - base) * problem.distance_cost
        mask = np.isin(pv, vehicles)
        cand = np.flatnonzero(mask)
        cand = cand[np.argsort(extra[cand], kind="stable")]
        # The globally cheapest few, plus the cheapest position of each of the nearest few vehicles.
        _, first = np.unique(pv[cand], return_index=True)
        cand = np.union1d(cand[:_CANDIDATES], cand[np.sort(first)[:_VEHICLES]])
        best: tuple[int, int, int, tuple[str, ...]] | None = None
        for c in cand:
            k, at = int(pv[c]), int(pi[c])
            trial = [*routes[k][:at], j, *routes[k][at:]]
            timing, broken = _try(problem, k, trial)
            if k not in late_now:
                late_now[k] = _lateness(problem, routes[k], earliest(problem, k, routes[k]).starts)
            cost = int(extra[c]) + _lateness(problem, trial, timing.starts) - late_now[k]
            key = (len(broken), cost, k, broken)
            if best is None or key[:3] < best[:3]:
                best = key
        full = all(
            problem.vehicles[k].max_visits is not None and len(routes[k]) >= problem.vehicles[k].max_visits  # type: ignore[operator]
            for k in vehicles
        )
        rule = MAX_ORDERS if vehicles and full else FULLY_BOOKED
        if problem.visits[j].pinned is not None:
            rule = PINNED_TECHNICIAN  # the dispatcher's pin is what keeps it off every other route
        if best is None:
            out[j] = Reason(rule, vehicles=vehicles)
        else:
            out[j] = Reason(rule, vehicles=vehicles, vehicle=best[2], extra_cost=best[1], broken=best[3])
    return out


def _try(problem: Problem, k: int, trial: Sequence[int]) -> tuple[Timing, tuple[str, ...]]:
    """Schedule `trial` on `k` with the break kept, and with the break pushed to the end of the day; the
    second names the break itself when keeping it is what breaks a window or the shift."""
    timing = earliest(problem, k, trial)
    broken = broken_rules(problem, k, trial, timing)
    if broken and break_of(problem.vehicles[k]) is not None:
        late = earliest(problem, k, trial, len(trial))
        late_broken = broken_rules(problem, k, trial, late)
        if len(late_broken) <= len(broken):
            return late, late_broken
    return timing, broken


def _lateness(problem: Problem, visits: Sequence[int], starts: Sequence[int]) -> int:
    total = 0
    for j, s in zip(visits, starts, strict=True):
        x = problem.visits[j]
        if x.deadline is not None and s > x.deadline:
            total += (s - x.deadline) * x.lateness_cost
    return total
