"""Our solver against two peers on seeded generated days, all scored by the independent checker.

    python -m benchmarks.compare --orders 200 --technicians 25 --seeds 1 2 3 4 5 --time-limit 20 [--city lyon]
        [--out DIR] [--exploration 5]

Each day is built once into a solver Problem (same travel model for everyone); our solver (through the
glue's parameters), the priority-first greedy and VROOM solve that Problem; each Solution becomes a Plan
through the glue's to_plan and goes through dispatch.analysis.checker. The weighted cost is the checker's objective
with DESIGN.md's default weights. Exit 1 if any of our plans is invalid; peer invalidity is reported.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path

from benchmarks.greedy import greedy_solve
from benchmarks.vroom_peer import vroom_run
from dispatch.analysis.checker import CheckReport, check_plan
from dispatch.demo_days import DEFAULT_DATE, generate_day
from dispatch.domain import PRIORITIES, Day
from dispatch.planning import solve_params
from dispatch.planning.translate import Built, build_problem, to_plan
from dispatch.policy import Policy
from solver import Solution, fieldwalk, solve
from solver.problem import RESPONSE_DEADLINE, TRAVEL, UNSERVED

OURS, GREEDY, VROOM = "dispatch", "greedy", "vroom"
# the engine before ruin and recreate (issue 18): OR-Tools' local search alone, one core
BEFORE = "local search"
ON_TIME_MIN = 0.5  # late by less than half a minute counts as on time (as in dispatch.analysis.kpis)


@dataclass
class Row:
    """One method on one day, every figure from the checker's recomputation."""

    seed: int
    method: str
    valid: bool
    violations: int
    cost: float
    cost_unserved: float
    cost_lateness: float
    cost_travel: float
    served: int
    orders: int
    unserved: dict[str, int] = field(default_factory=dict)
    on_time: dict[str, int] = field(default_factory=dict)
    late: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    late_minutes: float = 0.0
    km: float = 0.0
    wall_s: float = 0.0
    note: str = ""

    @property
    def p1_bad(self) -> int:
        """P1 orders late or unserved."""
        return self.late.get("P1", 0) + self.unserved.get("P1", 0)

    def flat(self) -> dict[str, object]:
        out = {k: v for k, v in asdict(self).items() if not isinstance(v, dict)}
        for p in (p.value for p in PRIORITIES):
            out[f"orders_{p}"] = self.totals.get(p, 0)
            out[f"unserved_{p}"] = self.unserved.get(p, 0)
            out[f"on_time_{p}"] = self.on_time.get(p, 0)
            out[f"late_{p}"] = self.late.get(p, 0)
        out["p1_late_or_unserved"] = self.p1_bad
        return out


def code_version() -> str:
    """The commit the run used, and whether solver/, dispatch/ or benchmarks/ had uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "solver", "dispatch", "benchmarks"],
                               cwd=root, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with uncommitted changes in " + ", ".join(sorted({ln[3:].split("/")[0] for ln in
                   dirty.splitlines() if ln.strip()})) if dirty.strip() else "")


def score(day: Day, seed: int, method: str, report: CheckReport, wall: float, note: str = "") -> Row:
    obj = report.objective
    by_id = {o.id: o for o in day.orders}
    totals = {p.value: sum(1 for o in day.orders if o.priority == p) for p in PRIORITIES}
    unserved = {p.value: round(obj.get(f"unserved {p.value}", 0)) for p in PRIORITIES}
    on_time = dict.fromkeys(totals, 0)
    late = dict.fromkeys(totals, 0)
    for oid, minutes in report.late_minutes.items():
        p = by_id[oid].priority.value
        if minutes < ON_TIME_MIN:
            on_time[p] += 1
        else:
            late[p] += 1
    return Row(
        seed=seed, method=method, valid=report.ok, violations=len(report.violations),
        cost=obj["total"], cost_unserved=obj["unserved"], cost_lateness=obj["response deadline"],
        cost_travel=obj["travel"], served=len(day.orders) - sum(unserved.values()), orders=len(day.orders),
        unserved=unserved, on_time=on_time, late=late, totals=totals,
        late_minutes=sum(report.late_minutes.values()), km=obj["travel km"], wall_s=wall, note=note,
    )


def run_method(built: Built, seed: int, method: str, fn: Callable[[], tuple[Solution, str]]) -> tuple[Row, CheckReport]:
    t0 = time.perf_counter()
    solution, note = fn()
    wall = time.perf_counter() - t0
    plan = to_plan(built, solution)
    report = check_plan(built.day, plan)
    return score(built.day, seed, method, report, wall, note), report


def run_day(orders: int, technicians: int, seed: int, city: str, time_limit: float, solver_seed: int,
            exploration: int, log: Callable[[str], None], before: bool = False) -> list[tuple[Row, CheckReport]]:
    day = generate_day(orders=orders, technicians=technicians, seed=seed, plan_date=DEFAULT_DATE, city=city)
    policy = Policy(time_limit=time_limit, seed=solver_seed)
    built = build_problem(day, policy)
    problem = built.problem

    def ours() -> tuple[Solution, str]:
        s = solve(problem, time_limit=policy.time_limit, seed=policy.seed, params=solve_params(policy))
        return s, f"status {s.status}, {s.solutions_found} solutions"

    def greedy() -> tuple[Solution, str]:
        return greedy_solve(problem), ""

    def local_search() -> tuple[Solution, str]:
        params = replace(solve_params(policy), ruin_recreate=False, cores=1)
        s = solve(problem, time_limit=policy.time_limit, seed=policy.seed, params=params)
        return s, f"status {s.status}, {s.solutions_found} solutions"

    def peer() -> tuple[Solution, str]:
        run = vroom_run(problem, exploration_level=exploration)
        note = f"vroom {run.vroom_seconds:.1f} s"
        if run.notes:
            note += "; " + " | ".join(run.notes)
        return run.solution, note

    out = []
    methods = [(OURS, ours), (GREEDY, greedy), (VROOM, peer)] + ([(BEFORE, local_search)] if before else [])
    for name, fn in methods:
        log(f"seed {seed}: {name} ...")
        row, report = run_method(built, seed, name, fn)
        log(f"seed {seed}: {name} cost {row.cost:,.0f} valid {row.valid} in {row.wall_s:.1f} s")
        out.append((row, report))
    return out


def reduction(ours: float, peer: float) -> float:
    """Our cost reduction against a peer, in % of the peer's cost."""
    return 100.0 * (peer - ours) / peer if peer else 0.0


def table(rows: Sequence[Row]) -> list[str]:
    head = ("| seed | method | valid | weighted cost | unserved | lateness | travel | served | unserved P1/P2/P3/P4 "
            "| P1 on time | P2 on time | P1 late+unserved | late min | km | wall s |")
    lines = [head, "|" + "|".join([" --- "] * (head.count("|") - 1)) + "|"]
    for r in rows:
        uns = "/".join(str(r.unserved[p]) for p in ("P1", "P2", "P3", "P4"))
        lines.append(
            f"| {r.seed or 'all'} | {r.method} | {'yes' if r.valid else f'NO ({r.violations})'} | {r.cost:,.0f} "
            f"| {r.cost_unserved:,.0f} | {r.cost_lateness:,.0f} | {r.cost_travel:,.0f} | {r.served}/{r.orders} "
            f"| {uns} | {r.on_time['P1']}/{r.totals['P1']} | {r.on_time['P2']}/{r.totals['P2']} | {r.p1_bad} "
            f"| {r.late_minutes:,.0f} | {r.km:,.1f} | {r.wall_s:.1f} |"
        )
    return lines


def totals(rows: Sequence[Row], method: str) -> Row:
    mine = [r for r in rows if r.method == method]
    keys = ("P1", "P2", "P3", "P4")

    def add(attr: str) -> dict[str, int]:
        return {p: sum(getattr(r, attr)[p] for r in mine) for p in keys}

    return Row(
        seed=0, method=method, valid=all(r.valid for r in mine), violations=sum(r.violations for r in mine),
        cost=sum(r.cost for r in mine), cost_unserved=sum(r.cost_unserved for r in mine),
        cost_lateness=sum(r.cost_lateness for r in mine), cost_travel=sum(r.cost_travel for r in mine),
        served=sum(r.served for r in mine), orders=sum(r.orders for r in mine), unserved=add("unserved"),
        on_time=add("on_time"), late=add("late"), totals=add("totals"),
        late_minutes=sum(r.late_minutes for r in mine), km=sum(r.km for r in mine), wall_s=sum(r.wall_s for r in mine),
    )


def verdict(rows: Sequence[Row], target: float) -> list[str]:
    """Per day and overall: our reduction against each peer, and whether we ever have more P1 late/unserved."""
    lines = ["| seed | vs greedy | vs VROOM | P1 late+unserved (ours/greedy/VROOM) | target met |",
             "| --- | --- | --- | --- | --- |"]
    seeds = sorted({r.seed for r in rows})
    days = [(s, {r.method: r for r in rows if r.seed == s}) for s in seeds]
    days.append((0, {m: totals(rows, m) for m in (OURS, GREEDY, VROOM)}))
    for s, by in days:
        o, g, v = by[OURS], by[GREEDY], by[VROOM]
        rg, rv = reduction(o.cost, g.cost), reduction(o.cost, v.cost)
        p1_ok = o.p1_bad <= g.p1_bad and o.p1_bad <= v.p1_bad
        met = rg >= target and rv >= target and p1_ok and o.valid
        lines.append(f"| {s or 'total'} | {rg:+.1f} % | {rv:+.1f} % | {o.p1_bad}/{g.p1_bad}/{v.p1_bad} "
                     f"| {'yes' if met else 'NO'} |")
    return lines


def against_before(rows: Sequence[Row]) -> list[str]:
    """Per day and overall: our cost against the local search alone, served and late minutes against VROOM."""
    lines = ["| seed | cost vs before | served ours / before / VROOM | late min ours / VROOM | "
             "P1 late+unserved ours / before / greedy / VROOM |", "| --- | --- | --- | --- | --- |"]
    seeds = sorted({r.seed for r in rows})
    days = [(s, {r.method: r for r in rows if r.seed == s}) for s in seeds]
    days.append((0, {m: totals(rows, m) for m in (OURS, GREEDY, VROOM, BEFORE)}))
    for s, by in days:
        o, b, g, v = by[OURS], by[BEFORE], by[GREEDY], by[VROOM]
        lines.append(f"| {s or 'total'} | {reduction(o.cost, b.cost):+.1f} % | {o.served} / {b.served} / {v.served} "
                     f"| {o.late_minutes:,.0f} / {v.late_minutes:,.0f} | {o.p1_bad} / {b.p1_bad} / {g.p1_bad} / {v.p1_bad} |")
    return lines


def where(rows: Sequence[Row]) -> list[str]:
    """Where the cost difference comes from, per objective part, summed over the days."""
    t = {m: totals(rows, m) for m in (OURS, GREEDY, VROOM)}
    lines = ["| part | ours | greedy | VROOM | ours - greedy | ours - VROOM |", "| --- | --- | --- | --- | --- | --- |"]
    for label, attr in ((UNSERVED, "cost_unserved"), (RESPONSE_DEADLINE, "cost_lateness"), (TRAVEL, "cost_travel"),
                        ("total", "cost")):
        o, g, v = (getattr(t[m], attr) for m in (OURS, GREEDY, VROOM))
        lines.append(f"| {label} | {o:,.0f} | {g:,.0f} | {v:,.0f} | {o - g:+,.0f} | {o - v:+,.0f} |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=200)
    ap.add_argument("--technicians", type=int, default=25)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--city", default="lyon")
    ap.add_argument("--solver-seed", type=int, default=0, help="seed of our solver (the days use --seeds)")
    ap.add_argument("--exploration", type=int, default=5, help="VROOM exploration level 1..5")
    ap.add_argument("--target", type=float, default=15.0, help="cost reduction target in %%")
    ap.add_argument("--out", type=Path, default=None, help="directory for results.csv and results.md")
    ap.add_argument("--before", action="store_true",
                    help="also plan each day with OR-Tools' local search alone (the engine before ruin and recreate)")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(f"[{datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)

    fieldwalk.warm()  # once, before the clock of the first day starts (each walk forks from here)
    load0 = os.getloadavg()
    started, version = datetime.now(), code_version()
    rows: list[Row] = []
    reports: list[tuple[Row, CheckReport]] = []
    for seed in args.seeds:
        for row, report in run_day(args.orders, args.technicians, seed, args.city, args.time_limit,
                                   args.solver_seed, args.exploration, log, before=args.before):
            rows.append(row)
            reports.append((row, report))
    load1 = os.getloadavg()

    cmd = "python -m benchmarks.compare " + " ".join(sys.argv[1:] if argv is None else argv)
    md = [
        f"## {args.orders} orders x {args.technicians} technicians, {args.city}, {args.time_limit:g} s",
        "",
        f"`{cmd}`, {started:%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs, load average "
        f"{load0[0]:.1f} at start, {load1[0]:.1f} at end (machine shared); code {version}.",
        "Weighted cost: DESIGN.md default weights, recomputed by dispatch.analysis.checker. VROOM ignores response deadlines.",
        "",
        *table(rows),
        "",
        "Totals:",
        "",
        *table([totals(rows, m) for m in (OURS, GREEDY, VROOM, *([BEFORE] if args.before else []))]),
        "",
        f"Our cost reduction (target {args.target:g} % against both, never more P1 late or unserved):",
        "",
        *verdict(rows, args.target),
        "",
        "Where the difference comes from (sum over the days):",
        "",
        *where(rows),
        *(["", "Against the engine before (issue 18 goals: cost at least 10 % lower; served at least VROOM's "
           "with at most half its late minutes; P1 late or unserved never above the best peer):", "",
           *against_before(rows)] if args.before else []),
    ]
    notes = [f"- seed {r.seed} {r.method}: {r.note}" for r in rows if r.note]
    bad = [(r, rep) for r, rep in reports if not rep.ok]
    for r, rep in bad:
        notes.append(f"- seed {r.seed} {r.method}: INVALID, {len(rep.violations)} violations, e.g. "
                     + "; ".join(str(v) for v in rep.violations[:3]))
    if notes:
        md += ["", "Notes:", "", *notes]
    text = "\n".join(md)
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.md").write_text(text + "\n")
        flat = [r.flat() for r in rows]
        with (args.out / "results.csv").open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(flat[0]))
            w.writeheader()
            w.writerows(flat)
    ours_invalid = [r for r, _ in bad if r.method == OURS]
    if ours_invalid:
        print(f"\n{len(ours_invalid)} of our plans are INVALID", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
