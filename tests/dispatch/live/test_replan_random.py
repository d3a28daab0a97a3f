"""Re-plans of seeded random days and event logs, each re-planned twice (the second from the first), all
through the independent re-plan check: late and early services, unresolved visits, technicians on site or
on the way, an absence, a cancellation, an emergency known and an order not yet known."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from dispatch.demo_days import DEFAULT_DATE, generate_day
from dispatch.domain import Day, Order, Priority
from dispatch.events import Event, EventKind
from dispatch.io.events import events_from_csv_bytes
from dispatch.live import replan_day
from dispatch.plan import Plan
from dispatch.planning import solve_day
from dispatch.policy import Policy
from tests.factories import assert_valid_replan

POLICY = Policy(solution_limit=10, time_limit=600)


def _log(rnd: random.Random, morning: Plan, at: datetime) -> list[Event]:
    """What the phones might have said by `at`: each technician drifts from the plan, services run short or
    long, now and then a visit is unresolved, or the technician is still on site or on the way."""
    events = []
    for r in morning.routes:
        drift = timedelta(minutes=rnd.randint(-10, 25))
        free = datetime.min  # the end of the previous service: nobody arrives before it
        for s in r.stops:
            start = s.start + drift
            if start - timedelta(minutes=20) > at:
                break
            if start > at:
                events.append(Event(max(free, min(at, start - timedelta(minutes=15))), EventKind.DEPARTED,
                                    r.technician_id, s.order_id))
                break
            events.append(Event(max(free, start - timedelta(minutes=rnd.randint(0, 5))), EventKind.ARRIVED,
                                r.technician_id, s.order_id))
            if rnd.random() < 0.1:
                break  # on site, service not begun
            events.append(Event(start, EventKind.STARTED, r.technician_id, s.order_id))
            end = start + (s.end - s.start) * rnd.uniform(0.7, 1.4)
            if end > at:
                break
            kind = EventKind.UNRESOLVED if rnd.random() < 0.1 else EventKind.DONE
            events.append(Event(end, kind, r.technician_id, s.order_id, "part missing"))
            drift, free = end - s.end, end
    if rnd.random() < 0.4 and morning.routes:
        tech = rnd.choice(morning.routes).technician_id
        mine = [e for e in events if e.technician_id == tech]
        started = {e.order_id for e in mine if e.kind is EventKind.STARTED}
        finished = {e.order_id for e in mine if e.kind in (EventKind.DONE, EventKind.UNRESOLVED)}
        if started <= finished and not any(e.kind in (EventKind.DEPARTED, EventKind.ARRIVED) and e.order_id
                                           not in started for e in mine):
            last = max((e.time for e in mine), default=at - timedelta(minutes=30))
            events.append(Event(min(at, last + timedelta(minutes=1)), EventKind.ABSENT, tech))
    untouched = [s.order_id for r in morning.routes for s in r.stops if s.order_id not in {e.order_id for e in events}]
    if untouched and rnd.random() < 0.5:
        events.append(Event(at - timedelta(minutes=2), EventKind.CANCELLED, None, rnd.choice(untouched)))
    return events


@pytest.mark.parametrize("seed", range(8))
def test_replans_of_random_days_keep_every_frozen_fact_and_every_rule(seed: int) -> None:
    rnd = random.Random(seed)
    day = generate_day(orders=rnd.randint(15, 35), technicians=rnd.randint(3, 6), seed=seed, plan_date=DEFAULT_DATE)
    morning = solve_day(day, POLICY)
    at = day.midnight + timedelta(hours=rnd.choice([9, 10, 11, 12, 13, 14]), minutes=rnd.choice([0, 17, 30, 45]))
    near = day.orders[0]
    full = Day(day.date, day.technicians, (
        *day.orders,
        Order(id="NEW-P1", customer="Emergency", lat=near.lat + 0.01, lon=near.lon, priority=Priority.P1,
              required_skills=near.required_skills, duration_min=40, created_at=at - timedelta(minutes=10)),
        Order(id="LATER", customer="Tomorrow's caller", lat=near.lat, lon=near.lon + 0.01, priority=Priority.P2,
              required_skills=near.required_skills, duration_min=40, created_at=at + timedelta(minutes=30)),
    ))
    log = _log(rnd, morning, at)
    # through events.csv, as the command reads it
    csv = "time,technician_id,order_id,event,note\n" + "".join(
        f"{e.time.isoformat()},{e.technician_id or ''},{e.order_id or ''},{e.kind.value},{e.note}\n" for e in log)
    events = events_from_csv_bytes(csv.encode(), full)
    first = replan_day(full, morning, events, at, POLICY)
    assert_valid_replan(full, first, events, at, morning)
    later = at + timedelta(minutes=45)
    second = replan_day(full, first, events, later, POLICY)
    assert_valid_replan(full, second, events, later, first)
