"""The CSV contract of DESIGN.md in and out: files and pandas frames to domain objects, and back.

Reading reports every bad cell at once in one `dispatch.errors.InputError`; see `dispatch.io.read` for the
decisions the contract leaves open.
"""

from dispatch.io.read import (
    ORDER_COLUMNS,
    TECHNICIAN_COLUMNS,
    day_from_frames,
    orders_from_csv_bytes,
    orders_from_frame,
    read_day,
    read_orders_csv,
    read_technicians_csv,
    technicians_from_csv_bytes,
    technicians_from_frame,
)
from dispatch.io.write import (
    day_to_frames,
    orders_to_frame,
    technicians_to_frame,
    write_day,
    write_orders_csv,
    write_technicians_csv,
)

__all__ = [
    "ORDER_COLUMNS",
    "TECHNICIAN_COLUMNS",
    "day_from_frames",
    "day_to_frames",
    "orders_from_csv_bytes",
    "orders_from_frame",
    "orders_to_frame",
    "read_day",
    "read_orders_csv",
    "read_technicians_csv",
    "technicians_from_csv_bytes",
    "technicians_from_frame",
    "technicians_to_frame",
    "write_day",
    "write_orders_csv",
    "write_technicians_csv",
]
