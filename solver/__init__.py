"""The optimization engine: an immutable Problem in, a Solution out. Knows no ids, datetimes or I/O."""

from solver.params import SolveParams
from solver.problem import Break, Problem, Reason, RouteSolution, Solution, Vehicle, Visit
from solver.solve import solve

__all__ = ["Break", "Problem", "Reason", "RouteSolution", "Solution", "SolveParams", "Vehicle", "Visit", "solve"]
