"""Demo job cards: an address in the order's district, one phone per customer from a fiction range, a job."""

from __future__ import annotations

import pytest

from dispatch.demo_days import MISSING_PART, PARTS, scenario
from dispatch.demo_details import PART_NAMES, order_details


def test_every_order_gets_an_address_a_phone_and_a_job_and_the_same_seed_the_same_details() -> None:
    day = scenario("small")
    details = order_details(day)
    assert set(details) == {o.id for o in day.orders}
    assert details == order_details(day)
    for order in day.orders:
        d = details[order.id]
        assert d.address.endswith(("Lyon", "Villeurbanne", "Vénissieux", "Bron")), d.address
        assert d.phone.startswith("+33 4 65 71 ")
        assert len(d.phone) == len("+33 4 65 71 00 00")
        assert d.notes.endswith(".")
    by_customer: dict[str, set[str]] = {}
    for order in day.orders:
        by_customer.setdefault(order.customer, set()).add(details[order.id].phone)
    assert all(len(phones) == 1 for phones in by_customer.values())


def test_the_day_itself_is_untouched() -> None:
    before = scenario("small")
    order_details(before)
    assert scenario("small") == before


def test_other_cities_use_their_own_formats() -> None:
    day = scenario("small")
    assert next(iter(order_details(day, city="chicago").values())).phone.startswith("+1 312 555 01")
    assert ", IL 606" in next(iter(order_details(day, city="chicago").values())).address
    with pytest.raises(ValueError, match="city 'paris' is not one of"):
        order_details(day, city="paris")


def test_every_demo_part_has_a_catalogue_name() -> None:
    assert set(PART_NAMES) == {*PARTS, MISSING_PART}
