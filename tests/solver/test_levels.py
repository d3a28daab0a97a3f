"""Skill levels, refused and preferred technicians: each rule where it binds and where it does not.

On the straight road of conftest: vehicle 0 lives at km 0, vehicle 1 at km 10; the job sits at km 1
(NEAR). Vehicle 0 drives 2 km there and back (2,000 m), vehicle 1 drives 18 km (18,000 m), so vehicle 1
costs 16,000 more in travel at 1 per metre.
"""

from __future__ import annotations

import pytest

from solver import OVER_QUALIFICATION, PREFERRED_TECHNICIAN, REFUSED_TECHNICIAN, REQUIRED_SKILL, Reason, rules
from tests.solver.conftest import HOME2, NEAR, job, problem, run, tech

HVAC = 0


def near_and_far(near_level: int, far_level: int) -> tuple[object, object]:
    levels = (near_level, far_level)
    return tuple(tech(home, skills=frozenset({HVAC}), levels=(lv,)) for home, lv in zip((0, HOME2), levels, strict=True))


def served_by(s: object, visit: int = 0) -> int | None:
    for r in s.routes:  # type: ignore[attr-defined]
        if visit in r.visits:
            return int(r.vehicle)
    return None


def test_a_level_binds_when_the_technician_holds_the_skill_lower() -> None:
    senior = tech(skills=frozenset({HVAC}), levels=(3,))
    assert rules.qualified(senior, job(NEAR, skills=frozenset({HVAC}), levels=(3,)))
    assert not rules.qualified(senior, job(NEAR, skills=frozenset({HVAC}), levels=(4,)))  # 3 < 4
    plain = tech(skills=frozenset({HVAC}))  # a plain tag is level 1
    assert rules.qualified(plain, job(NEAR, skills=frozenset({HVAC})))
    assert not rules.qualified(plain, job(NEAR, skills=frozenset({HVAC}), levels=(2,)))


def test_the_level_sends_the_job_to_the_far_senior_and_not_when_a_junior_will_do() -> None:
    vehicles = near_and_far(1, 3)
    needs_two = problem(vehicles, [job(NEAR, skills=frozenset({HVAC}), levels=(2,))])
    assert served_by(run(needs_two)) == 1  # only vehicle 1 holds level 2 or more
    needs_one = problem(vehicles, [job(NEAR, skills=frozenset({HVAC}))])
    assert served_by(run(needs_one)) == 0  # the near junior is qualified and 16,000 cheaper


def test_over_qualification_costs_per_level_above_the_need() -> None:
    # The near technician holds level 3 for a level-1 job: 2 levels over.
    vehicles = near_and_far(3, 1)
    jobs = [job(NEAR, skills=frozenset({HVAC}))]
    # 2 levels x 5,000 = 10,000 < 16,000 more travel: the senior still goes, and the part says so.
    cheap = run(problem(vehicles, jobs, over_qualification_cost=5_000))
    assert served_by(cheap) == 0
    assert cheap.costs[OVER_QUALIFICATION] == 10_000
    # 2 levels x 20,000 = 40,000 > 16,000: the junior drives out instead and nobody is over-qualified.
    dear = run(problem(vehicles, jobs, over_qualification_cost=20_000))
    assert served_by(dear) == 1
    assert dear.costs[OVER_QUALIFICATION] == 0
    # Switched off, it costs nothing.
    assert run(problem(vehicles, jobs)).costs[OVER_QUALIFICATION] == 0


def test_a_refused_technician_never_serves_and_the_others_still_may() -> None:
    vehicles = near_and_far(1, 1)
    refused = run(problem(vehicles, [job(NEAR, skills=frozenset({HVAC}), forbidden=frozenset({0}))]))
    assert served_by(refused) == 1  # vehicle 0 is nearer, but refused
    allowed = run(problem(vehicles, [job(NEAR, skills=frozenset({HVAC}), forbidden=frozenset({1}))]))
    assert served_by(allowed) == 0  # refusing the far one changes nothing


def test_the_reason_names_the_refusal_when_every_qualified_technician_is_refused() -> None:
    vehicles = (tech(skills=frozenset({HVAC})), tech(HOME2))  # only vehicle 0 has hvac
    s = run(problem(vehicles, [job(NEAR, skills=frozenset({HVAC}), forbidden=frozenset({0}))]))
    assert s.unassigned == ((0, Reason(REFUSED_TECHNICIAN, vehicles=(0,))),)


def test_the_reason_names_the_level_and_the_best_holder() -> None:
    vehicles = (tech(skills=frozenset({HVAC}), levels=(2,)), tech(HOME2, skills=frozenset({HVAC})))
    s = run(problem(vehicles, [job(NEAR, skills=frozenset({HVAC}), levels=(3,))]))
    assert s.unassigned == ((0, Reason(REQUIRED_SKILL, skill=HVAC, level=3, vehicle=0)),)


def test_a_preferred_technician_wins_when_the_preference_outweighs_the_drive() -> None:
    vehicles = near_and_far(1, 1)
    jobs = [job(NEAR, skills=frozenset({HVAC}), preferred=1)]
    # 20,000 for another technician > 16,000 more travel: the customer gets vehicle 1.
    assert served_by(strong := run(problem(vehicles, jobs, preference_cost=20_000))) == 1
    assert strong.costs[PREFERRED_TECHNICIAN] == 0
    # 10,000 < 16,000: vehicle 0 goes and the missed preference is reported.
    weak = run(problem(vehicles, jobs, preference_cost=10_000))
    assert served_by(weak) == 0
    assert weak.costs[PREFERRED_TECHNICIAN] == 10_000


def test_a_pin_on_a_refused_vehicle_is_an_error() -> None:
    with pytest.raises(ValueError, match="refused"):
        job(NEAR, pinned=0, forbidden=frozenset({0}))
