"""The compiled walks' kernels: loaded before a solve forks, never compiled against a timed solve's clock."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dispatch.cli import app
from solver import SolveParams, fieldwalk, kernels, solve
from solver.lns import can_fork
from tests.solver.checker import assert_consistent
from tests.solver.test_lns import field_day

ROOT = Path(__file__).resolve().parents[2]


def test_dispatch_compile_leaves_every_kernel_in_numbas_cache() -> None:
    result = CliRunner().invoke(app, ["compile"])
    assert result.exit_code == 0, result.output
    assert "solver._field_kernel" in result.output
    assert "solver._sisr_kernel" in result.output
    assert "solver._span_kernel" in result.output
    import solver._field_kernel as field_kernel
    import solver._sisr_kernel as sisr_kernel
    import solver._span_kernel as span_kernel

    assert kernels.cached(field_kernel)
    assert kernels.cached(sisr_kernel)
    assert kernels.cached(span_kernel)
    assert fieldwalk.warm(compile=False)
    assert fieldwalk.warmed()


def test_a_timed_solve_does_not_compile_a_kernel_numba_has_not_cached(tmp_path: Path) -> None:
    # an empty cache: the timed solve walks with the general walk rather than spend 15-40 s compiling
    script = """
import solver._field_kernel as k
from solver import SolveParams, fieldwalk, kernels, solve
from tests.solver.test_lns import field_day
assert not kernels.cached(k)
assert fieldwalk.warm(compile=False) is False
s = solve(field_day(20, 3, 1), time_limit=3, seed=0, params=SolveParams(cores=1))
assert not fieldwalk.warmed()
assert sum(len(r.visits) for r in s.routes) > 0
print("general walk")
"""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "general walk" in done.stdout
    assert not list(tmp_path.rglob("*.nbi"))  # nothing was compiled into it


@pytest.mark.determinism
@pytest.mark.skipif(not can_fork(), reason="a second core's walk needs the fork start method")
def test_a_bounded_solve_gives_the_same_plan_when_the_other_cores_walk_dies(
        monkeypatch: pytest.MonkeyPatch) -> None:
    p = field_day()
    params = SolveParams(solution_limit=40, cores=2)
    answered = solve(p, time_limit=10, seed=0, params=params)
    parent, real = os.getpid(), fieldwalk.improve

    def dies_in_a_child(*args: object, **kwargs: object) -> object:
        if os.getpid() != parent:
            os._exit(3)  # as a child killed mid-walk: no answer at all
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fieldwalk, "improve", dies_in_a_child)
    monkeypatch.setattr(importlib.import_module("solver.solve"), "improve", dies_in_a_child)
    died = solve(p, time_limit=10, seed=0, params=params)
    assert [r.visits for r in died.routes] == [r.visits for r in answered.routes]
    assert died.objective == answered.objective
    assert_consistent(p, died)
