"""The two clocks of a complaint, set at intake."""

from __future__ import annotations

from datetime import datetime, time, timedelta


def due_dates(received_at: datetime, *, response_hours: int, resolution_working_days: int) -> tuple[datetime, datetime]:
    """(first response due, resolution due) of a complaint received at `received_at`.

    The response clock runs round the clock. The resolution clock counts working days (Monday to Friday): a
    complaint received on a working day is due the same time of day that many working days later; one received
    on a weekend is counted from the next Monday 00:00 (so 3 working days end on Thursday 00:00)."""
    response_due = received_at + timedelta(hours=response_hours)
    start = received_at
    while start.weekday() >= 5:
        start = datetime.combine(start.date() + timedelta(days=1), time())
    due, left = start, resolution_working_days
    while left > 0:
        due += timedelta(days=1)
        if due.weekday() < 5:
            left -= 1
    return response_due, due
