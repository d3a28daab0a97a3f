"""The compiled walk priced by working time (solver/spanwalk.py) and how solve() uses it."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from benchmarks import trsp
from solver import Problem, SolveParams, solve, spanwalk
from solver.construct import greedy_solve
from solver.problem import WORKING_TIME
from tests.solver.checker import assert_consistent
from tests.solver.test_fieldwalk import built_day

PILLAC = Path(__file__).resolve().parents[3] / "shared/benchmarks/trsp_pillac/crew25/RC103.100_25-5-5-5.txt"
needs_pillac = pytest.mark.skipif(not PILLAC.exists(), reason="the shared Pillac instances are not here")


@cache
def pillac() -> tuple[trsp.TrspInstance, Problem]:
    """A Pillac TRSP instance as its runner builds it: skills and tools, van stock, windows, working time."""
    inst = trsp.read_trsp(PILLAC)
    return inst, trsp.build_problem(inst, trsp.via_depot(inst))


def test_it_serves_working_time_days_and_leaves_the_others_to_the_field_walk() -> None:
    day = built_day().problem
    assert not spanwalk.fits(day)  # breaks, deadlines, no working-time cost
    assert not spanwalk.fits(replace(day, span_cost=1))  # breaks still
    free = replace(day, span_cost=1, vehicles=tuple(replace(v, break_=None) for v in day.vehicles),
                   visits=tuple(replace(x, deadline=None, lateness_cost=0) for x in day.visits))
    assert spanwalk.fits(free)


@needs_pillac
def test_its_working_time_is_the_rule_books() -> None:
    from solver import _span_kernel as kernel

    _, p = pillac()
    start = greedy_solve(p, explain=False)
    a = np.asarray
    dur = a(p.durations, dtype=np.int64)
    loc = a([x.location for x in p.visits], dtype=np.int64)
    svc = a([x.service for x in p.visits], dtype=np.int64)
    opn = a([x.window[0] if x.window else 0 for x in p.visits], dtype=np.int64)
    cls = a([x.window[1] if x.window else 10**12 for x in p.visits], dtype=np.int64)
    vs, ve = a([v.start for v in p.vehicles], dtype=np.int64), a([v.end for v in p.vehicles], dtype=np.int64)
    ss = a([v.shift_start for v in p.vehicles], dtype=np.int64)
    se = a([v.shift_end for v in p.vehicles], dtype=np.int64)
    rt = np.zeros((len(p.vehicles), len(p.visits) + 1), dtype=np.int64)
    total = 0
    for r in start.routes:
        rt[r.vehicle, :len(r.visits)] = r.visits
        total += kernel._span(r.vehicle, rt, len(r.visits), -1, 0, loc, svc, opn, cls, vs, ve, ss, se, dur)
    assert total == start.costs[WORKING_TIME] > 0


@needs_pillac
def test_a_walk_keeps_every_rule_lowers_the_cost_and_depends_on_the_seed_alone() -> None:
    inst, p = pillac()
    assert spanwalk.fits(p)
    start = greedy_solve(p, explain=False)
    walk = spanwalk.improve(p, start, seed=3, steps=2000)
    assert_consistent(p, walk.best)
    assert walk.best.objective < start.objective
    assert len(walk.best.unassigned) <= len(start.unassigned)
    again = spanwalk.improve(p, start, seed=3, steps=2000)
    assert [r.visits for r in again.best.routes] == [r.visits for r in walk.best.routes]
    routes = trsp._with_depots(inst, trsp._engine_routes(walk.best, len(inst.technicians)) or [])
    assert not [e for e in trsp.evaluate(inst, routes).errors if "not served" not in e]


@needs_pillac
def test_solve_walks_with_it_under_a_solution_limit_and_gives_one_plan_per_seed() -> None:
    _, p = pillac()
    params = SolveParams(solution_limit=20)
    one = solve(p, time_limit=30, seed=0, params=params)
    two = solve(p, time_limit=30, seed=0, params=params)
    assert_consistent(p, one)
    assert [r.visits for r in one.routes] == [r.visits for r in two.routes]
    assert one.objective == two.objective
