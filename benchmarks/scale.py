"""A large day end to end: time to a valid plan and peak memory.

    python -m benchmarks.scale --orders 1000 --technicians 100 --time-limit 60 --seed 1 [--city lyon]
        [--greedy] [--memory-budget-mib 2048] [--json FILE]

Generates the day, builds the Problem (travel matrix included), solves it through the glue's parameters,
turns the Solution into a Plan and runs the independent checker. Peak memory is the process's resident
high-water mark (getrusage ru_maxrss), which counts what OR-Tools allocates in C++ (tracemalloc would not).
Time to a first plan is measured by a second solve stopped at its first solution (solution_limit=1),
unless --no-first. Exit 1 if the plan is invalid or serves nothing, the solve call overruns the time
limit by more than 5 %, or peak memory reaches the budget.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.compare import code_version
from dispatch.analysis.checker import check_plan
from dispatch.demo_days import DEFAULT_DATE, generate_day
from dispatch.domain import PRIORITIES
from dispatch.planning import solve_params
from dispatch.planning.translate import build_problem, to_plan
from dispatch.policy import Policy
from solver import SolveParams, solve

_OVERRUN = 1.05  # the solve call may exceed its limit by 5 % (model building, reading the routes back)


def peak_mib() -> float:
    """Resident high-water mark in MiB (ru_maxrss is KiB on Linux): this process plus the largest of its
    finished children (the solver may race a recipe in a forked process). The sum over-counts pages a fork
    shares copy-on-write, so it is an upper bound."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=1000)
    ap.add_argument("--technicians", type=int, default=100)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1, help="seed of the generated day")
    ap.add_argument("--solver-seed", type=int, default=0)
    ap.add_argument("--city", default="lyon")
    ap.add_argument("--greedy", action="store_true", help="also score the greedy peer on the same Problem")
    ap.add_argument("--no-first", action="store_true", help="skip the solve stopped at its first solution")
    ap.add_argument("--memory-budget-mib", type=float, default=2048.0)
    ap.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    args = ap.parse_args(argv)

    started, load0 = datetime.now(), os.getloadavg()
    t_all = time.perf_counter()
    day = generate_day(orders=args.orders, technicians=args.technicians, seed=args.seed, plan_date=DEFAULT_DATE,
                       city=args.city)
    t_gen = time.perf_counter()
    policy = Policy(time_limit=args.time_limit, seed=args.solver_seed)
    built = build_problem(day, policy)
    t_built = time.perf_counter()
    mem_before_solve = peak_mib()
    solution = solve(built.problem, time_limit=policy.time_limit, seed=policy.seed, params=solve_params(policy))
    t_solved = time.perf_counter()
    plan = to_plan(built, solution)
    report = check_plan(day, plan)
    t_checked = time.perf_counter()
    peak = peak_mib()

    solve_s = t_solved - t_built
    obj = report.objective
    by_id = {o.id: o for o in day.orders}
    per_p: dict[str, dict[str, int]] = {}
    for p in PRIORITIES:
        late = [m for oid, m in report.late_minutes.items() if by_id[oid].priority == p]
        per_p[p.value] = {
            "orders": sum(1 for o in day.orders if o.priority == p),
            "served": len(late),
            "on_time": sum(1 for m in late if m < 0.5),
            "unserved": round(obj.get(f"unserved {p.value}", 0)),
        }
    figures: dict[str, Any] = {
        "command": "python -m benchmarks.scale " + " ".join(sys.argv[1:] if argv is None else argv),
        "date": f"{started:%Y-%m-%d %H:%M}",
        "code": code_version(),
        "cpus": os.cpu_count(),
        "load_average_start": round(load0[0], 2),
        "load_average_end": round(os.getloadavg()[0], 2),
        "orders": args.orders,
        "technicians": args.technicians,
        "time_limit_s": args.time_limit,
        "generate_s": round(t_gen - t_all, 2),
        "build_problem_s": round(t_built - t_gen, 2),
        "solve_call_s": round(solve_s, 2),
        "time_to_valid_plan_s": round(t_checked - t_gen, 2) if report.ok else None,
        "check_s": round(t_checked - t_solved, 2),
        "total_wall_s": round(t_checked - t_all, 2),
        "peak_rss_mib": round(peak, 1),
        "peak_rss_before_solve_mib": round(mem_before_solve, 1),
        "solver_status": solution.status,
        "solutions_found": solution.solutions_found,
        "valid": report.ok,
        "violations": [str(v) for v in report.violations[:20]],
        "served": len(day.orders) - sum(d["unserved"] for d in per_p.values()),
        "by_priority": per_p,
        "late_minutes": round(sum(report.late_minutes.values()), 1),
        "km": round(obj["travel km"], 1),
        "weighted_cost": round(obj["total"], 1),
        "cost_parts": {k: round(obj[k], 1) for k in ("unserved", "response deadline", "travel")},
    }
    if not args.no_first:
        t0 = time.perf_counter()
        first = solve(built.problem, time_limit=policy.time_limit, seed=policy.seed,
                      params=SolveParams(solution_limit=1))
        f_wall = time.perf_counter() - t0
        f_report = check_plan(day, to_plan(built, first))
        figures["first_solution"] = {"solve_call_s": round(f_wall, 2), "valid": f_report.ok,
                                     "solutions_found": first.solutions_found,
                                     "served": len(day.orders) - len(first.unassigned),
                                     "weighted_cost": round(f_report.objective["total"], 1)}
        figures["peak_rss_mib"] = round(peak_mib(), 1)
    if args.greedy:
        from benchmarks.greedy import greedy_solve

        t0 = time.perf_counter()
        g = greedy_solve(built.problem)
        g_wall = time.perf_counter() - t0
        g_report = check_plan(day, to_plan(built, g))
        figures["greedy"] = {"wall_s": round(g_wall, 2), "valid": g_report.ok,
                             "weighted_cost": round(g_report.objective["total"], 1),
                             "served": len(day.orders) - len(g.unassigned),
                             "km": round(g_report.objective["travel km"], 1)}
        figures["peak_rss_mib"] = round(peak_mib(), 1)

    within_time = solve_s <= args.time_limit * _OVERRUN
    serves = figures["served"] > 0 or not day.orders  # an empty plan is "valid" but is no plan
    within_memory = figures["peak_rss_mib"] < args.memory_budget_mib
    print(f"{args.orders} orders x {args.technicians} technicians ({args.city}, day seed {args.seed}), "
          f"limit {args.time_limit:g} s; {figures['cpus']} CPUs, load {figures['load_average_start']} -> "
          f"{figures['load_average_end']}; code {figures['code']}")
    print(f"  generate {figures['generate_s']} s, build problem {figures['build_problem_s']} s, "
          f"solve call {figures['solve_call_s']} s ({'within' if within_time else 'OVER'} the limit), "
          f"check {figures['check_s']} s, total {figures['total_wall_s']} s")
    print(f"  peak memory {figures['peak_rss_mib']} MiB (ru_maxrss of the process + its largest child; {figures['peak_rss_before_solve_mib']} MiB "
          f"before solving; budget {args.memory_budget_mib:g} MiB: {'ok' if within_memory else 'OVER'})")
    print(f"  plan {'VALID' if report.ok else 'INVALID'} by dispatch.analysis.checker; solver {solution.status}, "
          f"{solution.solutions_found} solutions{'' if serves else '; NO PLAN: nothing is served'}")
    print(f"  served {figures['served']}/{args.orders}, late {figures['late_minutes']:,.0f} min, "
          f"{figures['km']:,.1f} km, weighted cost {figures['weighted_cost']:,.0f} "
          f"(unserved {obj['unserved']:,.0f}, lateness {obj['response deadline']:,.0f}, travel {obj['travel']:,.0f})")
    for p, d in per_p.items():
        print(f"  {p}: {d['served']}/{d['orders']} served, {d['on_time']} on time, {d['unserved']} unserved")
    if "first_solution" in figures:
        ff = figures["first_solution"]
        print(f"  stopped at the first solution: {ff['solve_call_s']} s, served {ff['served']}, "
              f"cost {ff['weighted_cost']:,.0f}, {'valid' if ff['valid'] else 'INVALID'}")
    if "greedy" in figures:
        gf = figures["greedy"]
        print(f"  greedy on the same Problem: cost {gf['weighted_cost']:,.0f}, served {gf['served']}, "
              f"{gf['km']:,.1f} km, {gf['wall_s']} s, {'valid' if gf['valid'] else 'INVALID'}")
    for v in figures["violations"]:
        print(f"  violation: {v}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if report.ok and serves and within_time and within_memory else 1


if __name__ == "__main__":
    raise SystemExit(main())
