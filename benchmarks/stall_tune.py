"""When OR-Tools' local search should hand over to ruin and recreate: whole timed solves on the tuning days.

    python -m benchmarks.stall_tune [--days lyon:1 ... munich:6] [--time-limit 20] [--json FILE]
        base "share=0.1,min=1" "gain=0.005" "cap=0.3" ...

Each configuration sets the stall rule of a solve (solver/solve.py, solver/search.py): `share` of the search
time (at least `min` seconds) without the cost falling by `gain` (a share of it) ends the local search, and
`cap` (times the stall time; none unless told) ends it at the latest (search.STALL_CAP). Each day (200 x 25, never the
held-out seeds 11-16) is solved with the engine's parameters at --time-limit seconds, one configuration after
the other, and scored by dispatch.analysis.checker. The solves are timed by the wall clock, so run this with
the machine as quiet as it gets and compare configurations run side by side. Also printed: when the local
search handed over (the solver's log), and the steps of both walks.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks.compare import score
from benchmarks.lns_tune import TUNING_DAYS, built_day
from dispatch.analysis.checker import check_plan
from dispatch.planning import solve_params
from dispatch.planning.translate import to_plan
from dispatch.policy import Policy
from solver import search, solve

solve_module = importlib.import_module("solver.solve")  # the package's `solve` is the function


KEYS = {"share": "_STALL_SHARE", "min": "_MIN_STALL"}


@dataclass(frozen=True)
class Run:
    config: str
    day: str
    cost: float
    served: int
    p1_bad: int
    handed_over: float | None  # seconds into the solve when the first core's walk began
    steps_here: int
    steps_there: int
    valid: bool


class _Heard(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def configured(text: str, time_limit: float) -> Iterator[None]:
    """The stall rule as `text` (`base`, or key=value pairs: share, min, gain, cap) for the duration."""
    values: dict[str, float] = {}
    if text != "base":
        for part in text.split(","):
            key, _, value = part.partition("=")
            if key not in (*KEYS, "gain", "cap"):
                raise SystemExit(f"config {text!r}: unknown key {key!r} (share, min, gain, cap)")
            values[key] = float(value)
    saved: dict[tuple[Any, str], Any] = {}

    def put(module: Any, name: str, value: Any) -> None:
        saved.setdefault((module, name), getattr(module, name))
        setattr(module, name, value)

    for key, name in KEYS.items():
        if key in values:
            put(solve_module, name, values[key])
    if "gain" in values:
        put(search, "STALL_GAIN", values["gain"])
    if "cap" in values:
        put(search, "STALL_CAP", values["cap"])
    try:
        yield
    finally:
        for (module, name), value in saved.items():
            setattr(module, name, value)


def one(config: str, day: str, time_limit: float) -> Run:
    built = built_day(day, 200, 25)
    policy = Policy(time_limit=time_limit, seed=0)
    heard = _Heard()
    logger = logging.getLogger("solver.solve")
    logger.addHandler(heard)
    logger.setLevel(logging.INFO)
    try:
        with configured(config, time_limit):
            s = solve(built.problem, time_limit=time_limit, seed=0, params=solve_params(policy))
    finally:
        logger.removeHandler(heard)
    handed, here, there = None, 0, 0
    for line in heard.lines:
        m = re.match(r"from ([0-9.]+) s, ruin and recreate: (\d+) steps", line)
        if m:
            handed, here = float(m.group(1)), int(m.group(2))
        m = re.match(r"ruin and recreate on another core: (\d+) steps", line)
        if m:
            there = int(m.group(1))
    report = check_plan(built.day, to_plan(built, s))
    row = score(built.day, 0, config, report, 0.0)
    return Run(config=config, day=day, cost=row.cost, served=row.served, p1_bad=row.p1_bad, handed_over=handed,
               steps_here=here, steps_there=there, valid=report.ok)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("configs", nargs="*", default=["base"])
    ap.add_argument("--days", nargs="+", default=list(TUNING_DAYS), help="city:seed")
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--json", help="write every run here")
    args = ap.parse_args(argv)
    runs = []
    for day in args.days:
        for config in args.configs:
            run = one(config, day, args.time_limit)
            print(f"{day} {config}: cost {run.cost:,.0f}, served {run.served}, P1 bad {run.p1_bad}, handed over at "
                  f"{run.handed_over if run.handed_over is not None else '-'} s, steps {run.steps_here} / "
                  f"{run.steps_there}", flush=True)
            runs.append(run)
    print("| config | weighted cost | vs first | days cheaper | served | P1 late or unserved | handed over (s, per day) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    first = {r.day: r.cost for r in runs if r.config == args.configs[0]}
    for config in args.configs:
        mine = [r for r in runs if r.config == config]
        total = sum(r.cost for r in mine)
        wins = sum(1 for r in mine if r.cost < first[r.day])
        handed = ", ".join("-" if r.handed_over is None else f"{r.handed_over:.0f}" for r in mine)
        print(f"| {config} | {total:,.0f} | {100 * (total / sum(first.values()) - 1):+.2f} % | {wins}/{len(mine)} "
              f"| {sum(r.served for r in mine)} | {sum(r.p1_bad for r in mine)} | {handed} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump([asdict(r) for r in runs], f, indent=1)
    return 1 if any(not r.valid for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
