"""`dispatch solve` tells a dispatcher, under each order left out and its reason, the one changes that would
serve it, and the latest stops with the changes that would start them on time."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

import dispatch.cli as cli
from dispatch.plan import Fix, Plan, Route, Stop, Unassigned
from tests.factories import PLAN_DATE, at, make_day, make_order

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
