"""How fast and how stable the live day's two quick answers are (issue 10, "Speed and quality").

1. One new P1 into a planned day at 10:30: the day is planned in the morning, executed as planned until
   10:30 (the phones report arrivals, starts and ends), a P1 is called in at 10:25 near a random order, and
   `replan_day` runs with a 2 s time limit. Reported: the re-plan's wall time, whether the independent check
   passes, the share of the other not-yet-begun visits reassigned, whether the P1 starts on time, and
   whether `recommend` had found an on-time place for it.
2. `recommend` for one order on a large day: the routes and matrices are built once (`Recommender`), then
   the placements of many open orders are ranked one by one; p50 and p95 of one ranking.

    python -m benchmarks.replan_speed insert --orders 500 --technicians 50 --seeds 1 2 3
    python -m benchmarks.replan_speed recommend --orders 1000 --technicians 100 --seed 1 --samples 100
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from dispatch.analysis.checker import format_report
from dispatch.analysis.replan_check import check_replan
from dispatch.demo_days import generate_day
from dispatch.domain import Day, Order, Priority
from dispatch.events import Event, EventKind
from dispatch.live import Recommender, replan_day
from dispatch.plan import Plan
from dispatch.planning import plan_day
from dispatch.policy import Policy

DATE = date(2026, 11, 24)
AT = timedelta(hours=10, minutes=30)


def executed(plan: Plan, at: datetime) -> list[Event]:
    """The phones' reports of the plan carried out exactly until `at`."""
    events = []
    for r in plan.routes:
        for s in r.stops:
            if s.start > at:
                continue
            events += [Event(s.arrival, EventKind.ARRIVED, r.technician_id, s.order_id),
                       Event(s.start, EventKind.STARTED, r.technician_id, s.order_id)]
            if s.end <= at:
                events.append(Event(s.end, EventKind.DONE, r.technician_id, s.order_id))
    return events


def emergency(day: Day, rng: np.random.Generator, at: datetime) -> Order:
    near = day.orders[int(rng.integers(len(day.orders)))]
    return Order(id="P1-NEW", customer="Emergency", lat=near.lat + float(rng.normal(0, 0.01)),
                 lon=near.lon + float(rng.normal(0, 0.01)), priority=Priority.P1,
                 required_skills=near.required_skills, duration_min=45, created_at=at - timedelta(minutes=5))


def insert_run(orders: int, technicians: int, seed: int, city: str, morning_limit: float,
               time_limit: float) -> dict[str, Any]:
    day = generate_day(orders=orders, technicians=technicians, seed=seed, plan_date=DATE, city=city)
    morning = plan_day(day, Policy(time_limit=morning_limit, seed=seed))
    at = day.midnight + AT
    rng = np.random.default_rng(seed)
    p1 = emergency(day, rng, at)
    full = Day(day.date, day.technicians, (*day.orders, p1))
    events = executed(morning, at)
    began = time.perf_counter()
    places = Recommender(full, morning, events, at, Policy.from_dict(morning.policy)).places(p1.id, top=None)
    recommend_s = time.perf_counter() - began
    policy = Policy.from_dict(morning.policy).updated(time_limit=time_limit)
    began = time.perf_counter()
    new = replan_day(full, morning, events, at, policy)
    replan_s = time.perf_counter() - began
    report = check_replan(full, new, events, at, morning)
    not_begun = [s.order_id for r in morning.routes for s in r.stops if s.start > at]
    shifts = sorted(c.eta_shift_minutes for c in new.changes if c.eta_shift_minutes is not None)
    stop = next((s for r in new.routes for s in r.stops if s.order_id == p1.id), None)
    assert new.kpis is not None
    assert new.kpis.churn is not None
    return {
        "orders": orders, "technicians": technicians, "seed": seed, "city": city,
        "replan_s": round(replan_s, 2), "valid": report.ok,
        "violations": [str(v) for v in report.violations][:5],
        "not_begun": len(not_begun), "reassigned": new.kpis.churn.reassigned,
        "reassigned_share": round(new.kpis.churn.reassigned / max(1, len(not_begun)), 4),
        "shifted_over_15_min": new.kpis.churn.shifted_over_15_min,
        "later_over_15_min": sum(1 for x in shifts if x > 15), "earlier_over_15_min": sum(1 for x in shifts if x < -15),
        "p1_served": stop is not None, "p1_late_min": None if stop is None else round(stop.late_minutes, 1),
        "on_time_place_found": any(p.late_minutes == 0 for p in places),
        "recommend_s": round(recommend_s, 3),
        "_report": format_report(report) if not report.ok else "",
    }


def recommend_run(orders: int, technicians: int, seed: int, city: str, morning_limit: float,
                  samples: int) -> dict[str, Any]:
    day = generate_day(orders=orders, technicians=technicians, seed=seed, plan_date=DATE, city=city)
    morning = plan_day(day, Policy(time_limit=morning_limit, seed=seed))
    at = day.midnight + AT
    events = executed(morning, at)
    began = time.perf_counter()
    rec = Recommender(day, morning, events, at, Policy.from_dict(morning.policy))
    build_s = time.perf_counter() - began
    rng = np.random.default_rng(seed)
    open_ids = sorted(rec.built.day.orders, key=lambda o: o.id)
    picked = [open_ids[int(i)].id for i in rng.choice(len(open_ids), size=min(samples, len(open_ids)), replace=False)]
    times = []
    found = 0
    for order_id in picked:
        t0 = time.perf_counter()
        places = rec.places(order_id)
        times.append(time.perf_counter() - t0)
        found += bool(places)
    times.sort()
    return {"orders": orders, "technicians": technicians, "seed": seed, "city": city,
            "open_orders": len(open_ids), "samples": len(times), "with_a_place": found,
            "build_s": round(build_s, 2), "p50_ms": round(1000 * statistics.median(times), 1),
            "p95_ms": round(1000 * times[max(0, int(0.95 * len(times)) - 1)], 1),
            "max_ms": round(1000 * times[-1], 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["insert", "recommend"])
    ap.add_argument("--orders", type=int, default=500)
    ap.add_argument("--technicians", type=int, default=50)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--city", default="lyon")
    ap.add_argument("--morning-limit", type=float, default=30.0, help="seconds for the morning plan")
    ap.add_argument("--time-limit", type=float, default=2.0, help="seconds for the re-plan")
    ap.add_argument("--samples", type=int, default=100, help="orders ranked by recommend")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    rows = []
    for seed in args.seeds:
        if args.what == "insert":
            row = insert_run(args.orders, args.technicians, seed, args.city, args.morning_limit, args.time_limit)
            failed = row.pop("_report")
            if failed:
                print(f"seed {seed}: the re-plan fails the check:\n{failed}", file=sys.stderr)
        else:
            row = recommend_run(args.orders, args.technicians, seed, args.city, args.morning_limit, args.samples)
        print(json.dumps(row), flush=True)
        rows.append(row)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
