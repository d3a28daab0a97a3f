"""Tiny named problems on a straight road: location i sits at `KM[i]` km, driven at 1 km per minute.

So a leg between locations a and b is |KM[a] - KM[b]| km, i.e. 1000 m and 60 s per km. Times are
seconds from midnight; hours(8) is 08:00.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from solver import Problem, Solution, SolveParams, Vehicle, Visit, solve
from tests.solver.checker import assert_consistent

# Location index -> km along the road. 0 and 10 are homes; the rest are customers.
KM = (0, 1, 2, 3, 5, 8, 10, 30, 60)
HOME, NEAR, NEAR2, NEAR3, MID, MID2, HOME2, FAR, VERY_FAR = range(len(KM))


def hours(h: float) -> int:
    return round(h * 3600)


def road(km: Sequence[float] = KM) -> tuple[np.ndarray, np.ndarray]:
    x = np.array(km, dtype=float)
    gap = np.abs(x[:, None] - x[None, :])
    return np.rint(gap * 1000).astype(np.int64), np.rint(gap * 60).astype(np.int64)


def tech(home: int = HOME, *, shift: tuple[float, float] = (8, 17), **kw: object) -> Vehicle:
    return Vehicle(start=home, end=home, shift_start=hours(shift[0]), shift_end=hours(shift[1]), **kw)  # type: ignore[arg-type]


def job(location: int, *, minutes: int = 30, drop_penalty: int | None = 1_000_000, **kw: object) -> Visit:
    return Visit(location=location, service=minutes * 60, drop_penalty=drop_penalty, **kw)  # type: ignore[arg-type]


def problem(vehicles: Sequence[Vehicle], visits: Sequence[Visit], **kw: object) -> Problem:
    dist, dur = road()
    kw.setdefault("num_skills", 3)
    kw.setdefault("num_parts", 2)
    return Problem(dist, dur, tuple(vehicles), tuple(visits), **kw)  # type: ignore[arg-type]


# Bounded by a solution count (not the clock) so results repeat; greedy descent stops at a local optimum,
# which on problems this small is the optimum.
PARAMS = SolveParams(solution_limit=200, local_search="greedy_descent")


def run(p: Problem, params: SolveParams = PARAMS, seed: int = 0) -> Solution:
    s = solve(p, time_limit=5.0, seed=seed, params=params)
    assert_consistent(p, s)
    return s


@pytest.fixture
def one_tech_two_jobs() -> Problem:
    return problem([tech()], [job(NEAR), job(MID)])
