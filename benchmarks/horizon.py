"""A multi-day horizon against planning the same days one after another.

    python -m benchmarks.horizon --orders 600 --technicians 40 --days 3 --time-limit 60 --seeds 1 2
        [--city lyon] [--date 2026-12-01] [--out FILE.json]

A generated day (dispatch.demo_days) of `orders` open orders and a roster of `technicians` is planned
twice with the same total time:
- as one horizon of `days` working days (`Policy.horizon_days`) with `time_limit` seconds;
- day by day: the plan date with a `days`-th of the time, the orders it leaves out on the next working
  day (windows without a `window_date` move with the day), and so on.
The day-by-day plans are put together into one plan of the horizon (each route with its date) and both
plans go through the independent checker (dispatch.analysis.checker), whose recomputed objective (DESIGN.md
weights; lateness against each order's response deadline whatever the day) compares them. Exit 1 if a plan
is invalid.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from dispatch.analysis.checker import check_plan, format_report
from dispatch.analysis.kpis import compute_kpis
from dispatch.demo_days import DEFAULT_DATE, generate_day
from dispatch.domain import Day, Order
from dispatch.plan import Plan, Route, Unassigned
from dispatch.planning.solving import solve_day
from dispatch.policy import Policy

ON_TIME_MIN = 0.5  # late by less than half a minute counts as on time (as in dispatch.analysis.kpis)


@dataclass
class Row:
    seed: int
    method: str
    valid: bool
    violations: int
    cost: float
    served: int
    orders: int
    p1_p2_late_or_unserved: int
    late_minutes: float
    km: float
    wall_s: float


def _moved(order: Order, days: int) -> Order:
    """The order on a day `days` later: an appointment window without a window_date moves with the day."""
    if order.window_date is not None or days == 0:
        return order
    step = timedelta(days=days)
    return replace(order, window_start=None if order.window_start is None else order.window_start + step,
                   window_end=None if order.window_end is None else order.window_end + step)


def day_by_day(day: Day, policy: Policy, days: int) -> Plan:
    """Each working day of the horizon planned alone with its share of the time, on the orders the days
    before left out; the result is one plan of the horizon."""
    dates = day.horizon(days)
    share = policy.updated(horizon_days=1, time_limit=policy.time_limit / len(dates))
    left = list(day.orders)
    routes: list[Route] = []
    unassigned: tuple[Unassigned, ...] = ()
    for d in dates:
        offset = (d - day.date).days
        techs = tuple(t.on(offset) for t in day.technicians if t.works_on(d))
        orders = tuple(_moved(o, offset) for o in left if o.window_date in (None, d))
        later = [o for o in left if o.window_date is not None and o.window_date > d]
        # a pin to someone off that day cannot be kept: the order waits for a day they work
        working = {t.id for t in techs}
        waiting = [o for o in orders if o.pinned_technician is not None and o.pinned_technician not in working]
        orders = tuple(o for o in orders if o not in waiting)
        plan = solve_day(Day(date=d, technicians=techs, orders=orders), share, fixes=False)
        routes += [replace(r, date=d) for r in plan.routes]
        by_id = {o.id: o for o in left}
        left = [by_id[u.order_id] for u in plan.unassigned] + later + [by_id[o.id] for o in waiting]
        unassigned = plan.unassigned
    leftover = {o.id for o in left}
    kept = tuple(u for u in unassigned if u.order_id in leftover)
    kept += tuple(Unassigned(order_id=o.id, reason="not planned on any day of the horizon", rule="fully booked")
                  for o in left if o.id not in {u.order_id for u in kept})
    whole = Plan(date=day.date, dates=dates, routes=tuple(routes), unassigned=kept,
                 policy=policy.updated(horizon_days=days).to_dict())
    kpis = compute_kpis(day, whole, policy.updated(horizon_days=days))
    return replace(whole, kpis=kpis, objective=kpis.objective)


def _row(seed: int, method: str, day: Day, plan: Plan, wall: float) -> Row:
    report = check_plan(day, plan)
    if not report.ok:
        print(f"{method} seed {seed}: INVALID\n{format_report(report)}", file=sys.stderr)
    rank = {o.id: o.priority.rank for o in day.orders}
    urgent_left = sum(1 for u in plan.unassigned if rank[u.order_id] <= 2)
    urgent_late = len({s.order_id for r in plan.routes for s in r.stops
                       if rank[s.order_id] <= 2 and s.late_minutes >= ON_TIME_MIN})
    return Row(seed=seed, method=method, valid=report.ok, violations=len(report.violations),
               cost=round(report.objective.get("total", float("nan")), 1), served=len(plan.assigned_ids()),
               orders=len(day.orders), p1_p2_late_or_unserved=urgent_left + urgent_late,
               late_minutes=round(sum(report.late_minutes.values()), 1),
               km=round(sum(r.travel_km for r in plan.routes), 1), wall_s=round(wall, 1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=600)
    ap.add_argument("--technicians", type=int, default=40)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds in all, for either method")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--city", default="lyon")
    ap.add_argument("--date", type=date.fromisoformat, default=DEFAULT_DATE)
    ap.add_argument("--out", type=Path, help="write the rows as JSON")
    args = ap.parse_args(argv)
    rows: list[Row] = []
    for seed in args.seeds:
        day = generate_day(orders=args.orders, technicians=args.technicians, seed=seed, plan_date=args.date,
                           city=args.city)
        policy = Policy(time_limit=args.time_limit, seed=seed, horizon_days=args.days)
        began = time.perf_counter()
        joint = solve_day(day, policy, fixes=False)
        rows.append(_row(seed, f"horizon of {args.days} days", day, joint, time.perf_counter() - began))
        began = time.perf_counter()
        apart = day_by_day(day, policy, args.days)
        rows.append(_row(seed, "day by day", day, apart, time.perf_counter() - began))
        for r in rows[-2:]:
            print(f"seed {r.seed} {r.method:>18}: valid {r.valid}, cost {r.cost:,.1f}, served {r.served}/{r.orders}, "
                  f"P1/P2 late or unserved {r.p1_p2_late_or_unserved}, late {r.late_minutes:,.0f} min, "
                  f"{r.km:,.0f} km, {r.wall_s} s", flush=True)
    joint_cost = sum(r.cost for r in rows if r.method != "day by day")
    apart_cost = sum(r.cost for r in rows if r.method == "day by day")
    print(f"total weighted cost: horizon {joint_cost:,.1f}, day by day {apart_cost:,.1f} "
          f"({(joint_cost - apart_cost) / apart_cost:+.1%})")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return 0 if all(r.valid for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
