"""How the engine searches: first-solution strategy, local search, limits.

The model (solver/model.py) states the rules; this module only decides how to look for a good
assignment of the model it is handed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from solver.params import SolveParams
from solver.problem import Problem


@dataclass
class SearchOutcome:
    assignment: pywrapcp.Assignment | None
    solutions_found: int
    status: str


def run_search(
    routing: pywrapcp.RoutingModel,
    manager: pywrapcp.RoutingIndexManager,
    problem: Problem,
    *,
    time_limit: float,
    seed: int,
    params: SolveParams,
) -> SearchOutcome:
    """Search the closed model `routing` and return the best assignment found."""
    del manager, problem, seed  # the simple strategy does not use them yet
    sp = pywrapcp.DefaultRoutingSearchParameters()
    first = params.first_solution if params.first_solution != "auto" else "PARALLEL_CHEAPEST_INSERTION"
    sp.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, first)
    ls = params.local_search if params.local_search != "auto" else "guided_local_search"
    sp.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, ls.upper())
    sp.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
    if params.solution_limit is not None:
        sp.solution_limit = params.solution_limit
    sp.log_search = params.log_search
    assignment = routing.SolveWithParameters(sp)
    found = routing.solver().Solutions() if assignment is not None else 0
    status = "feasible" if assignment is not None else "infeasible"
    return SearchOutcome(assignment=assignment, solutions_found=int(found), status=status)
