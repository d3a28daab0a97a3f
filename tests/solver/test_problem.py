"""The snapshot refuses what it cannot mean: one test per check of solver/problem.py, matching its message."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from solver import Break, Problem, Vehicle, Visit
from tests.solver.conftest import HOME, NEAR, hours, problem, road, tech

# --- Break


def test_break_duration_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="break duration -1 must be >= 0"):
        Break(earliest_start=hours(12), latest_end=hours(13), duration=-1)


def test_break_window_must_hold_the_break() -> None:
    with pytest.raises(ValueError, match=re.escape("break window [43200, 45000] is shorter than its duration 3600")):
        Break(earliest_start=hours(12), latest_end=hours(12.5), duration=3600)


# --- Vehicle


def test_shift_must_not_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="shift_end 28800 before shift_start 32400"):
        Vehicle(start=HOME, end=HOME, shift_start=hours(9), shift_end=hours(8))


def test_stock_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match=re.escape("stock (1, -2) has a negative quantity")):
        tech(stock=(1, -2))


def test_max_visits_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="max_visits -1 must be >= 0"):
        tech(max_visits=-1)


# --- Visit


def test_service_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="service -60 must be >= 0"):
        Visit(location=NEAR, service=-60)


def test_window_must_not_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match=re.escape("window (36000, 32400) ends before it starts")):
        Visit(location=NEAR, service=60, window=(hours(10), hours(9)))


def test_lateness_cost_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="lateness_cost -1 must be >= 0"):
        Visit(location=NEAR, service=60, lateness_cost=-1)


def test_drop_penalty_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="drop_penalty -5 must be >= 0"):
        Visit(location=NEAR, service=60, drop_penalty=-5)


def test_parts_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match=re.escape("parts (0, -1) has a negative quantity")):
        Visit(location=NEAR, service=60, parts=(0, -1))


# --- Problem


def _problem(**changes: Any) -> Problem:
    dist, dur = road()
    kw: dict[str, Any] = {"distances": dist, "durations": dur, "vehicles": (tech(),),
                          "visits": (Visit(location=NEAR, service=60),), "num_skills": 3, "num_parts": 2}
    kw.update(changes)
    return Problem(**kw)


def test_matrices_must_be_square() -> None:
    with pytest.raises(ValueError, match=re.escape("distances must be a square matrix, got (2, 3)")):
        _problem(distances=np.zeros((2, 3), dtype=np.int64))
    with pytest.raises(ValueError, match=re.escape("durations must be a square matrix, got (4,)")):
        _problem(durations=np.zeros(4, dtype=np.int64))


def test_matrices_must_not_be_negative() -> None:
    dist, _ = road()
    dist[1, 2] = -1
    with pytest.raises(ValueError, match="distances has a negative entry"):
        _problem(distances=dist)


def test_matrices_must_have_the_same_shape() -> None:
    with pytest.raises(ValueError, match="distances and durations differ in shape"):
        _problem(durations=np.zeros((2, 2), dtype=np.int64))


def test_vehicle_locations_must_be_rows_of_the_matrices() -> None:
    with pytest.raises(ValueError, match=re.escape("vehicle 0: location outside 0..8")):
        _problem(vehicles=(tech(home=9),))


def test_vehicle_skills_must_be_known() -> None:
    with pytest.raises(ValueError, match=re.escape("vehicle 0: skill index outside 0..2")):
        _problem(vehicles=(tech(skills=frozenset({3})),))


def test_vehicle_stock_must_not_name_unknown_parts() -> None:
    with pytest.raises(ValueError, match="vehicle 0: stock has more than 2 part types"):
        _problem(vehicles=(tech(stock=(1, 1, 1)),))


def test_visit_location_must_be_a_row_of_the_matrices() -> None:
    with pytest.raises(ValueError, match=re.escape("visit 0: location 9 outside 0..8")):
        _problem(visits=(Visit(location=9, service=60),))


def test_visit_skills_must_be_known() -> None:
    with pytest.raises(ValueError, match=re.escape("visit 0: skill index outside 0..2")):
        _problem(visits=(Visit(location=NEAR, service=60, skills=frozenset({5})),))


def test_visit_parts_must_not_name_unknown_parts() -> None:
    with pytest.raises(ValueError, match="visit 0: parts has more than 2 part types"):
        _problem(visits=(Visit(location=NEAR, service=60, parts=(0, 0, 1)),))


def test_a_pin_must_name_a_vehicle() -> None:
    with pytest.raises(ValueError, match=re.escape("visit 0: pinned technician 1 is no vehicle's")):
        _problem(visits=(Visit(location=NEAR, service=60, pinned=1),))


def test_costs_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="costs must be >= 0"):
        _problem(distance_cost=-1)
    with pytest.raises(ValueError, match="costs must be >= 0"):
        _problem(balance_cost=-1)


def test_a_valid_problem_keeps_read_only_matrices() -> None:
    p = problem([tech()], [Visit(location=NEAR, service=60)])
    assert p.num_locations == 9
    assert not p.distances.flags.writeable
    assert p.qualified(0) == [0]
