"""The Pillac TRSP reader, the independent evaluator (rules and the paper's working time) and a short run.

Tiny instance: depot 0 at (0, 0); technician 1 at home (0, 0) with skill 0, tool 0 and 1 part of type 0;
requests 2 at (3, 4) (window 0-100, service 10, skill 0, tool 0, one part) and 3 at (6, 8) (window 30-100,
service 10, skill 0, no tool, no part). Tour 2, 3: leave at 0, reach 2 at 5, serve to 15, reach 3 at 20, wait
until 30, serve to 40, home at 50. The departure can move 10 later (the wait at 3) without breaking a window,
so the working time is 50 - 10 = 40.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.solomon import parse_sol
from benchmarks.trsp import evaluate, main, place_depot, read_trsp

TINY = """TINY

INFO
CREW COUNT  SKILLS  TOOLS   SPARE PARTS
1      1       1       1

DEPOT TECHNICIANS AND REQUESTS
ID   X     Y     TWS    TWE    Serv   SKILLS   TOOLS    SPARE PARTS
0    0     0     0      200    0      [] \t[] \t[]
1    0     0     0      200    0      [0] \t[0] \t[1]
2    3     4     0      100    10     [0] \t[0] \t[1]
3    6     8     30     100    10     [0] \t[] \t[0]
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "TINY.txt"
    path.write_text(TINY)
    return path


def test_working_time_leaves_home_as_late_as_the_windows_allow(tiny: Path) -> None:
    ev = evaluate(read_trsp(tiny), [[2, 3]])
    assert ev.errors == ()
    assert ev.total_duration == pytest.approx(40.0)


def test_windows_and_parts_bind_and_the_depot_refills(tiny: Path) -> None:
    inst = read_trsp(tiny)
    # 3 then 2: reach 3 at 10, wait to 30, serve to 40, reach 2 at 45, serve to 55, home at 60; leaving 20
    # later removes the wait: 40
    assert evaluate(inst, [[3, 2]]).total_duration == pytest.approx(40.0)
    needy = read_trsp(tiny.write_text(TINY.replace("[0] \t[] \t[0]", "[0] \t[] \t[1]")) and tiny)
    assert any("spare parts" in e for e in evaluate(needy, [[2, 3]]).errors)
    # a depot visit first refills: 0 -> 2 -> 3 is feasible again
    assert evaluate(needy, [[0, 2, 3]]).feasible
    late = read_trsp(tiny.write_text(TINY.replace("30     100    10", "0      4      10")) and tiny)
    assert any("starts at" in e for e in evaluate(late, [[2, 3]]).errors)
    assert any("not served" in e for e in evaluate(inst, [[2]]).errors)


def test_the_runner_solves_writes_and_checks_a_published_instance(tmp_path: Path) -> None:
    crew = Path(__file__).resolve().parents[3] / "shared/benchmarks/trsp_pillac"
    if not crew.exists():
        crew = Path("/work/shared/benchmarks/trsp_pillac")
    code = main([str(crew / "crew25/C201.100_25-5-5-5.txt"), "--bks", str(crew / "bks_trsp_pillac_crew25.csv"),
                 "--time-limit", "10", "--solution-limit", "200", "--out", str(tmp_path)])
    sol = (tmp_path / "C201.100_25-5-5-5.sol").read_text()
    routes = parse_sol(sol)
    assert len(routes) == 25
    assert sol.splitlines()[0].startswith("Route #1 (1):")
    ev = evaluate(read_trsp(crew / "crew25/C201.100_25-5-5-5.txt"), routes)
    assert sol.rstrip().endswith(f"Cost {ev.total_duration:.2f}")
    assert code == (0 if ev.feasible else 1)


def test_the_depot_visit_goes_where_it_costs_least_or_nowhere(tiny: Path) -> None:
    inst = read_trsp(tiny)
    # own tools and parts suffice: a depot visit would only add a detour (none here: the depot is home)
    assert place_depot(inst, 0, [2, 3]) == [2, 3]
    # 3 now needs a part the van has used up at 2; the depot is at home, so refilling before leaving is free
    needy = TINY.replace("[0] \t[] \t[0]", "[0] \t[] \t[1]")
    inst = read_trsp(tiny.write_text(needy) and tiny)
    assert place_depot(inst, 0, [2, 3]) == [0, 2, 3]
    # with the depot beside 3, it is visited between 2 and 3, on the way
    beside = needy.replace("0    0     0     0      200", "0    6     8     0      200")
    inst = read_trsp(tiny.write_text(beside) and tiny)
    assert place_depot(inst, 0, [2, 3]) == [2, 0, 3]
    assert evaluate(inst, [[2, 0, 3]]).feasible
    assert not evaluate(inst, [[2, 3]]).feasible
