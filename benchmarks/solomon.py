"""Solomon VRPTW benchmark: the same engine as a dispatch day, checked in the DIMACS convention.

    python -m benchmarks.solomon FILE... --bks BKS.csv --time-limit 10 --out DIR [--seed N]

For each instance: build a solver Problem (benchmarks.instances), run `solver.solve`, evaluate the routes
independently from the file's coordinates (distance floor(10 d)/10 per arc, which is also the travel time;
each customer exactly once, time windows, capacity, fleet size), write DIR/NAME.sol, print one row. Exits 1
if any solution is infeasible or missing.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from benchmarks.instances import Instance, read_solomon
from solver.params import SolveParams
from solver.problem import Solution


@dataclass(frozen=True)
class Evaluation:
    """An independent DIMACS check of routes given as customer numbers of the file."""

    distance_tenths: int
    vehicles: int
    errors: tuple[str, ...] = field(default=())

    @property
    def feasible(self) -> bool:
        return not self.errors

    @property
    def distance(self) -> float:
        return self.distance_tenths / 10


def _arc_tenths(inst: Instance, i: int, j: int) -> int:
    # floor(10 d) with exact integer arithmetic: isqrt(100 (dx^2 + dy^2))
    return math.isqrt(100 * ((inst.x[i] - inst.x[j]) ** 2 + (inst.y[i] - inst.y[j]) ** 2))


def evaluate(inst: Instance, routes: Sequence[Sequence[int]]) -> Evaluation:
    """Check routes (lists of customer numbers, depot 0 implicit at both ends) against the raw instance.

    Works in tenths so that every comparison is exact: travel time = truncated distance, service and
    windows x10. Service may start at max(arrival, ready); the route must be back by the depot's due time."""
    errors: list[str] = []
    used = [r for r in routes if r]
    if len(used) > inst.num_vehicles:
        errors.append(f"{len(used)} routes for a fleet of {inst.num_vehicles}")
    seen: dict[int, int] = {}
    total = 0
    for k, route in enumerate(used, start=1):
        t = 10 * inst.ready[0]
        load = 0
        prev = 0
        for c in route:
            if not 1 <= c <= inst.num_customers:
                errors.append(f"route {k}: unknown customer {c}")
                continue
            seen[c] = seen.get(c, 0) + 1
            arc = _arc_tenths(inst, prev, c)
            total += arc
            t = max(t + 10 * inst.service[prev] + arc, 10 * inst.ready[c])
            if t > 10 * inst.due[c]:
                errors.append(f"route {k}: customer {c} starts at {t / 10} after its due time {inst.due[c]}")
            load += inst.demand[c]
            prev = c
        arc = _arc_tenths(inst, prev, 0)
        total += arc
        back = t + 10 * inst.service[prev] + arc
        if back > 10 * inst.due[0]:
            errors.append(f"route {k}: back at the depot at {back / 10} after {inst.due[0]}")
        if load > inst.capacity:
            errors.append(f"route {k}: load {load} over capacity {inst.capacity}")
    missing = [c for c in range(1, inst.num_customers + 1) if c not in seen]
    if missing:
        errors.append(f"{len(missing)} customers not served, e.g. {missing[:5]}")
    twice = sorted(c for c, n in seen.items() if n > 1)
    if twice:
        errors.append(f"customers served more than once: {twice[:5]}")
    return Evaluation(distance_tenths=total, vehicles=len(used), errors=tuple(errors))


def routes_of(inst: Instance, solution: Solution) -> list[list[int]]:
    """Customer numbers per non-empty route (visit j is customer j + 1, see benchmarks.instances)."""
    del inst
    return [[v + 1 for v in r.visits] for r in solution.routes if r.visits]


def format_sol(routes: Sequence[Sequence[int]], distance_tenths: int) -> str:
    lines = [f"Route #{k}: {' '.join(str(c) for c in r)}" for k, r in enumerate((r for r in routes if r), 1)]
    return "\n".join([*lines, f"Cost {distance_tenths // 10}.{distance_tenths % 10}"]) + "\n"


def parse_sol(text: str) -> list[list[int]]:
    """Routes of a `.sol` file (`Route #k: c1 c2 ...` lines; other lines ignored)."""
    return [
        [int(c) for c in line.split(":", 1)[1].split()]
        for line in text.splitlines()
        if line.strip().lower().startswith("route")
    ]


def read_bks(path: str | Path, column: str = "dimacs_bks_distance") -> dict[str, float]:
    """Instance name -> its best-known value in `column` of the benchmark's BKS table."""
    with open(path, newline="") as f:
        return {row["instance"]: float(row[column]) for row in csv.DictReader(f)}


@dataclass(frozen=True)
class Row:
    name: str
    evaluation: Evaluation | None
    bks: float | None
    wall: float

    @property
    def gap(self) -> float | None:
        if self.evaluation is None or not self.bks:
            return None
        return 100 * (self.evaluation.distance - self.bks) / self.bks


def solve_instance(
    inst: Instance, *, time_limit: float, seed: int, params: SolveParams
) -> list[list[int]] | None:
    """Routes from the dispatch engine (`solver.solve`), or None when it found nothing."""
    from solver import solve  # imported late so that the readers and the evaluator work on their own

    solution = solve(inst.problem(), time_limit=time_limit, seed=seed, params=params)
    if solution.status == "infeasible":
        return None
    return routes_of(inst, solution)  # unassigned customers show up as missing in the evaluation


def run(
    instances: Sequence[Instance],
    *,
    bks: dict[str, float],
    out: Path,
    time_limit: float,
    seed: int,
    params: SolveParams,
    solver_fn: Callable[..., list[list[int]] | None] = solve_instance,
) -> list[Row]:
    """Solve, check and write every instance, printing one row each as it completes."""
    out.mkdir(parents=True, exist_ok=True)
    print(
        f"{'instance':<10}{'distance':>10}{'vehicles':>9}{'BKS':>9}{'gap %':>8}{'feasible':>9}{'wall s':>8}"
    )
    rows: list[Row] = []
    for inst in instances:
        t0 = time.perf_counter()
        routes = solver_fn(inst, time_limit=time_limit, seed=seed, params=params)
        wall = time.perf_counter() - t0
        ev = evaluate(inst, routes) if routes is not None else None
        if ev is not None:
            (out / f"{inst.name}.sol").write_text(format_sol(routes or [], ev.distance_tenths))
        row = Row(inst.name, ev, bks.get(inst.name), wall)
        rows.append(row)
        print(_format_row(row), flush=True)
        for err in ev.errors if ev else ("no solution",):
            print(f"    {inst.name}: {err}", file=sys.stderr)
    gaps = [r.gap for r in rows if r.gap is not None]
    if gaps:
        print(f"mean gap {sum(gaps) / len(gaps):.2f} % over {len(gaps)} instances")
    return rows


def _format_row(row: Row) -> str:
    ev = row.evaluation
    dist = f"{ev.distance:.1f}" if ev else "-"
    veh = str(ev.vehicles) if ev else "-"
    bks = f"{row.bks:.1f}" if row.bks else "-"
    gap = f"{row.gap:.2f}" if row.gap is not None else "-"
    feas = "yes" if ev and ev.feasible else "NO"
    return f"{row.name:<10}{dist:>10}{veh:>9}{bks:>9}{gap:>8}{feas:>9}{row.wall:>8.1f}"


class _Checked(Protocol):
    @property
    def evaluation(self) -> Any: ...


def all_feasible(rows: Sequence[_Checked]) -> bool:
    return all(r.evaluation is not None and r.evaluation.feasible for r in rows)


def arg_parser(description: str, *, time_limit: float = 10.0, out: Path = Path("benchmarks/out"),
               files_help: str | None = None) -> argparse.ArgumentParser:
    """The options every instance runner shares: files, time limit, output folder, seed, solution limit."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("files", nargs="+", type=Path, help=files_help)
    p.add_argument("--time-limit", type=float, default=time_limit, help="seconds per instance")
    p.add_argument("--out", type=Path, default=out)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--solution-limit", type=int, default=None, help="bound the search by a count (reproducible)"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    p = arg_parser("Solomon VRPTW benchmark in the DIMACS convention.")
    p.add_argument("--bks", type=Path, required=True, help="bks_solomon.csv (dimacs_bks_distance column)")
    p.add_argument("--portfolio", choices=["ils_walk", "race_fork"], default="ils_walk",
                   help="ils_walk: the compiled ruin and recreate (solver/vrptw.py) on both cores, or beside "
                        "iterated local search when the insertion leaves a customer out (RESULTS_solomon.md); "
                        "race_fork: iterated and guided local search at once")
    args = p.parse_args(argv)
    if args.portfolio == "ils_walk":
        from solver import vrptw

        vrptw.warm()  # once, before the clock of the first instance starts (each walk forks from here)
    rows = run(
        [read_solomon(f) for f in args.files],
        bks=read_bks(args.bks),
        out=args.out,
        time_limit=args.time_limit,
        seed=args.seed,
        # A single-threaded process: both arms at once, one per core.
        params=SolveParams(solution_limit=args.solution_limit, portfolio=args.portfolio),
    )
    return 0 if all_feasible(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
