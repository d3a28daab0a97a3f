"""Where the search spends its time: the objective over time on seeded days, and what each operator finds.

    python -m benchmarks.curve [--city lyon] [--seeds 1] [--sizes 200x25 500x50] [--time-limit 200]
        [--checkpoints 2 5 10 20 60 200] [--out benchmarks/out/curve]

One solve per day (the engine's own parameters, with OR-Tools' local search profile on). From the solve's
`progress` (every solution the search found, with wall and CPU seconds since the call began) it gives the
best found by each checkpoint, by wall and by CPU time; the priority-first insertion plan the search starts
from (greedy_solve alone) as the starting point; when the last improvement of at least --stall % came; and,
from the profile, the neighbours each operator tried and how many it had accepted. The final plan and the
insertion plan go through dispatch.analysis.checker and are scored as in benchmarks.compare. Exit 1 if either
plan is invalid.

The curve is on the search model's scale (the model's cost when each solution was found, in DESIGN.md cost
units); the final plan's cost is the checker's recomputation of the plan returned, which re-times the routes.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.compare import Row, code_version, score
from benchmarks.compare import table as plan_table
from dispatch.analysis.checker import CheckReport, check_plan
from dispatch.demo_days import DEFAULT_DATE, generate_day
from dispatch.domain import Day
from dispatch.planning import solve_params
from dispatch.planning.translate import SCALE, Built, build_problem, to_plan
from dispatch.policy import Policy
from solver import Progress, Solution, solve
from solver.construct import greedy_solve

CHECKPOINTS = (2.0, 5.0, 10.0, 20.0, 60.0, 200.0)
STALL_PCT = 0.1


def best_by(points: Sequence[Progress], limit: float, clock: str) -> tuple[float | None, int]:
    """The cheapest objective found by `limit` seconds on `clock` ("wall" or "cpu"), and how many solutions
    were found by then. Guided local search moves through worse solutions: the best is the running minimum."""
    seen = [p.objective for p in points if getattr(p, clock) <= limit]
    return (min(seen) if seen else None), len(seen)


def stall(points: Sequence[Progress], pct: float) -> dict[str, float | None]:
    """When the search stopped paying: the last solution at least `pct` % cheaper than the best before it,
    the first moment the best came within `pct` % of the final best, and the last improvement of any size."""
    if not points:
        return {"last_big_wall": None, "last_big_cpu": None, "within_wall": None, "within_cpu": None,
                "last_wall": None, "last_cpu": None}
    near = min(p.objective for p in points) * (1 + pct / 100)
    best = points[0].objective
    big = last = points[0]
    within = points[0] if best <= near else None
    for p in points[1:]:
        if p.objective < best:
            if p.objective <= best * (1 - pct / 100):
                big = p
            last, best = p, p.objective
            if within is None and best <= near:
                within = p
    assert within is not None  # the final best is within
    return {"last_big_wall": big.wall, "last_big_cpu": big.cpu, "within_wall": within.wall,
            "within_cpu": within.cpu, "last_wall": last.wall, "last_cpu": last.cpu}


_NUMBER = r"[-+0-9.eE]+"


def operators(profile: str) -> list[dict[str, Any]]:
    """The per-operator rows of OR-Tools' local search profile (neighbours made, passed the filters,
    accepted), without its Total row. Its time column is kept as printed (OR-Tools' own unit)."""
    rows: list[dict[str, Any]] = []
    inside = False
    for line in profile.splitlines():
        if line.startswith("Local search operator statistics"):
            inside = True
            continue
        if inside and not line.startswith(" ") and ":" in line:
            break  # the next section
        if not inside or "|" not in line:
            continue
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 5 or not re.fullmatch(_NUMBER, cells[1]):
            continue  # the header
        if cells[0] == "Total":
            continue
        rows.append({"operator": cells[0], "neighbours": int(cells[1]), "filtered": int(cells[2]),
                     "accepted": int(cells[3]), "time": float(cells[4])})
    return rows


def spare_minutes(day: Day, report: CheckReport) -> float:
    """Minutes of shift no route uses (shift less break less service and driving), over all technicians."""
    spare = 0.0
    for t in day.technicians:
        shift = (t.shift_end - t.shift_start).total_seconds() / 60
        pause = t.break_minutes or (
            (t.break_end - t.break_start).total_seconds() / 60 if t.break_start and t.break_end else 0.0)
        spare += max(0.0, shift - pause - report.work_minutes.get(t.id, 0.0))
    return spare


class _Said(logging.Handler):
    """What the solver logs during one solve: its last line times the search against the explaining."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def solve_heard(problem: Any, time_limit: float, seed: int, params: Any) -> tuple[Solution, list[logging.LogRecord]]:
    """`solve`, with what solver.solve logged meanwhile (INFO and above)."""
    logger, said = logging.getLogger("solver.solve"), _Said()
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(said)
    try:
        return solve(problem, time_limit=time_limit, seed=seed, params=params), said.records
    finally:
        logger.removeHandler(said)
        logger.setLevel(level)


def run_day(orders: int, technicians: int, seed: int, city: str, time_limit: float, checkpoints: Sequence[float],
            solver_seed: int, solution_limit: int | None, pct: float,
            log: Callable[[str], None], local_search: str = "auto", before: bool = False
            ) -> tuple[dict[str, Any], list[Row]]:
    label = f"{city} {orders}x{technicians} seed {seed}"
    day = generate_day(orders=orders, technicians=technicians, seed=seed, plan_date=DEFAULT_DATE, city=city)
    policy = Policy(time_limit=time_limit, seed=solver_seed, solution_limit=solution_limit)
    built: Built = build_problem(day, policy)
    problem = built.problem

    w0, c0 = time.perf_counter(), time.process_time()
    start = greedy_solve(problem)
    greedy_wall, greedy_cpu = time.perf_counter() - w0, time.process_time() - c0
    start_report = check_plan(day, to_plan(built, start))
    start_row = score(day, seed, f"insertion plan {orders}x{technicians}", start_report, greedy_wall)
    log(f"{label}: insertion plan {start_row.cost:,.0f} in {greedy_wall:.2f} s; solving {time_limit:g} s ...")

    params = replace(solve_params(policy), profile=True, local_search=local_search)
    if before:  # the engine before issue 18: OR-Tools' local search alone, on one core
        params = replace(params, ruin_recreate=False, cores=1)
    w0, c0 = time.perf_counter(), time.process_time()
    solution, said = solve_heard(problem, policy.time_limit, policy.seed, params)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    # solve's last line: "... search 193.1s, explain 0.9s" (the search part includes construction)
    phases = [r.args for r in said if r.msg.startswith("solved") and isinstance(r.args, tuple)]
    plan = to_plan(built, solution)
    report = check_plan(day, plan)
    row = score(day, seed, f"search {orders}x{technicians}", report, wall,
                note=f"status {solution.status}, {solution.solutions_found} solutions")
    log(f"{label}: plan {row.cost:,.0f} valid {row.valid} in {wall:.1f} s wall, {cpu:.1f} s CPU")

    points = solution.progress
    curve: dict[str, list[dict[str, Any]]] = {}
    for clock in ("wall", "cpu"):
        curve[clock] = []
        for c in checkpoints:
            best, n = best_by(points, c, clock)
            curve[clock].append({"at_s": c, "best": None if best is None else best / SCALE, "solutions": n})
    ops = operators(solution.search_profile)
    reasons = Counter(u.rule for u in plan.unassigned)
    by_id = {o.id: o for o in day.orders}
    unserved_minutes = sum(by_id[u.order_id].duration_min for u in plan.unassigned)
    first = points[0] if points else None
    out: dict[str, Any] = {
        "day": {"city": city, "orders": orders, "technicians": technicians, "seed": seed},
        "time_limit_s": time_limit,
        "solution_limit": solution_limit,
        "solver_seed": solver_seed,
        "local_search": local_search,
        "engine": "local search alone (before)" if before else "local search, then ruin and recreate",
        "scale_note": "curve objectives: the search model's cost when found, in DESIGN.md cost units",
        "insertion_plan": {"cost": start_row.cost, "model_objective": start.objective / SCALE,
                           "wall_s": greedy_wall, "cpu_s": greedy_cpu, "valid": start_row.valid,
                           "row": start_row.flat()},
        "first_solution": None if first is None else {"wall_s": first.wall, "cpu_s": first.cpu,
                                                      "objective": first.objective / SCALE},
        "curve": curve,
        "solutions_found": solution.solutions_found,
        "progress_points": len(points),
        "search_best": None if not points else min(p.objective for p in points) / SCALE,
        "stall_pct": pct,
        "stall": stall(points, pct),
        "solve_wall_s": wall,
        "search_wall_s": float(phases[-1][-2]) if phases else None,  # type: ignore[arg-type]
        "explain_wall_s": float(phases[-1][-1]) if phases else None,  # type: ignore[arg-type]
        "solver_said": [r.getMessage() for r in said],
        "solve_cpu_s": cpu,
        "final": {"cost": row.cost, "model_objective": solution.objective / SCALE, "valid": row.valid,
                  "violations": [str(v) for v in report.violations[:5]], "status": solution.status,
                  "row": row.flat(), "p1_late_or_unserved": row.p1_bad,
                  "p2_late_or_unserved": row.late.get("P2", 0) + row.unserved.get("P2", 0)},
        "unserved": {"orders": len(day.orders) - row.served, "by_reason": dict(reasons.most_common()),
                     "service_minutes": unserved_minutes, "spare_shift_minutes": spare_minutes(day, report)},
        "operators": ops,
        "progress": [asdict(p) | {"objective": p.objective / SCALE} for p in points],
        "profile": solution.search_profile,
    }
    return out, [row, start_row]


def _cost(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _s(x: float | None) -> str:  # seconds
    return "-" if x is None else f"{x:.1f}"


def curve_table(days: Sequence[dict[str, Any]], checkpoints: Sequence[float]) -> list[str]:
    head = ("| day | clock | insertion plan (checker) | first solution: model cost at s | "
            + " | ".join(f"best by {c:g} s (solutions)" for c in checkpoints)
            + " | final plan (checker) | search best: end vs 20 s |")
    lines = [head, "|" + "|".join([" --- "] * (head.count("|") - 1)) + "|"]
    for d in days:
        name = f"{d['day']['city']} {d['day']['orders']}x{d['day']['technicians']} s{d['day']['seed']}"
        first = d["first_solution"]
        for clock in ("wall", "cpu"):
            # the solve returns a little before its limit (it keeps time to explain what is left out)
            ran = d["time_limit_s"] if clock == "wall" else d["solve_cpu_s"]
            cells = [f"{_cost(p['best'])} ({p['solutions']})" if p["at_s"] <= ran + 0.5 else "n/r"
                     for p in d["curve"][clock]]
            at20 = next((p["best"] for p in d["curve"][clock] if p["at_s"] == 20), None)
            gain = "-" if at20 is None or d["search_best"] is None else \
                f"{100 * (d['search_best'] - at20) / at20:+.2f} %"
            start = "-" if first is None else f"{_cost(first['objective'])} at {first[f'{clock}_s']:.1f}"
            lines.append(f"| {name} | {clock} | {_cost(d['insertion_plan']['cost'])} | {start} | "
                         + " | ".join(cells)
                         + f" | {_cost(d['final']['cost'])} | {gain} |")
    return lines


def time_table(days: Sequence[dict[str, Any]], pct: float) -> list[str]:
    lines = [f"| day | solve wall / CPU s | search / explain wall s | solutions | last improvement >= {pct:g} % (wall / CPU s) "
             f"| best within {pct:g} % of the end from (wall s) | last improvement (wall s) "
             "| unserved: by reason | unserved service min / spare shift min |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for d in days:
        name = f"{d['day']['city']} {d['day']['orders']}x{d['day']['technicians']} s{d['day']['seed']}"
        st, un = d["stall"], d["unserved"]
        reasons = ", ".join(f"{k} {v}" for k, v in un["by_reason"].items())
        lines.append(f"| {name} | {d['solve_wall_s']:.1f} / {d['solve_cpu_s']:.1f} "
                     f"| {_s(d.get('search_wall_s'))} / {_s(d.get('explain_wall_s'))} | {d['solutions_found']} "
                     f"| {_s(st['last_big_wall'])} / {_s(st['last_big_cpu'])} | {_s(st['within_wall'])} "
                     f"| {_s(st['last_wall'])} | {un['orders']}: {reasons} "
                     f"| {un['service_minutes']:,} / {un['spare_shift_minutes']:,.0f} |")
    return lines


def operator_table(days: Sequence[dict[str, Any]]) -> list[str]:
    lines = ["| day | operator | neighbours | passed filters | accepted | accepted per 1,000 neighbours |",
             "| --- | --- | --- | --- | --- | --- |"]
    for d in days:
        name = f"{d['day']['orders']}x{d['day']['technicians']} s{d['day']['seed']}"
        for op in sorted(d["operators"], key=lambda o: -o["neighbours"]):
            rate = 1000 * op["accepted"] / op["neighbours"] if op["neighbours"] else 0.0
            lines.append(f"| {name} | {op['operator']} | {op['neighbours']:,} | {op['filtered']:,} "
                         f"| {op['accepted']:,} | {rate:.2f} |")
    return lines


def size(text: str) -> tuple[int, int]:
    orders, technicians = text.lower().split("x")
    return int(orders), int(technicians)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.curve", description=__doc__.splitlines()[0])
    ap.add_argument("--city", default="lyon")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--sizes", type=size, nargs="+", default=[(200, 25), (500, 50)],
                    help="orders x technicians pairs, e.g. 200x25 500x50")
    ap.add_argument("--time-limit", type=float, default=200.0)
    ap.add_argument("--checkpoints", type=float, nargs="+", default=list(CHECKPOINTS))
    ap.add_argument("--solver-seed", type=int, default=0, help="seed of our solver (the days use --seeds)")
    ap.add_argument("--solution-limit", type=int, default=None, help="bound the search by a count (for tests)")
    ap.add_argument("--local-search", default="auto", help="the engine's metaheuristic unless given (SolveParams."
                    "local_search: guided_local_search, tabu_search, simulated_annealing, greedy_descent)")
    ap.add_argument("--before", action="store_true",
                    help="OR-Tools' local search alone on one core: the engine before ruin and recreate")
    ap.add_argument("--stall", type=float, default=STALL_PCT, help="an improvement counts from this many %%")
    ap.add_argument("--out", type=Path, default=None, help="directory for one JSON per day")
    ap.add_argument("--render", type=Path, default=None, help="print the tables of the JSON files in this "
                    "directory (an earlier run's) and solve nothing")
    args = ap.parse_args(argv)
    if args.render is not None:
        saved = [json.loads(f.read_text()) for f in sorted(args.render.glob("*.json"))]
        print("\n".join(tables(saved, [p["at_s"] for p in saved[0]["curve"]["wall"]], saved[0]["stall_pct"],
                               [Row(**_row(d[k]["row"])) for d in saved for k in ("final", "insertion_plan")])))
        return 0

    def log(msg: str) -> None:
        print(f"[{datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)

    load0 = os.getloadavg()
    started, version = datetime.now(), code_version()
    days: list[dict[str, Any]] = []
    rows: list[Row] = []
    for orders, technicians in args.sizes:
        for seed in args.seeds:
            out, day_rows = run_day(orders, technicians, seed, args.city, args.time_limit, args.checkpoints,
                                    args.solver_seed, args.solution_limit, args.stall, log, args.local_search,
                                    args.before)
            out["load_after"] = os.getloadavg()
            days.append(out)
            rows += day_rows
            if args.out is not None:
                args.out.mkdir(parents=True, exist_ok=True)
                path = args.out / f"{args.city}_{orders}x{technicians}_seed{seed}.json"
                path.write_text(json.dumps(out | {"code": version, "started": f"{started:%Y-%m-%d %H:%M}"},
                                           indent=1) + "\n")
    load1 = os.getloadavg()

    cmd = "python -m benchmarks.curve " + " ".join(sys.argv[1:] if argv is None else argv)
    md = [
        f"`{cmd}`, {started:%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs, load average {load0[0]:.1f} at start, "
        f"{load1[0]:.1f} at end (machine shared); code {version}.",
        "",
        *tables(days, args.checkpoints, args.stall, rows),
    ]
    print("\n".join(md))
    invalid = [r for r in rows if not r.valid]
    if invalid:
        print(f"\n{len(invalid)} plans are INVALID: " + ", ".join(f"{r.method} seed {r.seed}" for r in invalid),
              file=sys.stderr)
        return 1
    return 0


def _row(flat: dict[str, Any]) -> dict[str, Any]:
    """Row's fields back from `Row.flat()`."""
    keys = ("P1", "P2", "P3", "P4")
    per = {name: {p: flat[f"{prefix}_{p}"] for p in keys}
           for name, prefix in (("unserved", "unserved"), ("on_time", "on_time"), ("late", "late"), ("totals", "orders"))}
    plain = {k: v for k, v in flat.items() if k in Row.__dataclass_fields__ and k not in per}
    return plain | per


def tables(days: Sequence[dict[str, Any]], checkpoints: Sequence[float], pct: float, rows: Sequence[Row]) -> list[str]:
    return [
        "Best weighted cost found by each checkpoint, by wall and by CPU seconds since the solve began (search "
        "model's cost; solutions found by then in brackets). The insertion plan and the final plan are the "
        "checker's costs. n/r: the run ended (by that clock) before the checkpoint.",
        "",
        *curve_table(days, checkpoints),
        "",
        "Where the time goes:",
        "",
        *time_table(days, pct),
        "",
        "Local search operators (OR-Tools profile; accepted: moves the guided local search took):",
        "",
        *operator_table(days),
        "",
        "Final plans and the insertion plans they start from (checker):",
        "",
        *plan_table(rows),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
