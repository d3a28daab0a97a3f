"""Why a visit is left out, in the model's rule names.

Before solving, `screen` rules out every (visit, vehicle) pair that no route could ever make work
(skills, pins, stock, shift, window), vectorised over all pairs; a visit left with no vehicle gets its
reason there and is not offered to the model. After solving, `explain_dropped` tries the cheapest
insertion of each dropped visit into the current routes and names the rules it would break (until a
deadline, when the caller has one: the visits it does not reach get `capacity_reason`, the rule alone).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from solver.problem import Problem, Reason
from solver.rules import (
    APPOINTMENT_WINDOW,
    CREW,
    FULLY_BOOKED,
    MAX_ORDERS,
    PINNED_TECHNICIAN,
    REFUSED_TECHNICIAN,
    REQUIRED_SKILL,
    SHIFT,
    VAN_STOCK,
    break_of,
    broken_rules,
    crew_covers,
    lateness,
    over_max_orders,
    refused,
)
from solver.schedule import Timetable, Timing, earliest
from solver.tables import BoolArray, Tables

# How many of the cheapest insertion positions (by travel) get a full schedule check per dropped visit.
_CANDIDATES = 24
# How many vehicles (those with the cheapest insertion by travel) always get their best position checked.
_VEHICLES = 12


@dataclass(frozen=True)
class Screening:
    allowed: BoolArray  # n x K: vehicle k may serve visit j (passes every check of `fits`)
    # n x K: has the skills at their levels, is not refused and respects the pin (what a dispatcher calls
    # qualified)
    qualified: BoolArray
    reasons: dict[int, Reason]  # visits no vehicle can serve, with why
    # rule -> n x K: vehicle k passes that rule's check for visit j (REQUIRED_SKILL, REFUSED_TECHNICIAN, PINNED_TECHNICIAN,
    # VAN_STOCK, SHIFT: the round trip fits the shift, APPOINTMENT_WINDOW: reachable within the shift)
    fits: dict[str, BoolArray] = field(default_factory=dict)


def screen(problem: Problem, t: Tables) -> Screening:
    n, k = len(problem.visits), len(problem.vehicles)
    if n == 0 or k == 0:
        # Nobody works today: every visit is simply beyond capacity.
        empty = np.zeros((n, k), dtype=bool)
        fits = dict.fromkeys((REQUIRED_SKILL, REFUSED_TECHNICIAN, PINNED_TECHNICIAN, VAN_STOCK, SHIFT, APPOINTMENT_WINDOW), empty)
        return Screening(empty, empty, {j: Reason(FULLY_BOOKED) for j in range(n)}, fits)
    skill_ok: BoolArray = ~(t.s_skills.astype(np.int64) @ (~t.v_skills).T.astype(np.int64)).astype(bool)
    # Levels above 1: one skill at a time, so the check stays n x K whatever the number of skills.
    for s in np.flatnonzero((t.s_levels > 1).any(axis=0)):
        skill_ok &= t.s_levels[:, s][:, None] <= t.v_levels[:, s][None, :]
    refuse_ok: BoolArray = ~t.forbidden
    stock_ok: BoolArray = np.asarray((t.parts[:, None, :] <= t.stock[None, :, :]).all(axis=2))
    dur = problem.durations
    out = dur[np.ix_(t.v_start, t.loc)].T  # n x K: home to visit
    home = dur[np.ix_(t.loc, t.v_end)]  # n x K: visit to home
    serve = t.service[:, None]
    shift_ok: BoolArray = t.shift_start[None, :] + out + serve + home <= t.shift_end[None, :]
    first = np.maximum(t.shift_start[None, :] + out, t.opens())
    window_ok: BoolArray = (first <= t.closes()) & (first + serve + home <= t.shift_end[None, :])
    pin_ok: BoolArray = (t.pinned[:, None] < 0) | (t.pinned[:, None] == t.v_tech[None, :])
    crews = np.array([x.crew > 1 for x in problem.visits], dtype=bool)
    if crews.any():
        # a crew's skills and pin are the whole crew's matter, its parts the lead's (solver/model.py)
        skill_ok[crews] = True
        pin_ok[crews] = True
    allowed = skill_ok & refuse_ok & stock_ok & shift_ok & window_ok & pin_ok
    if crews.any():
        allowed[crews] = (refuse_ok & shift_ok & window_ok)[crews]
    reasons: dict[int, Reason] = {}
    for j in (int(x) for x in np.flatnonzero(crews)):
        if not any(_staffs(problem, j, team, stock_ok[j]) for team in _by_day(problem, np.flatnonzero(allowed[j]))):
            reasons[j] = crew_reason(problem, j, allowed[j])
    for j in (int(x) for x in np.flatnonzero(~allowed.any(axis=1))):
        if j in reasons:
            continue
        fits = {REQUIRED_SKILL: skill_ok[j], REFUSED_TECHNICIAN: refuse_ok[j], VAN_STOCK: stock_ok[j], SHIFT: shift_ok[j],
                APPOINTMENT_WINDOW: window_ok[j]}
        reason = nobody_fits(problem, j, fits)
        assert reason is not None  # every vehicle fails some check
        reasons[j] = reason
    fits = {REQUIRED_SKILL: skill_ok, REFUSED_TECHNICIAN: refuse_ok, PINNED_TECHNICIAN: pin_ok, VAN_STOCK: stock_ok,
            SHIFT: shift_ok, APPOINTMENT_WINDOW: window_ok}
    return Screening(allowed, skill_ok & refuse_ok & pin_ok, reasons, fits)


def _by_day(problem: Problem, vehicles: Iterable[int]) -> list[list[int]]:
    by_day: dict[int, list[int]] = {}
    for k in vehicles:
        by_day.setdefault(problem.vehicles[int(k)].day, []).append(int(k))
    return list(by_day.values())


def _staffs(problem: Problem, j: int, team: Sequence[int], carries: Sequence[bool] | np.ndarray | None = None) -> bool:
    """Vehicles of one day that can make crew visit j: enough of them, together holding its skills, one
    carrying its parts (`carries[k]`; None: not asked) and, when pinned, the pinned technician among them."""
    x = problem.visits[j]
    return (len(team) >= x.crew and crew_covers((problem.vehicles[k] for k in team), x)
            and (carries is None or any(carries[k] for k in team))
            and (x.pinned is None or any(problem.technician_of(k) == x.pinned for k in team)))


def crew_reason(problem: Problem, j: int, allowed: Sequence[bool] | np.ndarray | None = None) -> Reason:
    """Why a crew visit is on no route: no day has enough technicians who may go (not refused) and together
    hold its skills (CREW, with those who could), or they have no room together (FULLY_BOOKED)."""
    x = problem.visits[j]
    able = [k for k in range(len(problem.vehicles)) if not refused(x, problem.technician_of(k))
            and (allowed is None or allowed[k])]
    if not any(_staffs(problem, j, team) for team in _by_day(problem, able)):
        return Reason(rule=CREW, vehicles=tuple(able))
    return Reason(rule=FULLY_BOOKED, vehicles=tuple(able))


def nobody_fits(problem: Problem, j: int, fits: Mapping[str, Sequence[bool] | np.ndarray]) -> Reason | None:
    """Why no vehicle can serve visit j, given `fits[rule][k]`: vehicle k passes that rule's check for j.
    The rules are taken in the order given, as a dispatcher would (skill, then stock, ...): the reason
    names the first rule that leaves nobody, with the vehicles that passed the earlier ones. A pinned
    visit's reason is always its pin, with the rules the pinned vehicle fails (the dispatcher's pin is
    what keeps it off every other route). None when some vehicle passes every check."""
    pin = problem.visits[j].pinned
    if pin is not None:
        # the pinned technician's vehicles (one per working day): the rules none of them passes
        mine = [k for k in range(len(problem.vehicles)) if problem.technician_of(k) == pin]
        if not mine:
            return Reason(PINNED_TECHNICIAN)
        return Reason(PINNED_TECHNICIAN, vehicle=mine[0],
                      broken=tuple(rule for rule, ok in fits.items() if not any(ok[k] for k in mine)))
    able = np.ones(len(problem.vehicles), dtype=bool)
    for rule, ok in fits.items():
        if not (able & np.asarray(ok, dtype=bool)).any():
            if rule == REQUIRED_SKILL:
                return _no_skill(problem, j)
            if rule == VAN_STOCK:
                return _no_stock(problem, j, _ix(able))
            if rule == REFUSED_TECHNICIAN:  # every qualified technician is refused by the customer
                return Reason(rule, vehicles=_ix(able))
            return Reason(rule, vehicles=_ix(able))
        able &= np.asarray(ok, dtype=bool)
    return None


def _ix(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.flatnonzero(mask))


def _no_skill(problem: Problem, j: int) -> Reason:
    visit = problem.visits[j]
    for s in sorted(visit.skills):
        need = visit.level_of(s)
        # The vehicle holding the skill at the highest level (the first of them), if below what is needed.
        levels = [v.level_of(s) for v in problem.vehicles]
        best = max(levels, default=0)
        if best < need:
            return Reason(REQUIRED_SKILL, skill=s, level=need, vehicle=levels.index(best) if best > 0 else None)
    # Every skill is held at its level by someone, but nobody holds them all.
    return Reason(REQUIRED_SKILL)


def _no_stock(problem: Problem, j: int, qualified: tuple[int, ...]) -> Reason:
    parts = problem.visits[j].parts
    carriers = [(sum(problem.vehicles[k].stock_of(p) >= q for k in qualified), p) for p, q in enumerate(parts) if q > 0]
    # The part fewest qualified vans carry (none, unless only the combination is missing).
    _, p = min(carriers)
    return Reason(VAN_STOCK, part=p, quantity=parts[p], vehicles=qualified)


def explain_dropped(
    problem: Problem, t: Tables, screening: Screening, routes: Sequence[Sequence[int]], dropped: Sequence[int],
    *, table: Timetable | None = None, until: float | None = None,
) -> dict[int, Reason]:
    """A FULLY_BOOKED reason per dropped visit (MAX_ORDERS when every qualified vehicle is at its cap,
    PINNED_TECHNICIAN when pinned), with its cheapest insertion and the rules that insertion breaks.
    `until` (a time.monotonic() moment): the visits, in the order given, not reached by then are left out
    of the answer (the caller gives them `capacity_reason`); None explains them all."""
    if not dropped:
        return {}
    table = table or Timetable(problem)
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
        if until is not None and time.monotonic() >= until:
            break
        if problem.visits[j].crew > 1:
            out[j] = crew_reason(problem, j, screening.allowed[j])  # a crew is not tried into one route
            continue
        vehicles = _qualified(screening, j)
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
            timing, broken = _try(problem, table, k, trial)
            if k not in late_now:
                late_now[k] = _lateness(problem, routes[k], earliest(problem, k, routes[k], table=table).starts)
            cost = int(extra[c]) + _lateness(problem, trial, timing.starts) - late_now[k]
            key = (len(broken), cost, k, broken)
            if best is None or key[:3] < best[:3]:
                best = key
        rough = capacity_reason(problem, screening, routes, j)
        out[j] = rough if best is None else replace(rough, vehicle=best[2], extra_cost=best[1], broken=best[3])
    return out


def capacity_reason(problem: Problem, screening: Screening, routes: Sequence[Sequence[int]], j: int) -> Reason:
    """Why dropped visit j is out, by rule alone (no insertion tried): its qualified vehicles are full (at
    their cap: MAX_ORDERS), or it is pinned, or its crew cannot be staffed."""
    if problem.visits[j].crew > 1:
        return crew_reason(problem, j, screening.allowed[j])
    vehicles = _qualified(screening, j)
    full = all(over_max_orders(problem.vehicles[k], len(routes[k]) + 1) for k in vehicles)
    rule = MAX_ORDERS if vehicles and full else FULLY_BOOKED
    if problem.visits[j].pinned is not None:
        rule = PINNED_TECHNICIAN  # the dispatcher's pin is what keeps it off every other route
    return Reason(rule, vehicles=vehicles)


def _qualified(screening: Screening, j: int) -> tuple[int, ...]:
    return _ix(screening.allowed[j]) or _ix(screening.qualified[j])


def _try(problem: Problem, table: Timetable, k: int, trial: Sequence[int]) -> tuple[Timing, tuple[str, ...]]:
    """Schedule `trial` on `k` with the break kept, and with the break pushed to the end of the day; the
    second names the break itself when keeping it is what breaks a window or the shift."""
    timing = earliest(problem, k, trial, table=table)
    broken = broken_rules(problem, k, trial, timing)
    if broken and break_of(problem.vehicles[k]) is not None:
        late = earliest(problem, k, trial, len(trial), table=table)
        late_broken = broken_rules(problem, k, trial, late)
        if len(late_broken) <= len(broken):
            return late, late_broken
    return timing, broken


def _lateness(problem: Problem, visits: Sequence[int], starts: Sequence[int]) -> int:
    return sum(lateness(problem.visits[j], s) for j, s in zip(visits, starts, strict=True))
