"""Same inputs, seed and solution limit, same plan: fingerprints of five seeded days to compare two versions.

Each day is solved with a solution limit (so no decision depends on elapsed time) and reduced to what a
dispatcher sees: who does what, in which order, at what time, and what is left out with which rule. The
printed digest of each day is compared across commits (see RESULTS.md, "Before and after").

    python -m benchmarks.identity --out benchmarks/out/identity.json
    python -m benchmarks.identity --only region --repeat 2      # twice, e.g. while the machine is busy
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from dispatch.analysis.checker import check_plan
from dispatch.demo_days import generate_day
from dispatch.planning import plan_day
from dispatch.policy import Policy

DATE = date(2026, 11, 24)
# name: (orders, technicians, seed, city, policy changes)
DAYS: dict[str, tuple[int, int, int, str, dict[str, Any]]] = {
    "small": (12, 3, 1, "lyon", {}),
    "lyon-80": (80, 10, 3, "lyon", {}),
    "manchester-120": (120, 15, 4, "manchester", {}),
    "munich-200": (200, 25, 11, "munich", {}),
    # 400 orders, regions of about 60: round 1 and the border pass on six regions, in this process
    "region": (400, 40, 5, "lyon", {"region_orders": 120}),
}
SOLUTION_LIMIT = 40
# generous: with a solution limit it is never what stops a search
TIME_LIMIT = 600.0


def fingerprint(plan: Any) -> dict[str, Any]:
    routes = [[r.technician_id, [[s.order_id, s.start.isoformat(timespec="seconds")] for s in r.stops],
               r.break_[0].isoformat(timespec="seconds") if r.break_ else None] for r in plan.routes]
    unassigned = [[u.order_id, u.rule] for u in plan.unassigned]
    body = json.dumps({"routes": routes, "unassigned": unassigned}, sort_keys=True)
    return {"digest": hashlib.sha256(body.encode()).hexdigest()[:16], "served": sum(len(r[1]) for r in routes),
            "unassigned": len(unassigned), "objective": plan.objective.get("total") if plan.objective else None}


def solve_named(name: str) -> dict[str, Any]:
    orders, techs, seed, city, changes = DAYS[name]
    day = generate_day(orders=orders, technicians=techs, seed=seed, plan_date=DATE, city=city)
    policy = replace(Policy(seed=seed, time_limit=TIME_LIMIT, solution_limit=SOLUTION_LIMIT), **changes)
    plan = plan_day(day, policy)
    report = check_plan(day, plan)
    if not report.ok:
        raise SystemExit(f"{name}: the checker refused the plan: {report.violations[:3]}")
    return fingerprint(plan)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", choices=sorted(DAYS), help="these days only")
    ap.add_argument("--repeat", type=int, default=1, help="solve each day this many times; all must agree")
    ap.add_argument("--out", type=Path, help="write the fingerprints as JSON")
    args = ap.parse_args(argv)
    out: dict[str, Any] = {}
    same = True
    for name in args.only or list(DAYS):
        runs = [solve_named(name) for _ in range(args.repeat)]
        agree = all(r["digest"] == runs[0]["digest"] for r in runs)
        same &= agree
        out[name] = runs[0]
        print(f"{name:16s} {runs[0]['digest']}  served {runs[0]['served']:4d}  unassigned "
              f"{runs[0]['unassigned']:4d}  cost {runs[0]['objective']}"
              + ("" if args.repeat == 1 else f"  {args.repeat} runs {'agree' if agree else 'DIFFER'}"))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=2) + "\n")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
