"""The Kovacs STRSP reader, the independent checker (levels, windows, outsourcing cost) and a short run.

Tiny instance, one domain with three levels: depot 1 at (0, 0), open 0-1000; task 2 at (3, 4) needs level 3
(d11 = d12 = d13 = 1, outsourcing 200 + 3^1.5 = 205.196); task 3 at (0, 10) needs level 1 (outsourcing 201);
task 4 at (90, 120) needs level 1 (outsourcing 201), 150 from the depot. Technician 1 is at level 2,
technician 2 at level 3. Best plan: technician 2 serves 2 and 3 (5 + sqrt(45) + 10 = 21.708; serving them
apart costs 10 + 20 = 30), and task 4 is outsourced: its cheapest insertion (after 3: sqrt(90^2 + 110^2)
+ 150 - 10 = 282.1, alone: 300) costs more than 201. Objective 21.708 + 201 = 222.708.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from benchmarks.strsp import build_problem, evaluate, main, parse_sol, read_strsp, technicians_file

TASKS = """Capacity: 200\r
Customer: 101\r
\r
CUST NO.  \t XCOORD.  \t YCOORD.  \t DEMAND  \t READY TIME  \t DUE DATE  \t SERVICE TIME \tcost\td11\td12\td13\r
1\t0\t0\t0\t0\t1000\t0\t0\t0\t0\t0\r
2\t3\t4\t10\t0\t1000\t10\t100\t1\t1\t1\r
3\t0\t10\t10\t0\t1000\t10\t100\t1\t0\t0\r
4\t90\t120\t10\t0\t1000\t10\t100\t1\t0\t0\r
"""

TECHNICIANS = """Technicians\r
Number of Technicians: 2\r
domains: 1\r
proficiency level: 3\r
\r
\r
ID\tdomain1\r
1\t2\r
2\t3\r
"""

BEST = 5 + math.sqrt(45) + 10 + 201
ROOT = Path(__file__).resolve().parents[3] / "shared/benchmarks/strsp_kovacs"
if not ROOT.exists():
    ROOT = Path("/work/shared/benchmarks/strsp_kovacs")


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    tasks = tmp_path / "T101_1x3_noTeam.txt"
    techs = tmp_path / "techs.txt"
    tasks.write_text(TASKS)
    techs.write_text(TECHNICIANS)
    return tasks, techs


def test_levels_are_cumulative_tags_and_outsourcing_is_the_drop_penalty(tiny: tuple[Path, Path]) -> None:
    inst = read_strsp(*tiny)
    problem = build_problem(inst)
    # technician 1 (level 2) holds d1l1, d1l2; technician 2 (level 3) also d1l3; task 2 requires all three
    assert [v.skills for v in problem.vehicles] == [frozenset({0, 1}), frozenset({0, 1, 2})]
    assert problem.visits[0].skills == frozenset({0, 1, 2})
    assert [v.drop_penalty for v in problem.visits] == [round(1000 * (200 + 3 ** 1.5)), 201_000, 201_000]


def test_the_checker_binds_levels_and_windows_and_costs_outsourcing(tiny: tuple[Path, Path]) -> None:
    inst = read_strsp(*tiny)
    best = evaluate(inst, [[], [2, 3]])
    assert best.errors == ()
    assert best.outsourced == (4,)
    assert best.objective == pytest.approx(BEST)
    # the level-2 technician may not take the level-3 task
    assert any("level 2 in domain 1 for task 2" in e for e in evaluate(inst, [[2, 3], []]).errors)
    # listed as outsourced and served: twice; forgotten altogether: missing
    assert any("more than once" in e for e in evaluate(inst, [[], [2, 3]], [3, 4]).errors)
    assert any("neither served nor outsourced" in e for e in evaluate(inst, [[], [2, 3]], []).errors)
    tasks, techs = tiny
    tasks.write_text(TASKS.replace("3\t0\t10\t10\t0\t1000", "3\t0\t10\t10\t0\t5"))
    assert any("task 3 starts at" in e for e in evaluate(read_strsp(tasks, techs), [[], [2, 3]]).errors)


def test_the_engine_gives_the_level_3_task_to_the_level_3_technician(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    tasks, techs = tiny
    code = main([str(tasks), "--technicians", str(techs), "--time-limit", "5", "--solution-limit", "20",
                 "--out", str(tmp_path / "out")])
    assert code == 0
    sol = (tmp_path / "out" / "T101_1x3_noTeam.sol").read_text()
    routes, outsourced = parse_sol(sol)
    assert routes[0] == []  # the level-2 technician could not take task 2
    assert sorted(routes[1]) == [2, 3]
    assert outsourced == [4]
    assert sol.splitlines()[1].startswith("Route #2 (2):")
    assert sol.rstrip().endswith(f"Cost {BEST:.2f}")


def test_a_published_instance_is_solved_written_and_rechecked(tmp_path: Path) -> None:
    root = ROOT
    task = root / "tasks_noTeam/C201_5x4_noTeam.txt"
    assert technicians_file(task) == root / "technicians_noTeam/technicians_C201_5x4_noTeam.txt"
    code = main([str(task), "--time-limit", "10", "--solution-limit", "100", "--out", str(tmp_path)])
    sol = (tmp_path / "C201_5x4_noTeam.sol").read_text()
    routes, outsourced = parse_sol(sol)
    inst = read_strsp(task)
    assert len(routes) == len(inst.technicians) == 8
    ev = evaluate(inst, routes, outsourced)
    assert ev.served + len(ev.outsourced) == 100
    assert sol.rstrip().endswith(f"Cost {ev.objective:.2f}")
    assert code == (0 if ev.feasible else 1)


def test_a_team_file_asked_for_as_no_team_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(ROOT / "tasks_Team/C101_5x4_Team.txt"), "--variant", "noTeam", "--time-limit", "1"]) == 2
    assert "--variant team" in capsys.readouterr().err
