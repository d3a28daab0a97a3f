"""The checker keeps its own logic but speaks the solver's words: the same rule names in both."""

from __future__ import annotations

from dispatch.analysis import checker
from solver import rules


def _names(module: object) -> dict[str, str]:
    return {k: v for k, v in vars(module).items() if k.isupper() and isinstance(v, str)}


def test_every_hard_rule_and_the_deadline_have_the_same_name_in_checker_and_solver() -> None:
    solver_names = _names(rules)
    shared = [name for name, value in solver_names.items() if value in (*rules.HARD_RULES, rules.RESPONSE_DEADLINE)]
    assert len(shared) == len(rules.HARD_RULES) + 1
    assert {n: getattr(checker, n, None) for n in shared} == {n: solver_names[n] for n in shared}


def test_the_checker_reports_every_rule_the_solver_enforces() -> None:
    assert set(rules.HARD_RULES) | {rules.RESPONSE_DEADLINE} <= set(_names(checker).values())
