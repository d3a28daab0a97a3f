"""The checker keeps its own logic but speaks the solver's words: the same rule names in both."""

from __future__ import annotations

from dispatch.analysis import checker
from solver import problem as rules

SHARED = ("REQUIRED_SKILL", "VAN_STOCK", "APPOINTMENT_WINDOW", "SHIFT", "BREAK", "MAX_ORDERS",
          "PINNED_TECHNICIAN", "RESPONSE_DEADLINE")


def test_every_hard_rule_and_the_deadline_have_the_same_name_in_checker_and_solver() -> None:
    assert {n: getattr(checker, n) for n in SHARED} == {n: getattr(rules, n) for n in SHARED}


def test_the_checker_names_every_rule_the_solver_enforces() -> None:
    solver_names = {getattr(rules, n) for n in SHARED}
    checker_names = {v for k, v in vars(checker).items() if k.isupper() and isinstance(v, str)}
    assert solver_names <= checker_names
