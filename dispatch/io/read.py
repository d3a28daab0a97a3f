"""Reading the CSV contract (files or pandas frames) into domain objects, reporting every bad cell at once.

Both paths reduce the input to the same thing first (`dispatch.io.tables`): a header and records of stripped
strings, each numbered as a spreadsheet shows it (header row 1, first data row 2; for a DataFrame, as the
frame written as CSV). Nothing is returned when anything is wrong: `InputError` lists it all.

Decisions the contract leaves open, in one place:
- Every contract column must be present (in any order; names are trimmed and lower-cased); extra columns are
  ignored. Requiring them all catches a misspelt header that would otherwise drop a rule silently.
- A lone `window_start` means "not before", a lone `window_end` "not after".
- `van_stock` quantities may be 0 (stock exports list empty bins); `required_parts` quantities must be >= 1.
- `duration_min` must be > 0; `max_orders` and `break_minutes` >= 0.
- `created_at` may lie on an earlier day but not after the plan date; UTC offsets are refused (no zone info).
- The break's `break_minutes` must fit inside both its window and the shift, or the technician is unusable.
- Blank rows are skipped (their numbers still count); a row with more cells than the header is an error (an
  unquoted comma in a name shifts every later cell, even when the surplus cell is empty); missing trailing
  cells are empty.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import TypeVar

import pandas as pd

import dispatch.io.cells as cells
from dispatch.domain import MAX_CREW, Day, Order, Technician
from dispatch.errors import CellError, InputError
from dispatch.io.cells import BadCellError
from dispatch.io.tables import (
    ORDER_COLUMNS,
    TECHNICIAN_COLUMNS,
    PathLike,
    Table,
    csv_table,
    frame_table,
    text_table,
)

T = TypeVar("T")


# --- one row -------------------------------------------------------------------------------------------------

class _Row:
    """Parses the cells of one record, recording a CellError for each bad cell instead of stopping."""

    def __init__(self, table: Table, number: int, values: dict[str, str]) -> None:
        self.table, self.number, self.values = table, number, values
        self.bad = False

    def fail(self, column: str | None, message: str) -> None:
        value = self.values.get(column, "") if column is not None else None
        self.table.errors.append(CellError(self.table.source, self.number, column, value, message))
        self.bad = True

    def get(self, column: str, parse: Callable[[str], T], *, required: bool = False) -> T | None:
        if column in self.table.missing:
            self.bad = True  # reported once for the whole column
            return None
        text = self.values.get(column, "")
        if not text:
            if required:
                self.fail(column, f"{column} is required")
            return None
        try:
            return parse(text)
        except BadCellError as e:
            self.fail(column, f"{column} {e}")
            return None

    def text(self, column: str) -> str:
        return self.values.get(column, "")


def _minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


def _hhmm(value: datetime, plan_date: date) -> str:
    return cells.format_time(value, plan_date)


def _check_break(row: _Row, plan_date: date, shift_start: datetime | None, shift_end: datetime | None,
                 break_start: datetime | None, break_end: datetime | None, break_minutes: int | None) -> None:
    """A break is all three of break_start, break_end, break_minutes or none; it must fit its window and shift."""
    for col, val, other in (("break_start", break_start, "break_end"), ("break_end", break_end, "break_start")):
        if val is not None and not row.text(other):
            row.fail(col, f"{col} is given without {other}")
    if break_start is not None and break_end is not None and break_end < break_start:
        row.fail("break_end", f"break_end {_hhmm(break_end, plan_date)} is before break_start "
                              f"{_hhmm(break_start, plan_date)}")
    has_window = bool(row.text("break_start") or row.text("break_end"))
    if break_minutes is not None and break_minutes < 0:
        row.fail("break_minutes", f"break_minutes {break_minutes} is negative")
    elif break_minutes is not None and not has_window:
        row.fail("break_minutes", "break_minutes is given without break_start and break_end")
    elif not row.text("break_minutes") and break_start is not None and break_end is not None:
        row.fail("break_minutes", "break_minutes is required when break_start and break_end are given")
    elif break_minutes is not None and break_start is not None and break_end is not None and break_end >= break_start:
        window = f"{_hhmm(break_start, plan_date)}-{_hhmm(break_end, plan_date)}"
        if break_minutes > _minutes(break_start, break_end):
            row.fail("break_minutes", f"break_minutes {break_minutes} is longer than the break window {window}")
        elif shift_start is not None and shift_end is not None and break_minutes > 0:
            # the break is taken inside the shift too, or the technician cannot be planned at all
            inside = _minutes(max(break_start, shift_start), min(break_end, shift_end))
            if inside < break_minutes:
                shift = f"{_hhmm(shift_start, plan_date)}-{_hhmm(shift_end, plan_date)}"
                row.fail("break_minutes", f"break of {break_minutes} min does not fit inside both the break "
                                          f"window {window} and the shift {shift}")


def _technician(row: _Row, plan_date: date) -> Technician | None:
    at = partial(cells.parse_time, plan_date=plan_date)
    tech_id = row.get("id", str, required=True)
    skills = row.get("skills", cells.parse_skills)
    home_lat = row.get("home_lat", cells.parse_latitude, required=True)
    home_lon = row.get("home_lon", cells.parse_longitude, required=True)
    shift_start = row.get("shift_start", at, required=True)
    shift_end = row.get("shift_end", at, required=True)
    break_start = row.get("break_start", at)
    break_end = row.get("break_end", at)
    break_minutes = row.get("break_minutes", cells.parse_int)
    max_orders = row.get("max_orders", cells.parse_int)
    van_stock = row.get("van_stock", lambda t: cells.parse_parts(t, min_qty=0))
    work_days = row.get("work_days", cells.parse_weekdays)

    if shift_start is not None and shift_end is not None and shift_end < shift_start:
        row.fail("shift_end", f"shift_end {_hhmm(shift_end, plan_date)} is before shift_start "
                              f"{_hhmm(shift_start, plan_date)}")
    _check_break(row, plan_date, shift_start, shift_end, break_start, break_end, break_minutes)
    if max_orders is not None and max_orders < 0:
        row.fail("max_orders", f"max_orders {max_orders} is negative")

    # required values are None only when their cell failed, so row.bad is set; the test narrows the types
    if row.bad or tech_id is None or home_lat is None or home_lon is None or shift_start is None or shift_end is None:
        return None
    try:
        return Technician(
            id=tech_id, name=row.text("name"), skills=frozenset(skills or ()), skill_levels=skills or {},
            home_lat=home_lat, home_lon=home_lon,
            shift_start=shift_start, shift_end=shift_end, break_start=break_start, break_end=break_end,
            break_minutes=break_minutes, max_orders=max_orders, van_stock=van_stock or {},
            territory=row.text("territory") or None, work_days=work_days or frozenset(),
        )
    except ValueError as e:  # a domain rule this reader does not know yet: still a located error
        row.fail(None, str(e))
        return None


def _order(row: _Row, plan_date: date) -> Order | None:
    window_date = row.get("window_date", cells.parse_date)
    # an appointment on a given day: its times are on that day
    at = partial(cells.parse_time, plan_date=window_date or plan_date)
    order_id = row.get("id", str, required=True)
    lat = row.get("lat", cells.parse_latitude, required=True)
    lon = row.get("lon", cells.parse_longitude, required=True)
    priority = row.get("priority", cells.parse_priority, required=True)
    skills = row.get("required_skills", cells.parse_skills)
    duration = row.get("duration_min", cells.parse_int, required=True)
    created_at = row.get("created_at", cells.parse_datetime, required=True)
    window_start = row.get("window_start", at)
    window_end = row.get("window_end", at)
    parts = row.get("required_parts", cells.parse_parts)
    pinned = row.get("pinned_technician", str)
    preferred = row.get("preferred_technician", str)
    forbidden = row.get("forbidden_technicians", cells.parse_ids)
    crew = row.get("technicians_needed", cells.parse_int)

    if crew is not None and not 1 <= crew <= MAX_CREW:
        row.fail("technicians_needed", f"technicians_needed {crew} is outside 1..{MAX_CREW}")
    if window_date is not None and window_date < plan_date:
        row.fail("window_date", f"window_date {window_date.isoformat()} is before the plan date {plan_date.isoformat()}")
    if window_date is not None and row.text("window_start") == "" and row.text("window_end") == "":
        row.fail("window_date", f"window_date {window_date.isoformat()} is given without window_start or window_end")
    if pinned and forbidden and pinned in forbidden:
        row.fail("forbidden_technicians", f"forbidden_technicians refuses {pinned}, the pinned_technician")
    if duration is not None and duration <= 0:
        row.fail("duration_min", f"duration_min {duration} must be positive")
    end_of_day = datetime.combine(plan_date, time()) + timedelta(days=1)
    if created_at is not None and created_at > end_of_day:
        row.fail("created_at", f"created_at lies after the plan date {plan_date.isoformat()}")
    if window_start is not None and window_end is not None and window_end < window_start:
        row.fail("window_end", f"window_end {_hhmm(window_end, plan_date)} is before window_start "
                               f"{_hhmm(window_start, plan_date)}")

    if (row.bad or order_id is None or lat is None or lon is None or priority is None or duration is None
            or created_at is None):
        return None
    try:
        return Order(
            id=order_id, customer=row.text("customer"), lat=lat, lon=lon, priority=priority,
            required_skills=frozenset(skills or ()), skill_levels=skills or {}, duration_min=duration,
            created_at=created_at, window_start=window_start, window_end=window_end, required_parts=parts or {},
            pinned_technician=pinned or None, territory=row.text("territory") or None,
            preferred_technician=preferred or None, forbidden_technicians=forbidden or frozenset(),
            window_date=window_date, technicians_needed=crew or 1,
        )
    except ValueError as e:
        row.fail(None, str(e))
        return None


def _rows(table: Table, plan_date: date, make: Callable[[_Row, date], T | None]) -> list[T]:
    out: list[T] = []
    first_row: dict[str, int] = {}
    for record in table.records:
        row = _Row(table, record.number, record.values)
        item_id = record.values.get("id", "")
        if item_id:
            if item_id in first_row:
                row.fail("id", f"id {item_id!r} is duplicated: also on row {first_row[item_id]}")
            else:
                first_row[item_id] = record.number
        if not record.parse:
            continue
        item = make(row, plan_date)
        if item is not None and not row.bad:
            out.append(item)
    return out


def _check(*tables: Table) -> None:
    errors = [e for t in tables for e in sorted(t.errors, key=lambda e: -1 if e.row is None else e.row)]
    if errors:
        raise InputError(errors)


def _pins(orders_table: Table, technicians_table: Table) -> None:
    if not technicians_table.readable or "id" in technicians_table.missing:
        return  # the technicians file already failed; unknown-pin errors would only be noise
    known = technicians_table.raw_ids()
    for record in orders_table.records:
        pinned = record.values.get("pinned_technician", "")
        if pinned and pinned not in known and record.parse:
            orders_table.errors.append(CellError(
                orders_table.source, record.number, "pinned_technician", pinned,
                f"pinned_technician {pinned!r} is not a technician of {technicians_table.source}",
            ))


def _day(technicians: Table, orders: Table, plan_date: date) -> Day:
    techs = _rows(technicians, plan_date, _technician)
    order_list = _rows(orders, plan_date, _order)
    _pins(orders, technicians)
    _check(technicians, orders)
    try:
        return Day(plan_date, tuple(techs), tuple(order_list))
    except ValueError as e:
        raise InputError([CellError(orders.source, None, None, None, str(e))]) from e


# --- public API ----------------------------------------------------------------------------------------------

def read_technicians_csv(path: PathLike, plan_date: date) -> tuple[Technician, ...]:
    table = csv_table(path, TECHNICIAN_COLUMNS)
    techs = _rows(table, plan_date, _technician)
    _check(table)
    return tuple(techs)


def read_orders_csv(path: PathLike, plan_date: date) -> tuple[Order, ...]:
    """Orders alone; pins are checked against the technicians only by `read_day`."""
    table = csv_table(path, ORDER_COLUMNS)
    orders = _rows(table, plan_date, _order)
    _check(table)
    return tuple(orders)


def read_day(technicians_csv: PathLike, orders_csv: PathLike, plan_date: date) -> Day:
    """Both files of the contract, with the checks across them; every error of both in one InputError."""
    return _day(csv_table(technicians_csv, TECHNICIAN_COLUMNS), csv_table(orders_csv, ORDER_COLUMNS), plan_date)


def technicians_from_csv_bytes(content: bytes, plan_date: date, source: str = "technicians.csv") -> tuple[Technician, ...]:
    """An uploaded technicians.csv (the API's import), read exactly as `read_technicians_csv` reads a file."""
    table = text_table(content, source, TECHNICIAN_COLUMNS)
    techs = _rows(table, plan_date, _technician)
    _check(table)
    return tuple(techs)


def orders_from_csv_bytes(content: bytes, plan_date: date, source: str = "orders.csv") -> tuple[Order, ...]:
    """An uploaded orders.csv (the API's import), read exactly as `read_orders_csv` reads a file."""
    table = text_table(content, source, ORDER_COLUMNS)
    orders = _rows(table, plan_date, _order)
    _check(table)
    return tuple(orders)


def technicians_from_frame(frame: pd.DataFrame, plan_date: date, source: str = "technicians") -> tuple[Technician, ...]:
    table = frame_table(frame, source, TECHNICIAN_COLUMNS)
    techs = _rows(table, plan_date, _technician)
    _check(table)
    return tuple(techs)


def orders_from_frame(frame: pd.DataFrame, plan_date: date, source: str = "orders") -> tuple[Order, ...]:
    table = frame_table(frame, source, ORDER_COLUMNS)
    orders = _rows(table, plan_date, _order)
    _check(table)
    return tuple(orders)


def day_from_frames(technicians: pd.DataFrame, orders: pd.DataFrame, plan_date: date, *,
                    sources: tuple[str, str] = ("technicians", "orders")) -> Day:
    return _day(frame_table(technicians, sources[0], TECHNICIAN_COLUMNS),
                frame_table(orders, sources[1], ORDER_COLUMNS), plan_date)
