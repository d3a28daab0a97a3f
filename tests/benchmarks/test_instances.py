"""The instance readers: raw data as in the file, and the DIMACS-convention Problem built from it."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.instances import Instance, read_solomon, read_vrplib, truncated_distances
from tests.benchmarks.tiny_instances import TINY_SOLOMON, TINY_VRPLIB


@pytest.fixture
def tiny_solomon_file(tmp_path: Path) -> Path:
    path = tmp_path / "TINY.txt"
    path.write_bytes(TINY_SOLOMON.replace("\n", "\r\n").encode())  # the published files have CRLF ends
    return path


@pytest.fixture
def tiny(tiny_solomon_file: Path) -> Instance:
    return read_solomon(tiny_solomon_file)


@pytest.fixture
def tiny_vrplib_file(tmp_path: Path) -> Path:
    path = tmp_path / "TINYLIB.vrp"
    path.write_text(TINY_VRPLIB)
    return path


def test_solomon_raw_data(tiny: Instance) -> None:
    assert tiny.name == "TINY"
    assert (tiny.num_vehicles, tiny.capacity, tiny.num_customers) == (2, 10, 3)
    assert tiny.demand == (0, 6, 5, 4)
    assert tiny.ready == (0, 0, 10, 0)
    assert tiny.due == (100, 50, 20, 100)
    assert tiny.service == (0, 5, 2, 0)


def test_solomon_problem_in_tenths(tiny: Instance) -> None:
    problem = tiny.problem()
    # depot -> customer 1 is exactly 5 -> 50 tenths; depot -> 2 is sqrt(2) = 1.414 -> 14 tenths
    assert problem.distances[0, 1] == 50
    assert problem.distances[0, 2] == 14
    assert (problem.durations == problem.distances).all()
    assert len(problem.vehicles) == 2
    assert all(v.start == v.end == 0 and (v.shift_start, v.shift_end) == (0, 1000) for v in problem.vehicles)
    assert all(v.stock == (10,) for v in problem.vehicles)
    first = problem.visits[0]
    assert (first.location, first.service, first.window, first.parts) == (1, 50, (0, 500), (6,))
    assert all(v.drop_penalty is None for v in problem.visits)  # every customer mandatory
    assert [v.location for v in problem.visits] == [1, 2, 3]  # customers numbered as in the file
    assert problem.num_parts == 1


def test_vrplib_reads_the_same_instance(tiny_vrplib_file: Path) -> None:
    inst = read_vrplib(tiny_vrplib_file)
    assert inst.name == "TINYLIB"
    assert (inst.num_vehicles, inst.capacity, inst.num_customers) == (2, 10, 3)
    assert inst.x == (0, 3, 1, 0)
    assert inst.demand == (0, 6, 5, 4)
    assert inst.service == (0, 5, 5, 5)  # SERVICE_TIME applies to customers, not to the depot
    assert inst.due == (100, 50, 20, 100)
    assert inst.problem().distances[0, 3] == 70


def test_solomon_rejects_a_file_without_fleet(tmp_path: Path) -> None:
    path = tmp_path / "BAD.txt"
    path.write_text("BAD\n    0      0          0          0          0        100          0\n")
    with pytest.raises(ValueError, match="NUMBER/CAPACITY"):
        read_solomon(path)


def test_vrplib_rejects_several_depots(tiny_vrplib_file: Path) -> None:
    tiny_vrplib_file.write_text(
        tiny_vrplib_file.read_text().replace("DEPOT_SECTION\n1\n", "DEPOT_SECTION\n1\n2\n")
    )
    with pytest.raises(ValueError, match="single depot"):
        read_vrplib(tiny_vrplib_file)


@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=1, max_size=12))
def test_truncated_distances_are_exact_floors(points: list[tuple[int, int]]) -> None:
    xs = tuple(p[0] for p in points)
    ys = tuple(p[1] for p in points)
    m = truncated_distances(xs, ys)
    assert m.dtype == np.int64
    for i in range(len(points)):
        for j in range(len(points)):
            assert m[i, j] == math.isqrt(100 * ((xs[i] - xs[j]) ** 2 + (ys[i] - ys[j]) ** 2))
