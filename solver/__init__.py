"""The optimization engine: an immutable Problem in, a Solution out. Knows no ids, datetimes or I/O."""

from solver.params import SolveParams
from solver.problem import Break, Problem, Reason, RouteSolution, Solution, Vehicle, Visit
from solver.rules import (
    ALL_RULES,
    APPOINTMENT_WINDOW,
    BREAK,
    ETA_SHIFT,
    FULLY_BOOKED,
    HARD_RULES,
    MAX_ORDERS,
    PINNED_TECHNICIAN,
    REASSIGNMENT,
    REQUIRED_SKILL,
    RESPONSE_DEADLINE,
    SHIFT,
    SOFT_RULES,
    TRAVEL,
    UNSERVED,
    VAN_STOCK,
    WORKLOAD_BALANCE,
)
from solver.solve import solve

__all__ = [
    "ALL_RULES",
    "APPOINTMENT_WINDOW",
    "BREAK",
    "ETA_SHIFT",
    "FULLY_BOOKED",
    "HARD_RULES",
    "MAX_ORDERS",
    "PINNED_TECHNICIAN",
    "REASSIGNMENT",
    "REQUIRED_SKILL",
    "RESPONSE_DEADLINE",
    "SHIFT",
    "SOFT_RULES",
    "TRAVEL",
    "UNSERVED",
    "VAN_STOCK",
    "WORKLOAD_BALANCE",
    "Break",
    "Problem",
    "Reason",
    "RouteSolution",
    "Solution",
    "SolveParams",
    "Vehicle",
    "Visit",
    "solve",
]
