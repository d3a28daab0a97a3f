"""Large days by region: the split, the stitched plan, border orders, territories, and dask workers."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from dispatch.domain import Day
from dispatch.io import day_to_frames, read_day, write_day
from dispatch.parallel import DaskExecutor
from dispatch.plan import Plan
from dispatch.planning import plan_day
from dispatch.planning.regions import Region, plan_by_region, split_day, sub_day
from dispatch.policy import Policy
from solver import rules
from tests.dispatch.planning.large import BY_REGION as BOUNDED
from tests.dispatch.planning.large import LARGE
from tests.dispatch.test_parallel import dask_processes
from tests.factories import PLAN_DATE, assert_valid, at, make_day, make_order, make_tech


@pytest.fixture(scope="module")
def day() -> Day:
    return LARGE


@pytest.fixture(scope="module")
def planned(large_plan: Plan) -> Plan:
    """The day planned region by region once per run (see conftest): the plan the other runs must repeat."""
    return large_plan


def _each_once(day: Day, regions: list[Region]) -> None:
    techs = Counter(t for r in regions for t in r.technicians)
    orders = Counter(o for r in regions for o in (*r.orders, *r.held))
    assert techs == Counter(t.id for t in day.technicians)
    assert orders == Counter(o.id for o in day.orders)


def test_split_puts_every_technician_and_order_in_exactly_one_region(day):
    regions = split_day(day, 120)
    _each_once(day, regions)
    assert len(regions) >= 4  # ceil(200 / (120 / 2)), and a lopsided one may be halved
    assert all(r.technicians for r in regions), "a region without hands cannot serve anything"
    assert max(len(r.orders) + len(r.held) for r in regions) < 2.5 * 60  # about half of region_orders each


def test_split_keeps_pinned_orders_with_their_technician(day):
    pins = {o.id: day.technicians[k % 5].id for k, o in enumerate(day.orders[:12])}
    pinned = replace(day, orders=tuple(replace(o, pinned_technician=pins.get(o.id, o.pinned_technician))
                                       for o in day.orders))
    for r in split_day(pinned, 60):
        for oid in (*r.orders, *r.held):
            tech = pinned.technician(pins[oid]) if oid in pins else None
            assert tech is None or tech.id in r.technicians


def test_split_gives_each_order_a_region_with_someone_qualified(day):
    def can(t, o):
        return o.required_skills <= t.skills and all(t.van_stock.get(p, 0) >= q for p, q in o.required_parts.items())

    by_id = {t.id: t for t in day.technicians}
    anywhere = {o.id for o in day.orders if any(can(t, o) for t in day.technicians)}
    assert len(anywhere) > 150
    for r in split_day(day, 120):
        for o in (o for o in day.orders if o.id in r.orders or o.id in r.held):
            if o.id in anywhere:
                assert any(can(by_id[t], o) for t in r.technicians), f"{o.id} in {r.name}"


def test_small_day_is_one_region(day):
    assert [r.name for r in split_day(day, 200)] == ["all"]


def test_territories_are_the_regions_and_a_large_one_is_split():
    techs = [make_tech(f"N{i}", territory="north", home_lat=45.80 + i * 0.002) for i in range(4)]
    techs += [make_tech(f"S{i}", territory="south", home_lat=45.70 + i * 0.002) for i in range(4)]
    orders = [make_order(f"N{i:02d}", lat=45.80 + (i % 7) * 0.003, lon=4.80 + (i // 7) * 0.02, territory="north")
              for i in range(60)]
    orders += [make_order(f"S{i:02d}", lat=45.70 + i * 0.001, territory="south") for i in range(8)]
    orders += [make_order("X1", lat=45.701, lon=4.85)]  # no territory: goes with the nearest technician
    day = make_day(techs, orders)
    regions = split_day(day, 40)
    _each_once(day, regions)
    south = [r for r in regions if r.name == "south"]
    assert len(south) == 1
    assert set(south[0].technicians) == {f"S{i}" for i in range(4)}
    assert "X1" in south[0].orders + south[0].held
    north = [r for r in regions if r.name.startswith("north/")]
    assert len(north) >= 3, "60 orders, above 40: regions of about 20"
    assert {t for r in north for t in r.technicians} == {f"N{i}" for i in range(4)}


def test_territory_column_reads_and_writes(tmp_path):
    day = make_day([make_tech("T1", territory="east"), make_tech("T2")],
                   [make_order("O1", territory="east"), make_order("O2")])
    techs, _orders = day_to_frames(day)
    assert list(techs["territory"]) == ["east", ""]
    write_day(day, tmp_path / "t.csv", tmp_path / "o.csv")
    again = read_day(tmp_path / "t.csv", tmp_path / "o.csv", PLAN_DATE)
    assert [t.territory for t in again.technicians] == ["east", None]
    assert [o.territory for o in again.orders] == ["east", None]
    plain = make_day([make_tech("T1")], [make_order("O1")])
    assert "territory" not in day_to_frames(plain)[0].columns, "contract files stay as they were"


def test_stitched_plan_is_valid_and_holds_every_order_once(day, planned):
    plan = planned
    assert_valid(day, plan)
    placed = Counter([*plan.assigned_ids(), *(u.order_id for u in plan.unassigned)])
    assert placed == Counter(o.id for o in day.orders)
    solver = plan.kpis.solver.to_dict()
    assert len(solver["regions"]) >= 4
    assert solver["border"], "split, then at least one border pass"
    assert all(u.reason for u in plan.unassigned)
    by_id = {o.id: o for o in day.orders}
    # an emergency is left out only when nobody on the whole roster could do it
    assert {u.rule for u in plan.unassigned if by_id[u.order_id].priority.value == "P1"} <= {
        rules.REQUIRED_SKILL, rules.VAN_STOCK}


@pytest.mark.determinism
def test_same_day_and_seed_give_the_same_stitched_plan(day, planned):
    a, b = planned, plan_day(day, BOUNDED)
    assert_valid(day, b)
    assert [r.to_dict() for r in a.routes] == [r.to_dict() for r in b.routes]
    assert a.unassigned == b.unassigned


def test_region_plan_is_not_worse_than_its_rounds_alone(day, planned):
    """The border passes start from the round-1 routes, so they can only lower the cost."""
    plan = planned
    regions = split_day(day, 120)
    round_one = sum(plan_day(sub_day(day, r.technicians, r.orders),
                             replace(BOUNDED, region_orders=None)).objective["total"] for r in regions)
    held = {o.id: o for o in day.orders if any(o.id in r.held for r in regions)}
    weights = BOUNDED.weights.unserved
    assert plan.objective["total"] <= round_one + sum(weights[o.priority] for o in held.values()) + 1e-6


def test_border_orders_are_served_by_a_neighbouring_region():
    """Region A has more work than its one technician's day; B's technician, just across the border, idles.
    Round 1 leaves A's extra orders out; the border pass gives them to B."""
    techs = [make_tech("A1", home_lon=4.80), make_tech("B1", home_lon=4.84)]
    orders = [make_order(f"O{i}", lon=4.815 + i * 0.002, duration_min=120, priority="P2") for i in range(7)]
    day = make_day(techs, orders)
    regions = [Region("A", ("A1",), tuple(o.id for o in orders)), Region("B", ("B1",), ())]
    policy = Policy(time_limit=60, solution_limit=30, region_orders=20)
    plan = plan_by_region(day, policy, regions=regions)
    assert_valid(day, plan)
    routes = {r.technician_id: [s.order_id for s in r.stops] for r in plan.routes}
    assert routes.get("B1"), "the neighbouring technician took none of the border orders"
    assert len(plan.assigned_ids()) >= 6  # two 9-hour days hold at least six 2-hour visits with travel
    first = plan.kpis.solver.regions[0]
    assert first["unassigned"] > 0, "round 1 alone could not serve them all"


def test_held_orders_are_planned_or_explained_never_dropped():
    techs = [make_tech(f"T{i}", home_lon=4.80 + i * 0.01) for i in range(3)]
    orders = [make_order(f"O{i:02d}", lon=4.80 + (i % 10) * 0.003, duration_min=90,
                         priority=("P1", "P3", "P4")[i % 3], window_start=at("08:00") if i % 4 else None,
                         window_end=at("18:00") if i % 4 else None) for i in range(40)]
    day = make_day(techs, orders)
    regions = split_day(day, 20)
    assert any(r.held for r in regions), "three technicians cannot do 60 hours of work: some is held"
    plan = plan_by_region(day, Policy(time_limit=60, solution_limit=20, region_orders=20), regions=regions)
    assert_valid(day, plan)
    assert len(plan.assigned_ids()) + len(plan.unassigned) == 40
    by_id = {o.id: o for o in day.orders}
    assert all(by_id[i].priority.value == "P1" for i in plan.assigned_ids()[:1])
    assert plan.kpis.by_priority["P1"].unserved <= plan.kpis.by_priority["P4"].unserved


# Not marked determinism: the in-process test above shows a bounded plan owes nothing to the clock, and
# running a cluster again beside the CPU burners (tests/test_under_load.py) would add minutes to every CI run.
def test_regions_on_dask_workers_give_the_same_plan(day, planned):
    in_process = planned
    with DaskExecutor(n_workers=2) as ex:
        on_dask = plan_day(day, BOUNDED, executor=ex)
        # a plan job runs plan_day on a worker: the regions go to that worker's cluster
        from_worker = ex.client.submit(plan_day, day, BOUNDED, pure=False).result()
    for plan in (on_dask, from_worker):
        assert_valid(day, plan)
        assert [r.to_dict() for r in plan.routes] == [r.to_dict() for r in in_process.routes]
    assert "R01" in str(from_worker.kpis.solver.regions)


def test_regions_on_a_separately_started_scheduler_and_two_workers(day, planned):
    in_process = planned
    with dask_processes(2) as cluster, DaskExecutor(cluster.address) as ex:
        plan = plan_day(day, BOUNDED, executor=ex)
        prefixes = ex.client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
        workers = len(ex.client.scheduler_info()["workers"])
    assert_valid(day, plan)
    assert [r.to_dict() for r in plan.routes] == [r.to_dict() for r in in_process.routes]
    assert "solve_region" in prefixes, "the regions were solved by that scheduler's workers"
    assert workers == 2


def test_region_orders_is_checked():
    with pytest.raises(ValueError, match="region_orders 5 must be >= 20"):
        Policy(region_orders=5)
    assert Policy.from_dict(Policy(region_orders=None).to_dict()).region_orders is None
    assert Policy.from_dict({}).region_orders == Policy().region_orders
