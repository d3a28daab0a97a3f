"""The long fuzz run, started by hand (not part of `make test`): the schemathesis tests of
tests/api/test_schemathesis.py with many more generated requests, as every role, on SQLite and PostgreSQL.

It runs pytest on that file with larger sizes (the suite's run uses 2 examples per operation and 2 x 4 stateful
scenarios of up to 8 calls per role), then prints, per database, run and role, the answers by status, the
stateful calls that followed a link and the failed checks. The same figures go to --out as JSON. Exit status: pytest's.

    .venv/bin/python -m benchmarks.fuzz                        # make fuzz
    .venv/bin/python -m benchmarks.fuzz --database sqlite --examples 10 --seed 7
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

TESTS = "tests/api/test_schemathesis.py"


def summary(report: list[dict[str, Any]]) -> str:
    lines = [f"{'database':<11} {'run':<11} {'role':<12} {'calls':>6} {'5xx':>4} {'linked':>6} {'failed':>6}  "
             f"statuses"]
    for row in report:
        statuses = Counter({int(k): v for k, v in row["statuses"].items()})
        server = sum(v for k, v in statuses.items() if k >= 500)
        lines.append(f"{row['database']:<11} {row['run']:<11} {row['role']:<12} {sum(statuses.values()):>6} "
                     f"{server:>4} {row['linked']:>6} {len(row['failures']):>6}  "
                     + " ".join(f"{k}:{v}" for k, v in sorted(statuses.items())))
    for row in report:
        for case in row["failures"]:
            lines.append(f"  {row['database']} {row['run']} as {row['role']}: {case.splitlines()[0]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=25, help="generated cases per operation (each sent as every role)")
    ap.add_argument("--seeds", type=int, default=10, help="stateful runs per role, one seed each")
    ap.add_argument("--scenarios", type=int, default=10, help="scenarios per stateful run")
    ap.add_argument("--steps", type=int, default=15, help="calls per scenario, at most")
    ap.add_argument("--seed", type=int, default=None,
                    help="draw other examples than the suite's derandomized ones (stateful seeds from it on)")
    ap.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/out/fuzz.json"))
    args = ap.parse_args(argv)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    report_file = args.out.with_suffix(".rows.json")
    report_file.unlink(missing_ok=True)
    env = os.environ | {"DISPATCH_FUZZ_EXAMPLES": str(args.examples), "DISPATCH_FUZZ_SEEDS": str(args.seeds),
                        "DISPATCH_FUZZ_SCENARIOS": str(args.scenarios), "DISPATCH_FUZZ_STEPS": str(args.steps),
                        "DISPATCH_FUZZ_REPORT": str(report_file.resolve())}
    if args.seed is not None:
        env["DISPATCH_FUZZ_SEED"] = str(args.seed)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TESTS]
    if args.database != "both":
        command += ["-k", args.database]
    started = time.perf_counter()
    code = subprocess.run(command, env=env, check=False).returncode
    seconds = time.perf_counter() - started
    report = json.loads(report_file.read_text()) if report_file.exists() else []
    report_file.unlink(missing_ok=True)
    sizes = {k: getattr(args, k) for k in ("examples", "seeds", "scenarios", "steps", "seed", "database")}
    args.out.write_text(json.dumps({"sizes": sizes, "seconds": round(seconds, 1), "pytest_exit": code,
                                    "rows": report}, indent=1))
    print(f"\nfuzz: {sizes}, {seconds:.0f} s, pytest exit {code}")
    print(summary(report))
    print(f"written to {args.out}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
