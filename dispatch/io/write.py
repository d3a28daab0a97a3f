"""Writing technicians and orders back into the CSV contract, so generated days round-trip through files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta

import pandas as pd

import dispatch.io.cells as cells
from dispatch.domain import Day, Order, Technician
from dispatch.io.tables import ORDER_COLUMNS, TECHNICIAN_COLUMNS, PathLike


def _infer_date(starts: Iterable[datetime | None], ends: Iterable[datetime | None]) -> date | None:
    """The plan date the times lie on, when the caller did not say: the earliest date any of them names.

    A midnight is ambiguous: as a start it is 00:00 of its date, as an end it is 24:00 of the day before.
    """
    dates = [t.date() for t in starts if t is not None]
    dates += [(t - timedelta(microseconds=1)).date() if t.time() == time() else t.date() for t in ends if t is not None]
    return min(dates, default=None)


def _time(value: datetime | None, plan_date: date | None) -> str:
    if value is None:
        return ""
    assert plan_date is not None
    return cells.format_time(value, plan_date)


def _opt(value: object) -> str:
    return "" if value is None else str(value)


def _coord(value: float) -> str:
    return repr(float(value))  # shortest text that reads back to the same float


def _with_territory(frame: pd.DataFrame, territories: Sequence[str | None]) -> pd.DataFrame:
    """The optional territory column, only when some row has one: contract files stay as they were."""
    if any(territories):
        frame["territory"] = [t or "" for t in territories]
    return frame


def technicians_to_frame(technicians: Sequence[Technician], plan_date: date | None = None) -> pd.DataFrame:
    """One row per technician, exactly the contract's columns, every cell the string the CSV holds."""
    plan_date = plan_date or _infer_date([x for t in technicians for x in (t.shift_start, t.break_start)],
                                         [x for t in technicians for x in (t.shift_end, t.break_end)])
    rows = [
        [t.id, t.name, cells.format_skills(t.skills, t.skill_levels), _coord(t.home_lat), _coord(t.home_lon),
         _time(t.shift_start, plan_date), _time(t.shift_end, plan_date), _time(t.break_start, plan_date),
         _time(t.break_end, plan_date), _opt(t.break_minutes), _opt(t.max_orders), cells.format_parts(t.van_stock)]
        for t in technicians
    ]
    frame = pd.DataFrame(rows, columns=list(TECHNICIAN_COLUMNS), dtype=object)
    if any(t.work_days for t in technicians):
        frame["work_days"] = [cells.format_weekdays(t.work_days) for t in technicians]
    return _with_territory(frame, [t.territory for t in technicians])


def orders_to_frame(orders: Sequence[Order], plan_date: date | None = None) -> pd.DataFrame:
    """One row per order, exactly the contract's columns, every cell the string the CSV holds."""
    plan_date = plan_date or _infer_date([o.window_start for o in orders if o.window_date is None],
                                         [o.window_end for o in orders if o.window_date is None])
    rows = [
        [o.id, o.customer, _coord(o.lat), _coord(o.lon), cells.format_priority(o.priority),
         cells.format_skills(o.required_skills, o.skill_levels), str(o.duration_min), cells.format_datetime(o.created_at),
         _time(o.window_start, o.window_date or plan_date), _time(o.window_end, o.window_date or plan_date),
         cells.format_parts(o.required_parts),
         _opt(o.pinned_technician)]
        for o in orders
    ]
    frame = pd.DataFrame(rows, columns=list(ORDER_COLUMNS), dtype=object)
    # the wanted and refused technicians, only when some order has them: contract files stay as they were
    if any(o.preferred_technician for o in orders):
        frame["preferred_technician"] = [o.preferred_technician or "" for o in orders]
    if any(o.forbidden_technicians for o in orders):
        frame["forbidden_technicians"] = [cells.format_ids(o.forbidden_technicians) for o in orders]
    if any(o.window_date for o in orders):
        frame["window_date"] = [o.window_date.isoformat() if o.window_date else "" for o in orders]
    if any(o.technicians_needed > 1 for o in orders):
        frame["technicians_needed"] = [str(o.technicians_needed) for o in orders]
    return _with_territory(frame, [o.territory for o in orders])


def day_to_frames(day: Day) -> tuple[pd.DataFrame, pd.DataFrame]:
    return technicians_to_frame(day.technicians, day.date), orders_to_frame(day.orders, day.date)


def write_technicians_csv(technicians: Sequence[Technician], path: PathLike, plan_date: date | None = None) -> None:
    technicians_to_frame(technicians, plan_date).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def write_orders_csv(orders: Sequence[Order], path: PathLike, plan_date: date | None = None) -> None:
    orders_to_frame(orders, plan_date).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def write_day(day: Day, technicians_csv: PathLike, orders_csv: PathLike) -> None:
    write_technicians_csv(day.technicians, technicians_csv, day.date)
    write_orders_csv(day.orders, orders_csv, day.date)
