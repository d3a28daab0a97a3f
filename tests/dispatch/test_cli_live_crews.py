"""`dispatch replan --events` on a day with two-person jobs, as a dispatcher runs it: both members of a crew
report their own visit; the begun crew job stays on both routes at its common start (the member who reported
nothing yet keeps it too), the one not begun may move but keeps its crew together, and the re-plan passes
`dispatch check` (the independent re-plan check) against the morning plan. `dispatch recommend` places an order
around a crew job not begun, and a crew job on a crew's routes at once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dispatch.cli import app
from dispatch.io import write_orders_csv, write_technicians_csv
from dispatch.plan import Plan
from tests.factories import PLAN_DATE, assert_valid, make_day, make_order, make_tech

runner = CliRunner()
DAY = make_day([make_tech("T1"), make_tech("T2", home_lat=45.80, home_lon=4.90), make_tech("T3", home_lat=45.70)],
               [make_order("K1", technicians_needed=2, lat=45.76, lon=4.86),
                make_order("K2", technicians_needed=2, lat=45.74, lon=4.82, duration_min=45),
                *(make_order(f"O{i}", lat=45.72 + 0.01 * i, lon=4.80 + 0.01 * i, duration_min=45) for i in range(8))])


def args(folder: Path, *extra: str) -> list[str]:
    return ["--technicians", str(folder / "technicians.csv"), "--orders", str(folder / "orders.csv"),
            "--date", PLAN_DATE.isoformat(), *extra]


def crew_stops(data: dict, order_id: str) -> list[dict]:
    return [s | {"technician_id": r["technician_id"]} for r in data["routes"] for s in r["stops"]
            if s["order_id"] == order_id]


@pytest.fixture(scope="module")
def morning(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Plan]:
    folder = tmp_path_factory.mktemp("crews")
    write_technicians_csv(DAY.technicians, folder / "technicians.csv")
    write_orders_csv(DAY.orders, folder / "orders.csv")
    solved = runner.invoke(app, ["solve", *args(folder, "--solution-limit", "30", "--seed", "1",
                                                "--out", str(folder / "morning.json"))])
    assert solved.exit_code == 0, solved.output
    plan = Plan.from_json((folder / "morning.json").read_text())
    assert_valid(DAY, plan)
    return folder, plan


def replan_and_check(folder: Path, rows: list[str], at: datetime) -> dict:
    (folder / "events.csv").write_text("\n".join(["time,technician_id,order_id,event,note", *rows]) + "\n")
    live = ["--events", str(folder / "events.csv"), "--at", at.strftime("%H:%M")]
    out = folder / "new.json"
    result = runner.invoke(app, ["replan", *args(folder, "--plan", str(folder / "morning.json"), *live,
                                                 "--solution-limit", "20", "--seed", "1", "--out", str(out))])
    assert result.exit_code == 0, result.output
    checked = runner.invoke(app, ["check", *args(folder, "--plan", str(out), *live,
                                                 "--previous", str(folder / "morning.json"))])
    assert checked.exit_code == 0, checked.output
    data = json.loads(out.read_text())
    assert_valid(DAY, Plan.from_dict(data))
    return data


def test_both_members_report_and_the_replan_keeps_the_begun_crew_together(morning: tuple[Path, Plan]) -> None:
    folder, plan = morning
    k1 = next(s for r in plan.routes for s in r.stops if s.order_id == "K1")
    lead, member = k1.crew
    start = k1.start
    t = lambda minutes: (start + timedelta(minutes=minutes)).isoformat()  # noqa: E731
    # both arrive and start (the member two minutes late); the member finishes first, the lead is still at work
    rows = [f"{t(-5)},{lead},K1,arrived,", f"{t(-3)},{member},K1,arrived,", f"{t(0)},{lead},K1,started,",
            f"{t(2)},{member},K1,started,", f"{t(58)},{member},K1,done,"]
    data = replan_and_check(folder, rows, start + timedelta(minutes=59))
    stops = {s["technician_id"]: s for s in crew_stops(data, "K1")}
    assert set(stops) == {lead, member}
    assert (stops[lead]["status"], stops[member]["status"]) == ("in_service", "done")
    assert stops[lead]["start"] == stops[member]["start"] == start.isoformat()  # the crew's common start
    assert stops[lead]["crew"] == stops[member]["crew"] == [lead, member]
    # the lead's done closes it: a re-plan after it keeps both visits done and plans K1 no more
    rows.append(f"{t(63)},{lead},K1,done,")
    data = replan_and_check(folder, rows, start + timedelta(minutes=90))
    assert sorted(s["status"] for s in crew_stops(data, "K1")) == ["done", "done"]
    # the crew job not begun is planned once more on two routes, together
    k2 = crew_stops(data, "K2")
    assert len(k2) == 2
    assert len({s["start"] for s in k2}) == 1
    assert all(s["status"] == "planned" for s in k2)


def test_a_member_who_reported_nothing_keeps_the_begun_crew_stop(morning: tuple[Path, Plan]) -> None:
    folder, plan = morning
    k1 = next(s for r in plan.routes for s in r.stops if s.order_id == "K1")
    lead, member = k1.crew
    data = replan_and_check(folder, [f"{k1.start.isoformat()},{member},K1,started,"],
                            k1.start + timedelta(minutes=30))
    stops = {s["technician_id"]: s for s in crew_stops(data, "K1")}
    assert {t: s["status"] for t, s in stops.items()} == {lead: "in_service", member: "in_service"}
    assert stops[lead]["start"] == stops[member]["start"] == k1.start.isoformat()
    assert not any(c["order_id"] == "K1" for c in data["changes"])  # begun: the day happened


def test_recommend_places_around_crew_jobs_not_begun_and_names_a_crew_for_a_crew_job(
        morning: tuple[Path, Plan], tmp_path: Path) -> None:
    folder, _ = morning
    (folder / "events.csv").write_text("time,technician_id,order_id,event,note\n")
    live = ["--plan", str(folder / "morning.json"), "--events", str(folder / "events.csv"), "--at", "08:00"]
    result = runner.invoke(app, ["recommend", *args(folder, *live, "--order", "O1", "--json", str(tmp_path / "o1.json"))])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "o1.json").read_text())["placements"]
    # K2, a crew job: each placement is a crew, the lead first in the table, every member's stop in the JSON
    result = runner.invoke(app, ["recommend", *args(folder, *live, "--order", "K2", "--json", str(tmp_path / "k2.json"))])
    assert result.exit_code == 0, result.output
    places = json.loads((tmp_path / "k2.json").read_text())["placements"]
    assert places
    best = places[0]
    assert len(best["crew"]) == 1
    assert f"{best['technician_id']}+{best['crew'][0]['technician_id']}" in result.output
    # a job for four, on a day of three technicians: no place, and why (exit 0: the answer is the reason)
    write_technicians_csv(DAY.technicians, tmp_path / "technicians.csv")
    write_orders_csv((*DAY.orders, make_order("K4", technicians_needed=4)), tmp_path / "orders.csv")
    result = runner.invoke(app, ["recommend", *args(tmp_path, *live, "--order", "K4",
                                                    "--json", str(tmp_path / "k4.json"))])
    assert result.exit_code == 0, result.output
    assert "K4 has no place: needs 4 technicians together" in " ".join(result.output.split())
    assert json.loads((tmp_path / "k4.json").read_text())["reason"].startswith("needs 4 technicians together")
