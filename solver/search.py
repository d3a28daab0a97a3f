"""How the engine searches: first-solution strategy, local search, limits.

The model (solver/model.py) states the rules; this module only decides how to look for a good
assignment of the model it is handed. The choice depends on features of the problem (see `recipe_for`);
`SolveParams.first_solution` / `local_search` override it.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection

from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_heuristic_parameters_pb2

from solver.params import SolveParams
from solver.problem import Problem

FSS = routing_enums_pb2.FirstSolutionStrategy
LSM = routing_enums_pb2.LocalSearchMetaheuristic
SORT = routing_heuristic_parameters_pb2.LocalCheapestInsertionParameters


@dataclass
class SearchOutcome:
    assignment: pywrapcp.Assignment | None
    solutions_found: int
    status: str


@dataclass(frozen=True)
class Recipe:
    """One way to search. `first_solutions` is a fallback chain: the next strategy is tried only when
    the previous one finds no first solution (e.g. PATH_CHEAPEST_ARC on a tight, fixed fleet)."""

    first_solutions: tuple[str, ...]
    metaheuristic: str  # "guided_local_search", "greedy_descent", ..., or "iterated_local_search"
    gls_lambda: float = 0.1
    neighbors_ratio: float = 1.0  # restrict LS operators to this share of nearest neighbours
    min_neighbors: int = 1
    # Iterated local search (ruin and recreate): SISR string removals, simulated annealing acceptance.
    ils_avg_removed: int = 10
    ils_max_sequence: int = 10
    ils_recreate: str = "LOCAL_CHEAPEST_INSERTION"
    ils_temperature: tuple[float, float] | None = None  # None: OR-Tools' automatic temperatures
    extra_operators: tuple[str, ...] = ()  # local_search_operators fields switched on
    disabled_operators: tuple[str, ...] = ()
    multi_armed_bandit: bool = False
    insertion_by_penalty: bool = (
        False  # local cheapest (cost) insertion takes visits by penalty, then fewest vehicles
    )


# Every visit mandatory: the first solution must exist at all, so the chain starts with heuristics that
# respect windows and capacity, and PATH_CHEAPEST_ARC (which found nothing on tight fixed fleets) comes last.
MANDATORY_CHAIN = ("LOCAL_CHEAPEST_INSERTION", "SAVINGS", "PARALLEL_CHEAPEST_INSERTION", "PATH_CHEAPEST_ARC")
SAVINGS_CHAIN = ("SAVINGS", "LOCAL_CHEAPEST_INSERTION", "PARALLEL_CHEAPEST_INSERTION", "PATH_CHEAPEST_ARC")
# Days with optional visits: cheapest-cost insertion taking visits by penalty (priority) first, so that
# emergencies are in the plan before low-priority work fills the day.
OPTIONAL_CHAIN = ("LOCAL_CHEAPEST_COST_INSERTION", "LOCAL_CHEAPEST_INSERTION", "PARALLEL_CHEAPEST_INSERTION")
# From this many visits on, local search moves are slow (about 7 relocations a second at 1,000 visits and
# 250 vehicles) and the first solution decides: SAVINGS started 33 % above the BKS on Homberger R1_10_1,
# local cheapest insertion 49 %, parallel cheapest insertion 46 %.
LARGE = 500


def recipe_for(problem: Problem, params: SolveParams) -> Recipe:
    """Pick the main search recipe from problem features, then apply the explicit overrides of `params`."""
    if all(v.drop_penalty is None for v in problem.visits):
        # GLS lambda 0.3 instead of OR-Tools' 0.1: 2.95 % vs 4.47 % mean gap on 14 Solomon instances at 10 s.
        chain = SAVINGS_CHAIN if len(problem.visits) >= LARGE else MANDATORY_CHAIN
        recipe = Recipe(first_solutions=chain, metaheuristic="guided_local_search", gls_lambda=0.3)
    else:
        recipe = Recipe(
            first_solutions=OPTIONAL_CHAIN, metaheuristic="guided_local_search", insertion_by_penalty=True
        )
    if params.first_solution != "auto":
        recipe = replace(recipe, first_solutions=(params.first_solution,))
    if params.local_search != "auto":
        recipe = replace(recipe, metaheuristic=params.local_search)
    return recipe


def portfolio_for(problem: Problem, params: SolveParams) -> tuple[Recipe, ...]:
    """One recipe, or two raced against each other (see `race`)."""
    main = recipe_for(problem, params)
    if params.first_solution != "auto" or params.local_search != "auto":
        return (main,)  # an explicit choice is honoured as it is
    if all(v.drop_penalty is None for v in problem.visits):
        # Pure VRPTW: ruin-and-recreate (SISR strings) wins on most R and RC instances, guided local search
        # on several clustered ones; each arm starts from a different first solution for diversity.
        ils = replace(main, metaheuristic="iterated_local_search")
        gls = replace(main, first_solutions=SAVINGS_CHAIN)
        return (ils, gls)
    return (main,)


def search_parameters(
    recipe: Recipe, first: str, *, time_limit: float, params: SolveParams
) -> pywrapcp.DefaultRoutingSearchParameters:
    """OR-Tools parameters for `recipe` starting with first-solution strategy `first`."""
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
        sa = ils.reference_solution_acceptance_strategy.simulated_annealing
        if recipe.ils_temperature is None:
            sa.automatic_temperatures = True
        else:
            sa.automatic_temperatures = False
            sa.initial_temperature, sa.final_temperature = recipe.ils_temperature
        ils.improve_perturbed_solution = True
    else:
        sp.local_search_metaheuristic = getattr(LSM, recipe.metaheuristic.upper())
    if recipe.insertion_by_penalty:
        order = [SORT.SORTING_PROPERTY_PENALTY, SORT.SORTING_PROPERTY_ALLOWED_VEHICLES]
        for lci in (sp.local_cheapest_insertion_parameters, sp.local_cheapest_cost_insertion_parameters):
            del lci.insertion_sorting_properties[:]
            lci.insertion_sorting_properties.extend(order)
    sp.guided_local_search_lambda_coefficient = recipe.gls_lambda
    sp.ls_operator_neighbors_ratio = recipe.neighbors_ratio
    sp.ls_operator_min_neighbors = recipe.min_neighbors
    sp.use_multi_armed_bandit_concatenate_operators = recipe.multi_armed_bandit
    for op in recipe.extra_operators:
        setattr(sp.local_search_operators, op, 1)  # BOOL_TRUE
    for op in recipe.disabled_operators:
        setattr(sp.local_search_operators, op, 2)  # BOOL_FALSE
    sp.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
    if params.solution_limit is not None:
        sp.solution_limit = params.solution_limit
    sp.log_search = params.log_search
    return sp


def execute(
    routing: pywrapcp.RoutingModel,
    recipe: Recipe,
    *,
    time_limit: float,
    seed: int,
    params: SolveParams,
) -> SearchOutcome:
    """Run `recipe`: try the first-solution chain in order, local search from the first that works."""
    # The seed only reseeds the CP solver's generator (randomized operators, ILS), so a run stays
    # reproducible under a solution limit.
    routing.solver().ReSeed(seed)
    deadline = time.monotonic() + time_limit
    for first in recipe.first_solutions:
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


def _child_search(routing: pywrapcp.RoutingModel, recipe: Recipe, kwargs: dict, conn: Connection) -> None:
    """In a forked process: search with `recipe` and send back (objective, routes, solutions found)."""
    try:
        out = execute(routing, recipe, **kwargs)
        if out.assignment is None:
            conn.send(None)
        else:
            conn.send(
                (out.assignment.ObjectiveValue(), routes_of(routing, out.assignment), out.solutions_found)
            )
    except Exception:  # the parent carries on with its own result
        conn.send(None)
    finally:
        conn.close()


def _can_fork() -> bool:
    # Forking is only safe from a single-threaded process that may have children (not a daemon worker,
    # not a web server's thread pool); elsewhere the portfolio runs its recipes one after the other.
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and not multiprocessing.current_process().daemon
        and (os.cpu_count() or 1) >= 2
    )


def race(
    routing: pywrapcp.RoutingModel,
    recipes: tuple[Recipe, Recipe],
    *,
    time_limit: float,
    seed: int,
    params: SolveParams,
    parallel: bool | None = None,
) -> SearchOutcome:
    """Run two recipes and keep the better assignment (ties go to the first, so the result is a
    deterministic function of the two runs). In parallel in a forked process when that is safe, else one
    after the other with half the time each; under a solution limit both ways give the same result."""
    kwargs = {"time_limit": time_limit, "seed": seed, "params": params}
    if parallel is None:
        parallel = _can_fork()
    if not parallel:
        half = {**kwargs, "time_limit": time_limit / 2}
        first = execute(routing, recipes[0], **half)
        first_objective = first.assignment.ObjectiveValue() if first.assignment is not None else None
        first_routes = routes_of(routing, first.assignment) if first.assignment is not None else None
        second = execute(routing, recipes[1], **half)
        if second.assignment is None or (
            first_objective is not None and first_objective <= second.assignment.ObjectiveValue()
        ):
            # the model's assignment objects are reused between solves: restore the first one
            if first_routes is None:
                return second
            restored = routing.ReadAssignmentFromRoutes(first_routes, True)
            found = first.solutions_found + second.solutions_found
            return SearchOutcome(assignment=restored, solutions_found=found, status=first.status)
        return SearchOutcome(second.assignment, first.solutions_found + second.solutions_found, second.status)

    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child_search, args=(routing, recipes[1], kwargs, sender), daemon=True)
    child.start()
    sender.close()
    try:
        own = execute(routing, recipes[0], **kwargs)
        # The child has the same time limit; allow for its model setup and the trip through the pipe.
        theirs = receiver.recv() if receiver.poll(time_limit + 5.0) else None
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
    objective, routes, found = theirs
    total = own.solutions_found + found
    if own.assignment is not None and own.assignment.ObjectiveValue() <= objective:
        return SearchOutcome(own.assignment, total, own.status)
    restored = routing.ReadAssignmentFromRoutes(routes, True)
    if restored is None:
        return own
    return SearchOutcome(assignment=restored, solutions_found=total, status="feasible")


def run_search(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    problem: Problem,
    *,
    time_limit: float,
    seed: int,
    params: SolveParams,
) -> SearchOutcome:
    """Search the closed model `routing` and return the best assignment found."""
    del manager  # routes are read by the caller; the search needs only the model
    recipes = portfolio_for(problem, params)
    if len(recipes) == 1:
        return execute(routing, recipes[0], time_limit=time_limit, seed=seed, params=params)
    return race(routing, (recipes[0], recipes[1]), time_limit=time_limit, seed=seed, params=params)
