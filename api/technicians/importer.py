"""Bulk import of technicians.csv (the CSV contract): all or nothing, every bad cell reported at once.

The file is read by dispatch.io exactly as `dispatch solve` reads it, so the API and the CLI accept and refuse
the same files with the same messages. Then the service adds its own checks, each reported as a cell of the
file: the rules a technician created through the API must meet (`TechnicianCreate`), ids already taken, part
numbers the catalogue cannot hold or has retired. Only when the whole file is good is anything written, in one
transaction: the technicians, their vans, the parts the catalogue did not know yet (price 0, listed in the
answer so a storekeeper can price them) and one ledger receipt (reason "import") per part of each van_stock.
Ids already stored, and nothing else wrong, are a 409 naming them, however close together the two imports came.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import checked_again
from api.orders.importer import invalid, refused, safe_name
from api.parts import ledger
from api.parts import service as parts_service
from api.parts.models import MovementKind, Part, StockLocation, van_location_id
from api.technicians.models import Technician
from api.technicians.schemas import TechnicianCreate
from api.technicians.service import new_row
from dispatch import domain
from dispatch.errors import CellError, InputError
from dispatch.io import technicians_from_csv_bytes

IMPORT_REASON = "import"
# what the parts catalogue accepts as a part number (api.parts.schemas.PartId)
_PART_ID = re.compile(r"^[^;:,\s\x00-\x1f]{1,64}$")


@dataclass
class TechnicianImport:
    technician_ids: list[str] = field(default_factory=list)
    parts_created: list[str] = field(default_factory=list)
    receipts: int = 0


def _raw_rows(content: bytes) -> dict[str, tuple[int, dict[str, str]]]:
    """Spreadsheet row and raw cells of each id (the file has already been read once, so it is good CSV)."""
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    out: dict[str, tuple[int, dict[str, str]]] = {}
    for number, cells in enumerate(reader, start=2):
        values = {h: c.strip() for h, c in zip(header, cells, strict=False)}
        if values.get("id"):
            out.setdefault(values["id"], (number, values))
    return out


def _create_body(t: domain.Technician, plan_date: date, cells: dict[str, str]) -> dict[str, Any]:
    # the work_days cell (0 = Monday in the domain, ISO 1 = Monday here); without one, the service's default
    # week and the day the roster is for
    days = {d + 1 for d in t.work_days} or {1, 2, 3, 4, 5, plan_date.isoweekday()}
    skills = [s if t.level(s) <= domain.MIN_LEVEL else f"{s}:{t.level(s)}" for s in sorted(t.skills)]
    return {
        # the optional hourly_cost column is the service's own (dispatch.io ignores it): checked with the body
        "hourly_cost": cells.get("hourly_cost") or None,
        "id": t.id, "name": t.name, "skills": skills, "home_lat": t.home_lat, "home_lon": t.home_lon,
        "shift_start": t.shift_start.time(), "shift_end": t.shift_end.time(),
        "break_start": t.break_start.time() if t.break_start else None,
        "break_end": t.break_end.time() if t.break_end else None,
        "break_minutes": t.break_minutes, "max_orders": t.max_orders, "work_days": sorted(days),
        "territory": t.territory,
    }


def _check_row(t: domain.Technician, plan_date: date, *, name: str, row: int | None,
               cells: dict[str, str]) -> tuple[TechnicianCreate | None, list[CellError]]:
    """The API's own rules for one technician of the file, as cell errors."""
    errors: list[CellError] = []

    def fail(column: str, message: str) -> None:
        errors.append(CellError(name, row, column, cells.get(column, ""), message))

    for column, text in cells.items():
        if "\x00" in text:  # PostgreSQL text cannot hold NUL
            fail(column, f"{column} contains a NUL byte")
    for column in ("shift_start", "shift_end", "break_start", "break_end"):
        value: datetime | None = getattr(t, column)
        if value is not None and value.date() != plan_date:
            fail(column, f"{column} must fall on the plan date {plan_date}; a shift over midnight is not supported")
    body: TechnicianCreate | None = None
    try:
        body = TechnicianCreate(**_create_body(t, plan_date, cells))
    except ValidationError as e:
        for item in e.errors():
            column = str(item["loc"][0]) if item["loc"] else "id"
            fail(column, f"{column} {item['msg'][:1].lower()}{item['msg'][1:]}")
    for part_id in t.van_stock:
        if not _PART_ID.match(part_id):
            fail("van_stock", f"van_stock part number {part_id!r} is not a valid part number "
                              "(1-64 characters, no spaces, ';', ':' or ',')")
    return (None if errors else body), errors


@checked_again
def import_technicians(session: Session, *, content: bytes, filename: str | None, plan_date: date,
                       max_rows: int, user_id: int) -> TechnicianImport:
    """Create every technician of the file with their van and its stock, or nothing."""
    name = safe_name(filename, default="technicians.csv")
    try:
        techs = technicians_from_csv_bytes(content, plan_date, source=name)
    except InputError as e:
        raise invalid(list(e.errors)) from None
    if len(techs) > max_rows:
        raise invalid([CellError(name, None, None, None, f"{len(techs)} technicians; at most {max_rows} per import")])
    raw = _raw_rows(content)
    ids = [t.id for t in techs]
    taken = set(session.scalars(select(Technician.id).where(Technician.id.in_(ids))))
    vans = {van_location_id(i) for i in ids}
    vans_taken = set(session.scalars(select(StockLocation.id).where(StockLocation.id.in_(vans))))
    part_ids = {p for t in techs for p in t.van_stock}
    parts = {p.id: p for p in session.scalars(select(Part).where(Part.id.in_(part_ids)))} if part_ids else {}

    errors: list[CellError] = []
    conflicts: list[CellError] = []
    bodies: list[tuple[domain.Technician, TechnicianCreate]] = []
    for t in techs:
        row, cells = raw.get(t.id, (None, {}))
        body, found = _check_row(t, plan_date, name=name, row=row, cells=cells)
        errors += found
        if t.id in taken:
            conflicts.append(CellError(name, row, "id", t.id, f"technician {t.id!r} already exists"))
        elif van_location_id(t.id) in vans_taken:
            conflicts.append(CellError(name, row, "id", t.id, f"stock location {van_location_id(t.id)!r} already "
                                                           "exists and is not this technician's van"))
        retired = sorted(p for p in t.van_stock if p in parts and not parts[p].active)
        if retired:
            errors.append(CellError(name, row, "van_stock", cells.get("van_stock", ""),
                                    f"van_stock names parts that are no longer active: {', '.join(retired)}"))
        if body is not None:
            bodies.append((t, body))
    if errors or conflicts:
        raise refused(errors, conflicts, what="technician(s)")

    result = TechnicianImport()
    for part_id in sorted(part_ids - parts.keys()):
        parts[part_id] = Part(id=part_id, name=part_id, unit_cost=0)
        session.add(parts[part_id])
        result.parts_created.append(part_id)
    for t, body in bodies:
        session.add(new_row(body))
        result.technician_ids.append(t.id)
    session.flush()  # technicians and parts first: vans and receipts refer to them
    locations = {t.id: parts_service.ensure_van(session, technician_id=t.id, technician_name=t.name)
                 for t, _ in bodies}
    session.flush()
    for t, _ in bodies:
        for part_id, quantity in sorted(t.van_stock.items()):
            if quantity > 0:  # stock exports list empty bins; a receipt of 0 moves nothing
                ledger.record(session, kind=MovementKind.receive, part_id=part_id, quantity=quantity,
                              user_id=user_id, target=locations[t.id].id, reason=IMPORT_REASON,
                              unit_cost=parts[part_id].unit_cost)
                result.receipts += 1
    session.commit()
    return result
