"""Bulk import of orders.csv (the CSV contract): all or nothing, every bad cell reported at once.

The file is read by dispatch.io exactly as `dispatch solve` reads it, so the API and the CLI accept and refuse
the same files with the same messages. Then the database adds its own checks (ids already taken, pins to
unknown technicians, territories and ids too long to store); only when the
whole file is good is anything written, in one transaction. A preferred or refused technician the database
does not know is stored as given, as `dispatch solve` reads it: a plan ignores one who is not on its roster.
A file whose only fault is ids already stored is a 409 naming them (the same file sent twice, or twice at
once: the one that loses the race at the database is checked again and gets that 409; nothing of it is kept).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from api.customers.models import Customer
from api.errors import ApiError, ConflictError, InvalidInputError, checked_again
from api.orders.models import Order, OrderStatus
from api.technicians.models import Technician
from dispatch import domain
from dispatch.errors import CellError, InputError
from dispatch.io import orders_from_csv_bytes

TERRITORY_LENGTH = 64  # what the orders.territory column holds (api.technicians.schemas.Territory)
ID_LENGTH = 64  # what a technician id column holds (preferred_technician_id, each of forbidden_technician_ids)


def safe_name(filename: str | None, default: str = "orders.csv") -> str:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(filename or "").name)[:100].lstrip(".")
    return name or default


def customer_id_for(name: str) -> str:
    """A stable id for a customer the CSV names but the database does not know yet."""
    return "C-" + hashlib.sha256(name.encode()).hexdigest()[:12]


def rows_of_ids(content: bytes) -> dict[str, int]:
    """The spreadsheet row of each id, for the database's own errors (the file has already been read once)."""
    reader = csv.reader(io.StringIO(content.decode("utf-8-sig")))
    header = [h.strip().lower() for h in next(reader, [])]
    col = header.index("id")
    return {r[col].strip(): n for n, r in enumerate(reader, start=2) if len(r) > col and r[col].strip()}


def invalid(errors: list[CellError]) -> InvalidInputError:
    """Every bad cell, sorted as a spreadsheet shows them, as one 422; nothing has been written."""
    listed = [{"file": e.file, "row": e.row, "column": e.column, "value": e.value, "message": e.message}
              for e in sorted(errors, key=CellError.sort_key)]
    return InvalidInputError(f"{len(listed)} bad cell(s); nothing was imported", errors=listed)


def refused(errors: list[CellError], taken: list[CellError], *, what: str) -> ApiError:
    """Why nothing of a file was imported: a 409 naming the ids already stored when that is all that is wrong
    with it, else a 422 of every bad cell (those ids included)."""
    if errors or not taken:
        return invalid(errors + taken)
    cells = sorted(taken, key=CellError.sort_key)
    ids = [str(e.value) for e in cells]
    shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
    listed = [{"file": e.file, "row": e.row, "column": e.column, "value": e.value, "message": e.message}
              for e in cells]
    return ConflictError(f"{len(ids)} {what} already exist(s): {shown}; nothing was imported", errors=listed)


def parse(content: bytes, *, filename: str, plan_date: date) -> tuple[domain.Order, ...]:
    try:
        return orders_from_csv_bytes(content, plan_date, source=filename)
    except InputError as e:
        raise invalid(list(e.errors)) from None


@checked_again
def import_orders(session: Session, *, content: bytes, filename: str | None, plan_date: date,
                  max_rows: int) -> tuple[list[str], list[str]]:
    """Create every order of the file, or none: (order ids, ids of customers created on the way)."""
    name = safe_name(filename)
    orders = parse(content, filename=name, plan_date=plan_date)
    if len(orders) > max_rows:
        raise invalid([CellError(name, None, None, None, f"{len(orders)} orders; at most {max_rows} per import")])
    rows_of = rows_of_ids(content)
    ids = [o.id for o in orders]
    taken = set(session.scalars(select(Order.id).where(Order.id.in_(ids))))
    pins = {o.pinned_technician for o in orders if o.pinned_technician}
    known_techs = set(session.scalars(select(Technician.id).where(Technician.id.in_(pins)))) if pins else set()
    errors: list[CellError] = []
    conflicts: list[CellError] = []
    for o in orders:
        row = rows_of.get(o.id)
        if o.id in taken:
            conflicts.append(CellError(name, row, "id", o.id, f"order {o.id!r} already exists"))
        if o.pinned_technician and o.pinned_technician not in known_techs:
            errors.append(CellError(name, row, "pinned_technician", o.pinned_technician,
                                    f"pinned_technician {o.pinned_technician!r} is not a known technician"))
        for column, named in (("preferred_technician", [o.preferred_technician] if o.preferred_technician else []),
                              ("forbidden_technicians", sorted(o.forbidden_technicians))):
            long = [i for i in named if len(i) > ID_LENGTH]
            if long:
                errors.append(CellError(name, row, column, ";".join(named),
                                        f"{column} {long[0]!r} is longer than {ID_LENGTH} characters"))
        if o.territory is not None and len(o.territory) > TERRITORY_LENGTH:
            errors.append(CellError(name, row, "territory", o.territory,
                                    f"territory is longer than {TERRITORY_LENGTH} characters"))
    if errors or conflicts:
        raise refused(errors, conflicts, what="order(s)")

    # the CSV names customers; link to one with that id or name, else add one at the order's place
    names = {o.customer for o in orders}
    by_id = {c.id: c.id for c in session.scalars(select(Customer).where(Customer.id.in_(names)))}
    by_name = {c.name: c.id for c in session.scalars(select(Customer).where(Customer.name.in_(names)))}
    created_customers: list[str] = []
    values: list[dict[str, object]] = []
    for o in orders:
        cid = by_id.get(o.customer) or by_name.get(o.customer)
        if cid is None:
            cid = customer_id_for(o.customer)
            if session.get(Customer, cid) is None:
                session.add(Customer(id=cid, name=o.customer[:200], lat=o.lat, lon=o.lon))
                created_customers.append(cid)
            by_name[o.customer] = cid
        values.append(dict(
            id=o.id, customer_id=cid, lat=o.lat, lon=o.lon, priority=o.priority.value,
            required_skills=sorted(o.required_skills), required_skill_levels=dict(o.skill_levels),
            duration_min=o.duration_min, created_at=o.created_at,
            window_start=o.window_start, window_end=o.window_end, window_date=o.window_date,
            required_parts=dict(o.required_parts), pinned_technician_id=o.pinned_technician,
            preferred_technician_id=o.preferred_technician, forbidden_technician_ids=sorted(o.forbidden_technicians),
            technicians_needed=o.technicians_needed, territory=o.territory, status=OrderStatus.open.value,
            source=f"import:{name}",
        ))
    session.flush()  # customers first: orders refer to them
    # one multi-row INSERT per batch instead of a unit of work per object: 20,000 rows in about a second
    session.execute(insert(Order), values)
    session.commit()
    return [o.id for o in orders], created_customers
