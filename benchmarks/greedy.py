"""The rule-based peer: priority-first cheapest feasible insertion, nothing moved afterwards."""

from solver.construct import Timetable, greedy_solve, left_out_reason, solution_costs

__all__ = ["Timetable", "greedy_solve", "left_out_reason", "solution_costs"]
