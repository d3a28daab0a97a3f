"""The DIMACS evaluator, the .sol writer and reader, and short engine runs on the tiny instance.

Tiny instance (conftest): arcs in tenths 0-1 50, 0-2 14, 0-3 70, 1-2 36, 1-3 42, 2-3 60. Customers 1 and 2
cannot share a van (6 + 5 > 10), so with two vans the optimum is 0-1-3-0 (50 + 42 + 70) and 0-2-0 (14 + 14):
190 tenths, Cost 19.0.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.instances import Instance, read_solomon
from benchmarks.solomon import evaluate, format_sol, main, parse_sol, read_bks, solve_instance
from solver.params import SolveParams
from tests.benchmarks.tiny_instances import TINY_SOLOMON

OPTIMUM = [[1, 3], [2]]


@pytest.fixture
def tiny_solomon_file(tmp_path: Path) -> Path:
    path = tmp_path / "TINY.txt"
    path.write_bytes(TINY_SOLOMON.replace("\n", "\r\n").encode())  # the published files have CRLF ends
    return path


@pytest.fixture
def tiny(tiny_solomon_file: Path) -> Instance:
    return read_solomon(tiny_solomon_file)


def test_feasible_routes_are_costed_in_truncated_tenths(tiny: Instance) -> None:
    ev = evaluate(tiny, OPTIMUM)
    assert ev.errors == ()
    assert ev.feasible
    assert ev.distance_tenths == 50 + 42 + 70 + 14 + 14
    assert ev.distance == 19.0
    assert ev.vehicles == 2


def test_capacity_binds(tiny: Instance) -> None:
    ev = evaluate(tiny, [[2, 1], [3]])  # load 5 + 6 > 10
    assert any("capacity" in e for e in ev.errors)


def test_time_window_binds_and_travel_time_is_the_truncated_distance(tiny: Instance) -> None:
    # 0 -> 1 at 5.0, service 5, then 1 -> 3 (4.2) starts at 14.2: due 15 fits, due 14 does not
    assert evaluate(replace(tiny, due=(100, 50, 20, 15)), OPTIMUM).feasible
    late = evaluate(replace(tiny, due=(100, 50, 20, 14)), OPTIMUM)
    assert any("customer 3" in e for e in late.errors)


def test_return_to_depot_binds(tiny: Instance) -> None:
    # 0-1-3-0 is back at 14.2 + 7.0 = 21.2
    assert evaluate(replace(tiny, due=(22, 50, 20, 100)), OPTIMUM).feasible
    assert not evaluate(replace(tiny, due=(21, 50, 20, 100)), OPTIMUM).feasible


def test_missing_duplicate_and_fleet_size_are_checked(tiny: Instance) -> None:
    assert any("not served" in e for e in evaluate(tiny, [[1, 3]]).errors)
    assert any("more than once" in e for e in evaluate(tiny, [[1, 3], [2, 3]]).errors)
    assert any("fleet" in e for e in evaluate(tiny, [[1], [2], [3]]).errors)


def test_sol_round_trip(tiny: Instance) -> None:
    text = format_sol(OPTIMUM, evaluate(tiny, OPTIMUM).distance_tenths)
    assert text == "Route #1: 1 3\nRoute #2: 2\nCost 19.0\n"
    assert parse_sol(text) == OPTIMUM


def test_bks_uses_the_dimacs_column(tmp_path: Path) -> None:
    path = tmp_path / "bks.csv"
    path.write_text("instance,dimacs_bks_distance,hier_bks_distance\nTINY,19.0,21.5\n")
    assert read_bks(path) == {"TINY": 19.0}


def test_engine_finds_the_optimum(tiny: Instance) -> None:
    routes = solve_instance(tiny, time_limit=5, seed=0, params=SolveParams(solution_limit=20))
    assert routes is not None
    ev = evaluate(tiny, routes)
    assert ev.feasible, ev.errors
    assert ev.distance_tenths == 190


def test_cli_writes_sol_and_exits_zero(tmp_path: Path) -> None:
    (tmp_path / "TINY.txt").write_text(TINY_SOLOMON)
    (tmp_path / "bks.csv").write_text("instance,dimacs_bks_distance\nTINY,19.0\n")
    out = tmp_path / "out"
    argv = [str(tmp_path / "TINY.txt"), "--bks", str(tmp_path / "bks.csv"), "--out", str(out)]
    assert main([*argv, "--time-limit", "5", "--solution-limit", "20"]) == 0
    assert (out / "TINY.sol").read_text().endswith("Cost 19.0\n")


def test_cli_exits_non_zero_when_infeasible(tmp_path: Path) -> None:
    # one van cannot carry 15 units: no feasible solution exists
    (tmp_path / "TINY.txt").write_text(TINY_SOLOMON.replace("  2         10", "  1         10"))
    (tmp_path / "bks.csv").write_text("instance,dimacs_bks_distance\nTINY,19.0\n")
    argv = [str(tmp_path / "TINY.txt"), "--bks", str(tmp_path / "bks.csv"), "--out", str(tmp_path / "out")]
    assert main([*argv, "--time-limit", "2", "--solution-limit", "20"]) == 1
