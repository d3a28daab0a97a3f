"""The Kovacs STRSP Team variant: the team checker (requirements met by the members together, one team per
technician, windows) and short runs under a solution limit, every plan re-checked from the raw files.

Tiny instance, one domain with three levels: depot 1 at (0, 0), open 0-1000; task 2 at (3, 4) needs two
technicians at level 1+ (d11 = 2: outsourcing 200 + 2^1.5 = 202.83); task 3 at (0, 10) needs one at level 3
(d11 = d12 = d13 = 1: 205.196); task 4 at (90, 120) needs one at level 1+ (201), 150 from the depot.
Technicians 1 and 3 are at level 1, technician 2 at level 3. Best plan: a team with technician 2 and one more
serves 2 and 3 on one route (5 + sqrt(45) + 10 = 21.708, counted once for the team; two teams apart: 10 + 20
= 30), and task 4 is outsourced (its cheapest insertion costs 282.1 > 201). Objective 21.708 + 201 = 222.708.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from benchmarks.strsp import main, read_strsp
from benchmarks.strsp_team import evaluate_team, parse_team_sol, team_problem

TASKS = """Capacity: 200\r
Customer: 101\r
\r
CUST NO.  \t XCOORD.  \t YCOORD.  \t DEMAND  \t READY TIME  \t DUE DATE  \t SERVICE TIME \tcost\td11\td12\td13\r
1\t0\t0\t0\t0\t1000\t0\t0\t0\t0\t0\r
2\t3\t4\t10\t0\t1000\t10\t100\t2\t0\t0\r
3\t0\t10\t10\t0\t1000\t10\t100\t1\t1\t1\r
4\t90\t120\t10\t0\t1000\t10\t100\t1\t0\t0\r
"""

TECHNICIANS = """Technicians\r
Number of Technicians: 3\r
domains: 1\r
proficiency level: 3\r
\r
\r
ID\tdomain1\r
1\t1\r
2\t3\r
3\t1\r
"""

BEST = 5 + math.sqrt(45) + 10 + 201
ROOT = Path(__file__).resolve().parents[3] / "shared/benchmarks/strsp_kovacs"
if not ROOT.exists():
    ROOT = Path("/work/shared/benchmarks/strsp_kovacs")


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    tasks = tmp_path / "T101_1x3_Team.txt"
    techs = tmp_path / "techs.txt"
    tasks.write_text(TASKS)
    techs.write_text(TECHNICIANS)
    return tasks, techs


def test_a_team_holds_the_requirement_classes_its_members_meet_together(tiny: tuple[Path, Path]) -> None:
    inst = read_strsp(*tiny)
    # classes in order of first task: 0 = two at level 1+, 1 = one at level 3, 2 = one at level 1+
    problem = team_problem(inst, ((0, 1), (2,)))
    assert [v.skills for v in problem.vehicles] == [frozenset({0, 1, 2}), frozenset({2})]
    assert [v.skills for v in problem.visits] == [frozenset({0}), frozenset({1}), frozenset({2})]
    assert problem.visits[0].drop_penalty == round(1000 * (200 + 2 ** 1.5))


def test_the_team_checker_binds_the_members_together_and_counts_the_route_once(tiny: tuple[Path, Path]) -> None:
    inst = read_strsp(*tiny)
    best = evaluate_team(inst, [[1, 2], [3]], [[2, 3], []])
    assert best.errors == ()
    assert best.outsourced == (4,)
    assert best.objective == pytest.approx(BEST)
    # technician 1 alone is one technician short for task 2; technicians 1 and 3 have no level 3 for task 3
    assert any("task 2 needs 2 technicians at level 1+ in domain 1, the team has 1" in e
               for e in evaluate_team(inst, [[1], [2], [3]], [[2], [3], []]).errors)
    assert any("task 3 needs 1 technicians at level 3+" in e
               for e in evaluate_team(inst, [[1, 3], [2]], [[2, 3], []]).errors)
    # one technician in two teams; a task served twice
    assert any("technician 2 is in teams 1 and 2" in e for e in evaluate_team(inst, [[1, 2], [2, 3]], [[2], [3]]).errors)
    assert any("more than once" in e for e in evaluate_team(inst, [[1, 2], [3]], [[2, 3], [3]]).errors)
    tasks, techs = tiny
    tasks.write_text(TASKS.replace("3\t0\t10\t10\t0\t1000", "3\t0\t10\t10\t0\t5"))
    assert any("task 3 starts at" in e for e in evaluate_team(read_strsp(tasks, techs), [[1, 2], [3]], [[2, 3], []]).errors)


def test_the_runner_forms_the_team_that_serves_both_near_tasks(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    tasks, techs = tiny
    args = [str(tasks), "--technicians", str(techs), "--variant", "team", "--time-limit", "5",
            "--solution-limit", "20", "--formation-evaluations", "30"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    sol = (tmp_path / "a" / "T101_1x3_Team.sol").read_text()
    teams, routes, outsourced = parse_team_sol(sol)
    serving = [(team, r) for team, r in zip(teams, routes, strict=True) if r]
    assert len(serving) == 1
    team, route = serving[0]
    assert 2 in team
    assert len(team) >= 2
    assert sorted(route) == [2, 3]
    assert outsourced == [4]
    assert evaluate_team(read_strsp(tasks, techs), teams, routes, outsourced).errors == ()
    assert sol.rstrip().endswith(f"Cost {BEST:.2f}")
    # under a solution limit the same seed gives the same plan
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    assert (tmp_path / "b" / "T101_1x3_Team.sol").read_text() == sol


def test_a_published_team_instance_is_solved_written_and_rechecked(tmp_path: Path) -> None:
    task = ROOT / "tasks_Team/R201_5x4_Team.txt"
    code = main([str(task), "--variant", "team", "--reduced", "--time-limit", "10", "--solution-limit", "50",
                 "--formation-evaluations", "20", "--out", str(tmp_path)])
    sol = (tmp_path / "R201_5x4_Team.sol").read_text()
    teams, routes, outsourced = parse_team_sol(sol)
    inst = read_strsp(task, reduced=True)
    assert sorted(i for team in teams for i in team) == [t.id for t in inst.technicians]  # all 22, once each
    ev = evaluate_team(inst, teams, routes, outsourced)
    assert ev.errors == ()
    assert ev.served + len(ev.outsourced) == 100
    assert any(len(team) > 1 for team, r in zip(teams, routes, strict=True) if r)
    assert sol.rstrip().endswith(f"Cost {ev.objective:.2f}")
    assert code == 0
