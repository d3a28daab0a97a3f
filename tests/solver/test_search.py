"""How the search is chosen and run: recipes from problem features, overrides, the fallback chain,
reproducibility under a solution limit."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from benchmarks.instances import Instance
from benchmarks.solomon import evaluate
from solver import Break, SolveParams, solve
from solver.construct import greedy_solve
from solver.search import (
    LARGE,
    LARGE_OPTIONAL_CHAIN,
    MANDATORY_CHAIN,
    OPTIONAL_CHAIN,
    Recipe,
    execute,
    portfolio_for,
    race,
    recipe_for,
    restore,
    routes_of,
    search_parameters,
    snapshot,
    stop_when_stalled,
)
from tests.solver.checker import assert_consistent
from tests.solver.conftest import HOME2, MID, MID2, NEAR, NEAR2, NEAR3, PARAMS, hours, job, problem, tech


def mandatory_day():  # every visit must be served: a pure VRPTW
    return problem([tech(), tech()], [job(x, drop_penalty=None) for x in (NEAR, NEAR2, NEAR3, MID, MID2)])


def optional_day():
    return problem([tech()], [job(NEAR), job(MID, drop_penalty=None)])


def test_mandatory_problems_start_with_the_insertion_chain() -> None:
    recipe = recipe_for(mandatory_day(), SolveParams())
    assert recipe.first_solutions == MANDATORY_CHAIN
    # an arc-based strategy may find nothing with a fixed fleet: never first, but still a fallback
    assert recipe.first_solutions[-1] == "PATH_CHEAPEST_ARC"


def test_problems_with_optional_visits_use_one_search_from_parallel_insertion() -> None:
    recipes = portfolio_for(optional_day(), SolveParams())
    assert len(recipes) == 1
    assert recipes[0].first_solutions == OPTIONAL_CHAIN


def test_mandatory_days_with_breaks_are_not_raced() -> None:
    lunch = Break(earliest_start=hours(12), latest_end=hours(14), duration=1800)
    day = problem([tech(break_=lunch)], [job(NEAR, drop_penalty=None), job(MID, drop_penalty=None)])
    assert len(portfolio_for(day, SolveParams())) == 1


def test_large_days_start_from_savings_or_by_penalty() -> None:
    many = problem([tech()], [job(NEAR, drop_penalty=None)] * LARGE)
    assert recipe_for(many, SolveParams()).first_solutions[0] == "SAVINGS"
    optional = problem([tech()], [job(NEAR)] * LARGE)
    assert recipe_for(optional, SolveParams()).first_solutions == LARGE_OPTIONAL_CHAIN
    assert len(portfolio_for(optional, SolveParams())) == 1


def test_overrides_win_over_the_features() -> None:
    params = SolveParams(first_solution="SAVINGS", local_search="tabu_search")
    recipe = recipe_for(mandatory_day(), params)
    assert recipe.first_solutions[0] == "SAVINGS"
    assert recipe.metaheuristic == "tabu_search"


def test_search_parameters_carry_the_recipe_and_the_time_limit() -> None:
    recipe = Recipe(first_solutions=("SAVINGS",), metaheuristic="guided_local_search", gls_lambda=0.3)
    sp = search_parameters(recipe, "SAVINGS", time_limit=2.5, params=SolveParams())
    assert sp.first_solution_strategy == routing_enums_pb2.FirstSolutionStrategy.SAVINGS
    assert sp.local_search_metaheuristic == routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    assert sp.guided_local_search_lambda_coefficient == 0.3
    assert sp.time_limit.ToMilliseconds() == 2500


def test_a_solution_limit_sets_no_time_limit() -> None:
    recipe = Recipe(first_solutions=("SAVINGS",), metaheuristic="guided_local_search")
    sp = search_parameters(recipe, "SAVINGS", time_limit=2.5, params=SolveParams(solution_limit=7))
    assert sp.solution_limit == 7
    assert not sp.HasField("time_limit")  # the count alone bounds the search


def test_the_search_needs_some_limit() -> None:
    recipe = Recipe(first_solutions=("SAVINGS",), metaheuristic="guided_local_search")
    with pytest.raises(ValueError, match="needs a time_limit or a solution_limit"):
        search_parameters(recipe, "SAVINGS", time_limit=None, params=SolveParams())


def test_iterated_local_search_recipe_sets_ruin_and_recreate() -> None:
    recipe = Recipe(first_solutions=("SAVINGS",), metaheuristic="iterated_local_search", ils_avg_removed=7)
    sp = search_parameters(recipe, "SAVINGS", time_limit=1, params=SolveParams())
    assert sp.use_iterated_local_search
    ruin = sp.iterated_local_search_parameters.ruin_recreate_parameters.ruin_strategies
    assert ruin[0].sisr.avg_num_removed_visits == 7


def _three_stop_model() -> pywrapcp.RoutingModel:
    """One vehicle, three mandatory stops on a line: the optimum visits them in order (cost 6)."""
    manager = pywrapcp.RoutingIndexManager(4, 1, 0)
    routing = pywrapcp.RoutingModel(manager)
    pos = [0, 1, 2, 3]
    cb = routing.RegisterTransitMatrix([[abs(a - b) for b in pos] for a in pos])
    routing.SetArcCostEvaluatorOfAllVehicles(cb)
    return routing


class _FirstStrategyFails:
    """A routing model whose first solution fails for PATH_CHEAPEST_ARC, as it can on a tight fixed fleet."""

    def __init__(self) -> None:
        self.model = _three_stop_model()
        self.tried: list[int] = []

    def solver(self) -> pywrapcp.Solver:
        return self.model.solver()

    def SolveWithParameters(self, sp):  # noqa: N802 - the OR-Tools name
        self.tried.append(sp.first_solution_strategy)
        if sp.first_solution_strategy == routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC:
            return None
        return self.model.SolveWithParameters(sp)


def test_a_failing_first_strategy_falls_back_to_the_next() -> None:
    routing = _FirstStrategyFails()
    recipe = Recipe(first_solutions=("PATH_CHEAPEST_ARC", "SAVINGS"), metaheuristic="greedy_descent")
    out = execute(routing, recipe, time_limit=5, seed=0, params=SolveParams(solution_limit=20))  # type: ignore[arg-type]
    fss = routing_enums_pb2.FirstSolutionStrategy
    assert routing.tried == [fss.PATH_CHEAPEST_ARC, fss.SAVINGS]
    assert out.status == "feasible"
    assert out.assignment is not None
    assert out.assignment.ObjectiveValue() == 6


def test_no_strategy_working_is_reported_as_infeasible() -> None:
    routing = _three_stop_model()
    routing.VehicleVar(1).SetValues([-1])  # a mandatory stop no vehicle may serve
    recipe = Recipe(first_solutions=("SAVINGS", "PATH_CHEAPEST_ARC"), metaheuristic="greedy_descent")
    out = execute(routing, recipe, time_limit=5, seed=0, params=SolveParams(solution_limit=20))
    assert out.status == "infeasible"
    assert out.assignment is None


@pytest.mark.determinism
def test_same_seed_and_solution_limit_repeat_on_a_mandatory_day() -> None:
    params = SolveParams(solution_limit=30)
    day = mandatory_day()
    a = solve(day, time_limit=10, seed=3, params=params)
    b = solve(day, time_limit=10, seed=3, params=params)
    assert [r.visits for r in a.routes] == [r.visits for r in b.routes]
    assert a.objective == b.objective
    assert not a.unassigned


def test_default_search_serves_a_mandatory_day_completely() -> None:
    s = solve(mandatory_day(), time_limit=10, seed=0, params=SolveParams(solution_limit=50))
    assert s.status != "infeasible"
    assert sorted(j for r in s.routes for j in r.visits) == list(range(5))


def test_pure_vrptw_races_guided_local_search_against_ruin_and_recreate() -> None:
    recipes = portfolio_for(mandatory_day(), SolveParams())
    assert [r.metaheuristic for r in recipes] == ["iterated_local_search", "guided_local_search"]
    assert len(portfolio_for(mandatory_day(), SolveParams(local_search="greedy_descent"))) == 1


def _twenty_stops() -> pywrapcp.RoutingModel:
    """Three vans of capacity 8 for 20 unit-demand stops on a seeded grid: enough to make the race real."""
    rng = np.random.default_rng(7)
    pts = rng.integers(0, 100, size=(21, 2))
    dist = np.rint(np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))).astype(int)
    manager = pywrapcp.RoutingIndexManager(21, 3, 0)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(dist.tolist()))
    demand = routing.RegisterUnaryTransitVector([0] + [1] * 20)
    routing.AddDimensionWithVehicleCapacity(demand, 0, [8, 8, 8], True, "load")
    return routing


@pytest.mark.determinism
def test_race_gives_the_same_routes_in_parallel_and_one_after_the_other() -> None:
    recipes = (
        Recipe(first_solutions=("SAVINGS",), metaheuristic="guided_local_search"),
        Recipe(first_solutions=("LOCAL_CHEAPEST_INSERTION",), metaheuristic="iterated_local_search"),
    )
    params = SolveParams(solution_limit=40)
    results = []
    for parallel in (True, False):
        routing = _twenty_stops()
        out = race(routing, recipes, time_limit=20, seed=1, params=params, fork=parallel)
        assert out.assignment is not None
        results.append((out.assignment.ObjectiveValue(), routes_of(routing, out.assignment)))
    assert results[0] == results[1]


def test_snapshot_restores_routes_and_times() -> None:
    routing = _twenty_stops()
    time_cb = routing.RegisterTransitCallback(lambda i, j: 5)
    routing.AddDimension(time_cb, 100, 1000, False, "time")  # slack: restoring alone may pick other times
    out = execute(
        routing,
        Recipe(("SAVINGS",), "greedy_descent"),
        time_limit=5,
        seed=0,
        params=SolveParams(solution_limit=5),
    )
    assert out.assignment is not None
    snap = snapshot(routing, out.assignment)
    restored = restore(routing, snap)
    assert restored is not None
    assert snapshot(routing, restored) == snap


def test_recipe_is_frozen() -> None:
    recipe = recipe_for(mandatory_day(), SolveParams())
    assert replace(recipe, gls_lambda=0.5) != recipe


def test_solve_from_start_routes_never_costs_more_than_inserting_into_them() -> None:
    p = problem([tech(), tech(HOME2)], [job(NEAR, drop_penalty=10**6), job(MID, drop_penalty=10**6),
                                          job(NEAR, drop_penalty=10**6)])
    start = [[], [0]]  # visit 0 on the far technician: a poor plan to improve on
    s = solve(p, time_limit=5.0, seed=0, params=PARAMS, start=start)
    assert_consistent(p, s)
    assert s.objective <= greedy_solve(p, start).objective
    assert {j for r in s.routes for j in r.visits} == {0, 1, 2}


@pytest.mark.determinism
def test_sequential_and_fork_races_give_the_same_plan_under_a_solution_limit() -> None:
    day = mandatory_day()
    assert len(portfolio_for(day, SolveParams())) == 2  # the day is raced
    plans = []
    for portfolio in ("race_sequential", "race_fork"):
        s = solve(day, time_limit=0.01, seed=2, params=SolveParams(solution_limit=30, portfolio=portfolio))
        plans.append((s.routes, s.objective, s.solutions_found))
    assert plans[0] == plans[1]


def test_progress_records_each_solution_on_the_plans_scale() -> None:
    # one order already late when the day starts (its lateness is certain, which the model leaves out) and
    # one that needs a skill nobody has (never in the model): the points must still read as plan costs
    late = job(NEAR, deadline=hours(7), lateness_cost=10)
    nobody = job(MID, skills=frozenset({2}))
    # late whoever goes, and of the most urgent class, whose lateness the search weighs more than the plan
    urgent = job(MID2, deadline=hours(8), lateness_cost=100)
    day = problem([tech(), tech()], [late, nobody, urgent, job(NEAR2), job(NEAR3)])
    s = solve(day, time_limit=10, seed=0, params=SolveParams(solution_limit=40, portfolio="single", profile=True))
    assert s.progress, "every solution the search finds is recorded"
    assert [p.wall for p in s.progress] == sorted(p.wall for p in s.progress)
    assert min(p.objective for p in s.progress) == s.objective
    assert s.costs["response deadline"] > 36_000  # the urgent visit's lateness is in it
    assert "Relocate" in s.search_profile


def test_progress_is_recorded_without_the_profile() -> None:
    s = solve(mandatory_day(), time_limit=10, seed=0, params=SolveParams(solution_limit=20))
    assert s.progress
    assert s.search_profile == ""


def test_a_timed_search_that_stops_gaining_ends_before_its_time_limit() -> None:
    # guided local search never proves the optimum: without the stall stop it would run its whole minute
    routing = _three_stop_model()
    kept = stop_when_stalled(routing, 0.5)
    recipe = Recipe(first_solutions=("PATH_CHEAPEST_ARC",), metaheuristic="guided_local_search")
    sp = search_parameters(recipe, "PATH_CHEAPEST_ARC", time_limit=60.0, params=SolveParams())
    began = time.monotonic()
    assignment = routing.SolveWithParameters(sp)
    assert assignment is not None
    assert assignment.ObjectiveValue() == 6
    assert time.monotonic() - began < 30  # stopped by the stall, far from the time limit, however busy
    assert kept


def test_a_dispatch_day_gets_its_search_time_whether_the_local_search_stalls_or_not() -> None:
    # timed: the local search stops when it stalls and ruin and recreate has the rest; the plan is valid
    p = problem([tech(), tech()], [job(NEAR), job(NEAR2), job(NEAR3), job(MID), job(MID2)])
    s = solve(p, time_limit=3, seed=0, params=SolveParams(cores=1))
    assert sorted(j for r in s.routes for j in r.visits) == list(range(5))
    assert_consistent(p, s)


def test_a_stall_cap_ends_the_local_search_even_before_it_stalls(monkeypatch: pytest.MonkeyPatch) -> None:
    # the lever benchmarks.stall_tune measures: hand over to ruin and recreate at a fixed share of the time
    import solver.search

    monkeypatch.setattr(solver.search, "STALL_CAP", 0.1)
    routing = _three_stop_model()
    kept = stop_when_stalled(routing, 20.0)  # 20 s without gain would end it only after 20 s; the cap at 2 s
    recipe = Recipe(first_solutions=("PATH_CHEAPEST_ARC",), metaheuristic="guided_local_search")
    sp = search_parameters(recipe, "PATH_CHEAPEST_ARC", time_limit=60.0, params=SolveParams())
    began = time.monotonic()
    assignment = routing.SolveWithParameters(sp)
    assert assignment is not None
    assert time.monotonic() - began < 15
    assert kept


def random_vrptw(customers: int = 40, seed: int = 3) -> Instance:
    """A seeded Solomon-like instance: a central depot, windows every customer can be reached in and
    returned from, one capacity."""
    rng = np.random.default_rng(seed)
    ready = [int(r) for r in rng.integers(100, 600, customers)]
    return Instance(name=f"random{seed}", x=(50, *map(int, rng.integers(0, 100, customers))),
                    y=(50, *map(int, rng.integers(0, 100, customers))), demand=(0, *map(int, rng.integers(1, 20, customers))),
                    ready=(0, *ready), due=(1000, *(r + int(w) for r, w in zip(ready, rng.integers(60, 200, customers), strict=True))),
                    service=(0, *[10] * customers), capacity=100, num_vehicles=10)


@pytest.mark.determinism
def test_ils_walk_repeats_under_a_solution_limit_and_never_costs_more_than_its_local_search() -> None:
    inst = random_vrptw()
    day = inst.problem()
    bounded = SolveParams(solution_limit=30)
    alone = solve(day, time_limit=0.01, seed=1, params=replace(bounded, portfolio="single",
                                                                local_search="iterated_local_search"))
    plans = [solve(day, time_limit=0.01, seed=1, params=replace(bounded, portfolio="ils_walk", cores=2))
             for _ in range(2)]
    assert plans[0].routes == plans[1].routes
    for s in (alone, plans[0]):
        assert s.status != "infeasible"
        assert_consistent(day, s)
        checked = evaluate(inst, [[j + 1 for j in r.visits] for r in s.routes if r.visits])
        assert checked.feasible, checked.errors
    # a plain day the insertion serves in full: both cores walk (solver/vrptw.py), and beat the local search
    assert plans[0].objective <= alone.objective
    # one core: the local search alone
    one = solve(day, time_limit=0.01, seed=1, params=replace(bounded, portfolio="ils_walk", cores=1))
    assert (one.routes, one.objective) == (alone.routes, alone.objective)


def test_ils_walk_leaves_days_with_optional_visits_to_their_own_search() -> None:
    day = optional_day()
    bounded = SolveParams(solution_limit=20)
    assert solve(day, time_limit=0.01, seed=0, params=replace(bounded, portfolio="ils_walk")).routes == \
        solve(day, time_limit=0.01, seed=0, params=bounded).routes
