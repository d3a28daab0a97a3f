"""The day simulator: keyed noise, the execution of a morning plan, and the quick day under a solution limit
(same seed, same summary; the live re-plan serves at least as many P1 on time as no re-plan; the events it
writes read back)."""

from __future__ import annotations

import json
from datetime import timedelta
from itertools import pairwise

import numpy as np
import pytest

from benchmarks import live_day
from benchmarks.live_day import Noise, SimConfig, build_days, quick_config, simulate
from dispatch.domain import Priority
from dispatch.io.events import read_events

SOLUTION_LIMIT = 10
# measured wall time varies from run to run; everything else must not
TIMED = ("latency_mean_s", "latency_p95_s")


def test_noise_is_drawn_per_visit_and_leg_not_in_call_order() -> None:
    cfg = SimConfig(orders=10, technicians=2, seed=4)
    a, b = Noise(cfg), Noise(cfg)
    first = [a.travel_factor("O1", "O2"), a.service_factor("O1", 1), a.unresolved("O1", 1)]
    b.service_factor("O9", 1)  # other draws in between change nothing
    assert [b.travel_factor("O1", "O2"), b.service_factor("O1", 1), b.unresolved("O1", 1)] == first
    assert a.travel_factor("O2", "O1") != first[0]
    assert Noise(SimConfig(orders=10, technicians=2, seed=5)).travel_factor("O1", "O2") != first[0]


def test_noise_has_the_stated_mean_and_spread() -> None:
    noise = Noise(SimConfig(orders=10, technicians=2, seed=1))
    travel = np.array([noise.travel_factor("O1", f"O{i}") for i in range(3000)])
    service = np.array([noise.service_factor(f"O{i}", 1) for i in range(3000)])
    assert travel.mean() == pytest.approx(1.10, abs=0.015)
    assert travel.std() / travel.mean() == pytest.approx(0.15, abs=0.015)
    assert service.mean() == pytest.approx(1.0, abs=0.015)
    assert service.std() / service.mean() == pytest.approx(0.20, abs=0.015)
    assert np.mean([noise.unresolved(f"O{i}", 1) for i in range(3000)]) == pytest.approx(0.03, abs=0.01)


def test_new_orders_arrive_during_the_day_and_morning_orders_are_known_at_the_morning_plan() -> None:
    cfg = quick_config(1)
    morning, day, start = build_days(cfg)
    new = [o for o in day.orders if o.id.startswith("N")]
    assert len(new) == 8  # 4 hours: 4 P1 and 4 others
    assert sum(o.priority is Priority.P1 for o in new) == 4
    assert all(start < o.created_at < start.replace(hour=12) for o in new)
    assert all(o.window_start is None and o.pinned_technician is None for o in new)
    assert all(o.created_at <= start for o in morning.orders)


def test_without_re_plan_technicians_follow_their_morning_routes() -> None:
    run = simulate(quick_config(2, SOLUTION_LIMIT), ["none"])
    ex = run.executions["none"]
    order_of = {s.order_id: (r.technician_id, i) for r in run.morning.routes for i, s in enumerate(r.stops)}
    for tech in ex.runs:
        mine = [v for v in ex.visits if v.technician_id == tech]
        assert all(order_of[v.order_id][0] == tech for v in mine)
        assert [order_of[v.order_id][1] for v in mine] == sorted(order_of[v.order_id][1] for v in mine)
        assert all(a.end <= b.departed for a, b in pairwise(mine))
        shift_end = ex.runs[tech].tech.shift_end
        assert all(v.departed < shift_end for v in mine)
    assert not any(v.order_id.startswith("N") for v in ex.visits)  # new orders are never served
    absent, at = run.absent or ("", None)
    assert at is not None
    assert all(v.departed < at for v in ex.visits if v.technician_id == absent)


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("live_day")
    args = ["--quick", "--seeds", "1", "--solution-limit", str(SOLUTION_LIMIT), "--out"]
    assert live_day.main([*args, str(out / "a"), "--policies", "none", "live"]) == 0
    assert live_day.main([*args, str(out / "b"), "--policies", "live"]) == 0
    return out


def _rows(path) -> dict[str, dict]:
    summary = json.loads((path / "summary.json").read_text())
    return {r["policy"]: {k: v for k, v in r.items() if k not in TIMED} for r in summary["runs"]}


def test_the_same_seed_gives_the_same_day(quick) -> None:
    assert _rows(quick / "a")["live"] == _rows(quick / "b")["live"]
    assert (quick / "a/seed1/live/events.csv").read_text() == (quick / "b/seed1/live/events.csv").read_text()


def test_the_live_re_plan_serves_at_least_as_many_p1_on_time(quick) -> None:
    rows = _rows(quick / "a")
    assert rows["live"]["replans"] > 0
    assert rows["live"]["replan_errors"] == 0
    assert rows["live"]["p1_on_time"] >= rows["none"]["p1_on_time"]
    assert rows["live"]["p1_new_on_time"] > 0  # the new emergencies get served


def test_the_events_written_read_back(quick) -> None:
    _, day, _ = build_days(quick_config(1))
    for policy in ("none", "live"):
        events = read_events(quick / "a/seed1" / policy / "events.csv", day)
        assert events
        assert max(e.time for e in events) < day.midnight + timedelta(days=1)
