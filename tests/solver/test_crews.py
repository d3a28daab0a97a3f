"""Crews (visits for several technicians) and multi-day vehicles: each rule where it binds and where it
does not. On the straight road of conftest; every solution goes through the test checker (`run`)."""

from __future__ import annotations

from solver import CREW, MAX_ORDERS, Solution
from solver.params import SolveParams
from solver.problem import DAY
from tests.solver.conftest import HOME, HOME2, MID, NEAR, hours, job, problem, run, tech

HVAC, ELEC = 0, 1


def crew_of(s: Solution, visit: int) -> tuple[int, ...]:
    return dict(s.crews).get(visit, ())


def starts_of(s: Solution, visit: int) -> list[int]:
    return [t for r in s.routes for j, t in zip(r.visits, r.starts, strict=True) if j == visit]


def test_a_two_person_job_takes_two_technicians_who_start_together() -> None:
    # the near technician is free at once, the far one arrives later: the near one waits for the far one
    s = run(problem([tech(HOME, skills=frozenset({HVAC})), tech(HOME2, skills=frozenset({ELEC}))],
                    [job(NEAR, skills=frozenset({HVAC, ELEC}), crew=2)]))
    assert sorted(crew_of(s, 0)) == [0, 1]
    first, second = starts_of(s, 0)
    assert first == second
    assert s.unassigned == ()


def test_a_one_person_job_with_the_same_skills_needs_one_technician() -> None:
    # where the rule does not bind: the job goes to the one technician who holds both skills
    s = run(problem([tech(HOME, skills=frozenset({HVAC, ELEC})), tech(HOME2, skills=frozenset({ELEC}))],
                    [job(NEAR, skills=frozenset({HVAC, ELEC}))]))
    assert [r.vehicle for r in s.routes if 0 in r.visits] == [0]
    assert s.crews == ()


def test_together_they_must_hold_every_skill() -> None:
    # two technicians, neither holds ELEC at level 2: no crew covers the job
    s = run(problem([tech(HOME, skills=frozenset({HVAC, ELEC})), tech(HOME2, skills=frozenset({ELEC}))],
                    [job(NEAR, skills=frozenset({HVAC, ELEC}), levels=(0, 2), crew=2)]))
    assert [j for j, _ in s.unassigned] == [0]
    assert s.unassigned[0][1].rule == CREW


def test_one_technician_on_the_day_cannot_make_a_crew() -> None:
    s = run(problem([tech(HOME, skills=frozenset({HVAC}))], [job(NEAR, skills=frozenset({HVAC}), crew=2)]))
    assert s.unassigned[0][1].rule == CREW


def test_a_refused_technician_is_never_in_the_crew() -> None:
    s = run(problem([tech(HOME), tech(HOME2), tech(HOME)], [job(NEAR, crew=2, forbidden=frozenset({0}))]))
    assert sorted(crew_of(s, 0)) == [1, 2]


def test_the_parts_come_from_the_one_van_that_carries_them() -> None:
    # only vehicle 1 carries the part: it leads the crew, vehicle 0's van gives nothing
    s = run(problem([tech(HOME), tech(HOME2, stock=(1, 0))], [job(NEAR, crew=2, parts=(1, 0))]))
    assert crew_of(s, 0)[0] == 1


def test_a_pinned_crew_includes_the_pinned_technician() -> None:
    s = run(problem([tech(HOME), tech(HOME), tech(HOME2)], [job(NEAR, crew=2, pinned=2)]))
    assert 2 in crew_of(s, 0)


def test_a_crew_keeps_its_common_start_when_other_jobs_fill_the_routes() -> None:
    jobs = [job(NEAR, skills=frozenset({HVAC, ELEC}), crew=2, minutes=90), job(MID, minutes=60), job(NEAR, minutes=45),
            job(MID, minutes=30, window=(hours(13), hours(14)))]
    s = run(problem([tech(HOME, skills=frozenset({HVAC})), tech(HOME2, skills=frozenset({ELEC}))], jobs))
    starts = starts_of(s, 0)
    assert len(starts) == 2
    assert len(set(starts)) == 1


def test_the_same_seed_and_solution_limit_give_the_same_crews() -> None:
    jobs = [job(NEAR, crew=2), job(MID), job(NEAR, crew=2, minutes=60), job(MID, minutes=20)]
    p = problem([tech(HOME), tech(HOME2), tech(HOME)], jobs)
    params = SolveParams(solution_limit=50)
    first, again = run(p, params), run(p, params)
    assert (first.routes, first.crews, first.objective) == (again.routes, again.crews, again.objective)
    assert len(first.crews) == 2


def test_a_crew_of_the_second_day_when_the_first_has_one_technician() -> None:
    # technician 0 works days 0 and 1, technician 1 only day 1: the crew can only meet on day 1
    vehicles = [tech(HOME, technician=0), tech(HOME, shift=(8 + 24, 17 + 24), day=1, technician=0),
                tech(HOME2, shift=(8 + 24, 17 + 24), day=1, technician=1)]
    s = run(problem(vehicles, [job(NEAR, crew=2)]))
    assert sorted(crew_of(s, 0)) == [1, 2]
    assert starts_of(s, 0)[0] >= DAY


def test_a_daily_window_holds_on_whichever_day_the_visit_is_served() -> None:
    # day 0 is full (max 0 visits): the 09:00-10:00 appointment is kept at 09:00-10:00 of day 1
    vehicles = [tech(HOME, technician=0, max_visits=0), tech(HOME, shift=(8 + 24, 17 + 24), day=1, technician=0)]
    s = run(problem(vehicles, [job(NEAR, window=(hours(9), hours(10)), daily=True)]))
    (start,) = starts_of(s, 0)
    assert DAY + hours(9) <= start <= DAY + hours(10)


def test_a_window_that_is_not_daily_stays_on_its_day() -> None:
    vehicles = [tech(HOME, technician=0, max_visits=0), tech(HOME, shift=(8 + 24, 17 + 24), day=1, technician=0)]
    s = run(problem(vehicles, [job(NEAR, window=(hours(9), hours(10)))]))
    # the day-1 vehicle misses the window; the day-0 one is at its cap
    assert [(j, r.rule) for j, r in s.unassigned] == [(0, MAX_ORDERS)]


def test_on_a_horizon_a_visit_worth_less_than_a_day_of_lateness_waits() -> None:
    # day 0 is full; on day 1 the visit would be 24 h late at 1 per second: more than its penalty
    vehicles = [tech(HOME, technician=0, max_visits=0), tech(HOME, shift=(8 + 24, 17 + 24), day=1, technician=0)]
    cheap = job(NEAR, deadline=hours(9), lateness_cost=1, drop_penalty=hours(10))
    dear = job(NEAR, deadline=hours(9), lateness_cost=1, drop_penalty=hours(30))
    assert [j for j, _ in run(problem(vehicles, [cheap])).unassigned] == [0]
    assert [j for j, _ in run(problem(vehicles, [dear])).unassigned] == []


def test_a_working_time_cost_splits_a_day_of_waiting_between_two_technicians() -> None:
    # appointments at 09:00 and 15:00 next door: one technician doing both waits five hours in between, which
    # only a costed span sees; a colleague starting at 14:00 takes the afternoon one for 2 km more driving
    vehicles = [tech(HOME), tech(HOME, shift=(14, 17))]
    jobs = [job(NEAR, window=(hours(9), hours(9.5))), job(NEAR, window=(hours(15), hours(15.5)))]
    travel_only = run(problem(vehicles, jobs))
    assert [r.visits for r in travel_only.routes] == [(0, 1), ()]
    assert travel_only.costs["working time"] == 0  # not costed, not counted
    spans = run(problem(vehicles, jobs, span_cost=1))
    assert [r.visits for r in spans.routes] == [(0,), (1,)]
    assert spans.costs["working time"] == sum(r.back - r.depart for r in spans.routes if r.visits) < hours(3)


def test_a_crew_worth_less_than_its_lateness_is_left_out() -> None:
    # due at 08:00, it cannot start before about 08:02: at 100 per second late, two minutes outweigh a penalty of
    # 1,000, while a penalty of a million keeps it
    late = {"deadline": hours(8), "lateness_cost": 100}
    vehicles = [tech(HOME), tech(HOME)]
    assert [j for j, _ in run(problem(vehicles, [job(NEAR, crew=2, drop_penalty=1_000, **late)])).unassigned] == [0]
    assert run(problem(vehicles, [job(NEAR, crew=2, drop_penalty=1_000_000, **late)])).unassigned == ()
