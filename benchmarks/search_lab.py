"""Experiment harness for solver/search.py on Solomon-like instances (not part of the product path).

Builds a plain OR-Tools VRPTW model from a benchmark Problem (arc cost = distance, time dimension with
windows, capacity dimension, all visits mandatory) and runs one search Recipe on it, so that search
settings can be compared before and independently of solver/model.py.

    python -m benchmarks.search_lab RECIPE_NAME FILE... [--time-limit 10] [--bks BKS.csv]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ortools.constraint_solver import pywrapcp
from ortools.util import optional_boolean_pb2

from benchmarks.instances import Instance, read_solomon
from benchmarks.solomon import evaluate, read_bks
from solver.params import SolveParams
from solver.problem import Problem
from solver.search import MANDATORY_CHAIN, Recipe, execute


@dataclass(frozen=True)
class LabRecipe(Recipe):
    """A Recipe plus OR-Tools knobs that only the lab turns; the defaults leave OR-Tools' settings as the
    production recipes have them."""

    neighbors_ratio: float = 1.0  # restrict LS operators to this share of nearest neighbours
    min_neighbors: int = 1
    ils_temperature: tuple[float, float] | None = None  # None: OR-Tools' automatic temperatures
    extra_operators: tuple[str, ...] = ()  # local_search_operators fields switched on
    disabled_operators: tuple[str, ...] = ()
    multi_armed_bandit: bool = False
    # ILS ruins besides SISR, run one at random per perturbation: "routes:N" (N spatially close routes),
    # "walk:N" (a random walk removing N visits)
    extra_ruins: tuple[str, ...] = ()

    def adjust(self, sp: Any) -> None:
        if self.extra_ruins:
            rr = sp.iterated_local_search_parameters.ruin_recreate_parameters
            for ruin in self.extra_ruins:
                kind, n = ruin.split(":")
                if kind == "routes":
                    rr.ruin_strategies.add().spatially_close_routes.num_ruined_routes = int(n)
                else:
                    rr.ruin_strategies.add().random_walk.num_removed_visits = int(n)
            rr.ruin_composition_strategy = 3  # RUN_ONE_RANDOMLY
        if self.ils_temperature is not None:
            sa = sp.iterated_local_search_parameters.reference_solution_acceptance_strategy.simulated_annealing
            sa.automatic_temperatures = False
            sa.initial_temperature, sa.final_temperature = self.ils_temperature
        sp.ls_operator_neighbors_ratio = self.neighbors_ratio
        sp.ls_operator_min_neighbors = self.min_neighbors
        sp.use_multi_armed_bandit_concatenate_operators = self.multi_armed_bandit
        # OptionalBoolean: 1 is no value at all, so an operator "switched on" with it stayed at its default
        for op in self.extra_operators:
            setattr(sp.local_search_operators, op, optional_boolean_pb2.BOOL_TRUE)
        for op in self.disabled_operators:
            setattr(sp.local_search_operators, op, optional_boolean_pb2.BOOL_FALSE)


BASE = LabRecipe(first_solutions=MANDATORY_CHAIN, metaheuristic="guided_local_search")
RECIPES: dict[str, LabRecipe] = {
    "pci_gls": replace(BASE, first_solutions=("PARALLEL_CHEAPEST_INSERTION",)),
    "lci_gls": replace(BASE, first_solutions=("LOCAL_CHEAPEST_INSERTION",)),
    "sav_gls": replace(BASE, first_solutions=("SAVINGS",)),
    "pca_gls": replace(BASE, first_solutions=("PATH_CHEAPEST_ARC",)),
    "chain_gls": BASE,
    "chain_gls_l05": replace(BASE, gls_lambda=0.05),
    "chain_gls_l02": replace(BASE, gls_lambda=0.2),
    "chain_gls_l03": replace(BASE, gls_lambda=0.3),
    "chain_gls_nb": replace(BASE, neighbors_ratio=0.2, min_neighbors=20),
    "chain_gls_mab": replace(BASE, multi_armed_bandit=True),
    "ils_auto": replace(BASE, metaheuristic="iterated_local_search"),
    "ils_t1000": replace(BASE, metaheuristic="iterated_local_search", ils_temperature=(1000.0, 10.0)),
    "ils_t300": replace(BASE, metaheuristic="iterated_local_search", ils_temperature=(300.0, 3.0)),
    "ils_t100": replace(BASE, metaheuristic="iterated_local_search", ils_temperature=(100.0, 1.0)),
    "ils_t300_nb": replace(
        BASE,
        metaheuristic="iterated_local_search",
        ils_temperature=(300.0, 3.0),
        neighbors_ratio=0.2,
        min_neighbors=20,
    ),
    "ils_t300_small": replace(
        BASE,
        metaheuristic="iterated_local_search",
        ils_temperature=(300.0, 3.0),
        ils_avg_removed=5,
        ils_max_sequence=5,
    ),
    "chain_gd": replace(BASE, metaheuristic="greedy_descent"),
    "chain_sa": replace(BASE, metaheuristic="simulated_annealing"),
    "chain_tabu": replace(BASE, metaheuristic="tabu_search"),
}


def plain_model(problem: Problem) -> tuple[pywrapcp.RoutingModel, pywrapcp.RoutingIndexManager]:
    n = problem.num_locations
    manager = pywrapcp.RoutingIndexManager(n, len(problem.vehicles), 0)
    routing = pywrapcp.RoutingModel(manager)
    service = [0] * n
    for v in problem.visits:
        service[v.location] = v.service
    dist = problem.distances.tolist()
    time_m = [[problem.durations[i][j] + service[i] for j in range(n)] for i in range(n)]
    arc = routing.RegisterTransitMatrix(dist)
    routing.SetArcCostEvaluatorOfAllVehicles(arc)
    t = routing.RegisterTransitMatrix(time_m)
    horizon = max(v.shift_end for v in problem.vehicles)
    routing.AddDimension(t, horizon, horizon, False, "time")
    td = routing.GetDimensionOrDie("time")
    for v in problem.visits:
        assert v.window is not None
        td.CumulVar(manager.NodeToIndex(v.location)).SetRange(*v.window)
    for k, veh in enumerate(problem.vehicles):
        td.CumulVar(routing.Start(k)).SetRange(veh.shift_start, veh.shift_end)
        td.CumulVar(routing.End(k)).SetRange(veh.shift_start, veh.shift_end)
    demand = [0] * n
    for v in problem.visits:
        demand[v.location] = v.parts[0]
    d = routing.RegisterUnaryTransitVector(demand)
    routing.AddDimensionWithVehicleCapacity(d, 0, [veh.stock[0] for veh in problem.vehicles], True, "stock")
    return routing, manager


def lab_routes(inst: Instance, recipe: Recipe, time_limit: float, seed: int = 0) -> list[list[int]] | None:
    problem = inst.problem()
    routing, manager = plain_model(problem)
    out = execute(routing, recipe, time_limit=time_limit, seed=seed, params=SolveParams())
    if out.assignment is None:
        return None
    routes = []
    for k in range(len(problem.vehicles)):
        idx = routing.Start(k)
        r = []
        idx = out.assignment.Value(routing.NextVar(idx))
        while not routing.IsEnd(idx):
            r.append(manager.IndexToNode(idx))
            idx = out.assignment.Value(routing.NextVar(idx))
        if r:
            routes.append(r)
    return routes


def parse_recipe(spec: str) -> LabRecipe:
    """A named recipe, or `key=value,...`: first=SAVINGS+LOCAL_CHEAPEST_INSERTION, mh=..., lambda=0.3,
    nr=0.2, mn=20, rm=10, seq=10, t=300/3, rec=..., ruins=routes:2+walk:10, mab=1, ops=use_x+use_y, off=use_z."""
    if spec in RECIPES:
        return RECIPES[spec]
    r = BASE
    mh = {"gls": "guided_local_search", "ils": "iterated_local_search", "gd": "greedy_descent"}
    for item in spec.split(","):
        key, value = item.split("=")
        if key == "first":
            r = replace(r, first_solutions=tuple(value.split("+")))
        elif key == "mh":
            r = replace(r, metaheuristic=mh.get(value, value))
        elif key == "lambda":
            r = replace(r, gls_lambda=float(value))
        elif key == "nr":
            r = replace(r, neighbors_ratio=float(value))
        elif key == "mn":
            r = replace(r, min_neighbors=int(value))
        elif key == "rm":
            r = replace(r, ils_avg_removed=int(value))
        elif key == "seq":
            r = replace(r, ils_max_sequence=int(value))
        elif key == "t":
            a, b = value.split("/")
            r = replace(r, ils_temperature=(float(a), float(b)))
        elif key == "rec":
            r = replace(r, ils_recreate=value)
        elif key == "ruins":
            r = replace(r, extra_ruins=tuple(value.split("+")))
        elif key == "mab":
            r = replace(r, multi_armed_bandit=bool(int(value)))
        elif key == "ops":
            r = replace(r, extra_operators=tuple(value.split("+")))
        elif key == "off":
            r = replace(r, disabled_operators=tuple(value.split("+")))
        else:
            raise ValueError(f"unknown recipe key {key}")
    return r


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument(
        "recipes", help="recipes separated by ';' (names or key=value,... specs), interleaved per file"
    )
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--time-limit", type=float, default=10.0)
    p.add_argument("--bks", type=Path, default=Path("/work/shared/benchmarks/solomon/bks_solomon.csv"))
    args = p.parse_args()
    bks = read_bks(args.bks)
    specs = args.recipes.split(";")
    gaps: dict[str, list[float]] = {s: [] for s in specs}
    infeasible = dict.fromkeys(specs, 0)
    for f in args.files:
        inst = read_solomon(f)
        cells = []
        for spec in specs:  # interleaved so that every recipe sees about the same machine load
            t0 = time.perf_counter()
            routes = lab_routes(inst, parse_recipe(spec), args.time_limit)
            wall = time.perf_counter() - t0
            if routes is None:
                infeasible[spec] += 1
                cells.append(f"{'NONE':>8} {wall:4.1f}s")
                continue
            ev = evaluate(inst, routes)
            gap = 100 * (ev.distance - bks[inst.name]) / bks[inst.name]
            gaps[spec].append(gap)
            infeasible[spec] += not ev.feasible
            cells.append(f"{gap:7.2f}%{'' if ev.feasible else '!'} {wall:4.1f}s")
        print(f"{inst.name:<8}" + " | ".join(cells), flush=True)
    for k, spec in enumerate(specs):
        g = gaps[spec]
        print(
            f"RECIPE {k} {spec}: mean gap {sum(g) / max(1, len(g)):.2f} % n={len(g)} infeasible={infeasible[spec]}"
        )
    if len(specs) > 1 and all(len(gaps[s]) == len(args.files) for s in specs):
        best = [min(col) for col in zip(*gaps.values(), strict=True)]
        print(f"PORTFOLIO (best of all per instance): mean gap {sum(best) / len(best):.2f} %")


if __name__ == "__main__":
    main()
