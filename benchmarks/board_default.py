"""The board's plan request: the search it asked for before issue 11 (5 s, stop after 20 solutions) against
the one it asks for now (the service's SOLVER_TIME_LIMIT, 10 s, with no solution cap), on the demo day.

    python -m benchmarks.board_default [--scenario demo]

Wall-clock bound: run it on an idle machine (a busy one finds less in the same seconds).
"""

from __future__ import annotations

import argparse

from dispatch.demo_days import scenario
from dispatch.planning import plan_day
from dispatch.policy import Policy

SETTINGS = (("before: 5 s, stop after 20 solutions", {"time_limit": 5.0, "solution_limit": 20}),
            ("now: 10 s, no solution cap", {"time_limit": 10.0, "solution_limit": None}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="demo")
    args = parser.parse_args()
    day = scenario(args.scenario)
    print(f"{args.scenario}: {len(day.orders)} orders, {len(day.technicians)} technicians")
    print("| Board's search | Served | Late (min) | Worst (min) | km |")
    print("|---|---|---|---|---|")
    for name, changes in SETTINGS:
        values = Policy().to_dict() | changes
        k = plan_day(day, Policy.from_dict(values)).kpis
        print(f"| {name} | {k.served} | {k.total_late_minutes:,.0f} | {k.max_late_minutes:,.0f} "
              f"| {k.travel_km:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
