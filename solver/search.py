"""How the engine searches: first-solution strategy, local search, limits.

The model (solver/model.py) states the rules; this module only decides how to look for a good
assignment of the model it is handed. The choice depends on features of the problem (see `recipe_for`);
`SolveParams.first_solution` / `local_search` override it, and `SolveParams.portfolio` says whether two
recipes race (see `race`).

Limits: with `SolveParams.solution_limit` the search is bounded by counts alone (that many solutions, or
`FAILURES_PER_SOLUTION` times as many failures, see `bound_by_count`). No OR-Tools time limit is set and
nothing here reads the clock, so the result does not depend on the machine's load; the `time_limit`
arguments are then ignored. Without a solution limit, `time_limit` seconds bound the search.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from typing import Any

from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_heuristic_parameters_pb2

from solver.params import SolveParams
from solver.problem import Problem, Progress

FSS = routing_enums_pb2.FirstSolutionStrategy
LSM = routing_enums_pb2.LocalSearchMetaheuristic
SORT = routing_heuristic_parameters_pb2.LocalCheapestInsertionParameters


@dataclass
class SearchOutcome:
    assignment: pywrapcp.Assignment | None
    solutions_found: int
    status: str


@dataclass
class Trace:
    """The objective of every solution the searches of one solve find, with when it was found (wall and CPU
    seconds since `began`/`cpu0`). Reading the clock here decides nothing: it only records."""

    began: float  # time.perf_counter() at the start of the solve
    cpu0: float  # time.process_time() then
    # added to the model's cost so that points compare with Solution.objective: the penalties of visits no
    # vehicle may serve, which never enter the model
    offset: int = 0
    points: list[Progress] = field(default_factory=list)
    profile: str = ""
    _callbacks: list[Any] = field(default_factory=list)

    def follow(self, routing: pywrapcp.RoutingModel, offset: int, time_dim: pywrapcp.RoutingDimension | None = None,
               emphasis: Sequence[tuple[int, int, int]] = ()) -> None:
        """Record every solution of `routing` from now on; `offset` is what the plan costs beyond the model's
        cost (see `offset`), `emphasis` the lateness weights the search adds on `time_dim` beyond the plan's
        (index, soft bound, extra weight), taken off again."""
        self.offset = offset

        def record() -> None:
            # Min(), never Value(): a variable left unbound at a solution (a cumul the finalizer did not fix)
            # makes Value() abort the whole process
            extra = 0
            if time_dim is not None:
                for index, bound, weight in emphasis:
                    if routing.ActiveVar(index).Min():
                        extra += max(0, time_dim.CumulVar(index).Min() - bound) * weight
            # the cost variable exists once the model is closed, after this is called
            self.add(self.offset + int(routing.CostVar().Min()) - extra)

        self._callbacks.append(record)  # the model keeps a pointer only
        routing.AddAtSolutionCallback(record)

    def add(self, objective: int) -> None:
        """Record a plan of this cost found now."""
        self.points.append(Progress(time.perf_counter() - self.began, time.process_time() - self.cpu0, objective))


@dataclass(frozen=True)
class Recipe:
    """One way to search. `first_solutions` is a fallback chain: the next strategy is tried only when
    the previous one finds no first solution (e.g. PATH_CHEAPEST_ARC on a tight, fixed fleet)."""

    first_solutions: tuple[str, ...]
    metaheuristic: str  # "guided_local_search", "greedy_descent", ..., or "iterated_local_search"
    gls_lambda: float = 0.1
    # Iterated local search (ruin and recreate): SISR string removals, simulated annealing acceptance
    # with OR-Tools' automatic temperatures.
    ils_avg_removed: int = 10
    ils_max_sequence: int = 10
    ils_recreate: str = "LOCAL_CHEAPEST_INSERTION"
    # Local cheapest (cost) insertion takes visits by penalty, then fewest vehicles.
    insertion_by_penalty: bool = False

    def adjust(self, sp: Any) -> None:
        """Change further OR-Tools settings after `search_parameters` has set this recipe's; the production
        recipes change none (the search lab's `LabRecipe` does)."""


# Every visit mandatory: the first solution must exist at all, so the chain starts with heuristics that
# respect windows and capacity, and PATH_CHEAPEST_ARC (which found nothing on tight fixed fleets) comes last.
MANDATORY_CHAIN = ("LOCAL_CHEAPEST_INSERTION", "SAVINGS", "PARALLEL_CHEAPEST_INSERTION", "PATH_CHEAPEST_ARC")
SAVINGS_CHAIN = ("SAVINGS", "LOCAL_CHEAPEST_INSERTION", "PARALLEL_CHEAPEST_INSERTION", "PATH_CHEAPEST_ARC")
# Days with optional visits. On 200-order days (3 seeds, 20 s, 200 x 25) parallel cheapest insertion + GLS
# cost 3,186 M in total against 3,324 M for cheapest-cost insertion taking visits by penalty (priority) and
# 3,301 M for local cheapest insertion by penalty (best on 2 of 3 days, not on the third).
OPTIONAL_CHAIN = ("PARALLEL_CHEAPEST_INSERTION", "LOCAL_CHEAPEST_INSERTION")
# On large days cheapest-cost insertion is too slow (about 60 s at 1,000 x 100) and parallel cheapest
# insertion ignores priority and fills the day with low-priority orders: insert by penalty, cheaply.
LARGE_OPTIONAL_CHAIN = ("LOCAL_CHEAPEST_INSERTION", "PARALLEL_CHEAPEST_INSERTION")
# From this many visits on, local search moves are slow (about 7 relocations a second at 1,000 visits and
# 250 vehicles) and the first solution decides: SAVINGS started 33 % above the BKS on Homberger R1_10_1,
# local cheapest insertion 49 %, parallel cheapest insertion 46 %.
LARGE = 500


def recipe_for(problem: Problem, params: SolveParams) -> Recipe:
    """Pick the main search recipe from problem features, then apply the explicit overrides of `params`."""
    if all(v.drop_penalty is None for v in problem.visits):
        # GLS lambda 0.3 instead of OR-Tools' 0.1: 2.95 % vs 4.47 % mean gap on 14 Solomon instances at 10 s.
        chain: tuple[str, ...] = SAVINGS_CHAIN if len(problem.visits) >= LARGE else MANDATORY_CHAIN
        recipe = Recipe(first_solutions=chain, metaheuristic="guided_local_search", gls_lambda=0.3)
    else:
        chain = LARGE_OPTIONAL_CHAIN if len(problem.visits) >= LARGE else OPTIONAL_CHAIN
        recipe = Recipe(first_solutions=chain, metaheuristic="guided_local_search", insertion_by_penalty=True)
    if params.first_solution != "auto":
        recipe = replace(recipe, first_solutions=(params.first_solution,))
    if params.local_search != "auto":
        recipe = replace(recipe, metaheuristic=params.local_search)
    return recipe


def pure_vrptw(problem: Problem) -> bool:
    """Every visit mandatory and nobody on a break: the days the races (and "ils_walk") are for."""
    return (all(x.drop_penalty is None for x in problem.visits)
            and all(v.break_ is None for v in problem.vehicles))


def portfolio_for(problem: Problem, params: SolveParams) -> tuple[Recipe, ...]:
    """One recipe, or two raced against each other (see `race`). `params.portfolio == "single"` keeps
    the main recipe (`recipe_for`) alone."""
    main = recipe_for(problem, params)
    if params.first_solution != "auto" or params.local_search != "auto" or params.portfolio == "single":
        return (main,)  # an explicit choice is honoured as it is
    if pure_vrptw(problem):
        # Ruin-and-recreate (SISR strings) wins on most Solomon R and RC instances, guided local search on
        # several clustered ones; each arm starts from a different first solution for diversity.
        ils = replace(main, metaheuristic="iterated_local_search")
        gls = replace(main, first_solutions=SAVINGS_CHAIN)
        return (ils, gls)
    # Days with optional visits: one search. Racing parallel insertion against insertion by penalty was
    # not measured reliably (machine load 5-9 on 2 cores), so the engine keeps the measured default.
    return (main,)


# Under a solution limit the search also stops after this many failures per solution asked for. A search
# normally reaches its solution limit long before (about 180 failures a solution on a 200-order day); the
# bound ends, without a clock, the searches whose solutions dry up (guided local search on a day with one
# or two visits keeps updating penalties without ever finding another solution).
FAILURES_PER_SOLUTION = 1000


def bound_by_count(routing: pywrapcp.RoutingModel, params: SolveParams) -> None:
    """Under a solution limit, stop every search of `routing` after FAILURES_PER_SOLUTION x the limit
    failures too: a count, so the result still does not depend on the clock. Call once per model."""
    if params.solution_limit is not None:
        solver = routing.solver()
        routing.AddSearchMonitor(solver.FailuresLimit(FAILURES_PER_SOLUTION * params.solution_limit))


# A gain smaller than this share of the cost does not count as progress for stop_when_stalled.
STALL_GAIN = 0.001
# The search stops at the latest after this many times the stall time (None: only when it stalls).
STALL_CAP: float | None = None


def stop_when_stalled(routing: pywrapcp.RoutingModel, seconds: float) -> tuple[Any, ...]:
    """Stop every search of `routing` once `seconds` have gone by without the best cost falling by STALL_GAIN
    (or, with STALL_CAP, once STALL_CAP x `seconds` have gone by at all). Reads the clock: for timed searches
    only (under a solution limit the count alone bounds the search). The caller keeps what this returns for
    as long as it searches (the model holds pointers only)."""
    began = time.monotonic()
    state = {"best": None, "since": began}
    cap = STALL_CAP

    def heard() -> None:
        cost = routing.CostVar().Min()
        best = state["best"]
        if best is None or cost < best * (1 - STALL_GAIN):
            state["best"], state["since"] = cost, time.monotonic()

    def stalled() -> bool:
        now = time.monotonic()
        return now - state["since"] > seconds or (cap is not None and now - began > cap * seconds)  # type: ignore[operator]

    limit = routing.solver().CustomLimit(stalled)
    routing.AddAtSolutionCallback(heard)
    routing.AddSearchMonitor(limit)
    return heard, stalled, limit


# Seconds standing for "no clock limit" (about 30 years; OR-Tools takes a Duration, not infinity).
_NO_CLOCK = 10**9


def search_parameters(
    recipe: Recipe, first: str, *, time_limit: float | None, params: SolveParams
) -> pywrapcp.DefaultRoutingSearchParameters:
    """OR-Tools parameters for `recipe` starting with first-solution strategy `first`. With a solution
    limit that count bounds the search and no time limit is set; otherwise `time_limit` seconds do."""
    sp = pywrapcp.DefaultRoutingSearchParameters()
    sp.first_solution_strategy = getattr(FSS, first)
    if recipe.metaheuristic == "iterated_local_search":
        sp.use_iterated_local_search = True
        ils = sp.iterated_local_search_parameters
        rr = ils.ruin_recreate_parameters
        del rr.ruin_strategies[:]
        sisr = rr.ruin_strategies.add().sisr
        sisr.avg_num_removed_visits = recipe.ils_avg_removed
        sisr.max_removed_sequence_size = recipe.ils_max_sequence
        sisr.bypass_factor = 0.01
        rr.recreate_strategy.heuristic = getattr(FSS, recipe.ils_recreate)
        ils.reference_solution_acceptance_strategy.simulated_annealing.automatic_temperatures = True
        ils.improve_perturbed_solution = True
    else:
        sp.local_search_metaheuristic = getattr(LSM, recipe.metaheuristic.upper())
    if recipe.insertion_by_penalty:
        order = [SORT.SORTING_PROPERTY_PENALTY, SORT.SORTING_PROPERTY_ALLOWED_VEHICLES]
        for lci in (sp.local_cheapest_insertion_parameters, sp.local_cheapest_cost_insertion_parameters):
            del lci.insertion_sorting_properties[:]
            lci.insertion_sorting_properties.extend(order)
    sp.guided_local_search_lambda_coefficient = recipe.gls_lambda
    recipe.adjust(sp)
    if params.solution_limit is not None:
        sp.solution_limit = params.solution_limit
        # OR-Tools also bounds the completion of each local search neighbour by a clock (`lns_time_limit`,
        # 0.1 s by default): under load a neighbour then fails that did not on an idle machine, and the
        # plan changes. The count alone is the bound here.
        sp.lns_time_limit.FromSeconds(_NO_CLOCK)
    elif time_limit is not None:
        sp.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
    else:
        raise ValueError("the search needs a time_limit or a solution_limit")
    sp.log_search = params.log_search
    return sp


def execute(
    routing: pywrapcp.RoutingModel,
    recipe: Recipe,
    *,
    time_limit: float | None,
    seed: int,
    params: SolveParams,
) -> SearchOutcome:
    """Run `recipe`: try the first-solution chain in order, local search from the first that works.
    Under a solution limit each try is bounded by that count and the clock is never read."""
    # The seed only reseeds the CP solver's generator (randomized operators, ILS), so a run stays
    # reproducible under a solution limit.
    routing.solver().ReSeed(seed)
    timed = params.solution_limit is None
    if timed and time_limit is None:
        raise ValueError("the search needs a time_limit or a solution_limit")
    deadline = time.monotonic() + time_limit if timed and time_limit is not None else None
    for first in recipe.first_solutions:
        remaining = None
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
        # Insertion heuristics that cannot place a mandatory visit fail fast, leaving time for the next.
        sp = search_parameters(recipe, first, time_limit=remaining, params=params)
        if recipe.metaheuristic == "iterated_local_search":
            # ILS is its own entry point: SolveWithParameters ignores use_iterated_local_search
            assignment = routing.SolveWithIteratedLocalSearch(sp)
        else:
            assignment = routing.SolveWithParameters(sp)
        if assignment is not None:
            found = int(routing.solver().Solutions())
            return SearchOutcome(assignment=assignment, solutions_found=found, status="feasible")
    return SearchOutcome(assignment=None, solutions_found=0, status="infeasible")


def routes_of(routing: pywrapcp.RoutingModel, assignment: pywrapcp.Assignment) -> list[list[int]]:
    """Routing indices per vehicle (starts and ends excluded), the form ReadAssignmentFromRoutes takes."""
    routes = []
    for k in range(routing.vehicles()):
        route = []
        index = assignment.Value(routing.NextVar(routing.Start(k)))
        while not routing.IsEnd(index):
            route.append(index)
            index = assignment.Value(routing.NextVar(index))
        routes.append(route)
    return routes


@dataclass(frozen=True)
class Snapshot:
    """An assignment in plain values, to carry it across a process boundary or a later solve: the routes
    and every dimension's cumuls (the routes alone do not fix the times). Break intervals are not carried
    (the Python wrapper cannot list them), so models with breaks are never raced."""

    objective: int
    routes: list[list[int]]
    cumuls: dict[str, list[int]]


def snapshot(routing: pywrapcp.RoutingModel, assignment: pywrapcp.Assignment) -> Snapshot:
    indices = range(routing.Size() + routing.vehicles())  # ends come after the other indices
    cumuls = {
        name: [assignment.Value(routing.GetDimensionOrDie(name).CumulVar(i)) for i in indices]
        for name in routing.GetAllDimensionNames()
    }
    return Snapshot(assignment.ObjectiveValue(), routes_of(routing, assignment), cumuls)


def restore(routing: pywrapcp.RoutingModel, snap: Snapshot) -> pywrapcp.Assignment | None:
    """The assignment of `snap`, or None if its routes do not restore."""
    assignment = routing.ReadAssignmentFromRoutes(snap.routes, True)
    if assignment is None:
        return None
    # Restoring the routes picks its own times; put back the searched ones.
    for name, values in snap.cumuls.items():
        dim = routing.GetDimensionOrDie(name)
        for i, value in enumerate(values):
            assignment.SetValue(dim.CumulVar(i), value)
    return assignment


def _child_search(
    routing: pywrapcp.RoutingModel, recipe: Recipe, kwargs: dict[str, Any], conn: Connection
) -> None:
    """In a forked process: search with `recipe` and send back (snapshot, solutions found)."""
    try:
        out = execute(routing, recipe, **kwargs)
        if out.assignment is None:
            conn.send(None)
        else:
            conn.send((snapshot(routing, out.assignment), out.solutions_found))
    except Exception:  # the parent carries on with its own result
        conn.send(None)
    finally:
        conn.close()


def race(
    routing: pywrapcp.RoutingModel,
    recipes: tuple[Recipe, Recipe],
    *,
    time_limit: float | None,
    seed: int,
    params: SolveParams,
    fork: bool = False,
) -> SearchOutcome:
    """Run two recipes and keep the better assignment (ties go to the first, so the result is a
    deterministic function of the two runs). With `fork`, the second runs at the same time in a forked
    child process and each gets all the time; otherwise one after the other with half the time each.
    Under a solution limit each run is bounded by that count alone, so both ways give the same result."""
    timed = params.solution_limit is None
    if not fork:
        half = time_limit / 2 if timed and time_limit is not None else None
        first = execute(routing, recipes[0], time_limit=half, seed=seed, params=params)
        # The model reuses its assignment objects between solves: keep the first result as plain values.
        kept = snapshot(routing, first.assignment) if first.assignment is not None else None
        second = execute(routing, recipes[1], time_limit=half, seed=seed, params=params)
        later = snapshot(routing, second.assignment) if second.assignment is not None else None
        found = first.solutions_found + second.solutions_found
        return _pick(routing, [(kept, None), (later, second.assignment)], found)

    ctx = _fork_context()
    receiver, sender = ctx.Pipe(duplex=False)
    kwargs = {"time_limit": time_limit, "seed": seed, "params": params}
    child = ctx.Process(target=_child_search, args=(routing, recipes[1], kwargs, sender), daemon=True)
    child.start()
    sender.close()
    try:
        own = execute(routing, recipes[0], time_limit=time_limit, seed=seed, params=params)
        if timed and time_limit is not None:
            # The child has the same time limit; allow for its model setup and the trip through the pipe.
            theirs = receiver.recv() if receiver.poll(time_limit + 5.0) else None
        else:
            # The child is bounded by the solution limit: wait for it, whatever the clock says (a dead
            # child closes the pipe, which raises EOFError).
            theirs = receiver.recv()
    except EOFError:
        theirs = None
    finally:
        receiver.close()
        child.join(timeout=1.0)
        if child.is_alive():
            child.kill()
            child.join()
    if theirs is None:
        return own
    snap, found = theirs
    kept = snapshot(routing, own.assignment) if own.assignment is not None else None
    return _pick(routing, [(kept, own.assignment), (snap, None)], own.solutions_found + found)


def _fork_context() -> Any:
    if "fork" not in multiprocessing.get_all_start_methods():
        raise RuntimeError(
            "SolveParams.portfolio 'race_fork' needs the 'fork' start method, which this platform lacks "
            f"(it has {', '.join(multiprocessing.get_all_start_methods())}); use 'race_sequential'"
        )
    return multiprocessing.get_context("fork")


def _pick(
    routing: pywrapcp.RoutingModel,
    candidates: list[tuple[Snapshot | None, pywrapcp.Assignment | None]],
    found: int,
) -> SearchOutcome:
    """The cheapest candidate (ties go to the earlier one). Each is a snapshot plus its assignment when
    that is still live in `routing` (the last solve's); any other is restored from its snapshot."""
    ranked = sorted(
        (c for c in candidates if c[0] is not None),
        key=lambda c: c[0].objective,  # type: ignore[union-attr]
    )  # sorted() is stable, so ties keep the candidates' order
    for snap, live in ranked:
        assignment = live if live is not None else restore(routing, snap)  # type: ignore[arg-type]
        if assignment is not None:
            return SearchOutcome(assignment=assignment, solutions_found=found, status="feasible")
    return SearchOutcome(assignment=None, solutions_found=found, status="infeasible")


def run_search(
    routing: pywrapcp.RoutingModel,
    problem: Problem,
    *,
    time_limit: float | None,
    seed: int,
    params: SolveParams,
) -> SearchOutcome:
    """Search the closed model `routing` and return the best assignment found. `time_limit` (seconds)
    bounds the search only when `params` has no solution limit."""
    if params.portfolio == "race_fork":
        _fork_context()  # refuse on a platform without fork, whatever the day
    recipes = portfolio_for(problem, params)
    if len(recipes) == 1:
        return execute(routing, recipes[0], time_limit=time_limit, seed=seed, params=params)
    return race(routing, (recipes[0], recipes[1]), time_limit=time_limit, seed=seed, params=params,
                fork=params.portfolio == "race_fork")
