"""Does `dispatch solve --time-limit T` come back within T? The command itself, timed from outside.

    python -m benchmarks.timelimit --sizes 200x25 1000x100 5000x500 --time-limits 20 60 120 --seed 11
        [--city lyon] [--workers 1] [--phases] [--strict] [--json FILE]

For each size (orders x technicians, each with its time limit; one limit serves every size): a day is
generated (`--seed`, which no tuning used) and written as the CSV contract, then `dispatch solve` runs as its
own process, exactly as a user starts it (the console entry point `api.cli:main`, on this checkout's code),
and its wall time is measured from starting the process to its exit: imports, reading the files, matrices,
the split and the regions, the searches, explanations, fixes, writing and printing the plan and the
interpreter's exit. The bound is T x 1.05 + 1 s. The plan then goes through the independent checker
(outside the timing). With `--phases` the command runs with timers around its phases (the same code path:
each timer wraps one function), to show where the time went. Exit 1 if a plan is invalid, or, with
`--strict`, if a run overran its bound.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OVERRUN, SLACK = 1.05, 1.0  # the bound: T x 1.05 + 1 s

# (module, function, label) timed with --phases; a function is timed where the caller looks it up
PHASES = (
    ("dispatch.cli", "_load_day", "read the CSV files"),
    ("dispatch.planning.regions.border", "split_day", "split into regions"),
    ("dispatch.planning.solving", "build_problem", "build problems (matrices)"),
    ("dispatch.planning.fixes", "build_problem", "fixes: build problems (matrices)"),
    ("dispatch.planning.solving", "solve", "solver calls (search, explanations)"),
    ("dispatch.planning.solving", "to_plan", "translate back"),
    ("dispatch.planning.solving", "attach", "fixes"),
    ("dispatch.planning.regions.border", "_fixes_by_region", "fixes"),
    ("dispatch.planning.regions.border", "_border_tasks", "border pass grouping"),
    ("dispatch.cli", "plan_day", "plan_day in all"),
    ("dispatch.cli", "_write_plan", "write the plan"),
    ("dispatch.cli", "show_kpis", "print"),
    ("dispatch.cli", "show_fixes", "print"),
)


def _child_with_phases(out: Path, argv: list[str]) -> None:
    """`dispatch <argv>` in this process with timers around PHASES; the seconds per phase go to `out`."""
    import functools
    import importlib

    import psutil

    from api.cli import main as dispatch_main

    seconds: dict[str, float] = {}

    def timed(fn: Any, label: str) -> Any:
        @functools.wraps(fn)
        def wrapper(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                seconds[label] = seconds.get(label, 0.0) + time.perf_counter() - t
        return wrapper

    for module, name, label in PHASES:
        mod = importlib.import_module(module)
        setattr(mod, name, timed(getattr(mod, name), label))
    seconds["start and imports"] = time.time() - psutil.Process().create_time()
    sys.argv = ["dispatch", *argv]
    try:
        dispatch_main()
    except SystemExit as e:
        if e.code not in (None, 0):
            raise
    finally:
        out.write_text(json.dumps({k: round(v, 2) for k, v in seconds.items()}))


def run_one(orders: int, technicians: int, time_limit: float, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Generate the day, run `dispatch solve` on it as a process and time it, check the plan."""
    from dispatch.analysis.checker import check_plan
    from dispatch.demo_days import DEFAULT_DATE, generate_day
    from dispatch.io import read_day, write_orders_csv, write_technicians_csv
    from dispatch.plan import Plan

    day = generate_day(orders=orders, technicians=technicians, seed=args.seed, plan_date=DEFAULT_DATE, city=args.city)
    folder = work / f"{orders}x{technicians}"
    folder.mkdir(parents=True, exist_ok=True)
    write_technicians_csv(day.technicians, folder / "technicians.csv")
    write_orders_csv(day.orders, folder / "orders.csv")
    plan_path, phases_path = folder / "plan.json", folder / "phases.json"
    solve = ["solve", "-t", str(folder / "technicians.csv"), "-o", str(folder / "orders.csv"), "-d",
             DEFAULT_DATE.isoformat(), "--out", str(plan_path), "--time-limit", f"{time_limit:g}", "--workers",
             str(args.workers)]
    if args.phases:
        cmd = [sys.executable, "-m", "benchmarks.timelimit", "--child-phases", str(phases_path), "--", *solve]
    else:
        cmd = [sys.executable, "-c", "from api.cli import main; main()", *solve]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's code, whatever the venv installed
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    load1 = os.getloadavg()[0]
    if done.returncode != 0:
        raise SystemExit(f"dispatch solve failed ({done.returncode}):\n{done.stderr[-3000:]}")
    plan = Plan.from_json(plan_path.read_text(encoding="utf-8"))
    report = check_plan(read_day(folder / "technicians.csv", folder / "orders.csv", DEFAULT_DATE), plan)
    solver = plan.kpis.solver if plan.kpis is not None else None
    bound = time_limit * OVERRUN + SLACK
    row: dict[str, Any] = {
        "orders": orders, "technicians": technicians, "time_limit_s": time_limit, "bound_s": round(bound, 2),
        "wall_s": round(wall, 2), "within": wall <= bound, "over_limit_pct": round(100 * (wall / time_limit - 1), 1),
        "load_average_start": round(load0, 2), "load_average_end": round(load1, 2),
        "valid": report.ok, "violations": [str(v) for v in report.violations[:10]],
        "served": plan.kpis.served if plan.kpis is not None else None,
        "unassigned": len(plan.unassigned),
        "fixes": sum(len(u.fixes) for u in plan.unassigned) + sum(len(s.fixes) for r in plan.routes for s in r.stops),
        "weighted_cost": round(report.objective["total"], 1),
        "solver_wall_s": solver.wall_time_s if solver is not None else None,
        "regions": len(solver.regions) if solver is not None else 0,
        "notes": list(solver.notes) if solver is not None else [],
    }
    if args.phases and phases_path.exists():
        row["phases_s"] = json.loads(phases_path.read_text())
    return row


def _print_row(r: dict[str, Any]) -> None:
    print(f"{r['orders']:,} x {r['technicians']}, limit {r['time_limit_s']:g} s: wall {r['wall_s']} s "
          f"({'within' if r['within'] else 'OVER'} {r['bound_s']} s; {r['over_limit_pct']:+.1f} % of the limit), "
          f"load {r['load_average_start']} -> {r['load_average_end']}; plan {'valid' if r['valid'] else 'INVALID'}, "
          f"served {r['served']}, {r['unassigned']} left out, {r['fixes']} fixes, cost {r['weighted_cost']:,.0f}"
          + (f", {r['regions']} regions" if r["regions"] else ""), flush=True)
    for note in r["notes"]:
        print(f"  note: {note}")
    for label, s in r.get("phases_s", {}).items():
        print(f"  {label}: {s} s")
    for v in r["violations"]:
        print(f"  violation: {v}")


def _size(text: str) -> tuple[int, int]:
    try:
        orders, techs = (int(x) for x in text.lower().split("x"))
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{text!r} is not like 1000x100 (orders x technicians)") from e
    return orders, techs


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child-phases"]:
        _child_with_phases(Path(argv[1]), argv[3:])
        return 0
    ap = argparse.ArgumentParser(prog="python -m benchmarks.timelimit", description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=_size, nargs="+", default=[(200, 25), (1000, 100), (5000, 500)])
    ap.add_argument("--time-limits", type=float, nargs="+", default=[20.0, 60.0, 120.0],
                    help="one per size, or one for every size")
    ap.add_argument("--seed", type=int, default=11, help="seed of the generated days")
    ap.add_argument("--city", default="lyon")
    ap.add_argument("--workers", type=int, default=1, help="dispatch solve --workers")
    ap.add_argument("--phases", action="store_true", help="also time the phases inside the command")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a run overran T x 1.05 + 1 s")
    ap.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    args = ap.parse_args(argv)
    limits = args.time_limits * len(args.sizes) if len(args.time_limits) == 1 else args.time_limits
    if len(limits) != len(args.sizes):
        ap.error("--time-limits takes one limit, or one per size")

    from benchmarks.compare import code_version  # not in the timed child: it imports the peers

    started = datetime.now()
    rows = []
    with tempfile.TemporaryDirectory(prefix="timelimit-") as tmp:
        for (orders, techs), limit in zip(args.sizes, limits, strict=True):
            row = run_one(orders, techs, limit, args, Path(tmp))
            _print_row(row)
            rows.append(row)
    figures = {
        "command": "python -m benchmarks.timelimit " + " ".join(argv),
        "date": f"{started:%Y-%m-%d %H:%M}", "code": code_version(), "cpus": os.cpu_count(),
        "city": args.city, "seed": args.seed, "workers": args.workers, "runs": rows,
    }
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    ok = all(r["valid"] for r in rows) and (not args.strict or all(r["within"] for r in rows))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
