"""Checked search parameters. New options default to "no change" so earlier scenarios solve the same."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal, get_args

Portfolio = Literal["single", "race_sequential", "race_fork", "ils_walk"]
PORTFOLIOS: tuple[str, ...] = get_args(Portfolio)


@dataclass(frozen=True)
class SolveParams:
    """How `solve` searches.

    `solution_limit`: with a solution limit the search stops after that many solutions and the time limit
    does not act, so the plan does not depend on the machine's load (same problem, seed and limit, same
    plan). Should solutions dry up first (tiny days), a count of failures ends the search instead
    (`search.FAILURES_PER_SOLUTION`), never the clock. None: the time limit alone bounds the search.

    `portfolio`: on days where every visit is mandatory and nobody has a break (pure VRPTW, see
    `search.portfolio_for`), the engine can race two search recipes and keep the better plan:
    - "single": only the main recipe, with all the time;
    - "race_sequential" (default): both recipes in this process, one after the other, half the time each;
    - "race_fork": both at once, the second in a forked child process, each with all the time (for
      single-threaded processes such as the benchmarks; needs the "fork" start method);
    - "ils_walk": OR-Tools' iterated local search here and, in a forked child on another core, the engine's
      own ruin and recreate (solver/lns.py) from the insertion plan; the cheaper plan wins. On a plain VRPTW
      day (solver/vrptw.py: windows, one part type's van stock, shifts) the child's walk is the compiled one
      once the process has loaded it (`vrptw.warm`, or always under a solution limit), and when the
      insertion plan serves every visit this process walks too in place of iterated local search
      (benchmarks/RESULTS_solomon.md). Needs two cores and fork; with one core or no fork it is "single"
      with iterated local search.
    Under a solution limit both races give the same plan, and "ils_walk" bounds its walk by steps. Other
    days always get one recipe.
    """

    solution_limit: int | None = None
    # "auto" lets the engine pick; otherwise an OR-Tools FirstSolutionStrategy name.
    first_solution: str = "auto"
    # "auto", "guided_local_search", "greedy_descent", "simulated_annealing", "tabu_search".
    local_search: str = "auto"
    log_search: bool = False
    portfolio: Portfolio = "race_sequential"
    # Count, per local search operator, the neighbours it made and the ones that improved (OR-Tools'
    # profile, in `Solution.search_profile`); costs a little speed, so only the diagnostics ask for it.
    profile: bool = False
    # On dispatch days (optional visits, no plan to start from), ruin and recreate goes on from the best plan
    # of the local search (solver/lns.py); False: the local search alone, as before.
    ruin_recreate: bool = True
    # ... and from a plan to start from (`solve(start=...)`) too: a large day's border passes. A live
    # re-plan, back within seconds and moving as little as pays, does without.
    ruin_recreate_from_start: bool = False
    # Cores one solve may use (None: every core this process may run on). With two or more, a dispatch
    # day's ruin and recreate also runs from the insertion plan in a forked child; where solves already run
    # side by side (the service's jobs, dask regions) each gets one.
    cores: int | None = None

    def __post_init__(self) -> None:
        if self.solution_limit is not None and self.solution_limit < 1:
            raise ValueError(f"solution_limit {self.solution_limit} must be >= 1")
        if self.cores is not None and self.cores < 1:
            raise ValueError(f"cores {self.cores} must be >= 1 (or None for all)")
        if self.portfolio not in PORTFOLIOS:
            raise ValueError(f"portfolio {self.portfolio!r} must be one of {', '.join(PORTFOLIOS)}")


def cores_of(params: SolveParams) -> int:
    """The cores a solve with `params` may use."""
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return available if params.cores is None else min(params.cores, available)
