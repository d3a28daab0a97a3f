"""SolveParams: checked on creation, defaults that depend on nothing but the code."""

from __future__ import annotations

import multiprocessing

import pytest

from solver import SolveParams, solve
from solver.params import PORTFOLIOS
from solver.search import portfolio_for
from tests.solver.conftest import NEAR, NEAR2, job, problem, tech


def test_defaults() -> None:
    p = SolveParams()
    assert p.solution_limit is None
    assert (p.first_solution, p.local_search) == ("auto", "auto")
    assert p.portfolio == "race_sequential"  # never decided by the calling process
    assert PORTFOLIOS == ("single", "race_sequential", "race_fork", "ils_walk")


def test_a_solution_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="solution_limit 0 must be >= 1"):
        SolveParams(solution_limit=0)


def test_an_unknown_portfolio_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="portfolio 'parallel' must be one of single, race_sequential, race_fork"):
        SolveParams(portfolio="parallel")  # type: ignore[arg-type]


def test_single_keeps_only_the_main_recipe_on_a_pure_vrptw_day() -> None:
    day = problem([tech(), tech()], [job(NEAR, drop_penalty=None), job(NEAR2, drop_penalty=None)])
    assert len(portfolio_for(day, SolveParams())) == 2
    assert len(portfolio_for(day, SolveParams(portfolio="race_fork"))) == 2
    (main,) = portfolio_for(day, SolveParams(portfolio="single"))
    assert main.metaheuristic == "guided_local_search"


def test_race_fork_needs_the_fork_start_method(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    day = problem([tech()], [job(NEAR, drop_penalty=None)])
    with pytest.raises(RuntimeError, match="'race_fork' needs the 'fork' start method"):
        solve(day, time_limit=5, params=SolveParams(solution_limit=5, portfolio="race_fork"))
