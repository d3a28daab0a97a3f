"""The compiled ruin and recreate of plain VRPTW days (solver/vrptw.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from benchmarks.solomon import evaluate
from solver import Break, SolveParams, solve
from solver.construct import greedy_solve
from solver.vrptw import improve, plain
from tests.solver.checker import assert_consistent
from tests.solver.test_search import random_vrptw


def _served(s):  # customer numbers per used route, as the DIMACS check reads them
    return [[j + 1 for j in r.visits] for r in s.routes if r.visits]


def test_plain_days_are_those_whose_only_rules_are_windows_stock_and_shifts() -> None:
    day = random_vrptw().problem()
    assert plain(day)
    assert plain(replace(day, visits=tuple(replace(x, drop_penalty=10**6) for x in day.visits)))
    lunch = Break(earliest_start=200, latest_end=800, duration=30)
    assert not plain(replace(day, vehicles=tuple(replace(v, break_=lunch) for v in day.vehicles)))
    assert not plain(replace(day, vehicles=tuple(replace(v, max_visits=5) for v in day.vehicles)))
    assert not plain(replace(day, span_cost=1))
    assert not plain(replace(day, visits=(replace(day.visits[0], crew=2), *day.visits[1:])))
    assert not plain(replace(day, visits=(replace(day.visits[0], deadline=300, lateness_cost=1), *day.visits[1:])))
    assert not plain(replace(day, visits=(replace(day.visits[0], pinned=0), *day.visits[1:])))


def test_the_walk_repeats_with_its_seed_keeps_every_rule_and_beats_the_insertion() -> None:
    inst = random_vrptw(customers=60, seed=4)
    day = inst.problem()
    start = greedy_solve(day, explain=False)
    walks = [improve(day, start, seed=7, steps=3000) for _ in range(2)]
    assert walks[0].best.routes == walks[1].best.routes
    best = walks[0].best
    assert_consistent(day, best)
    assert not best.unassigned
    checked = evaluate(inst, _served(best))
    assert checked.feasible, checked.errors
    assert best.objective < start.objective
    assert walks[0].steps == 3000


def test_the_walk_never_trades_a_mandatory_visit_for_distance() -> None:
    # a window only a far detour reaches: leaving it out would save travel, but the day must serve it
    inst = random_vrptw(customers=30, seed=5)
    day = inst.problem()
    best = improve(day, greedy_solve(day, explain=False), seed=1, steps=2000).best
    assert not best.unassigned
    assert_consistent(day, best)


def test_the_walk_needs_a_plain_day_and_a_bound() -> None:
    day = random_vrptw().problem()
    start = greedy_solve(day, explain=False)
    with pytest.raises(ValueError, match="steps or a deadline"):
        improve(day, start, seed=0)
    with pytest.raises(ValueError, match="plain VRPTW"):
        improve(replace(day, span_cost=1), start, seed=0, steps=10)


@pytest.mark.determinism
def test_ils_walk_on_a_plain_day_repeats_and_serves_everyone() -> None:
    inst = random_vrptw(customers=50, seed=6)
    day = inst.problem()
    params = SolveParams(solution_limit=20, portfolio="ils_walk", cores=2)
    plans = [solve(day, time_limit=0.01, seed=3, params=params) for _ in range(2)]
    assert plans[0].routes == plans[1].routes
    assert plans[0].status == "feasible"
    assert_consistent(day, plans[0])
    checked = evaluate(inst, _served(plans[0]))
    assert checked.feasible, checked.errors


def test_a_visit_whose_window_no_route_reaches_is_left_out_at_its_penalty() -> None:
    inst = random_vrptw(customers=20, seed=2)
    day = inst.problem()
    # visit 0 opens after every shift has ended: the walk can only leave it out
    end = max(v.shift_end for v in day.vehicles)
    visits = (replace(day.visits[0], window=(end + 10, end + 20), drop_penalty=10**6),
              *(replace(x, drop_penalty=10**6) for x in day.visits[1:]))
    optional = replace(day, visits=visits)
    best = improve(optional, greedy_solve(optional, explain=False), seed=0, steps=500).best
    assert [j for j, _ in best.unassigned] == [0]
    assert_consistent(optional, best)
    assert np.isfinite(best.objective)
