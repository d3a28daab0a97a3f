"""The policy: defaults defined once, checked on creation, read from and written to a plan's JSON."""

from __future__ import annotations

from datetime import datetime

import pytest

from dispatch.policy import Policy, SlaPolicy, TravelModel, Weights
from tests.dispatch.test_domain import order


def test_sla_deadline_counts_from_created_at():
    o = order(priority="P1", created_at=datetime(2026, 11, 23, 22, 30))
    assert SlaPolicy().deadline(o) == datetime(2026, 11, 24, 2, 30)
    tight = SlaPolicy({"P1": 2, "P2": 8, "P3": 24, "P4": 72})
    assert tight.deadline(o) == datetime(2026, 11, 24, 0, 30)


def test_a_contract_tightens_the_deadline_of_its_order():
    # P2 created 07:00: the policy's 8 h give 15:00, a 2 h contract 09:00
    o = order(priority="P2", created_at=datetime(2026, 11, 24, 7), sla_hours=2)
    assert SlaPolicy().response_hours(o) == 2
    assert SlaPolicy().deadline(o) == datetime(2026, 11, 24, 9)


def test_a_looser_contract_does_not_loosen_the_policy():
    o = order(priority="P2", created_at=datetime(2026, 11, 24, 7), sla_hours=12)
    assert SlaPolicy().deadline(o) == datetime(2026, 11, 24, 15)
    # nor does it loosen a policy tightened in a what-if
    tight = SlaPolicy({"P1": 4, "P2": 3, "P3": 24, "P4": 72})
    assert tight.deadline(o) == datetime(2026, 11, 24, 10)


def test_an_order_without_a_contract_keeps_the_policy_deadline():
    o = order(priority="P2", created_at=datetime(2026, 11, 24, 7))
    assert o.sla_hours is None
    assert SlaPolicy().deadline(o) == datetime(2026, 11, 24, 15)


def test_sla_and_weights_reject_missing_or_negative_values():
    with pytest.raises(ValueError, match="missing P4"):
        SlaPolicy({"P1": 4, "P2": 8, "P3": 24})
    with pytest.raises(ValueError, match="P2 value 0"):
        SlaPolicy({"P1": 4, "P2": 0, "P3": 24, "P4": 72})
    with pytest.raises(ValueError, match="per_km -1"):
        Weights(per_km=-1)
    with pytest.raises(ValueError, match="road_factor 0.9"):
        TravelModel(road_factor=0.9)


def test_policy_round_trips_through_its_dict():
    p = Policy(sla=SlaPolicy({"P1": 2, "P2": 8, "P3": 24, "P4": 72}), seed=3, time_limit=5, solution_limit=50)
    again = Policy.from_dict(p.to_dict())
    assert again == p
    assert p.to_dict()["weights"]["unserved"]["P1"] == 100_000


def test_policy_parts_refuse_nan_and_infinity():
    nan, inf = float("nan"), float("inf")
    with pytest.raises(ValueError, match="P1 value nan"):
        SlaPolicy({"P1": nan, "P2": 8, "P3": 24, "P4": 72})
    with pytest.raises(ValueError, match="speed_kmh inf"):
        TravelModel(speed_kmh=inf)
    with pytest.raises(ValueError, match="time_limit nan"):
        Policy(time_limit=nan)


def test_an_empty_dict_is_the_default_policy():
    assert Policy.from_dict({}) == Policy()
    assert Policy().updated() == Policy()


def test_a_partial_dict_changes_only_what_it_names():
    p = Policy.from_dict({"sla_hours": {"P1": 2}, "weights": {"per_km": 2.5}, "region_orders": None})
    assert p.sla.hours["P1"] == 2
    assert p.sla.hours["P2"] == SlaPolicy().hours["P2"]
    assert p.weights.per_km == 2.5
    assert p.weights.unserved == Weights().unserved
    assert p.region_orders is None
    assert p.travel == TravelModel()


def test_updated_is_a_checked_copy():
    base = Policy(seed=4)
    p = base.updated(time_limit=3, weights={"late_per_minute": {"P1": 500}}, travel={"speed_kmh": 30})
    assert (p.seed, p.time_limit, p.weights.late_per_minute["P1"], p.travel.speed_kmh) == (4, 3, 500, 30)
    assert p.weights.late_per_minute["P2"] == Weights().late_per_minute["P2"]
    assert base.time_limit == Policy().time_limit  # the original is untouched
    with pytest.raises(ValueError, match="time_limit -1 must be > 0"):
        base.updated(time_limit=-1)
    with pytest.raises(ValueError, match="unknown field 'speed'"):
        base.updated(speed=3)
    with pytest.raises(ValueError, match="travel has no field 'kmh'"):
        base.updated(travel={"kmh": 3})


@pytest.mark.parametrize(("data", "message"), [
    ({"sla": {}}, "unknown key 'sla'"),
    ({"sla_hours": {"P5": 3}}, "unknown priority 'P5'"),
    ({"weights": 3}, "weights must be a mapping"),
    ({"seed": -1}, "seed -1 must be >= 0"),
    ({"solution_limit": 0}, "solution_limit 0 must be >= 1"),
    ({"region_orders": 5}, "region_orders 5 must be >= 20"),
    ({"time_limit": "fast"}, "time_limit 'fast' must be > 0"),
])
def test_a_bad_policy_dict_is_refused_naming_the_field(data, message):
    with pytest.raises(ValueError, match=message):
        Policy.from_dict(data)


def test_the_travel_source_round_trips_as_the_model_name():
    p = Policy.from_dict({"travel": {"model": "osrm", "road_factor": 1.0}})
    assert p.travel.source == "osrm"
    assert p.to_dict()["travel"] == {"model": "osrm", "road_factor": 1.0, "speed_kmh": 40.0}
