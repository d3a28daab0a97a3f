"""Tuning ruin and recreate (solver/lns.py) on a fixed CPU budget, robust to a busy machine.

    python -m benchmarks.lns_tune [--days lyon:1 lyon:2 manchester:3 manchester:4 munich:5 munich:6]
        [--walk-seeds 0 1] [--cpu 5] [--start greedy|search:N] [--workers 2] [--json FILE]
        base "MIN_REMOVED=8,MAX_REMOVED=60" ...

Each configuration sets module constants of solver.lns (`NAME=VALUE`, comma separated; `base` sets none) and,
on every tuning day (200 orders x 25 technicians; never the held-out days 11-16 of benchmarks.compare) and
walk seed, runs `lns.improve` from the same start plan until the walk has used --cpu seconds of CPU
(time.process_time, so other processes on the machine change how long it takes, not what it reaches). The
start is the priority-first insertion plan (greedy_solve, what the second core walks from) or the plan
OR-Tools' local search reaches after N solutions (what the first core walks from). Each final plan goes
through the glue's to_plan and dispatch.analysis.checker; the weighted cost is the checker's objective.

Printed per configuration: the summed weighted cost, its change against the first configuration (mean and
spread of the per-run changes, and how many runs it wins), orders served, P1 late or unserved, steps, and
the spread between walk seeds of the first configuration (how far two seeds of one day differ), the noise
a change must clear. Exit 1 if any plan is invalid.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from functools import cache
from typing import Any

from benchmarks.compare import score
from dispatch.analysis.checker import check_plan
from dispatch.demo_days import DEFAULT_DATE, generate_day
from dispatch.planning import solve_params
from dispatch.planning.translate import Built, build_problem, to_plan
from dispatch.policy import Policy
from solver import Solution, lns, solve
from solver.construct import greedy_solve

TUNING_DAYS = ("lyon:1", "lyon:2", "manchester:3", "manchester:4", "munich:5", "munich:6")
HELD_OUT = range(11, 17)


@dataclass(frozen=True)
class Run:
    config: str
    day: str
    walk_seed: int
    cost: float
    start_cost: float
    served: int
    p1_bad: int
    steps: int
    cpu: float
    valid: bool


def parse_config(text: str) -> dict[str, Any]:
    """`NAME=VALUE,...` as constants of solver.lns (each must exist there); `base` is none."""
    if text == "base":
        return {}
    out: dict[str, Any] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        if not hasattr(lns, name) or not name.isupper():
            raise SystemExit(f"config {text!r}: solver.lns has no constant {name!r}")
        out[name] = json.loads(value)
    return out


@cache
def built_day(day: str, orders: int, technicians: int) -> Built:
    city, _, seed = day.partition(":")
    if int(seed) in HELD_OUT:
        raise SystemExit(f"day {day}: seeds {HELD_OUT.start}-{HELD_OUT.stop - 1} are held out, not for tuning")
    generated = generate_day(orders=orders, technicians=technicians, seed=int(seed), plan_date=DEFAULT_DATE, city=city)
    return build_problem(generated, Policy(time_limit=20, seed=0))


@cache
def start_plan(day: str, orders: int, technicians: int, start: str) -> Solution:
    built = built_day(day, orders, technicians)
    if start == "greedy":
        return greedy_solve(built.problem)
    kind, _, count = start.partition(":")
    if kind != "search" or not count.isdigit():
        raise SystemExit(f"--start {start!r}: greedy or search:N (a solution limit)")
    params = replace(solve_params(Policy(time_limit=20, seed=0)), ruin_recreate=False, cores=1,
                     solution_limit=int(count))
    return solve(built.problem, time_limit=20, seed=0, params=params)


def one(task: tuple[str, dict[str, Any], str, int, int, int, str, float]) -> Run:
    name, config, day, walk_seed, orders, technicians, start, cpu = task
    built = built_day(day, orders, technicians)
    begin = start_plan(day, orders, technicians, start)
    saved = {k: getattr(lns, k) for k in config}
    try:
        for k, v in config.items():
            setattr(lns, k, v)
        c0 = time.process_time()
        walk = lns.improve(built.problem, begin, seed=walk_seed, deadline=c0 + cpu, clock=time.process_time)
        used = time.process_time() - c0
    finally:
        for k, v in saved.items():
            setattr(lns, k, v)
    report = check_plan(built.day, to_plan(built, walk.best))
    row = score(built.day, walk_seed, name, report, 0.0)
    start_row = score(built.day, walk_seed, "start", check_plan(built.day, to_plan(built, begin)), 0.0)
    return Run(config=name, day=day, walk_seed=walk_seed, cost=row.cost, start_cost=start_row.cost,
               served=row.served, p1_bad=row.p1_bad, steps=walk.steps, cpu=used, valid=report.ok)


def summary(runs: Sequence[Run], configs: Sequence[str]) -> list[str]:
    base = {(r.day, r.walk_seed): r for r in runs if r.config == configs[0]}
    lines = ["| config | weighted cost | vs first: mean (sd) per run | runs cheaper | served | P1 late or unserved "
             "| steps | invalid |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name in configs:
        mine = [r for r in runs if r.config == name]
        changes = [100 * (r.cost / base[(r.day, r.walk_seed)].cost - 1) for r in mine]
        wins = sum(1 for r in mine if r.cost < base[(r.day, r.walk_seed)].cost)
        sd = statistics.stdev(changes) if len(changes) > 1 else 0.0
        lines.append(f"| {name} | {sum(r.cost for r in mine):,.0f} | {statistics.mean(changes):+.2f} % ({sd:.2f}) "
                     f"| {wins}/{len(mine)} | {sum(r.served for r in mine)} | {sum(r.p1_bad for r in mine)} "
                     f"| {sum(r.steps for r in mine):,} | {sum(1 for r in mine if not r.valid)} |")
    days = sorted({r.day for r in base.values()})
    seeds = sorted({r.walk_seed for r in base.values()})
    if len(seeds) > 1:
        spreads = []
        for d in days:
            costs = [base[(d, s)].cost for s in seeds]
            spreads.append(100 * (max(costs) - min(costs)) / min(costs))
        lines.append(f"\nspread between walk seeds of {configs[0]!r}: mean {statistics.mean(spreads):.2f} %, "
                     f"max {max(spreads):.2f} % (per day: {', '.join(f'{s:.1f}' for s in spreads)})")
    starts = {r.day: r.start_cost for r in runs}
    lines.append(f"start plans' weighted cost (sum over days, each counted once per walk seed): "
                 f"{len(seeds) * sum(starts.values()):,.0f}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("configs", nargs="*", default=["base"])
    ap.add_argument("--days", nargs="+", default=list(TUNING_DAYS), help="city:seed")
    ap.add_argument("--walk-seeds", nargs="+", type=int, default=[0, 1])
    ap.add_argument("--orders", type=int, default=200)
    ap.add_argument("--technicians", type=int, default=25)
    ap.add_argument("--cpu", type=float, default=5.0, help="CPU seconds per walk")
    ap.add_argument("--start", default="greedy", help="greedy, or search:N (local search, N solutions)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="write every run here")
    args = ap.parse_args(argv)
    parsed = {c: parse_config(c) for c in args.configs}
    tasks = [(c, parsed[c], d, s, args.orders, args.technicians, args.start, args.cpu)
             for d in args.days for s in args.walk_seeds for c in args.configs]
    t0 = time.perf_counter()
    for d in args.days:  # once, before the workers fork (they inherit the days and start plans)
        start_plan(d, args.orders, args.technicians, args.start)
    if args.workers > 1:
        with multiprocessing.get_context("fork").Pool(args.workers) as pool:
            runs = pool.map(one, tasks, chunksize=1)
    else:
        runs = [one(t) for t in tasks]
    print(f"{len(args.days)} days x {len(args.walk_seeds)} walk seeds, {args.cpu:g} CPU s each, start {args.start}, "
          f"{time.perf_counter() - t0:.0f} s wall")
    print("\n".join(summary(runs, args.configs)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump([asdict(r) for r in runs], f, indent=1)
    return 1 if any(not r.valid for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
