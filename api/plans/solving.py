"""The computation of a plan job: plain values in, the plan JSON out, no database, no settings, no clock.

It runs on the job runner's compute executor (another process, or a dask worker of a cluster that may sit on
another machine), so its arguments are the plain JSON-like data the job stores as its input, and it imports
nothing of the service beyond this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from dispatch.domain import Day
from dispatch.events import Event, EventKind
from dispatch.io.day_json import day_from_dict
from dispatch.io.events import events_csv_text, events_from_csv_bytes
from dispatch.live import replan_day
from dispatch.plan import Plan
from dispatch.planning import plan_day
from dispatch.policy import Policy

# (day, policy) -> plan, all as JSON-like dicts: what a plan job computes
Solve = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
# the day's key beside the Day's own: part number -> [[central store, quantity], ...] (api.plans.days.store_stock)
STORES = "stores"


def stores_of(day: dict[str, Any]) -> dict[str, tuple[tuple[str, int], ...]]:
    """The stores of a day dict, as plan_day takes them."""
    return {str(p): tuple((str(loc), int(q)) for loc, q in held) for p, held in (day.get(STORES) or {}).items()}


def solve(day: dict[str, Any], policy: dict[str, Any]) -> dict[str, Any]:
    """The plan of `day` under `policy` (both as dicts), as the plan JSON contract; its part fixes name a store
    of the day's `stores` that holds the parts."""
    return plan_day(day_from_dict(day), Policy.from_dict(policy), stores=stores_of(day)).to_dict()


def event_dicts(events: Iterable[Event]) -> list[dict[str, Any]]:
    """Events as JSON-like rows of the events.csv contract."""
    return [{"time": e.time.isoformat(timespec="seconds"), "technician_id": e.technician_id, "order_id": e.order_id,
             "event": e.kind.value, "note": e.note} for e in events]


def checked_events(rows: Sequence[dict[str, Any]], day: Day) -> tuple[Event, ...]:
    """The rows read as events.csv is read against `day`: every contradiction (work after `done`, a second
    technician starting an order in service) is an InputError naming the row, as the CLI would report it."""
    events = [Event(datetime.fromisoformat(r["time"]), EventKind(r["event"]), r.get("technician_id"),
                    r.get("order_id"), r.get("note") or "") for r in rows]
    return events_from_csv_bytes(events_csv_text(events).encode(), day, source="the day's events")


def replan(day: dict[str, Any], previous: dict[str, Any], events: list[dict[str, Any]], at: str,
           policy: dict[str, Any]) -> dict[str, Any]:
    """The day re-planned live at `at` (ISO local time) from `previous` (a plan JSON) and the day's `events`
    (rows of events.csv): what happened stays, the rest moves as little as pays."""
    the_day = day_from_dict(day)
    return replan_day(the_day, Plan.from_dict(previous), checked_events(events, the_day), datetime.fromisoformat(at),
                      Policy.from_dict(policy), stores=stores_of(day)).to_dict()
