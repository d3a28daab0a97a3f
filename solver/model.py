"""Every dispatch rule as OR-Tools routing constraints, one small function per rule, hard rules first.

Nodes: one per offered visit (0..m-1, in `offered` order), then one per distinct technician home.
Times inside the model are seconds after `origin` (the earliest shift start), since OR-Tools cumuls
cannot be negative. A rule is only added when the data needs it (no breaks in the data, no break
machinery; no caps, no count dimension). This is the only module that builds OR-Tools constraints; the
rule names and the Python-side predicates live in solver/rules.py, and which technician passes each
rule's check for a visit comes from the screening (`reasons.Screening.fits`).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp

from solver.problem import DAY, Problem
from solver.reasons import Screening
from solver.rules import (
    APPOINTMENT_WINDOW,
    PINNED_TECHNICIAN,
    REFUSED_TECHNICIAN,
    REQUIRED_SKILL,
    SHIFT,
    VAN_STOCK,
    break_of,
    missed_preference,
    over_max_orders,
    over_qualification,
)
from solver.tables import BoolArray, Tables

log = logging.getLogger(__name__)

TIME = "time"
COUNT = "count"
WORK = "work"
MOVES = "moves"
ETA = "eta"
LEVELS = "levels"
PREFERENCE = "preference"


@dataclass
class Model:
    """A closed-over routing model plus what is needed to read its assignments back."""

    problem: Problem
    offered: tuple[int, ...]  # visit index of node i
    origin: int  # model time 0 in problem seconds
    horizon: int  # model time of the latest shift end
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension
    breaks: dict[int, pywrapcp.IntervalVar] = field(default_factory=dict)  # vehicle -> break interval
    dimensions: list[str] = field(default_factory=list)
    relax: int | None = None  # penalty for leaving out a mandatory visit; None: they must be served
    time_callback: int = -1  # the time dimension's transit callback
    # node i is another member's place in crew visit offered[i] (the lead's node is the visit's first)
    member: tuple[bool, ...] = ()
    # (routing index, soft bound, per-second weight the search adds beyond the problem's) of each visit whose
    # lateness the search emphasises (URGENT_LATENESS_EMPHASIS)
    emphasis: list[tuple[int, int, int]] = field(default_factory=list)

    def drop_penalty(self, visit: int) -> int | None:
        p = self.problem.visits[visit].drop_penalty
        return self.relax if p is None else p

    def index_of(self, visit_pos: int) -> int:
        return int(self.manager.NodeToIndex(visit_pos))


def build_model(
    problem: Problem, tables: Tables, offered: Sequence[int], screening: Screening, *, relax: int | None = None,
    profile: bool = False,
) -> Model:
    """The routing model over `offered` visits; `screening.fits[rule][j, k]` says vehicle k passes the
    check of `rule` for visit j, and only such vehicles may serve it. With `relax`, mandatory visits may
    be left out at that penalty (a best effort once no plan serves them all)."""
    vehicles = problem.vehicles
    # A crew visit has a node per member: its own (the lead's, carrying the parts), then the others'.
    leads = list(offered)
    offered = leads + [j for j in leads for _ in range(problem.visits[j].crew - 1)]
    origin = min(v.shift_start for v in vehicles)
    horizon = max(v.shift_end for v in vehicles) - origin
    homes = sorted({v.start for v in vehicles} | {v.end for v in vehicles})
    m = len(offered)
    home_node = {loc: m + i for i, loc in enumerate(homes)}
    manager = pywrapcp.RoutingIndexManager(
        m + len(homes), len(vehicles), [home_node[v.start] for v in vehicles], [home_node[v.end] for v in vehicles]
    )
    model_params = pywrapcp.DefaultRoutingModelParameters()
    model_params.solver_parameters.profile_local_search = profile
    routing = pywrapcp.RoutingModel(manager, model_params)
    node_locs = np.concatenate([tables.loc[list(offered)], np.array(homes, dtype=np.int64)])
    node_service = np.concatenate([tables.service[list(offered)], np.zeros(len(homes), dtype=np.int64)])
    model = Model(problem, tuple(offered), origin, horizon, manager, routing, time=None, relax=relax,  # type: ignore[arg-type]
                  member=tuple([False] * len(leads) + [True] * (len(offered) - len(leads))))

    fits = screening.fits
    # Hard rules.
    _time_dimension(model, node_locs, node_service)
    _shift(model, fits[SHIFT])
    _required_skill(model, fits[REQUIRED_SKILL])
    _refused_technician(model, fits[REFUSED_TECHNICIAN])
    _pinned_technician(model, fits[PINNED_TECHNICIAN])
    _appointment_window(model, tables, fits[APPOINTMENT_WINDOW])
    _break(model, node_service)
    _van_stock(model, tables, fits[VAN_STOCK], screening.allowed)
    _max_orders(model, screening.allowed)
    _crew(model)
    # Soft rules.
    _response_deadline(model)
    _unserved(model)
    _travel(model, node_locs, node_service)
    _workload_balance(model, node_locs, node_service)
    _reassignment(model)
    _eta_shift(model)
    _over_qualification(model)
    _preferred_technician(model)
    _working_time(model)
    return model


def _time_dimension(model: Model, node_locs: np.ndarray, node_service: np.ndarray) -> None:
    # Leaving node a for b takes a's service then the drive; slack up to the horizon lets a technician wait.
    dur = model.problem.durations[np.ix_(node_locs, node_locs)] + node_service[:, None]
    cb = model.routing.RegisterTransitMatrix(dur.tolist())
    model.time_callback = cb
    model.routing.AddDimension(cb, model.horizon, model.horizon, False, TIME)
    model.time = model.routing.GetDimensionOrDie(TIME)
    model.dimensions.append(TIME)


def _only_vehicles(model: Model, fits: BoolArray, *, leads_only: bool = False) -> None:
    """Each offered visit j may only go to the vehicles k with fits[j, k] (or be left out when optional);
    `leads_only`: a rule of the lead of a crew (its parts), not of the other members."""
    num_vehicles = len(model.problem.vehicles)
    for node, j in enumerate(model.offered):
        if leads_only and model.member[node]:
            continue
        ok = np.flatnonzero(fits[j])
        if len(ok) == num_vehicles:
            continue
        values = [int(k) for k in ok]
        if model.drop_penalty(j) is not None:
            values.append(-1)  # -1: left out
        # SetAllowedVehiclesForIndex raises TypeError in ortools 9.15 Python; this is equivalent (and
        # several calls leave the intersection of their vehicles).
        model.routing.VehicleVar(model.index_of(node)).SetValues(values)


def _shift(model: Model, fits: BoolArray) -> None:
    for k, v in enumerate(model.problem.vehicles):
        lo, hi = v.shift_start - model.origin, v.shift_end - model.origin
        model.time.CumulVar(model.routing.Start(k)).SetRange(lo, hi)
        model.time.CumulVar(model.routing.End(k)).SetRange(lo, hi)
    _only_vehicles(model, fits)  # technicians who cannot even go there and back within their shift


def _required_skill(model: Model, fits: BoolArray) -> None:
    _only_vehicles(model, fits)


def _refused_technician(model: Model, fits: BoolArray) -> None:
    _only_vehicles(model, fits)


def _pinned_technician(model: Model, fits: BoolArray) -> None:
    _only_vehicles(model, fits)  # a crew's pin is the crew's matter (_crew)


def _appointment_window(model: Model, tables: Tables, fits: BoolArray) -> None:
    _only_vehicles(model, fits)  # technicians who cannot reach the window within their shift
    days = model.problem.days
    for node, j in enumerate(model.offered):
        # a daily window is one window per day of the horizon: their span, less the gaps between them
        shifts = [d * DAY for d in days] if tables.daily[j] else [0]
        spans = [(max(0, int(tables.open_[j]) + s - model.origin), min(model.horizon, int(tables.close[j]) + s - model.origin))
                 for s in shifts]
        spans = [(lo, hi) for lo, hi in spans if lo <= hi]
        if not spans or spans == [(0, model.horizon)]:
            continue  # no bound inside the horizon (a window nobody reaches is screened out already)
        cumul = model.time.CumulVar(model.index_of(node))
        cumul.SetRange(spans[0][0], spans[-1][1])
        for (_, end), (begin, _) in itertools.pairwise(spans):
            if begin > end + 1:
                cumul.RemoveInterval(end + 1, begin - 1)


def _break(model: Model, node_service: np.ndarray) -> None:
    if all(break_of(v) is None for v in model.problem.vehicles):
        return
    routing, solver = model.routing, model.routing.solver()
    # Visit part of each transit, by routing index: a break may fall in the drive or the wait, never here.
    size = routing.Size() + len(model.problem.vehicles)
    visit_transits = [int(node_service[model.manager.IndexToNode(i)]) for i in range(size)]
    for k, v in enumerate(model.problem.vehicles):
        b = break_of(v)
        if b is None:
            if v.break_ is not None:
                log.info("vehicle %d: break window does not fit the shift; no break is due", k)
            continue
        lo = max(b.earliest_start, v.shift_start) - model.origin
        hi = min(b.latest_end, v.shift_end) - b.duration - model.origin
        interval = solver.FixedDurationIntervalVar(lo, hi, b.duration, False, f"break {k}")
        model.time.SetBreakIntervalsOfVehicle([interval], k, visit_transits)
        model.breaks[k] = interval


def _van_stock(model: Model, tables: Tables, fits: BoolArray, allowed: BoolArray) -> None:
    _only_vehicles(model, fits, leads_only=True)  # vans that do not hold the visit's parts
    offered = list(model.offered)
    need = tables.parts[offered] * ~np.array(model.member, dtype=bool)[:, None]  # the lead's van gives them
    may = allowed[offered].astype(np.int64)  # m x K
    homes = model.manager.GetNumberOfNodes() - len(offered)
    for p in range(model.problem.num_parts):
        # Only when some van could be asked for more than it carries.
        if not (may.T @ need[:, p] > tables.stock[:, p]).any():
            continue
        demand = [int(q) for q in need[:, p]] + [0] * homes
        cb = model.routing.RegisterUnaryTransitVector(demand)
        caps = [int(q) for q in tables.stock[:, p]]
        model.routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"stock {p}")
        model.dimensions.append(f"stock {p}")


def _max_orders(model: Model, allowed: BoolArray) -> None:
    vehicles = model.problem.vehicles
    m = len(model.offered)
    candidates = allowed[list(model.offered)].sum(axis=0)  # visits each vehicle may take
    # Only when some technician could be given more visits than their cap.
    if not any(over_max_orders(v, int(candidates[k])) for k, v in enumerate(vehicles)):
        return
    homes = model.manager.GetNumberOfNodes() - m
    cb = model.routing.RegisterUnaryTransitVector([1] * m + [0] * homes)
    caps = [m if v.max_visits is None else v.max_visits for v in vehicles]
    model.routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, COUNT)
    model.dimensions.append(COUNT)


# The search weighs lateness of the most urgent class (the highest per-second lateness cost) this many
# times over, so it never trades an emergency's response deadline for cheaper gains elsewhere; the
# reported costs use the problem's own weights.
URGENT_LATENESS_EMPHASIS = 10


def _crew(model: Model) -> None:
    """A crew visit's nodes: all served or none, on different vehicles, starting at the same time, and
    together holding every required skill at its level (and the pinned technician, when pinned)."""
    problem, routing = model.problem, model.routing
    nodes: dict[int, list[int]] = {}
    for node, j in enumerate(model.offered):
        if problem.visits[j].crew > 1:
            nodes.setdefault(j, []).append(model.index_of(node))
    if not nodes:
        return
    solver = routing.solver()
    vehicles = problem.vehicles
    for j, indices in nodes.items():
        x = problem.visits[j]
        lead, others = indices[0], indices[1:]
        for i in others:
            solver.Add(routing.ActiveVar(i) == routing.ActiveVar(lead))
            solver.Add(model.time.CumulVar(i) == model.time.CumulVar(lead))
        solver.Add(solver.AllDifferentExcept([routing.VehicleVar(i) for i in indices], -1))
        needs = [[k for k, v in enumerate(vehicles) if v.level_of(s) >= x.level_of(s)] for s in sorted(x.skills)]
        if x.pinned is not None:
            needs.append([k for k in range(len(vehicles)) if problem.technician_of(k) == x.pinned])
        for holders in needs:
            if not holders:
                continue  # nobody holds it: the screening has left the visit out already
            held = [solver.IsMemberVar(routing.VehicleVar(i), holders) for i in indices]
            solver.Add(solver.Sum(held) >= routing.ActiveVar(lead))


def _response_deadline(model: Model) -> None:
    urgent = max((v.lateness_cost for v in model.problem.visits), default=0)
    classes = {v.lateness_cost for v in model.problem.visits if v.lateness_cost > 0}
    for node, j in enumerate(model.offered):
        visit = model.problem.visits[j]
        if visit.deadline is None or visit.lateness_cost <= 0 or model.member[node]:
            continue  # a crew starts together: its lead's start is the visit's
        bound = visit.deadline - model.origin
        slope = visit.lateness_cost
        if len(classes) > 1 and slope == urgent:
            slope *= URGENT_LATENESS_EMPHASIS
        if bound < model.horizon:
            model.time.SetCumulVarSoftUpperBound(model.index_of(node), max(0, bound), slope)
            if slope != visit.lateness_cost:
                model.emphasis.append((model.index_of(node), max(0, bound), slope - visit.lateness_cost))


def _lateness_before_origin(model: Model, visit: int) -> int:
    """Lateness certain at model time 0 (a deadline before the earliest shift start): a constant cost
    once the visit is served, which the time dimension cannot see."""
    x = model.problem.visits[visit]
    if x.deadline is None or x.lateness_cost <= 0:
        return 0
    return max(0, model.origin - x.deadline) * x.lateness_cost


def certain_cost(model: Model) -> int:
    """What every plan pays that the model's cost leaves out: the lateness already certain at the start of the
    day (taken off the drop penalties in `_unserved`)."""
    total = 0
    for node, j in enumerate(model.offered):
        penalty = model.drop_penalty(j)
        if penalty is not None and not model.member[node]:
            total += min(penalty, _lateness_before_origin(model, j))
    return total


def _unserved(model: Model) -> None:
    for node, j in enumerate(model.offered):
        penalty = model.drop_penalty(j)
        if penalty is not None and model.member[node]:
            model.routing.AddDisjunction([model.index_of(node)], 0)  # the lead's node pays for the crew
        elif penalty is not None:
            # Serving costs the lateness already certain more than the model sees; take it off the penalty.
            passed = _lateness_before_origin(model, j)
            model.routing.AddDisjunction([model.index_of(node)], max(0, penalty - passed))


def _travel(model: Model, node_locs: np.ndarray, node_service: np.ndarray) -> None:
    problem = model.problem
    cost = problem.distances[np.ix_(node_locs, node_locs)] * problem.distance_cost
    if problem.span_cost > 0:
        # the working time's service and driving (its waiting is the time dimension's slack, see _working_time)
        cost = cost + problem.span_cost * (problem.durations[np.ix_(node_locs, node_locs)] + node_service[:, None])
    cb = model.routing.RegisterTransitMatrix(cost.tolist())
    model.routing.SetArcCostEvaluatorOfAllVehicles(cb)


def _workload_balance(model: Model, node_locs: np.ndarray, node_service: np.ndarray) -> None:
    # Working time (service + driving, no waiting) starts at 0 for everyone, so the global span is the
    # busiest technician's working time: minimising it spreads work (OR-Tools has no max - min cost).
    if model.problem.balance_cost <= 0:
        return
    work = model.problem.durations[np.ix_(node_locs, node_locs)] + node_service[:, None]
    cb = model.routing.RegisterTransitMatrix(work.tolist())
    days = model.problem.days
    if len(days) == 1:
        # Working time never exceeds the route's duration, hence the horizon.
        model.routing.AddDimension(cb, 0, model.horizon, True, WORK)
        model.routing.GetDimensionOrDie(WORK).SetGlobalSpanCostCoefficient(model.problem.balance_cost)
        model.dimensions.append(WORK)
        return
    # The balance works per day: one dimension per day, in which the other days' vehicles do no work.
    idle = model.routing.RegisterUnaryTransitVector([0] * model.manager.GetNumberOfNodes())
    for d in days:
        name = f"{WORK} day {d}"
        callbacks = [cb if v.day == d else idle for v in model.problem.vehicles]
        model.routing.AddDimensionWithVehicleTransits(callbacks, 0, model.horizon, True, name)
        model.routing.GetDimensionOrDie(name).SetGlobalSpanCostCoefficient(model.problem.balance_cost)
        model.dimensions.append(name)


def _reassignment(model: Model) -> None:
    # Each vehicle counts the visits it took over from another vehicle; the count of all of them is
    # what `max_moves` caps and what `reassign_cost` charges, per visit.
    problem = model.problem
    before = [None if model.member[node] else problem.visits[j].previous_vehicle
              for node, j in enumerate(model.offered)]
    if all(k is None for k in before) or (problem.reassign_cost <= 0 and problem.max_moves is None):
        return
    routing = model.routing
    homes = model.manager.GetNumberOfNodes() - len(model.offered)
    callbacks = [
        routing.RegisterUnaryTransitVector(
            [int(k is not None and k != problem.technician_of(vehicle)) for k in before] + [0] * homes)
        for vehicle in range(len(problem.vehicles))
    ]
    routing.AddDimensionWithVehicleTransits(callbacks, 0, len(model.offered), True, MOVES)
    moves = routing.GetDimensionOrDie(MOVES)
    for vehicle in range(len(problem.vehicles)):
        moves.SetSpanCostCoefficientForVehicle(problem.reassign_cost, vehicle)
    if problem.max_moves is not None:
        solver = routing.solver()
        total = solver.Sum([moves.CumulVar(routing.End(k)) for k in range(len(problem.vehicles))])
        solver.Add(total <= problem.max_moves)
    model.dimensions.append(MOVES)


def _eta_shift(model: Model) -> None:
    # OR-Tools keeps one soft upper bound per cumul and the response deadline holds the time dimension's,
    # so the start planned before is bounded on a twin of the time dimension whose cumuls equal its own.
    problem = model.problem
    if problem.shift_cost <= 0:
        return
    bounded = [(node, start) for node, j in enumerate(model.offered)
               if not model.member[node] and (start := problem.visits[j].previous_start) is not None]
    if not bounded:
        return
    routing = model.routing
    routing.AddDimension(model.time_callback, model.horizon, model.horizon, False, ETA)
    eta = routing.GetDimensionOrDie(ETA)
    solver = routing.solver()
    for node, previous in bounded:
        index = model.index_of(node)
        bound = previous + problem.shift_tolerance - model.origin
        if bound >= model.horizon:
            continue
        solver.Add(eta.CumulVar(index) == model.time.CumulVar(index))
        eta.SetCumulVarSoftUpperBound(index, max(0, bound), problem.shift_cost)
    model.dimensions.append(ETA)


def _working_time(model: Model) -> None:
    if model.problem.span_cost > 0:
        # A route's span is its transits (in the arc costs, see _travel) plus its slack: costing the slack
        # costs the span, and the arc costs give the local search and its guidance (GLS penalises costly arcs)
        # something to go by. OR-Tools times each route (its cumul optimizer), leaving home as late as it can.
        model.time.SetSlackCostCoefficientForAllVehicles(model.problem.span_cost)


def _per_vehicle_cost(model: Model, name: str, costs: list[list[int]]) -> None:
    """A cost for serving each offered visit on each vehicle (`costs[k][node]`), charged through a dimension
    whose span on vehicle k is the sum over its visits (the stability rules' device: OR-Tools has no cost
    per visit and vehicle otherwise). Added only when some cost is not 0."""
    if not any(any(row) for row in costs):
        return
    routing = model.routing
    homes = model.manager.GetNumberOfNodes() - len(model.offered)
    callbacks = [routing.RegisterUnaryTransitVector(row + [0] * homes) for row in costs]
    routing.AddDimensionWithVehicleTransits(callbacks, 0, max(sum(row) for row in costs), True, name)
    dim = routing.GetDimensionOrDie(name)
    for k in range(len(costs)):
        dim.SetSpanCostCoefficientForVehicle(1, k)
    model.dimensions.append(name)


def _over_qualification(model: Model) -> None:
    problem = model.problem
    # with nobody above level 1 nobody is over-qualified: no vehicles x visits table on a day without levels
    if problem.over_qualification_cost <= 0 or all(max(v.levels, default=1) <= 1 for v in problem.vehicles):
        return
    # a crew's levels are not charged (schedule.solution_costs)
    _per_vehicle_cost(model, LEVELS, [[0 if problem.visits[j].crew > 1 else over_qualification(problem, v, problem.visits[j])
                                       for j in model.offered] for v in problem.vehicles])


def _preferred_technician(model: Model) -> None:
    problem = model.problem
    if problem.preference_cost <= 0 or all(problem.visits[j].preferred is None for j in model.offered):
        return
    # a crew's lead stands for it here; the reported cost counts any member (schedule.solution_costs)
    _per_vehicle_cost(model, PREFERENCE, [[0 if model.member[node] else
                                           missed_preference(problem, problem.visits[j], problem.technician_of(k))
                                           for node, j in enumerate(model.offered)]
                                          for k in range(len(problem.vehicles))])
