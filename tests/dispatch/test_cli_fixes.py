"""`dispatch solve` tells a dispatcher, under each order left out and its reason, the one changes that would
serve it, and the latest stops with the changes that would start them on time."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console
from typer.testing import CliRunner

import dispatch.cli as cli
from dispatch.io import write_orders_csv, write_technicians_csv
from dispatch.plan import Fix, Plan, Route, Stop, Unassigned
from dispatch.planning.fixes import applied
from tests.factories import PLAN_DATE, assert_valid, at, make_day, make_order, make_tech

runner = CliRunner()

# --- through the real command, on a day where one change would serve each order left out ---

TECHS = [make_tech("T1", skills={"hvac"}, van_stock={"F-7": 2}),
         make_tech("T2", skills={"hvac", "plumbing"}, home_lat=45.78, home_lon=4.88),
         make_tech("T3", skills={"plumbing"}, home_lat=45.74, home_lon=4.82, shift_end=at("13:00"))]
SPOTS = [(45.75, 4.85), (45.77, 4.83), (45.76, 4.87), (45.74, 4.86), (45.78, 4.84), (45.73, 4.83)]
ORDERS = [make_order(f"O{i}", lat=lat, lon=lon, required_skills={"hvac" if i % 2 else "plumbing"},
                     priority=("P2", "P3", "P4")[i % 3]) for i, (lat, lon) in enumerate(SPOTS, 1)]
ORDERS += [
    make_order("BOILER", lat=45.76, lon=4.86, priority="P2", required_skills={"boiler"}),  # nobody has the skill
    make_order("PART", lat=45.75, lon=4.84, priority="P2", required_parts={"P-310": 1}),  # no van carries it
    make_order("LONG", lat=45.76, lon=4.85, duration_min=540),  # as long as a shift, without the drive
    # 25 km out at 08:00 sharp: nobody gets there from home in time
    make_order("EARLY", lat=45.95, lon=4.85, required_skills={"plumbing"}, window_start=at("08:00"),
               window_end=at("08:10")),
    make_order("STALE", lat=45.77, lon=4.86, priority="P1", created_at=at("02:00")),  # late whoever goes
]
SHORT_HANDED = make_day(TECHS, ORDERS)
EXPECTED = {"BOILER": "skill", "PART": "part", "LONG": "overtime", "EARLY": "window"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fixes")
    write_technicians_csv(TECHS, folder / "technicians.csv")
    write_orders_csv(ORDERS, folder / "orders.csv")
    return folder


def solve(folder, *extra: str):
    out = folder / "plan.json"
    result = runner.invoke(cli.app, ["solve", "--technicians", str(folder / "technicians.csv"), "--orders",
                                     str(folder / "orders.csv"), "--date", PLAN_DATE.isoformat(),
                                     "--solution-limit", "20", "--time-limit", "60", "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert_valid(SHORT_HANDED, data)
    return " ".join(result.output.split()), data


def test_solve_prints_each_order_left_out_with_its_reason_and_its_fixes(files):
    said, data = solve(files)
    left = {u["order_id"]: u for u in data["unassigned"]}
    assert set(left) == set(EXPECTED)
    assert "4 orders left out:" in said
    plan = Plan.from_dict(data)
    for u in plan.unassigned:
        assert u.fixes, u.order_id
        assert u.fixes[0].kind == EXPECTED[u.order_id]
        for f in u.fixes:  # what the dispatcher is told holds: applied and inserted, the checker accepts it
            assert_valid(*applied(SHORT_HANDED, plan, u.order_id, f))
        # under the order and its reason, its fixes in order, each with its kind, cost and sentence
        block = " ".join([f"{u.order_id} P{next(o.priority.rank for o in ORDERS if o.id == u.order_id)}: "
                          f"{u.reason}"] + [f"{k}. {f.kind}, cost {f.cost_delta['total']:+,.0f}: {f.text}"
                                            for k, f in enumerate(u.fixes, 1)])
        assert " ".join(block.split()) in said
    # the most urgent first: the two P2 orders before the P3 ones
    assert max(said.index("BOILER P2"), said.index("PART P2")) < min(said.index("LONG P3"), said.index("EARLY P3"))
    stale = next(s for r in plan.routes for s in r.stops if s.order_id == "STALE")
    assert stale.late_minutes > 0
    assert "1 late stop, the latest first: STALE P1: " in said
    assert f"{stale.late_minutes:.0f} min late" in said


def test_solve_without_the_search_writes_and_says_no_fixes(files):
    said, data = solve(files, "--no-fixes")
    assert {u["order_id"] for u in data["unassigned"]} == set(EXPECTED)
    assert all(u["fixes"] == [] for u in data["unassigned"])
    assert "4 orders left out:" in said
    assert "BOILER P2: no technician has skill 'boiler'" in said
    assert "cost" not in said.split("left out:")[1]
    assert "no single change" not in said

# --- the printing, on a plan whose fixes are written by hand ---

DAY = make_day([], [make_order(f"O{i}", priority=f"P{1 + i % 4}") for i in range(1, 13)])


def fix(kind: str, tech: str, total: float, text: str, **kw) -> Fix:
    return Fix(kind=kind, technician_id=tech, position=2, arrival=at("10:05"), eta=at("10:15"),
               late_minutes=kw.pop("late", 0.0), cost_delta={"travel": 4.0, "change": total - 4.0, "total": total},
               text=text, **kw)


def late_stop(order_id: str, minutes: float, *fixes: Fix) -> Stop:
    return Stop(order_id, at("11:00"), at("11:00"), at("12:00"), 3.0, 5.0, late_minutes=minutes, fixes=fixes)


PLAN = Plan(PLAN_DATE, (
    Route("T1", (late_stop("O5", 12.0), late_stop("O6", 48.0, fix("overtime", "T1", 80, "T1 works 20 min longer",
                                                                   minutes=20)),
                 late_stop("O7", 3.0)), None, 20.0),
    Route("T2", (late_stop("O9", 30.0), late_stop("O10", 0.0), late_stop("O11", 7.0), late_stop("O12", 1.0)),
          None, 20.0),
), (
    Unassigned("O3", "no technician has skill 'boiler'", "required skill", (
        fix("skill", "T2", 1250, "T2 gains skill boiler", skill="boiler"),
        fix("overtime", "T1", 2500.4, "T1 works 35 min longer", minutes=35, late=12.0),
    )),
    Unassigned("O4", "all 2 qualified technicians are fully booked", "shift"),  # P1: printed first
    Unassigned("O2", "no van holds 1 of P-310", "van stock",
               (fix("part", "T1", -310, "put 1 P-310 in T1's van from the central store", part="P-310",
                    quantity=1, store="central"),)),
))


@pytest.fixture
def printed(monkeypatch):
    buffer = io.StringIO()
    monkeypatch.setattr(cli, "out", Console(file=buffer, width=100))
    return buffer


def test_each_order_left_out_shows_its_reason_then_its_fixes_most_urgent_first(printed):
    cli.show_fixes(DAY, PLAN)
    lines = printed.getvalue().splitlines()
    start = lines.index("3 orders left out:")
    assert lines[start + 1:start + 8] == [
        "  O4 P1: all 2 qualified technicians are fully booked",
        "    no single change would do",
        "  O2 P3: no van holds 1 of P-310",
        "    1. part T1 stop 3, ETA 10:15, on time, cost -310: put 1 P-310 in T1's van from the central store",
        "  O3 P4: no technician has skill 'boiler'",
        "    1. skill T2 stop 3, ETA 10:15, on time, cost +1,250: T2 gains skill boiler",
        "    2. overtime T1 stop 3, ETA 10:15, 12 min late, cost +2,500: T1 works 35 min longer",
    ]


def test_the_latest_stops_come_first_and_the_rest_are_counted(printed):
    cli.show_fixes(DAY, PLAN, late=3, where="plan.json")
    text = printed.getvalue()
    tail = text[text.index("6 late stops"):].splitlines()
    assert tail == [
        "6 late stops, the latest first:",
        "  O6 P3: T1 stop 2, 48 min late",
        "    1. overtime T1 stop 3, ETA 10:15, on time, cost +80: T1 works 20 min longer",
        "  O9 P2: T2 stop 1, 30 min late",
        "    no single change would do",
        "  O5 P2: T1 stop 1, 12 min late",
        "    no single change would do",
        "  ... and 3 more in plan.json",
    ]


def test_a_long_list_is_cut_with_a_count_and_long_lines_wrap_under_their_text(printed, monkeypatch):
    monkeypatch.setattr(cli, "out", Console(file=printed, width=60))
    cli.show_fixes(DAY, PLAN, left_out=2, late=0, where="plan.json")
    lines = printed.getvalue().splitlines()
    assert "  ... and 1 more in plan.json" in lines
    assert "O3" not in printed.getvalue()
    part = lines.index("  O2 P3: no van holds 1 of P-310") + 1
    assert lines[part].startswith("    1. part T1 stop 3")
    assert lines[part + 1].startswith("       ")
    assert lines[part + 1].strip()
    assert all(len(line) <= 60 for line in lines)


def test_without_the_search_nothing_is_said_about_fixes(printed):
    cli.show_fixes(DAY, PLAN, searched=False)
    assert "no single change" not in printed.getvalue()
    assert "T2 gains skill boiler" in printed.getvalue()  # what the plan carries is still shown
