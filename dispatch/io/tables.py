"""Files and frames reduced to one shape: a header and records of stripped strings, numbered as a spreadsheet.

Row numbers count like a spreadsheet: header row 1, first data row 2; blank rows are skipped but counted. For a
DataFrame the numbering is that of the same frame written as a CSV file. Problems with the file or the header
(unreadable, not UTF-8, missing or doubled columns, rows with surplus cells) are collected in `Table.errors`.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd

import dispatch.io.cells as cells
from dispatch.errors import CellError

PathLike = str | os.PathLike[str]

TECHNICIAN_COLUMNS = (
    "id", "name", "skills", "home_lat", "home_lon", "shift_start", "shift_end",
    "break_start", "break_end", "break_minutes", "max_orders", "van_stock",
)
ORDER_COLUMNS = (
    "id", "customer", "lat", "lon", "priority", "required_skills", "duration_min", "created_at",
    "window_start", "window_end", "required_parts", "pinned_technician",
)
# Read when present in either file: the territory a large day is split by (see dispatch.planning.regions);
# in technicians.csv, the weekdays each works; in orders.csv, the technician the customer asks for and
# those it refuses, the day of the appointment window and how many technicians the job needs.
OPTIONAL_COLUMNS = ("territory", "work_days", "preferred_technician", "forbidden_technicians", "window_date",
                    "technicians_needed")


@dataclass(frozen=True)
class Record:
    number: int  # spreadsheet row
    values: dict[str, str]  # contract column -> stripped cell text
    parse: bool = True  # False for a row already reported as a whole (its cells are not where they belong)


@dataclass
class Table:
    source: str
    records: list[Record] = field(default_factory=list)
    missing: frozenset[str] = frozenset()
    errors: list[CellError] = field(default_factory=list)
    readable: bool = True  # False when the file itself could not be read: skip checks against it

    def raw_ids(self) -> set[str]:
        return {r.values["id"] for r in self.records if r.values.get("id")}

    @classmethod
    def failed(cls, source: str, message: str) -> Table:
        return cls(source, errors=[CellError(source, None, None, None, message)], readable=False)


def tabulate(source: str, rows: Iterable[list[str]], expected: tuple[str, ...]) -> Table:
    """`rows` are the header then the data rows, as a spreadsheet numbers them from 1."""
    table = Table(source)
    it = enumerate(rows, start=1)
    first = next(it, None)
    if first is None:
        return Table.failed(source, f"is empty; expected a header row with {', '.join(expected)}")
    header = [h.replace("\ufeff", "").strip().lower() for h in first[1]]
    if len(header) == 1 and any(sep in header[0] for sep in ";\t"):
        return Table.failed(source, "has its header in a single cell; columns must be separated by commas")
    position: dict[str, int] = {}
    for k, name in enumerate(header):
        if name in position and (name in expected or name in OPTIONAL_COLUMNS):
            table.errors.append(CellError(source, 1, name, None,
                                          f"column {name} appears twice (columns {position[name] + 1} and {k + 1})"))
        position.setdefault(name, k)
    table.missing = frozenset(c for c in expected if c not in position)
    table.errors += [CellError(source, None, c, None, f"required column {c} is missing")
                     for c in expected if c in table.missing]
    wanted = [(c, position[c]) for c in (*expected, *OPTIONAL_COLUMNS) if c in position]
    for number, row in it:
        values = [v.strip() for v in row]
        if not any(values):
            continue  # a blank row
        if len(values) > len(header):
            table.errors.append(CellError(
                source, number, None, None,
                f"has {len(values)} cells but the header has {len(header)} (a comma inside an unquoted text cell?)",
            ))
            # keep the id only, so duplicate and pin checks stay quiet about this row
            kept = {"id": values[position["id"]]} if "id" in position else {}
            table.records.append(Record(number, kept, parse=False))
            continue
        values += [""] * (len(header) - len(values))
        table.records.append(Record(number, {c: values[k] for c, k in wanted}))
    return table


def text_table(content: bytes, source: str, expected: tuple[str, ...]) -> Table:
    try:
        # utf-8-sig drops the byte-order mark spreadsheets put in front of "CSV UTF-8" files
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return Table.failed(source, f"is not UTF-8 text (byte {e.start}); save it as 'CSV UTF-8'")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as e:
        return Table.failed(source, f"is not a readable CSV file: {e}")
    return tabulate(source, rows, expected)


def csv_table(path: PathLike, expected: tuple[str, ...]) -> Table:
    source = Path(path).name or str(path)
    try:
        content = Path(path).read_bytes()
    except FileNotFoundError:
        return Table.failed(source, f"file not found: {path}")
    except OSError as e:
        return Table.failed(source, f"cannot be read: {e.strerror or e}")
    return text_table(content, source, expected)


def cell_text(value: Any) -> str:
    """A frame cell as the text a CSV file would hold; planners' frames may hold numbers, sets, timestamps."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, (bool, int)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (datetime, time, date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return cells.format_parts({str(k): v for k, v in value.items()})
    if isinstance(value, (set, frozenset, list, tuple)):
        return ";".join(sorted(str(v) for v in value))
    if hasattr(value, "item"):  # numpy scalars
        return cell_text(value.item())
    return str(value)


def frame_table(frame: pd.DataFrame, source: str, expected: tuple[str, ...]) -> Table:
    header = [str(c) for c in frame.columns]
    body = ([cell_text(v) for v in row] for row in frame.itertuples(index=False, name=None))
    return tabulate(source, [header, *body], expected)


