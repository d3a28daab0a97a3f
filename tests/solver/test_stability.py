"""A re-plan's stability costs: a visit keeps its technician unless moving it clearly pays, a start does
not slide past its previous ETA for nothing, and `max_moves` caps how many visits change hands."""

from __future__ import annotations

from solver.rules import ETA_SHIFT, REASSIGNMENT, TRAVEL
from tests.solver.conftest import HOME, HOME2, MID, MID2, NEAR, NEAR3, hours, job, problem, run, tech


def _vehicles_of(s) -> dict[int, int]:
    return {j: r.vehicle for r in s.routes for j in r.visits}


def test_a_visit_stays_with_its_technician_when_moving_it_saves_less_than_the_reassign_cost() -> None:
    # NEAR3 (km 3) is 8 km of driving cheaper from HOME (km 0) than from HOME2 (km 10): 8,000 units
    visit = job(NEAR3, previous_vehicle=1)
    stays = run(problem([tech(HOME), tech(HOME2)], [visit], reassign_cost=20_000))
    assert _vehicles_of(stays) == {0: 1}
    assert stays.costs[REASSIGNMENT] == 0
    moves = run(problem([tech(HOME), tech(HOME2)], [visit], reassign_cost=2_000))
    assert _vehicles_of(moves) == {0: 0}
    assert moves.costs[REASSIGNMENT] == 2_000
    assert moves.costs[TRAVEL] == 6_000


def test_max_moves_caps_the_visits_that_change_technician() -> None:
    visits = [job(NEAR, previous_vehicle=1), job(NEAR3, previous_vehicle=1)]
    free = run(problem([tech(HOME), tech(HOME2)], visits))
    assert _vehicles_of(free) == {0: 0, 1: 0}
    capped = run(problem([tech(HOME), tech(HOME2)], visits, max_moves=1))
    assert sorted(_vehicles_of(capped).values()) == [0, 1]
    assert capped.costs[TRAVEL] > free.costs[TRAVEL]
    none = run(problem([tech(HOME), tech(HOME2)], visits, max_moves=0))
    assert _vehicles_of(none) == {0: 1, 1: 1}


def test_new_visits_cost_no_reassignment() -> None:
    s = run(problem([tech(HOME), tech(HOME2)], [job(NEAR), job(MID2)], reassign_cost=10**9))
    assert s.costs[REASSIGNMENT] == 0
    assert _vehicles_of(s) == {0: 0, 1: 1}


def test_the_order_that_keeps_the_previous_etas_wins_a_tie_in_travel() -> None:
    # home -> NEAR -> MID -> home and home -> MID -> NEAR -> home both drive 10 km; MID was told 08:05
    visits = [job(MID, previous_start=hours(8) + 5 * 60), job(NEAR, previous_start=hours(8) + 40 * 60)]
    s = run(problem([tech(HOME)], visits, shift_cost=10))
    assert s.routes[0].visits == (0, 1)
    assert s.costs[ETA_SHIFT] == 0


def test_a_shift_beyond_the_tolerance_costs_per_second_and_lateness_still_counts() -> None:
    # only one technician and NEAR must come first (window), so MID starts at 08:35 + 4 min = 08:39
    visits = [job(MID, previous_start=hours(8) + 5 * 60, deadline=hours(8) + 10 * 60, lateness_cost=3),
              job(NEAR, window=(hours(8), hours(8) + 5 * 60))]
    s = run(problem([tech(HOME)], visits, shift_cost=10))
    assert s.routes[0].visits == (1, 0)
    start = s.routes[0].starts[1]
    assert start == hours(8) + 35 * 60
    assert s.costs[ETA_SHIFT] == (start - (hours(8) + 5 * 60) - 15 * 60) * 10
    assert s.objective == sum(s.costs.values())
    assert s.costs["response deadline"] == (start - (hours(8) + 10 * 60)) * 3
