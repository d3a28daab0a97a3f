"""Column views of a Problem as numpy arrays, so checks over all visits x vehicles run vectorised."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from solver.problem import DAY, Problem

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Stand-in for "no bound" on a time; far outside any horizon yet safe from int64 overflow when added.
OPEN = 10**12


@dataclass(frozen=True)
class Tables:
    # vehicles (K)
    v_start: IntArray
    v_end: IntArray
    shift_start: IntArray
    shift_end: IntArray
    v_skills: BoolArray  # K x S
    v_levels: IntArray  # K x S: level held (0: not held)
    stock: IntArray  # K x P
    max_visits: IntArray  # K, OPEN when unlimited
    v_tech: IntArray  # K: the technician visits name the vehicle by
    v_shift: IntArray  # K: seconds a daily window moves on this vehicle's day
    # visits (n)
    loc: IntArray
    service: IntArray
    open_: IntArray  # window start, -OPEN when none
    close: IntArray  # window end, OPEN when none
    deadline: IntArray  # OPEN when none
    lateness_cost: IntArray
    s_skills: BoolArray  # n x S
    s_levels: IntArray  # n x S: level required (0: not required)
    forbidden: BoolArray  # n x K: the customer refuses the vehicle's technician
    preferred: IntArray  # technician, -1 when none
    daily: BoolArray  # n: the window recurs every day (see Problem.window_of)
    parts: IntArray  # n x P
    pinned: IntArray  # technician, -1 when not pinned

    def opens(self) -> IntArray:
        """n x K (n x 1 without daily windows, broadcast): window start of each visit on each vehicle's day."""
        return self._on_days(self.open_)

    def closes(self) -> IntArray:
        """n x K (n x 1 without daily windows, broadcast): window end of each visit on each vehicle's day."""
        return self._on_days(self.close)

    def _on_days(self, bound: IntArray) -> IntArray:
        if not self.daily.any():
            return bound[:, None]  # one day: no n x K table to build
        return bound[:, None] + self.daily[:, None] * self.v_shift[None, :]


def tables_of(problem: Problem) -> Tables:
    vs, ss = problem.vehicles, problem.visits
    k, n, s, p = len(vs), len(ss), problem.num_skills, problem.num_parts
    v_skills = np.zeros((k, s), dtype=bool)
    stock = np.zeros((k, p), dtype=np.int64)
    v_levels = np.zeros((k, s), dtype=np.int64)
    for i, v in enumerate(vs):
        v_skills[i, list(v.skills)] = True
        for q in v.skills:
            v_levels[i, q] = v.level_of(q)
        stock[i, : len(v.stock)] = v.stock
    s_skills = np.zeros((n, s), dtype=bool)
    parts = np.zeros((n, p), dtype=np.int64)
    s_levels = np.zeros((n, s), dtype=np.int64)
    forbidden = np.zeros((n, k), dtype=bool)
    v_tech = np.array([problem.technician_of(i) for i in range(k)], dtype=np.int64)
    for j, x in enumerate(ss):
        s_skills[j, list(x.skills)] = True
        for q in x.skills:
            s_levels[j, q] = x.level_of(q)
        if x.forbidden:
            forbidden[j] = np.isin(v_tech, list(x.forbidden))
        parts[j, : len(x.parts)] = x.parts

    def ints(values: list[int]) -> IntArray:
        return np.array(values, dtype=np.int64)

    return Tables(
        v_start=ints([v.start for v in vs]),
        v_end=ints([v.end for v in vs]),
        shift_start=ints([v.shift_start for v in vs]),
        shift_end=ints([v.shift_end for v in vs]),
        v_skills=v_skills,
        v_levels=v_levels,
        stock=stock,
        max_visits=ints([OPEN if v.max_visits is None else v.max_visits for v in vs]),
        v_tech=v_tech,
        v_shift=ints([v.day * DAY for v in vs]),
        loc=ints([x.location for x in ss]),
        service=ints([x.service for x in ss]),
        open_=ints([-OPEN if x.window is None else x.window[0] for x in ss]),
        close=ints([OPEN if x.window is None else x.window[1] for x in ss]),
        deadline=ints([OPEN if x.deadline is None else x.deadline for x in ss]),
        lateness_cost=ints([x.lateness_cost for x in ss]),
        s_skills=s_skills,
        s_levels=s_levels,
        forbidden=forbidden,
        preferred=ints([-1 if x.preferred is None else x.preferred for x in ss]),
        daily=np.array([x.daily and x.window is not None for x in ss], dtype=bool),
        parts=parts,
        pinned=ints([-1 if x.pinned is None else x.pinned for x in ss]),
    )
