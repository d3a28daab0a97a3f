"""The day simulator (dispatch.simulation) on its own: a plan followed stop by stop, the noise keyed by what it
is about, the outcome share binding at 0 and at 1."""

from __future__ import annotations

from itertools import pairwise

import pytest

from dispatch.analysis.checker import check_plan
from dispatch.demo_days import scenario
from dispatch.domain import Day
from dispatch.events import EventKind
from dispatch.plan import Plan
from dispatch.planning import plan_day
from dispatch.policy import Policy
from dispatch.simulation import Execution, Noise, SimConfig


@pytest.fixture(scope="module")
def small() -> tuple[Day, Plan]:
    day = scenario("small")
    plan = plan_day(day, Policy(seed=1, time_limit=5, solution_limit=5))
    assert check_plan(day, plan).violations == []
    return day, plan


def _run(day: Day, plan: Plan, **noise: float) -> Execution:
    cfg = SimConfig(orders=len(day.orders), technicians=len(day.technicians), seed=3, plan_date=day.date,
                    absent_at=None, **noise)  # type: ignore[arg-type]
    start = min(t.shift_start for t in day.technicians)
    return Execution(cfg, day, plan, start, Noise(cfg), None, None, lambda *_: []).run()


def test_technicians_follow_their_planned_routes_in_order(small: tuple[Day, Plan]) -> None:
    day, plan = small
    ex = _run(day, plan, unresolved_share=0.0)
    planned = {s.order_id: (r.technician_id, i) for r in plan.routes for i, s in enumerate(r.stops)}
    assert ex.visits
    assert {v.order_id for v in ex.visits} <= set(planned)
    for tech in {v.technician_id for v in ex.visits}:
        mine = [v for v in ex.visits if v.technician_id == tech]
        assert all(planned[v.order_id][0] == tech for v in mine)
        assert [planned[v.order_id][1] for v in mine] == sorted(planned[v.order_id][1] for v in mine)
        assert all(a.end <= b.departed for a, b in pairwise(mine))
    assert all(v.departed <= v.arrival <= v.start < v.end for v in ex.visits)
    orders = {o.id: o for o in day.orders}
    assert all(v.start >= orders[v.order_id].window_start for v in ex.visits  # type: ignore[operator]
               if orders[v.order_id].window_start is not None)
    assert ex.closed == {v.order_id for v in ex.visits}  # nothing left unresolved at share 0


def test_each_visit_reports_departed_arrived_started_and_its_outcome(small: tuple[Day, Plan]) -> None:
    day, plan = small
    ex = _run(day, plan, unresolved_share=1.0)
    assert ex.visits
    assert not ex.closed  # every visit unresolved at share 1
    events = ex.known_events()
    assert [e.time for e in events] == sorted(e.time for e in events)
    for v in ex.visits:
        mine = [(e.kind, e.time) for e in events if e.order_id == v.order_id]
        assert mine == [(EventKind.DEPARTED, v.departed), (EventKind.ARRIVED, v.arrival),
                        (EventKind.STARTED, v.start), (EventKind.UNRESOLVED, v.end)]


def test_the_same_seed_gives_the_same_day_and_another_seed_another(small: tuple[Day, Plan]) -> None:
    day, plan = small
    a, b = _run(day, plan), _run(day, plan)
    assert a.visits == b.visits
    assert a.events == b.events
    cfg = SimConfig(orders=len(day.orders), technicians=len(day.technicians), seed=4, plan_date=day.date,
                    absent_at=None)
    other = Execution(cfg, day, plan, min(t.shift_start for t in day.technicians), Noise(cfg), None, None,
                      lambda *_: []).run()
    assert [v.end for v in other.visits] != [v.end for v in a.visits]
