"""Checked search parameters. New options default to "no change" so earlier scenarios solve the same."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SolveParams:
    # Bound the search by a count to make runs reproducible; None: only the time limit bounds it.
    solution_limit: int | None = None
    # "auto" lets the engine pick; otherwise an OR-Tools FirstSolutionStrategy name.
    first_solution: str = "auto"
    # "auto", "guided_local_search", "greedy_descent", "simulated_annealing", "tabu_search".
    local_search: str = "auto"
    log_search: bool = False

    def __post_init__(self) -> None:
        if self.solution_limit is not None and self.solution_limit < 1:
            raise ValueError(f"solution_limit {self.solution_limit} must be >= 1")
