"""Gehring-Homberger VRPTW (VRPLIB files) with the same runner and checks as the Solomon benchmark.

    python -m benchmarks.homberger FILE.vrp... --time-limit 60 [--out DIR] [--seed N]

The BKS is read from the `Cost` line of FILE.sol next to each instance when it exists (DIMACS convention).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.instances import read_vrplib
from benchmarks.solomon import all_feasible, arg_parser, run
from solver.params import SolveParams


def bks_from_sol(path: Path) -> float | None:
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        if line.strip().lower().startswith("cost"):
            return float(line.split()[1])
    return None


def main(argv: Sequence[str] | None = None) -> int:
    p = arg_parser("Gehring-Homberger VRPTW benchmark in the DIMACS convention.")
    p.set_defaults(time_limit=60.0)
    args = p.parse_args(argv)
    instances = [read_vrplib(f) for f in args.files]
    bks = {
        inst.name: b
        for inst, f in zip(instances, args.files, strict=True)
        if (b := bks_from_sol(f.with_suffix(".sol")))
    }
    rows = run(
        instances,
        bks=bks,
        out=args.out,
        time_limit=args.time_limit,
        seed=args.seed,
        # A single-threaded process: race the two recipes at once, as the recorded figures did.
        params=SolveParams(solution_limit=args.solution_limit, portfolio="race_fork"),
    )
    return 0 if all_feasible(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
