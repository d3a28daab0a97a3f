"""Reading `events.csv`: every bad cell and every contradiction named by row, column and value, at once.

Rows may come in any order; they are checked in time order (ties keep the file's order). A contradiction is
an event that cannot follow what the log already says of that visit, order or technician: `done` before
`started`, more technicians starting an order than it needs (a crew job takes each of its members), a
technician moving on while still in service elsewhere, work on an order already resolved or cancelled, new
work after the technician went absent. Departing for another order before arriving is allowed: the
dispatcher redirected the technician. A crew job closes on a `done` once none of its members is in service
any more: a member still at work may finish after another's `done` (the service closes the order on its
lead's), nobody may begin it after that.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TextIO

import dispatch.io.cells as cells
from dispatch.domain import Day
from dispatch.errors import BadCellError, CellError, InputError
from dispatch.events import FINISHED, VISIT_STEPS, Event, EventKind
from dispatch.io.tables import PathLike, Record, Table, csv_table, text_table

EVENT_COLUMNS = ("time", "technician_id", "order_id", "event", "note")
KINDS = ", ".join(k.value for k in EventKind)


def read_events(path: PathLike, day: Day) -> tuple[Event, ...]:
    """The events of `path` against the day's roster and orders; InputError lists every problem."""
    return _events(csv_table(path, EVENT_COLUMNS), day)


def write_events(path: PathLike, events: Iterable[Event]) -> None:
    """Write `events` as events.csv in the given order (read_events reads them back, rows in this order);
    times to the second, empty technician or order cells for None."""
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        _write(f, events)


def events_csv_text(events: Iterable[Event]) -> str:
    """`events` as the text of an events.csv, like `write_events` writes it."""
    buffer = io.StringIO(newline="")
    _write(buffer, events)
    return buffer.getvalue()


def _write(f: TextIO, events: Iterable[Event]) -> None:
    out = csv.writer(f)
    out.writerow(EVENT_COLUMNS)
    for e in events:
        out.writerow([e.time.isoformat(timespec="seconds"), e.technician_id or "", e.order_id or "",
                      e.kind.value, e.note])


def events_from_csv_bytes(content: bytes, day: Day, source: str = "events.csv") -> tuple[Event, ...]:
    return _events(text_table(content, source, EVENT_COLUMNS), day)


def _events(table: Table, day: Day) -> tuple[Event, ...]:
    errors = list(table.errors)
    if not table.readable or table.missing:
        raise InputError(sorted(errors, key=CellError.sort_key))
    techs = {t.id for t in day.technicians}
    orders = {o.id for o in day.orders}
    events = []
    # technicians and orders named on a bad row: their story is incomplete, so it is not judged
    unsure: set[str] = set()
    for rec in table.records:
        event = _event(table.source, rec, techs, orders, errors) if rec.parse else None
        if event is not None:
            events.append(event)
        else:
            unsure |= {rec.values.get("technician_id", "").strip(), rec.values.get("order_id", "").strip()} - {""}
    events_by_row = {e.row: e for e in events}
    needed = {o.id: o.technicians_needed for o in day.orders}
    errors += [e for e in _contradictions(table.source, events, needed)
               if not {events_by_row[e.row].technician_id, events_by_row[e.row].order_id} & unsure]
    if errors:
        raise InputError(sorted(errors, key=CellError.sort_key))
    return tuple(sorted(events, key=lambda e: (e.time, e.row or 0)))


def _event(source: str, rec: Record, techs: set[str], orders: set[str], errors: list[CellError]) -> Event | None:
    v = rec.values
    found = len(errors)

    def bad(column: str, message: str) -> None:
        errors.append(CellError(source, rec.number, column, v.get(column, ""), message))

    time: datetime | None = None
    if not v["time"]:
        bad("time", "is empty; give the ISO 8601 local time of the event")
    else:
        try:
            time = cells.parse_datetime(v["time"]).replace(microsecond=0)  # plans keep whole seconds
        except BadCellError as e:
            bad("time", str(e))
    kind: EventKind | None = None
    try:
        kind = EventKind(v["event"].lower())
    except ValueError:
        bad("event", f"is not an event; events are {KINDS}")
    tech = v["technician_id"] or None
    order = v["order_id"] or None
    if tech is not None and tech not in techs:
        bad("technician_id", "is not a technician of the roster")
    if order is not None and order not in orders:
        bad("order_id", "is not an order of the day")
    if kind is not None:
        if kind.needs_technician and tech is None:
            bad("technician_id", f"is empty; a {kind.value} event names its technician")
        if kind.needs_order and order is None:
            bad("order_id", f"is empty; a {kind.value} event names its order")
        if not kind.needs_order and order is not None:
            bad("order_id", f"must be empty for a {kind.value} event")
    if len(errors) > found or time is None or kind is None:
        return None
    return Event(time=time, kind=kind, technician_id=tech, order_id=order, note=v["note"], row=rec.number)


def _contradictions(source: str, events: Iterable[Event], needed: Mapping[str, int]) -> list[CellError]:
    """Each event checked against what came before it, in time order; `needed`: order -> technicians its
    visit takes together."""
    errors: list[CellError] = []
    step: dict[tuple[str, str], EventKind] = {}  # (technician, order) -> last step of the visit under way
    working: dict[str, list[str]] = {}  # order -> technicians whose visit has started and not finished
    closed: dict[str, EventKind] = {}  # order -> done or cancelled
    finishing: set[str] = set()  # crew orders done by a member while others are still at work
    absent: dict[str, datetime] = {}  # technician -> since when

    def bad(e: Event, message: str) -> None:
        errors.append(CellError(source, e.row, "event", e.kind.value, message))

    for e in sorted(events, key=lambda e: (e.time, e.row or 0)):
        order, tech = e.order_id, e.technician_id
        if order is not None and order in closed:
            bad(e, f"order {order} was already {closed[order].value}")
            continue
        if e.kind is EventKind.CANCELLED:
            if working.get(str(order)):
                bad(e, f"order {order} is in service by {', '.join(working[str(order)])}; it cannot be cancelled now")
                continue
            closed[str(order)] = e.kind
            continue
        assert tech is not None
        if e.kind is EventKind.ABSENT:
            absent.setdefault(tech, e.time)
            continue
        if e.kind is EventKind.BREAK:
            continue
        assert order is not None
        key = (tech, order)
        crew = working.setdefault(order, [])
        if e.kind in VISIT_STEPS:
            if tech in absent and key not in step:
                bad(e, f"technician {tech} is absent since {absent[tech]:%H:%M} and takes no new work")
                continue
            if order in finishing and tech not in crew:
                bad(e, f"order {order} was already done by a member of its crew")
                continue
            if e.kind is EventKind.STARTED and tech not in crew and len(crew) >= needed.get(order, 1):
                bad(e, f"order {order} is already in service by {', '.join(crew)}")
                continue
            serving = next((o for o, ts in working.items() if tech in ts and o != order), None)
            if serving is not None:
                bad(e, f"technician {tech} is still in service at order {serving}")
                continue
            last = step.get(key)
            if last is not None and VISIT_STEPS.index(e.kind) <= VISIT_STEPS.index(last):
                bad(e, f"{e.kind.value} after {last.value} for order {order}")
                continue
            step[key] = e.kind
            if e.kind is EventKind.STARTED:
                crew.append(tech)
        elif e.kind in FINISHED:
            if tech not in crew:
                bad(e, f"{e.kind.value} before started: {tech} has not started order {order}")
                continue
            crew.remove(tech)
            step.pop(key, None)
            if e.kind is EventKind.DONE or order in finishing:
                if crew:  # the others of the crew finish their own visits
                    finishing.add(order)
                else:
                    finishing.discard(order)
                    closed[order] = EventKind.DONE
    return errors
