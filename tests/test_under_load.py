"""CI shares a busy 2-core machine: the determinism tests must pass with two CPU-burning processes beside them.

With a solution limit no decision of the solver, `plan_day` or the region planner may depend on elapsed
time, so the same input and seed give the same plan however slowly the machine runs.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BURNER = "while True: pass"


def marking_files() -> list[str]:
    """The test files that mark determinism tests (a decorator or a module's `pytestmark`): collecting those
    alone spares the burdened run importing the whole suite only to deselect it."""
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_*.py")
                  if p != Path(__file__).resolve() and "mark.determinism" in p.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_the_determinism_tests_pass_while_two_processes_burn_the_cpu() -> None:
    files = marking_files()
    assert len(files) >= 6, files
    burners = [subprocess.Popen([sys.executable, "-c", BURNER]) for _ in range(2)]
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-m", "determinism", "-n", "0", "-p", "no:cacheprovider", *files],
            cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)
    finally:
        for b in burners:
            b.kill()
            b.wait()
    tail = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, tail
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed is not None, tail
    assert int(passed.group(1)) >= 6, tail  # the marked tests ran, not an empty selection
