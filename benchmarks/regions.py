"""A very large day solved by region on dask against the same day solved as one problem in the same time.

    python -m benchmarks.regions --orders 5000 --technicians 500 --time-limit 120 --workers 2 --seed 1
        [--city lyon] [--region-orders 600] [--scheduler tcp://host:8786] [--json FILE] [--markdown FILE]

Each way runs in a fresh process of its own, so that neither one's memory counts against the other:
1. by region: `plan_day` with `region_orders` on a dask LocalCluster of `--workers` worker processes (or a
   running scheduler), within `--time-limit` seconds of wall time;
2. as one problem: `plan_day` with regions off, given the wall time the first way took (cluster start-up
   included), so both had the same total time.
Both plans go through the independent checker. Peak memory is the highest sum of resident memory over the
process and all its descendants (dask workers included), sampled every 0.2 s with psutil. Exit 1 if either
plan is invalid.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.compare import code_version

ROOT = Path(__file__).resolve().parents[1]


class PeakMemory:
    """Highest resident memory of this process tree, sampled in a thread."""

    def __init__(self, every: float = 0.2) -> None:
        import psutil

        self._proc = psutil.Process()
        self._every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        import psutil

        total = 0
        for p in [self._proc, *self._proc.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):  # a worker that ended between listing and reading
                total += p.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self._every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    """One way of solving the day, in this process; the figures as a dict."""
    from dispatch.analysis.checker import check_plan
    from dispatch.demo_days import DEFAULT_DATE, generate_day
    from dispatch.parallel import DaskExecutor
    from dispatch.planning import plan_day
    from dispatch.policy import Policy

    day = generate_day(orders=args.orders, technicians=args.technicians, seed=args.seed, plan_date=DEFAULT_DATE,
                       city=args.city)
    regions = args.mode == "regions"
    policy = Policy(time_limit=args.time_limit, seed=args.solver_seed,
                    region_orders=args.region_orders if regions else None)
    with PeakMemory() as mem:
        t0 = time.perf_counter()
        if args.mode == "greedy":  # the priority-first greedy rule (benchmarks.greedy) on the whole day
            from benchmarks.greedy import greedy_solve
            from dispatch.planning.translate import build_problem, to_plan
            built = build_problem(day, policy)
            plan = to_plan(built, greedy_solve(built.problem))
        elif regions:
            with DaskExecutor(args.scheduler, n_workers=args.workers) as ex:
                plan = plan_day(day, policy, executor=ex)
        else:
            plan = plan_day(day, policy)
        wall = time.perf_counter() - t0
    t1 = time.perf_counter()
    report = check_plan(day, plan)
    check_s = time.perf_counter() - t1
    k = plan.kpis
    obj = report.objective
    out: dict[str, Any] = {
        "mode": args.mode,
        "time_limit_s": round(args.time_limit, 1),
        "wall_s": round(wall, 1),
        "peak_rss_mib": round(mem.peak / 2**20),
        "valid": report.ok,
        "violations": [str(v) for v in report.violations[:10]],
        "check_s": round(check_s, 1),
        "served": k.served,
        "by_priority": {p: {"orders": d.orders, "served": d.served, "on_time": d.on_time}
                        for p, d in k.by_priority.items()},
        "late_minutes": k.total_late_minutes,
        "km": round(obj["travel km"], 1),
        "weighted_cost": round(obj["total"], 1),
        "cost_parts": {p: round(obj[p], 1) for p in ("unserved", "response deadline", "travel")},
    }
    if regions:
        solver = k.solver.to_dict()
        out["regions"] = len(solver["regions"])
        out["region_sizes"] = [r["orders"] for r in solver["regions"]]
        out["border_groups"] = len(solver["border"])
        out["workers"] = args.workers if not args.scheduler else "cluster"
    return out


def _child(args: argparse.Namespace, mode: str, time_limit: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.regions", "--one", mode, "--orders", str(args.orders),
           "--technicians", str(args.technicians), "--seed", str(args.seed), "--solver-seed", str(args.solver_seed),
           "--city", args.city, "--time-limit", f"{time_limit:.1f}", "--workers", str(args.workers),
           "--region-orders", str(args.region_orders)]
    if args.scheduler:
        cmd += ["--scheduler", args.scheduler]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def markdown(fig: dict[str, Any]) -> str:
    reg, one = fig["by_region"], fig["one_problem"]

    def row(name: str, r: dict[str, Any]) -> str:
        p1, p2 = r["by_priority"]["P1"], r["by_priority"]["P2"]
        return (f"| {name} | {r['wall_s']} | {r['peak_rss_mib']:,} | {'yes' if r['valid'] else 'NO'} | "
                f"{r['served']} | {p1['served']}/{p1['orders']} ({p1['on_time']} on time) | "
                f"{p2['served']}/{p2['orders']} ({p2['on_time']} on time) | {r['late_minutes']:,.0f} | "
                f"{r['km']:,.0f} | {r['weighted_cost']:,.0f} |")

    gap = 100 * (reg["weighted_cost"] - one["weighted_cost"]) / one["weighted_cost"]
    return "\n".join([
        f"### {fig['orders']:,} orders x {fig['technicians']} technicians ({fig['city']}, day seed {fig['seed']}), "
        f"{fig['date']}, code {fig['code']}",
        "",
        f"`{fig['command']}`; {fig['cpus']} CPUs, load {fig['load_average_start']} -> {fig['load_average_end']}.",
        f"By region: {reg['regions']} regions of {min(reg['region_sizes'])}-{max(reg['region_sizes'])} orders, "
        f"{reg['border_groups']} border-pass solves, on {reg['workers']} dask workers, time limit "
        f"{reg['time_limit_s']} s. As one problem: time limit {one['time_limit_s']} s, the by-region wall time.",
        "",
        "| way | wall s | peak MiB | valid | served | P1 served | P2 served | late min | km | weighted cost |",
        "| --- | ---: | ---: | --- | ---: | --- | --- | ---: | ---: | ---: |",
        row("by region", reg),
        row("one problem", one),
        "",
        f"Weighted cost by region is {gap:+.1f} % against one problem.",
        "",
    ])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.regions", description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=5000)
    ap.add_argument("--technicians", type=int, default=500)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--region-orders", type=int, default=600)
    ap.add_argument("--scheduler", default=None, help="a running dask scheduler instead of a local cluster")
    ap.add_argument("--seed", type=int, default=1, help="seed of the generated day")
    ap.add_argument("--solver-seed", type=int, default=0)
    ap.add_argument("--city", default="lyon")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--markdown", type=Path, default=None, help="append the result table to this file")
    ap.add_argument("--one", choices=("regions", "single", "greedy"), help=argparse.SUPPRESS)
    ap.add_argument("--greedy", action="store_true", help="also plan the day with the priority-first greedy rule")
    ap.add_argument("--no-single", action="store_true", help="skip solving the day as one problem")
    args = ap.parse_args(argv)
    if args.one:
        args.mode = args.one
        print(json.dumps(run_one(args)))
        return 0

    started, load0 = datetime.now(), os.getloadavg()
    reg = _child(args, "regions", args.time_limit)
    print(f"by region: {reg['wall_s']} s, {reg['peak_rss_mib']} MiB, valid {reg['valid']}, "
          f"cost {reg['weighted_cost']:,.0f}", flush=True)
    one = None
    if not args.no_single:
        one = _child(args, "single", reg["wall_s"])
        print(f"one problem: {one['wall_s']} s, {one['peak_rss_mib']} MiB, valid {one['valid']}, "
              f"cost {one['weighted_cost']:,.0f}", flush=True)
    greedy = None
    if args.greedy:
        greedy = _child(args, "greedy", args.time_limit)
        print(f"greedy rule: {greedy['wall_s']} s, valid {greedy['valid']}, cost {greedy['weighted_cost']:,.0f}; "
              f"by region {100 * (reg['weighted_cost'] - greedy['weighted_cost']) / greedy['weighted_cost']:+.1f} %",
              flush=True)
    fig = {
        "command": "python -m benchmarks.regions " + " ".join(sys.argv[1:] if argv is None else argv),
        "date": f"{started:%Y-%m-%d %H:%M}", "code": code_version(), "cpus": os.cpu_count(),
        "load_average_start": round(load0[0], 2), "load_average_end": round(os.getloadavg()[0], 2),
        "orders": args.orders, "technicians": args.technicians, "city": args.city, "seed": args.seed,
        "by_region": reg, "one_problem": one, "greedy": greedy,
    }
    text = markdown(fig) if one is not None else ""
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(fig, indent=2))
    if args.markdown:
        with args.markdown.open("a", encoding="utf-8") as f:
            f.write("\n" + text)
    return 0 if reg["valid"] and (one is None or one["valid"]) and (greedy is None or greedy["valid"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
