"""What the phones report during the day (the `events.csv` contract of DESIGN.md, "The live day")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class EventKind(StrEnum):
    DEPARTED = "departed"  # on the way to the order
    ARRIVED = "arrived"
    STARTED = "started"  # service began
    DONE = "done"  # service finished, order resolved
    UNRESOLVED = "unresolved"  # service finished, the order needs another visit
    BREAK = "break"  # the technician began the break
    ABSENT = "absent"  # the technician takes no new work from this time on
    CANCELLED = "cancelled"  # the customer cancelled the order

    @property
    def needs_order(self) -> bool:
        return self not in (EventKind.BREAK, EventKind.ABSENT)

    @property
    def needs_technician(self) -> bool:
        return self is not EventKind.CANCELLED


# the steps of one visit, in the order they happen; a visit may skip departed and arrived
VISIT_STEPS = (EventKind.DEPARTED, EventKind.ARRIVED, EventKind.STARTED)
FINISHED = (EventKind.DONE, EventKind.UNRESOLVED)


@dataclass(frozen=True)
class Event:
    """One row of events.csv; `row` is where it stands in the file, as a spreadsheet numbers it."""

    time: datetime
    kind: EventKind
    technician_id: str | None = None
    order_id: str | None = None
    note: str = ""
    row: int | None = None
