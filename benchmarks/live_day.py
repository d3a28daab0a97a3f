"""A seeded day simulator: execute a plan with noise and compare three re-planning policies (issue 10, item 5).

    python -m benchmarks.live_day --orders 200 --technicians 25 --seeds 1 2 3 --time-limit 2 \\
        --out benchmarks/out/live_day
    python -m benchmarks.live_day --quick --solution-limit 20 --out benchmarks/out/live_day_quick

The day: `generate_day` of the city and seed gives the morning's roster and orders; every order is known at
the morning plan (made at the earliest shift start, so a `created_at` after it is moved back to it). New
orders arrive during the day, drawn from `generate_day` of the same city with another seed: about one P1 an
hour and one other order (P2-P4) an hour, servable by somebody, without appointment windows or pins, with
`created_at` their arrival. One technician working at midday goes `absent` at 12:00. The same day, morning
plan and noise are executed under three policies:

- `none`: technicians follow the morning plan; orders arriving later are never served.
- `scratch`: `replan_day(..., warm_start=False)` with reassign_cost 0 and shift_cost_per_minute 0.
- `live`: `replan_day(...)` with the policy's default stability costs.

The re-plan is called at each new order, at the absence and every 30 minutes (its wall time does not move
the simulated clock). Execution, event by event: a technician who is free takes the next planned stop of
their current route (a visit in service or en route is never interrupted), leaving at once, or so as to
reach an appointment window as it opens; takes the break before a stop the plan puts after its break;
starts no new visit after the shift's end or once absent; with nothing left to do waits where they are and
drives home so as to be back at the shift's end. Noise, from one numpy Generator per (seed, stream, key),
so that every policy and every route sees the same draw for the same visit or leg: service time log-normal
around the planned duration (mean 1, 20 % spread), travel log-normal 10 % slower on average (15 % spread)
per leg (from, to), and each visit unresolved with probability 3 % (the order goes back to the pool).

Reported per policy: P1 and P2 started within their response deadline in execution (all P1/P2 of the day,
morning and new), orders served (resolved), visits reassigned per re-plan (kpis.churn.reassigned, and as a
share of the visits not yet begun), overtime (minutes back home past shift end, summed), re-plan latency,
and the violations the independent re-plan check (dispatch.analysis.replan_check) finds in every plan the
re-plan returns.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from dispatch.analysis.checker import Violation, check_plan
from dispatch.analysis.replan_check import check_replan
from dispatch.demo_days import generate_day
from dispatch.domain import Day, Order, Priority, Technician
from dispatch.events import Event
from dispatch.io.events import write_events
from dispatch.plan import Plan
from dispatch.planning import plan_day
from dispatch.policy import Policy
from dispatch.simulation import (  # the simulator itself, as the tests know it
    Execution,
    Noise,
    Replanner,
    ReplanRecord,
    SimConfig,
)

POLICIES = ("none", "scratch", "live")
ARRIVALS, ABSENCE = 4, 5  # noise streams of the day (service, travel, outcome: dispatch.simulation)
NEW_ORDER_SEED_OFFSET = 1000  # the new orders come from generate_day(seed + this)
ON_TIME_MINUTES = 0.5  # as dispatch.analysis.kpis


# --- the day -------------------------------------------------------------------------------------------


def _servable(o: Order, techs: Sequence[Technician]) -> bool:
    return any(o.required_skills <= t.skills and all(t.van_stock.get(p, 0) >= q for p, q in o.required_parts.items())
               for t in techs)


def build_days(cfg: SimConfig) -> tuple[Day, Day, datetime]:
    """(the morning's day, the whole day with the new orders, the morning plan time)."""
    morning = generate_day(orders=cfg.orders, technicians=cfg.technicians, seed=cfg.seed, plan_date=cfg.plan_date,
                           city=cfg.city)
    start = min(t.shift_start for t in morning.technicians)
    known = tuple(replace(o, created_at=min(o.created_at, start)) for o in morning.orders)
    rng = np.random.default_rng([cfg.seed, ARRIVALS])
    lo, hi = cfg.at(cfg.arrivals_from), cfg.at(cfg.arrivals_until)
    hours = (hi - lo).total_seconds() / 3600

    def times(n: int) -> list[datetime]:
        minutes = np.sort(rng.integers(0, int(hours * 60), size=n))
        return [lo + timedelta(minutes=int(m)) for m in minutes]

    n1, n_other = round(cfg.p1_per_hour * hours), round(cfg.others_per_hour * hours)
    p1_times, other_times = times(n1), times(n_other)
    pool_size = max(cfg.orders, 15 * n1, 3 * n_other)
    pool = generate_day(orders=pool_size, technicians=cfg.technicians, seed=cfg.seed + NEW_ORDER_SEED_OFFSET,
                        plan_date=cfg.plan_date, city=cfg.city)
    able = [o for o in pool.orders if _servable(o, morning.technicians)]
    p1s = [o for o in able if o.priority is Priority.P1][:n1]
    others = [o for o in able if o.priority is not Priority.P1][:n_other]
    drawn = sorted([*zip(p1_times, p1s, strict=False), *zip(other_times, others, strict=False)],
                   key=lambda x: (x[0], x[1].id))
    new = tuple(replace(o, id=f"N{i + 1:03d}", created_at=t, window_start=None, window_end=None,
                        pinned_technician=None) for i, (t, o) in enumerate(drawn))
    return (Day(cfg.plan_date, morning.technicians, known),
            Day(cfg.plan_date, morning.technicians, known + new), start)


def pick_absent(cfg: SimConfig, day: Day, plan: Plan) -> tuple[str, datetime] | None:
    """One technician working at midday with visits planned after it, drawn from the seed."""
    if cfg.absent_at is None:
        return None
    at = cfg.at(cfg.absent_at)
    busy = {r.technician_id for r in plan.routes if any(s.start > at for s in r.stops)}
    able = sorted(t.id for t in day.technicians if t.shift_start < at < t.shift_end and t.id in busy)
    if not able:
        return None
    return able[int(np.random.default_rng([cfg.seed, ABSENCE]).integers(len(able)))], at



# --- metrics -------------------------------------------------------------------------------------------


def summarize(ex: Execution, policy_name: str) -> dict[str, Any]:
    sla = Policy().sla
    first_start: dict[str, datetime] = {}
    for v in sorted(ex.visits, key=lambda v: v.start):
        first_start.setdefault(v.order_id, v.start)
    out: dict[str, Any] = {"seed": ex.cfg.seed, "policy": policy_name}
    new_ids = {o.id for o in ex.day.orders if o.id.startswith("N")}
    for p in (Priority.P1, Priority.P2):
        orders = [o for o in ex.day.orders if o.priority is p]
        on_time = [o.id for o in orders if o.id in first_start
                   and (first_start[o.id] - sla.deadline(o)).total_seconds() < ON_TIME_MINUTES * 60]
        out[f"{p.value.lower()}_orders"] = len(orders)
        out[f"{p.value.lower()}_on_time"] = len(on_time)
        out[f"{p.value.lower()}_on_time_share"] = round(len(on_time) / len(orders), 4) if orders else None
        out[f"{p.value.lower()}_new_orders"] = sum(o.id in new_ids for o in orders)
        out[f"{p.value.lower()}_new_on_time"] = sum(o in new_ids for o in on_time)
    out["orders"] = len(ex.day.orders)
    out["served"] = len(ex.closed)
    out["visits"] = len(ex.visits)
    out["unresolved_visits"] = sum(not v.resolved for v in ex.visits)
    overtime = [max(0.0, (r.back - r.tech.shift_end).total_seconds() / 60) for r in ex.runs.values() if r.back]
    out["overtime_min"] = round(sum(overtime), 1)
    reps = [r for r in ex.replans if not r.error]
    churn = [r.reassigned for r in reps if r.reassigned is not None]
    shares = [r.reassigned / r.not_begun for r in reps if r.reassigned is not None and r.not_begun]
    lat = [r.latency_s for r in ex.replans]
    out["replans"] = len(ex.replans)
    out["replan_errors"] = sum(bool(r.error) for r in ex.replans)
    out["reassigned_mean"] = round(float(np.mean(churn)), 2) if churn else None
    out["reassigned_share_mean"] = round(float(np.mean(shares)), 4) if shares else None
    out["latency_mean_s"] = round(float(np.mean(lat)), 3) if lat else None
    out["latency_p95_s"] = round(float(np.percentile(lat, 95)), 3) if lat else None
    out["check_violations"] = sum(len(r.violations) for r in reps)
    out["check_violations_not_fixed"] = sum(len(r.violations_not_fixed) for r in reps)
    out["plans_with_violations"] = sum(bool(r.violations) for r in reps)
    out["violations_by_rule"] = dict(Counter(v.split(":")[0] for r in reps for v in r.violations))
    out["anomalies"] = len(ex.anomalies)
    return out


# --- one seed, all policies ----------------------------------------------------------------------------


def _replanner(day: Day, policy_name: str, policy: Policy) -> Replanner | None:
    if policy_name == "none":
        return None
    from dispatch.live import replan_day

    if policy_name == "scratch":
        scratch = policy.updated(reassign_cost=0.0, shift_cost_per_minute=0.0)
        return lambda prev, events, at: replan_day(day, prev, events, at, scratch, warm_start=False)
    return lambda prev, events, at: replan_day(day, prev, events, at, policy)


@dataclass
class SeedRun:
    cfg: SimConfig
    morning: Plan
    morning_violations: list[str]
    day: Day
    executions: dict[str, Execution]
    absent: tuple[str, datetime] | None


def simulate(cfg: SimConfig, policies: Sequence[str] = POLICIES) -> SeedRun:
    morning_day, day, start = build_days(cfg)
    policy = Policy(seed=cfg.seed, time_limit=cfg.time_limit, solution_limit=cfg.solution_limit,
                    deadline_margin_minutes=cfg.deadline_margin_minutes)
    morning = plan_day(morning_day, policy.updated(time_limit=cfg.morning_time_limit))
    morning_violations = [str(v) for v in check_plan(morning_day, morning).violations]
    absent = pick_absent(cfg, day, morning)

    def check(plan: Plan, events: Sequence[Event], at: datetime, previous: Plan) -> list[Violation]:
        return check_replan(day, plan, events, at, previous).violations

    runs = {}
    for name in policies:
        ex = Execution(cfg, day, morning, start, Noise(cfg), _replanner(day, name, policy), absent, check)
        runs[name] = ex.run()
    return SeedRun(cfg, morning, morning_violations, day, runs, absent)


def aggregate(rows: Sequence[dict[str, Any]], replans: dict[str, list[ReplanRecord]]) -> list[dict[str, Any]]:
    """Per policy over the seeds: shares pooled over all P1/P2, means per day, latency over all re-plans."""
    out = []
    for name in dict.fromkeys(r["policy"] for r in rows):
        mine = [r for r in rows if r["policy"] == name]
        recs = [x for x in replans.get(name, []) if not x.error]
        lat = [x.latency_s for x in replans.get(name, [])]
        churn = [x.reassigned for x in recs if x.reassigned is not None]
        shares = [x.reassigned / x.not_begun for x in recs if x.reassigned is not None and x.not_begun]

        def share(p: str, rows: list[dict[str, Any]] = mine) -> float | None:
            total = sum(r[f"{p}_orders"] for r in rows)
            return round(sum(r[f"{p}_on_time"] for r in rows) / total, 4) if total else None

        out.append({
            "policy": name, "days": len(mine), "p1_on_time_share": share("p1"), "p2_on_time_share": share("p2"),
            "p1_on_time": sum(r["p1_on_time"] for r in mine), "p1_orders": sum(r["p1_orders"] for r in mine),
            "served_mean": round(float(np.mean([r["served"] for r in mine])), 1),
            "reassigned_mean": round(float(np.mean(churn)), 2) if churn else None,
            "reassigned_share_mean": round(float(np.mean(shares)), 4) if shares else None,
            "overtime_min_mean": round(float(np.mean([r["overtime_min"] for r in mine])), 1),
            "replans": len(lat),
            "latency_mean_s": round(float(np.mean(lat)), 3) if lat else None,
            "latency_p95_s": round(float(np.percentile(lat, 95)), 3) if lat else None,
            "check_violations": sum(r["check_violations"] for r in mine),
            "check_violations_not_fixed": sum(r["check_violations_not_fixed"] for r in mine),
            "replan_errors": sum(r["replan_errors"] for r in mine),
        })
    return out


def _fmt(v: Any, pct: bool = False) -> str:
    if v is None:
        return "-"
    return f"{100 * v:.1f} %" if pct else str(v)


def table(agg: Sequence[dict[str, Any]]) -> str:
    head = ("policy", "P1 on time", "P2 on time", "served", "reassigned/replan", "share", "overtime min",
            "replans", "latency mean/p95 s", "violations (not on fixed stops)")
    lines = [" | ".join(head)]
    for a in agg:
        lines.append(" | ".join([
            a["policy"], f"{_fmt(a['p1_on_time_share'], True)} ({a['p1_on_time']}/{a['p1_orders']})",
            _fmt(a["p2_on_time_share"], True), _fmt(a["served_mean"]), _fmt(a["reassigned_mean"]),
            _fmt(a["reassigned_share_mean"], True), _fmt(a["overtime_min_mean"]), str(a["replans"]),
            f"{_fmt(a['latency_mean_s'])} / {_fmt(a['latency_p95_s'])}",
            f"{a['check_violations']} ({a['check_violations_not_fixed']})"
            + (f", {a['replan_errors']} re-plan errors" if a["replan_errors"] else ""),
        ]))
    return "\n".join(lines)


def quick_config(seed: int, solution_limit: int | None = None) -> SimConfig:
    """40 orders x 6 technicians, re-planned over half a day (new work 08:00-12:00, the last re-plan before
    13:00); the technicians then finish their routes as planned."""
    return SimConfig(orders=40, technicians=6, seed=seed, time_limit=2.0, morning_time_limit=2.0,
                     solution_limit=solution_limit, arrivals_until=time(12, 0), until=time(13, 0))


def run(configs: Sequence[SimConfig], policies: Sequence[str], out: Path | None) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    replans: dict[str, list[ReplanRecord]] = {}
    morning: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    for cfg in configs:
        sr = simulate(cfg, policies)
        morning.append({"seed": cfg.seed, "violations": sr.morning_violations, "absent": sr.absent and
                        [sr.absent[0], sr.absent[1].isoformat()], "new_orders": sum(
                            o.id.startswith("N") for o in sr.day.orders)})
        for name, ex in sr.executions.items():
            rows.append(summarize(ex, name))
            replans.setdefault(name, []).extend(ex.replans)
            if out is not None:
                folder = out / f"seed{cfg.seed}" / name
                folder.mkdir(parents=True, exist_ok=True)
                write_events(folder / "events.csv", ex.known_events())
                (folder / "replans.json").write_text(json.dumps(
                    [{**asdict(r), "at": r.at.isoformat()} for r in ex.replans], indent=1) + "\n")
                if ex.anomalies:
                    (folder / "anomalies.txt").write_text("\n".join(ex.anomalies) + "\n")
        summary = _write_summary(out, configs, morning, rows, replans)
    return summary


def _write_summary(out: Path | None, configs: Sequence[SimConfig], morning: list[dict[str, Any]],
                   rows: list[dict[str, Any]], replans: dict[str, list[ReplanRecord]]) -> dict[str, Any]:
    """The summary of the seeds run so far (written after each seed, so a long run leaves its figures)."""
    agg = aggregate(rows, replans)
    summary = {"config": {k: str(v) if isinstance(v, date | time) else v for k, v in asdict(configs[0]).items()
                          if k != "seed"}, "seeds": [c.seed for c in configs], "morning": morning,
               "done_seeds": [m["seed"] for m in morning], "policies": agg, "runs": rows}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        flat = [{k: v for k, v in r.items() if not isinstance(v, dict)} for r in rows]
        with (out / "summary.csv").open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(flat[0]))
            w.writeheader()
            w.writerows(flat)
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=200)
    ap.add_argument("--technicians", type=int, default=25)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--city", default="lyon")
    ap.add_argument("--time-limit", type=float, default=2.0, help="seconds per re-plan")
    ap.add_argument("--morning-time-limit", type=float, default=10.0)
    ap.add_argument("--solution-limit", type=int, help="for every solve: results independent of machine load")
    ap.add_argument("--deadline-margin", type=float, default=0.0,
                    help="the policy's deadline_margin_minutes, for the morning plan and every re-plan")
    ap.add_argument("--every", type=int, default=30, help="minutes between periodic re-plans")
    ap.add_argument("--p1-per-hour", type=float, default=1.0)
    ap.add_argument("--others-per-hour", type=float, default=1.0)
    ap.add_argument("--policies", nargs="+", choices=POLICIES, default=list(POLICIES))
    ap.add_argument("--quick", action="store_true", help="40 orders x 6 technicians, half a day")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    if args.quick:
        configs = [replace(quick_config(s, args.solution_limit), city=args.city, every_minutes=args.every)
                   for s in args.seeds]
    else:
        configs = [SimConfig(orders=args.orders, technicians=args.technicians, seed=s, city=args.city,
                             time_limit=args.time_limit, morning_time_limit=args.morning_time_limit,
                             solution_limit=args.solution_limit, every_minutes=args.every,
                             deadline_margin_minutes=args.deadline_margin,
                             p1_per_hour=args.p1_per_hour, others_per_hour=args.others_per_hour)
                   for s in args.seeds]
    summary = run(configs, args.policies, args.out)
    print(table(summary["policies"]))
    for m in summary["morning"]:
        if m["violations"]:
            print(f"seed {m['seed']}: the morning plan has {len(m['violations'])} violations: {m['violations'][:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
