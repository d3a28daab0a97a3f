"""solve(problem) -> Solution: screen, model, search, read the routes back, explain what is left out.

A pure function: no I/O, no settings, no clock except the time limit, which bounds the whole call (the
search, then the explanations of what is left out, which stop at the limit; the reported wall time is
measured, never acted upon). With a solution limit the search stops after that many solutions and the
time limit does not act, so the plan does not depend on the machine's load: same problem, seed and
solution_limit give the same Solution.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from solver import fieldwalk, spanwalk, vrptw
from solver.construct import greedy_solve
from solver.lns import Elsewhere, Walk, can_fork, improve
from solver.model import Model, build_model, certain_cost
from solver.params import SolveParams, cores_of
from solver.problem import Problem, Progress, Reason, RouteSolution, Solution
from solver.reasons import Screening, capacity_reason, explain_dropped, screen
from solver.rules import UNSERVED, over_max_moves
from solver.schedule import Timetable, crew_synced, earliest, solution_costs
from solver.search import (
    SearchOutcome,
    Trace,
    bound_by_count,
    pure_vrptw,
    recipe_for,
    run_search,
    search_parameters,
    stop_when_stalled,
)
from solver.tables import Tables, tables_of

log = logging.getLogger(__name__)

# Cost of leaving out a mandatory visit once no plan serves them all: above any travel, lateness or
# penalty of a real day, yet 1,000 of them stay far inside int64.
_RELAXED_PENALTY = 10**13
# Kept from the search for reading routes back and explaining dropped visits: a share of the time limit
# (about 1 s of 60 at 1,000 visits x 100 vehicles), or the seconds per visit the insertion plan leaves out
# that explaining takes on a busy machine (0.4 s for 20 of a 469-visit group at load 8 on 2 cores),
# whichever is more, but never more than _EXPLAIN_MAX of the limit; the search never gets less than
# _MIN_SEARCH seconds.
_EXPLAIN_SHARE = 0.03
_EXPLAIN_PER_DROPPED = 0.01
_EXPLAIN_MAX = 0.2
_MIN_SEARCH = 0.05
# From this many offered visits on, OR-Tools' first-solution heuristics may not finish within a dispatch
# time limit (1,000 visits x 100 vehicles: LOCAL_CHEAPEST_COST_INSERTION took ~60 s), so the engine also
# builds a priority-first insertion plan (about 3 s there) and keeps whichever plan costs less.
_CONSTRUCT_FROM = 300
# On dispatch days OR-Tools' local search brings the urgent visits' lateness down (it weighs it more, see
# model.py), then stalls (200 x 25: no better plan after about 20 s of 200); ruin and recreate goes on serving
# more orders. Timed, the local search stops once _STALL_SHARE of the search time (at least _MIN_STALL s) has
# gone by without lowering its cost by a thousandth (search.stop_when_stalled); ruin and recreate has the rest.
_STALL_SHARE = 0.15
_MIN_STALL = 2.0
# Steps of the compiled plain-VRPTW walk per step of the general one under a solution limit (a step costs
# about 15 us against 3-8 ms, solver/vrptw.py).
_PLAIN_STEPS = 100
# Whether, on a plain VRPTW day the insertion serves in full, both cores walk (see solve).
_WALK_BOTH = True
# Whether dispatch days the compiled field walk serves (fieldwalk.fits) walk with it rather than the general
# walk once the process has loaded it (fieldwalk.warm).
_FIELD_WALK = True
# ... and under a solution limit too (the tests' solves: the same walk as the product's timed ones).
_FIELD_WALK_BOUNDED = True
# The field walk's steps per general step under a solution limit (a step costs 70-150 us against 3-8 ms).
_FIELD_STEPS = 30
# Whether a timed solve whose walks are the field walk's runs OR-Tools' local search first. Off: on 200 x 25 its
# plan after 19 s was dearer than the field walk's by half (Lyon 1: 1,020,455,767 against 647,648,961) and it
# rarely stalls within 20 s, so this core walks from the insertion plan as the other does, from its own seed.
_FIELD_SEARCH = False
# Whether days with a working-time cost the compiled span walk serves (spanwalk.fits) walk with it (loaded as the
# field walk is); and its steps per general step when bounded (a step costs 30-60 us on a 100 x 25 Pillac
# instance against 3-8 ms).
_SPAN_WALK = True
_SPAN_STEPS = 100
_TIMEOUT = routing_enums_pb2.RoutingSearchStatus.ROUTING_FAIL_TIMEOUT


def solve(problem: Problem, *, time_limit: float, seed: int = 0, params: SolveParams | None = None,
          start: Sequence[Sequence[int]] | None = None, eject: bool = False) -> Solution:
    """Best routes found within `time_limit` seconds, or after `params.solution_limit` solutions.

    With a solution limit the search stops after that many solutions and the time limit does not act,
    so the plan does not depend on the machine's load (`time_limit` must still be > 0; a search whose
    solutions dry up ends after a count of failures, see `SolveParams`). Without one, the search, the
    relaxed re-search and the fallbacks share `time_limit`.

    `start` (visit indices per vehicle) is a plan to improve on: its routes are kept where they keep the
    hard rules, the other visits are inserted into them, and the search starts from there; the result is
    the cheaper of that insertion plan and the search's best. With `eject`, that insertion lets a visit of
    the most urgent class that fits nowhere bump one less urgent visit (see `greedy_solve`)."""
    if time_limit <= 0:
        raise ValueError(f"time_limit {time_limit} must be > 0")
    params = params or SolveParams()
    began = time.perf_counter()
    trace = Trace(began, time.process_time())
    # the moment the whole call must end by (no moment under a solution limit: nothing then reads the clock)
    until = None if params.solution_limit is not None else time.monotonic() + time_limit
    tables = tables_of(problem)
    screening = screen(problem, tables)
    offered = [j for j in range(len(problem.visits)) if j not in screening.reasons]
    screened_out = sum(problem.visits[j].drop_penalty or 0 for j in screening.reasons)
    sequences: list[list[int]] = [[] for _ in problem.vehicles]
    break_legs: list[int | None] = [None] * len(problem.vehicles)
    crews: dict[int, tuple[int, ...]] = {}
    status, found = "optimal", 0
    constructed: Solution | None = None
    if offered and problem.vehicles and start is not None:
        constructed = greedy_solve(problem, [[j for j in seq if j not in screening.reasons] for seq in start],
                                   eject=eject)
    elif offered and problem.vehicles and _construct_too(problem, params, len(offered)):
        constructed = greedy_solve(problem)
    if constructed is not None and over_max_moves(problem, ((r.vehicle, r.visits) for r in constructed.routes)):
        log.info("the insertion plan moves more visits than max_moves allows; searching without it")
        constructed = None
    walk_on = (constructed is not None and (start is None or params.ruin_recreate_from_start)
               and params.ruin_recreate and _optional(problem))
    elsewhere: Elsewhere | None = None
    beside = _ils_walk(problem, params) and start is None and not walk_on
    if beside:
        params = replace(params, portfolio="single", local_search="iterated_local_search")
    walk_until: float | None = None  # the moment ruin and recreate stops (a deadline, without a solution limit)
    both_walk = False  # both cores walk (a plain day, see below)
    field = span_walk = False  # the walks are the compiled field (or span) walk's (see below)
    if offered and problem.vehicles:
        # The compiled walks on the days they serve: timed, only if numba's cache holds them, bounded, whatever
        # it takes; loaded first (about 1 s, once a process), so that the budget counts from after them and every
        # walk forks from a process that has them (solver/kernels.py).
        bounded = params.solution_limit is not None
        field = (walk_on and _FIELD_WALK and fieldwalk.fits(problem)
                 and (_FIELD_WALK_BOUNDED and fieldwalk.warm() if bounded else fieldwalk.warm(compile=False)))
        span_walk = (walk_on and _SPAN_WALK and spanwalk.fits(problem)
                     and (spanwalk.warm() if bounded else spanwalk.warm(compile=False)))
        plain_walk = (beside and cores_of(params) > 1 and can_fork() and vrptw.plain(problem)
                      and vrptw.warm(compile=bounded))
        budget = None  # under a solution limit nothing is timed
        if not bounded:
            # The limit covers the whole call: keep a little of it for explaining what is left out.
            expected_out = 0 if constructed is None else len(constructed.unassigned)
            keep = min(_EXPLAIN_MAX * time_limit, max(_EXPLAIN_SHARE * time_limit, _EXPLAIN_PER_DROPPED * expected_out))
            budget = time_limit - keep - (time.perf_counter() - began)
        stall_after = None
        # a walk on another core, bounded like this one: twice its steps under a solution limit
        child_steps = None if params.solution_limit is None else 2 * _walk_steps(params)
        if child_steps is not None:
            child_steps *= _SPAN_STEPS if span_walk else _FIELD_STEPS if field else 1
        if walk_on and constructed is not None:
            if budget is not None:
                # the local search goes on while it gains; ruin and recreate has the rest
                walk_until = time.monotonic() + budget
                stall_after = max(_MIN_STALL, _STALL_SHARE * budget)
            if cores_of(params) > 1 and can_fork():
                # another core walks from the insertion plan meanwhile, with the whole search's time
                elsewhere = Elsewhere(problem, constructed, seed=seed + 1, deadline=walk_until, steps=child_steps,
                                      walker=_walker(field, span_walk))
        elif beside and cores_of(params) > 1 and can_fork():
            # every visit mandatory: the walk weighs one left out as the relaxed search does, and its plan
            # wins below only if it serves them all for less
            relaxed = replace(problem, visits=tuple(replace(x, drop_penalty=_RELAXED_PENALTY) for x in problem.visits))
            walk_until = None if budget is None else time.monotonic() + budget
            # windows, van stock and shifts alone: the compiled walk (above), its steps far cheaper than the
            # general one's
            if plain_walk and child_steps is not None:
                child_steps *= _PLAIN_STEPS
            first = greedy_solve(relaxed, explain=False)
            # the other core's compiled walk starts hotter than this one's (vrptw.TEMP_HOT)
            elsewhere = Elsewhere(relaxed, first, seed=seed + 1, deadline=walk_until, steps=child_steps,
                                  walker=partial(vrptw.improve, hot=vrptw.TEMP_HOT) if plain_walk else improve)
            # When the insertion serves every visit, no walk's plan leaves one out (each costs the relaxed
            # penalty): this core walks too, from another seed, in place of OR-Tools' iterated local search,
            # which the walk beat on every Solomon instance (RESULTS_solomon.md). Otherwise that search
            # stays, to find a plan serving them all.
            both_walk = plain_walk and _WALK_BOTH and not first.unassigned
        routes_from = None if constructed is None else [list(r.visits) for r in constructed.routes]
        try:
            if both_walk:
                here = vrptw.improve(relaxed, first, seed=seed, steps=child_steps, deadline=walk_until,
                                     on_better=lambda s: trace.add(s.objective))
                constructed = here.best
                log.info("ruin and recreate here: %d steps, %d better plans, cost %d", here.steps, here.improvements,
                         here.best.objective)
                status, found, sequences = "feasible", 0, [[] for _ in problem.vehicles]
            elif field and budget is not None and not _FIELD_SEARCH:
                # both cores walk from the insertion plan (see _FIELD_SEARCH); the walk below begins from it
                status, found = "feasible", 0
            else:
                status, found, sequences, break_legs, crews = _search(
                    problem, tables, screening, offered, budget=budget, seed=seed, params=params, start=routes_from,
                    start_crews=None if constructed is None else dict(constructed.crews), trace=trace,
                    screened_out=screened_out, stall_after=stall_after)
        except BaseException:
            if elsewhere is not None:
                elsewhere.close()
            raise
    searched = time.perf_counter()
    base = Timetable(problem)  # the matrices as lists once; crews' common starts go on copies of it

    def timed(legs: list[int | None]) -> tuple[Timetable, tuple[RouteSolution, ...]]:
        synced = crew_synced(base, sequences, legs)
        return synced, tuple(_route(problem, synced, k, seq, leg)
                             for k, (seq, leg) in enumerate(zip(sequences, legs, strict=True)))

    table, routes = timed(break_legs)
    apart = _crews_apart(routes)
    if apart:
        # the times the search found cannot be reproduced with every crew together: leave those out
        log.warning("crews of visits %s could not start together; leaving them out", sorted(apart))
        break_legs = [None if apart.intersection(seq) else leg for seq, leg in zip(sequences, break_legs, strict=True)]
        sequences = [[j for j in seq if j not in apart] for seq in sequences]
        crews = {j: team for j, team in crews.items() if j not in apart}
        table, routes = timed(break_legs)
    if walk_on and constructed is not None:
        constructed = _walk(problem, routes, constructed, seed=seed, params=params, until=walk_until,
                            elsewhere=elsewhere, trace=trace, field=field, span_walk=span_walk)
    elif elsewhere is not None:
        walked = _beside(elsewhere, params, walk_until, trace)
        if walked is not None and (constructed is None
                                   or _cost_of(problem, walked.routes) < _cost_of(problem, constructed.routes)):
            constructed = walked
    if constructed is not None and _cost_of(problem, constructed.routes) < _cost_of(problem, routes):
        log.info("the insertion (or ruin and recreate) plan beats the local search's; keeping it")
        routes = constructed.routes
        crews = dict(constructed.crews)
        table = crew_synced(base, [r.visits for r in routes])
        status = "feasible"
        found += 1
    served = {j for r in routes for j in r.visits}
    # the most urgent first: should the limit run out while explaining, theirs are explained
    dropped = sorted((j for j in offered if j not in served), key=lambda j: _urgency(problem, j))
    reasons = {j: r for j, r in screening.reasons.items() if j not in served}
    sequences = [list(r.visits) for r in routes]
    explained = explain_dropped(problem, tables, screening, sequences, dropped, table=table, until=until)
    reasons.update(explained)
    rough = [j for j in dropped if j not in explained]
    if rough:
        log.warning("the time limit ran out while explaining what is left out: %d visits get their rule alone",
                    len(rough))
        reasons.update({j: capacity_reason(problem, screening, sequences, j) for j in rough})
    # Infeasible means: some mandatory visit is not served (the routes themselves keep every hard rule).
    if any(problem.visits[j].drop_penalty is None for j in reasons):
        status = "infeasible"
    elif status == "infeasible" and found:
        status = "feasible"
    unassigned = tuple(sorted(reasons.items()))
    costs = solution_costs(problem, routes, unassigned)
    done = time.perf_counter()
    log.info("solved %d visits x %d vehicles: %d served, %d left out, %s; search %.1fs, then ruin and recreate "
             "and explaining %.1fs",
             len(problem.visits), len(problem.vehicles), len(served), len(unassigned), status, searched - began,
             done - searched)
    return Solution(
        routes=routes,
        unassigned=unassigned,
        objective=sum(costs.values()),
        costs=costs,
        status=status,
        wall_time=done - began,
        solutions_found=found,
        crews=tuple(sorted((j, team) for j, team in crews.items() if j in served)),
        unexplained=tuple(sorted(rough)),
        progress=tuple(trace.points),
        search_profile=trace.profile,
    )


def _optional(problem: Problem) -> bool:
    return any(v.drop_penalty is not None for v in problem.visits)


def _walk_steps(params: SolveParams) -> int:
    """Ruin-and-recreate steps under a solution limit: as many as the local search's solutions."""
    assert params.solution_limit is not None
    return params.solution_limit


def _walk(problem: Problem, searched: Sequence[RouteSolution], constructed: Solution, *, seed: int,
          params: SolveParams, until: float | None, elsewhere: Elsewhere | None, trace: Trace,
          field: bool = False, span_walk: bool = False) -> Solution:
    """Ruin and recreate from the cheaper of the local search's plan and the insertion plan, here and, with
    `elsewhere`, from the insertion plan on another core; the cheapest plan of all (ties: the insertion
    plan, then this process's walk). `field`: the compiled field walk (solver/fieldwalk.py); `span_walk`: the
    compiled span walk (solver/spanwalk.py)."""
    walk_began = time.perf_counter() - trace.began
    served = {j for r in searched for j in r.visits}
    unserved = tuple((j, Reason(rule=UNSERVED)) for j in range(len(problem.visits)) if j not in served)
    costs = solution_costs(problem, searched, unserved)
    local = Solution(routes=tuple(searched), unassigned=unserved, objective=sum(costs.values()), costs=costs,
                     status="feasible")
    begin = local if _cost_of(problem, searched) < _cost_of(problem, constructed.routes) else constructed

    steps = None if params.solution_limit is None else _walk_steps(params) * (
        _SPAN_STEPS if span_walk else _FIELD_STEPS if field else 1)
    deadline = None if steps is not None else (until if until is not None else time.monotonic())
    try:
        here = _walker(field, span_walk)(problem, begin, seed=seed, steps=steps, deadline=deadline,
                                         on_better=lambda s: trace.add(s.objective))
    except BaseException:
        if elsewhere is not None:
            elsewhere.close()
        raise
    log.info("from %.1f s, ruin and recreate: %d steps, %d better plans, cost %d -> %d", walk_began, here.steps,
             here.improvements, begin.objective, here.best.objective)
    candidates = [constructed, here.best]
    if elsewhere is not None:
        walked = _beside(elsewhere, params, deadline, trace)
        if walked is not None:
            candidates.append(walked)
    return min(candidates, key=lambda s: _cost_of(problem, s.routes))  # min() keeps the first of equals


def _walker(field: bool, span_walk: bool) -> Callable[..., Walk]:
    """The ruin-and-recreate walk of a day: the compiled span or field walk where chosen, else the general one."""
    return spanwalk.improve if span_walk else fieldwalk.improve if field else improve


def _ils_walk(problem: Problem, params: SolveParams) -> bool:
    """Whether `params` asks for the "ils_walk" portfolio and the day is one it serves: every visit
    mandatory, nobody on a break, no crews (pure VRPTW, as the races)."""
    return (params.portfolio == "ils_walk" and params.first_solution == "auto" and params.local_search == "auto"
            and pure_vrptw(problem) and all(x.crew == 1 for x in problem.visits))


def _beside(elsewhere: Elsewhere, params: SolveParams, until: float | None, trace: Trace) -> Solution | None:
    """The best plan of the walk on the other core (None: it did not answer in time). Bounded by steps it
    finishes whatever the clock says, and is walked here should the child give no answer; bounded by `until`
    it is about done then."""
    bounded = params.solution_limit is not None
    there = elsewhere.result(wait=None if bounded or until is None else max(1.0, until - time.monotonic() + 1.0))
    if there is None and bounded:
        log.warning("walking the other core's walk here")
        there = elsewhere.here()
    if there is None:
        return None
    walk, points = there
    offset = elsewhere.started - trace.began
    trace.points.extend(Progress(offset + wall, cpu, cost) for wall, cpu, cost in points)
    trace.points.sort(key=lambda p: p.wall)
    log.info("ruin and recreate on another core: %d steps, %d better plans, cost %d", walk.steps,
             walk.improvements, walk.best.objective)
    return walk.best


def _urgency(problem: Problem, j: int) -> tuple[int, int]:
    """Sort key, most urgent first: mandatory visits, then by drop penalty."""
    penalty = problem.visits[j].drop_penalty
    return (0, 0) if penalty is None else (1, -penalty)


def _crews_apart(routes: Sequence[RouteSolution]) -> set[int]:
    """Visits on several routes whose starts differ."""
    starts: dict[int, set[int]] = {}
    for r in routes:
        for j, t in zip(r.visits, r.starts, strict=True):
            starts.setdefault(j, set()).add(t)
    return {j for j, ts in starts.items() if len(ts) > 1}


def _construct_too(problem: Problem, params: SolveParams, offered: int) -> bool:
    """Construct on dispatch days (optional visits) and on large days, unless a first-solution strategy
    was asked for explicitly."""
    optional = all(v.drop_penalty is not None for v in problem.visits)
    return (optional or offered >= _CONSTRUCT_FROM) and params.first_solution == "auto"


def _cost_of(problem: Problem, routes: Sequence[RouteSolution]) -> int:
    served = {j for r in routes for j in r.visits}
    unserved = [(j, Reason(rule=UNSERVED)) for j in range(len(problem.visits)) if j not in served]
    mandatory_left = sum(1 for j, _ in unserved if problem.visits[j].drop_penalty is None)
    # A plan leaving out a mandatory visit loses against any plan that serves more of them.
    return mandatory_left * _RELAXED_PENALTY + sum(solution_costs(problem, routes, unserved).values())


def _search(
    problem: Problem, tables: Tables, screening: Screening, offered: list[int], *, budget: float | None,
    seed: int, params: SolveParams, start: list[list[int]] | None = None,
    start_crews: dict[int, tuple[int, ...]] | None = None, trace: Trace | None = None, screened_out: int = 0,
    stall_after: float | None = None,
) -> tuple[str, int, list[list[int]], list[int | None], dict[int, tuple[int, ...]]]:
    """Build and search the model, from the `start` routes (visit indices per vehicle) when they load;
    when no plan serves every mandatory visit, plan the rest. `budget` (seconds) bounds the searches;
    None under a solution limit, which alone bounds each of them."""
    began = time.perf_counter()

    def remaining() -> float | None:
        return None if budget is None else max(_MIN_SEARCH, budget - (time.perf_counter() - began))

    model = build_model(problem, tables, offered, screening, profile=params.profile)
    bound_by_count(model.routing, params)
    if trace is not None:
        trace.follow(model.routing, screened_out + certain_cost(model), model.time, model.emphasis)
    kept = ()
    if stall_after is not None and params.solution_limit is None:
        kept = stop_when_stalled(model.routing, stall_after)
    log.debug("model: %d visits offered, %d vehicles, dimensions %s", len(offered), len(problem.vehicles),
              model.dimensions)
    outcome = None
    if start is not None and any(start):
        outcome = _search_from(model, start, start_crews or {}, time_limit=remaining(), seed=seed, params=params)
    if outcome is None:
        outcome = run_search(model.routing, problem, time_limit=remaining(), seed=seed, params=params)
    status, found = outcome.status, outcome.solutions_found
    if outcome.assignment is not None and found == 0 and _serves_nothing(model.routing, outcome.assignment):
        # OR-Tools hands back its all-left-out fallback when no first solution finished in time. (Iterated
        # local search counts its solutions in solvers of its own: none here, yet real routes.)
        log.warning("the search found no solution within its limit; its fallback leaves every visit out (an "
                    "insertion plan, when there is one, is kept instead)")
        status = "infeasible"
    left = None if budget is None else budget - (time.perf_counter() - began)
    if (outcome.assignment is None and (left is None or left > 0)
            and any(problem.visits[j].drop_penalty is None for j in offered)):
        log.warning("no plan serves every mandatory visit; searching again with them optional")
        model = build_model(problem, tables, offered, screening, relax=_RELAXED_PENALTY, profile=params.profile)
        bound_by_count(model.routing, params)
        if trace is not None:  # its points count each mandatory visit left out at the relaxed penalty
            trace.follow(model.routing, screened_out + certain_cost(model), model.time, model.emphasis)
        outcome = run_search(model.routing, problem, time_limit=None if left is None else max(_MIN_SEARCH, left),
                             seed=seed, params=params)
        found += outcome.solutions_found
    if trace is not None and params.profile:
        trace.profile = model.routing.solver().LocalSearchProfile()
    del kept  # the searches are over
    if outcome.assignment is None:
        return status, found, [[] for _ in problem.vehicles], [None] * len(problem.vehicles), {}
    return (status, found, *_read_routes(model, outcome.assignment))


def _serves_nothing(routing: pywrapcp.RoutingModel, assignment: pywrapcp.Assignment) -> bool:
    return all(routing.IsEnd(assignment.Value(routing.NextVar(routing.Start(k)))) for k in range(routing.vehicles()))


def _search_from(
    model: Model, start: list[list[int]], crews: dict[int, tuple[int, ...]], *, time_limit: float | None, seed: int,
    params: SolveParams,
) -> SearchOutcome | None:
    """Local search from given routes. On dispatch days the priority-first insertion is a far better start
    than OR-Tools' own first solutions (they fill the day with cheap low-priority visits). None when the
    routes do not load into the model (OR-Tools cannot always complete break intervals from routes)."""
    nodes: dict[int, list[int]] = {}  # visit -> its nodes, the lead's first
    for node, j in enumerate(model.offered):
        nodes.setdefault(j, []).append(node)

    def node_of(j: int, k: int) -> int:
        team = crews.get(j)
        return nodes[j][0] if team is None else nodes[j][team.index(k)]

    routes = [[model.index_of(node_of(j, k)) for j in seq if j in nodes] for k, seq in enumerate(start)]
    recipe = recipe_for(model.problem, params)
    sp = search_parameters(recipe, recipe.first_solutions[0], time_limit=time_limit, params=params)
    routing = model.routing
    routing.CloseModelWithParameters(sp)
    routing.solver().ReSeed(seed)
    # Only the next variables: the search restores the rest once (ReadAssignmentFromRoutes would restore
    # it a second time, which on a 500-visit day with breaks costs as much as the search itself).
    initial = routing.solver().Assignment()
    if not routing.RoutesToAssignment(routes, True, True, initial):
        log.info("the insertion routes do not load into the model; searching from scratch")
        return None
    # OR-Tools' iterated local search has no warm start (and, given the routes as a first-solution hint on a
    # day with breaks, aborts the process on an unbound time variable): from routes, always this search
    assignment = routing.SolveFromAssignmentWithParameters(initial, sp)
    found = int(routing.solver().Solutions())
    if found == 0 and routing.status() == _TIMEOUT:
        # the limit ran out before the search improved on its start: the insertion plan stands (the caller
        # keeps it, as it costs less than no plan), and there is no time left to search from scratch
        log.info("the search found nothing better than the insertion plan within its limit")
        return SearchOutcome(assignment=None, solutions_found=0, status="feasible")
    if assignment is None or found == 0:
        log.info("no search from the insertion routes; searching from scratch")
        return None
    return SearchOutcome(assignment=assignment, solutions_found=found, status="feasible")


def _read_routes(model: Model, assignment: pywrapcp.Assignment
                 ) -> tuple[list[list[int]], list[int | None], dict[int, tuple[int, ...]]]:
    """Visit order per vehicle, the leg each break falls on and each crew (lead first), from the assignment."""
    routing, manager, time_dim = model.routing, model.manager, model.time
    sequences: list[list[int]] = []
    legs: list[int | None] = []
    leads: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    for k in range(len(model.problem.vehicles)):
        seq: list[int] = []
        ends: list[int] = []  # model time each service ends
        index = assignment.Value(routing.NextVar(routing.Start(k)))
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            j = model.offered[node]
            seq.append(j)
            if model.member[node]:
                members.setdefault(j, []).append(k)
            elif model.problem.visits[j].crew > 1:
                leads[j] = k
            ends.append(assignment.Value(time_dim.CumulVar(index)) + model.problem.visits[j].service)
            index = assignment.Value(routing.NextVar(index))
        leg = None
        if k in model.breaks:
            start = assignment.StartValue(model.breaks[k])
            leg = sum(1 for e in ends if e <= start)  # services that end before the break starts
        sequences.append(seq)
        legs.append(leg)
    return sequences, legs, {j: (lead, *members.get(j, ())) for j, lead in leads.items()}


def _route(problem: Problem, table: Timetable, k: int, seq: Sequence[int], leg: int | None) -> RouteSolution:
    v = problem.vehicles[k]
    if not seq:
        # An idle technician stays home: no drive, no break to schedule.
        return RouteSolution(vehicle=k, visits=(), arrivals=(), starts=(), depart=v.shift_start, back=v.shift_start)
    timing = earliest(problem, k, seq, leg, just_in_time=True, table=table)
    return RouteSolution(
        vehicle=k,
        visits=tuple(seq),
        arrivals=timing.arrivals,
        starts=timing.starts,
        depart=timing.depart,
        back=timing.back,
        break_start=timing.break_start,
        distance=table.distance(k, seq),
    )
