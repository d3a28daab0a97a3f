"""The benchmark runners end to end on tiny days: they run, check every plan and write their results."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks import compare, fixes, horizon, timelimit


def test_compare_checks_every_plan_and_writes_results(tmp_path, capsys):
    code = compare.main(["--orders", "16", "--technicians", "3", "--seeds", "1", "--time-limit", "2",
                         "--exploration", "1", "--target", "0", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "greedy" in printed
    assert "vroom" in printed.lower()
    assert (tmp_path / "results.csv").read_text().count("\n") >= 4  # header + ours, greedy, VROOM


def test_compare_before_also_plans_with_the_local_search_alone(tmp_path, capsys):
    code = compare.main(["--orders", "16", "--technicians", "3", "--seeds", "1", "--time-limit", "2",
                         "--exploration", "1", "--target", "0", "--before", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "Against the engine before" in printed
    rows = (tmp_path / "results.csv").read_text()
    assert rows.count("local search") == 1  # the fourth method, checked like the others
    assert "INVALID" not in printed


def test_scale_reports_a_valid_plan_and_its_memory():
    # in a process of its own: its peak memory is the process's whole history (ru_maxrss), not this test's
    done = subprocess.run([sys.executable, "-m", "benchmarks.scale", "--orders", "30", "--technicians", "4",
                           "--time-limit", "2", "--no-first"], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "MiB" in done.stdout
    assert "plan VALID" in done.stdout


def test_fixes_times_the_search_and_checks_every_fix(tmp_path, capsys):
    out = tmp_path / "fixes.json"
    code = fixes.main(["--orders", "40", "--technicians", "4", "--seeds", "2", "--time-limit", "2", "--check",
                       "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    (row,) = json.loads(out.read_text())
    assert row["plan_valid"]
    assert row["fixes"] > 0
    assert row["checked_valid"] == row["fixes"]
    assert row["covered"] <= row["single_change_could_serve"] <= row["unassigned"]


def test_horizon_plans_both_ways_checks_both_and_writes_results(tmp_path, capsys):
    out = tmp_path / "horizon.json"
    code = horizon.main(["--orders", "24", "--technicians", "3", "--days", "2", "--time-limit", "2", "--seeds", "1",
                         "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    rows = json.loads(out.read_text())
    assert [r["method"] for r in rows] == ["horizon of 2 days", "day by day"]
    assert all(r["valid"] and r["orders"] == 24 for r in rows)
    assert "total weighted cost" in printed


def test_timelimit_runs_the_command_checks_its_plan_and_records_wall_time_against_the_limit(tmp_path, capsys):
    out = tmp_path / "timelimit.json"
    code = timelimit.main(["--sizes", "30x4", "--time-limits", "3", "--phases", "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    (run,) = json.loads(out.read_text())["runs"]
    assert run["valid"]
    assert run["orders"] == 30
    assert run["bound_s"] == 3 * 1.05 + 1
    assert run["wall_s"] > 0
    assert isinstance(run["within"], bool)
    assert "plan_day in all" in run["phases_s"]
