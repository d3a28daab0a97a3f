"""How fast the fixes of a day are found after its solve, how many orders they cover, and whether each one
holds (issue 13, "Speed" and the acceptance).

For each seed: a demo day is planned without fixes (`plan_day(..., fixes=False)`), then `find_fixes` adds
them; its wall time (and CPU time) is what the issue bounds (2 s at 200 x 25, 10 s at 1,000 x 100).
Coverage: of the orders left out, those some single change of the five kinds could serve, as found by the
same insertion tried on every technician with no pruning (`exhaustive`), and how many of them got a fix.
Every listed fix is applied to the input and inserted where it says (`dispatch.planning.fixes.applied`),
and the independent checker judges the plan (`--check`; slow on large days, so optional there).

    python -m benchmarks.fixes --orders 200 --technicians 25 --seeds 1 2 3 --time-limit 20 --check
    python -m benchmarks.fixes --orders 1000 --technicians 100 --seeds 1 --time-limit 60
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from dispatch.analysis.checker import check_plan
from dispatch.demo_days import generate_day
from dispatch.planning import plan_day
from dispatch.planning.fixes import FixCosts, applied, find_fixes
from dispatch.planning.translate import build_problem
from dispatch.policy import Policy
from solver import fixes as solver_fixes
from solver.schedule import Timetable

DATE = date(2026, 11, 24)


def run(orders: int, technicians: int, seed: int, time_limit: float, check: bool) -> dict[str, Any]:
    day = generate_day(orders=orders, technicians=technicians, seed=seed, plan_date=DATE)
    policy = Policy(time_limit=time_limit, seed=seed)
    plan = plan_day(day, policy, fixes=False)
    wall, cpu = time.perf_counter(), time.process_time()
    fixed = find_fixes(day, plan, policy)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

    built = build_problem(day, policy)
    index = {o.id: j for j, o in enumerate(day.orders)}
    by_tech = {r.technician_id: [index[s.order_id] for s in r.stops] for r in plan.routes}
    routes = [by_tech.get(t.id, []) for t in day.technicians]
    left = [index[u.order_id] for u in plan.unassigned]
    every = solver_fixes.find_fixes(built.problem, routes, left, costs=FixCosts().for_solver(),
                                    vehicles=len(routes), top=10**6)
    could = {day.orders[j].id for j in left if every[j]}
    got = {u.order_id for u in fixed.unassigned if u.fixes}
    # orders left out that fit somewhere as the day stands: the solver found them dearer than leaving them out
    table = Timetable(built.problem)
    free = sum(any(table.schedule(k, [*r[:p], j, *r[p:]]) is not None
                   for k, r in enumerate(routes) if built.problem.vehicles[k].has_skills(built.problem.visits[j].skills)
                   for p in range(len(r) + 1)) for j in left)
    late = [s for r in fixed.routes for s in r.stops if s.late_minutes > 0]
    listed = [(u.order_id, f) for u in fixed.unassigned for f in u.fixes] + \
             [(s.order_id, f) for s in late for f in s.fixes]
    kinds = Counter(f.kind for _, f in listed)
    valid = None
    if check:
        valid = sum(check_plan(*applied(day, plan, order_id, f, policy)).ok for order_id, f in listed)
    return {"orders": orders, "technicians": technicians, "seed": seed, "time_limit": time_limit,
            "fixes_wall_s": round(wall, 3), "fixes_cpu_s": round(cpu, 3),
            "unassigned": len(left), "single_change_could_serve": len(could),
            "covered": len(could & got), "coverage": round(len(could & got) / len(could), 3) if could else None,
            "fit_without_change": free, "late_stops": len(late), "late_with_fixes": sum(bool(s.fixes) for s in late),
            "fixes": len(listed), "by_kind": dict(sorted(kinds.items())), "checked_valid": valid}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=200)
    ap.add_argument("--technicians", type=int, default=25)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--check", action="store_true", help="apply every listed fix and run the checker on it")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    rows = []
    for seed in args.seeds:
        row = run(args.orders, args.technicians, seed, args.time_limit, args.check)
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"fixes wall median {statistics.median(r['fixes_wall_s'] for r in rows):.2f} s, "
          f"max {max(r['fixes_wall_s'] for r in rows):.2f} s; covered "
          f"{sum(r['covered'] for r in rows)}/{sum(r['single_change_could_serve'] for r in rows)}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=2))
    bad = [r for r in rows if r["checked_valid"] is not None and r["checked_valid"] != r["fixes"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
