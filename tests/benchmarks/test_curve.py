"""The curve runner on a tiny day under a solution limit: its JSON has the curve, the profile and a valid plan."""

from __future__ import annotations

import json

from benchmarks import curve
from dispatch.analysis.checker import check_plan
from dispatch.demo_days import DEFAULT_DATE, generate_day
from dispatch.planning.translate import build_problem, to_plan
from dispatch.policy import Policy
from solver import Progress, SolveParams, solve


def test_curve_records_the_best_by_each_checkpoint_and_checks_the_plan(tmp_path, capsys):
    code = curve.main(["--sizes", "16x3", "--seeds", "1", "--time-limit", "5", "--solution-limit", "20",
                       "--checkpoints", "1", "5", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "best by 5 s" in printed
    out = json.loads((tmp_path / "lyon_16x3_seed1.json").read_text())
    assert out["final"]["valid"]
    assert out["insertion_plan"]["valid"]
    assert out["day"] == {"city": "lyon", "orders": 16, "technicians": 3, "seed": 1}
    for clock in ("wall", "cpu"):
        assert [p["at_s"] for p in out["curve"][clock]] == [1, 5]
        counts = [p["solutions"] for p in out["curve"][clock]]
        assert counts == sorted(counts)
        assert counts[-1] <= out["progress_points"]
        bests = [p["best"] for p in out["curve"][clock] if p["best"] is not None]
        assert bests == sorted(bests, reverse=True)  # the best found never gets worse
    assert out["progress_points"] == len(out["progress"]) > 0
    assert out["search_best"] == min(p["objective"] for p in out["progress"])
    assert out["first_solution"]["objective"] == out["progress"][0]["objective"]
    assert all(op["accepted"] <= op["filtered"] <= op["neighbours"] for op in out["operators"])
    assert out["search_wall_s"] is not None  # from the solver's own last log line
    assert out["unserved"]["orders"] == 16 - out["final"]["row"]["served"]
    assert curve.main(["--render", str(tmp_path)]) == 0  # the tables again from the saved JSON
    assert capsys.readouterr().out.count("lyon 16x3 s1") == 3  # the curve by wall and CPU, the time table


def test_the_operator_profile_is_read_from_what_the_solver_reports():
    day = generate_day(orders=16, technicians=3, seed=1, plan_date=DEFAULT_DATE, city="lyon")
    built = build_problem(day, Policy(solution_limit=20))
    solution = solve(built.problem, time_limit=5, params=SolveParams(solution_limit=20, profile=True))
    assert check_plan(day, to_plan(built, solution)).ok
    ops = curve.operators(solution.search_profile)
    assert ops, solution.search_profile
    assert {"Total"}.isdisjoint(op["operator"] for op in ops)
    assert sum(op["accepted"] for op in ops) > 0


def test_the_stall_point_is_the_last_improvement_of_at_least_the_share_asked():
    points = [Progress(1.0, 0.5, 10000), Progress(2.0, 1.0, 9900), Progress(3.0, 1.5, 9950),
              Progress(4.0, 2.0, 9895)]
    st = curve.stall(points, 0.1)
    assert st["last_big_wall"] == 2.0  # 9900 is 1 % below 10000; 9895 only 0.05 % below 9900
    assert st["within_wall"] == 2.0  # 9900 is within 0.1 % of the end's 9895
    assert st["last_wall"] == 4.0
    assert curve.best_by(points, 3.0, "wall") == (9900, 3)
    assert curve.best_by(points, 1.0, "cpu") == (9900, 2)


def test_curve_before_runs_the_local_search_alone(tmp_path, capsys):
    code = curve.main(["--sizes", "16x3", "--seeds", "1", "--time-limit", "5", "--solution-limit", "20",
                       "--checkpoints", "5", "--before", "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().out
    out = json.loads((tmp_path / "lyon_16x3_seed1.json").read_text())
    assert out["engine"] == "local search alone (before)"
    assert out["final"]["valid"]
