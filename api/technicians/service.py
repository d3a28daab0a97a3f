"""Technicians: plain functions over a Session, keyword-only, no HTTP.

`scope` is the technician id a caller is limited to (a technician user sees only themself), None for staff.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from api.errors import ConflictError, InvalidInputError, NotFoundError, field_error
from api.paging import PageParams, paginate
from api.parts import service as parts_service
from api.technicians.models import Technician
from api.technicians.schemas import TechnicianCreate, TechnicianUpdate
from dispatch import domain

# a fixed date to check a shift pattern against the domain's rules (they do not depend on the date)
_CHECK_DATE = date(2000, 1, 3)


def _on(day: date, t: time | None) -> datetime | None:
    return None if t is None else datetime.combine(day, t)


def to_domain(row: Technician, *, day: date, van_stock: Mapping[str, int] | None = None) -> domain.Technician:
    """The technician's shift on `day` as the domain type the planner takes (raises ValueError if invalid)."""
    return domain.Technician(
        id=row.id, name=row.name, skills=frozenset(row.skills), home_lat=row.home_lat, home_lon=row.home_lon,
        shift_start=datetime.combine(day, row.shift_start), shift_end=datetime.combine(day, row.shift_end),
        break_start=_on(day, row.break_start), break_end=_on(day, row.break_end),
        break_minutes=row.break_minutes, max_orders=row.max_orders, van_stock=dict(van_stock or {}),
        territory=row.territory,
    )


def _validate(row: Technician) -> None:
    try:
        to_domain(row, day=_CHECK_DATE)
    except ValueError as e:
        raise InvalidInputError(str(e), errors=[{"loc": ["body"], "msg": str(e), "type": "value_error"}]) from None


def get(session: Session, *, technician_id: str, scope: str | None = None) -> Technician:
    row = session.get(Technician, technician_id)
    # another technician's id looks exactly like a missing one
    if row is None or (scope is not None and row.id != scope):
        raise NotFoundError(f"technician {technician_id!r} not found")
    return row


def query(*, scope: str | None = None, active: bool | None = None, q: str | None = None) -> Select[tuple[Technician]]:
    stmt = select(Technician).order_by(Technician.id)
    if scope is not None:
        stmt = stmt.where(Technician.id == scope)
    if active is not None:
        stmt = stmt.where(Technician.active == active)
    if q:
        stmt = stmt.where(Technician.name.ilike(f"%{q}%") | Technician.id.ilike(f"{q}%"))
    return stmt


def list_page(session: Session, *, page: PageParams, scope: str | None = None, skill: str | None = None,
              active: bool | None = None, q: str | None = None) -> tuple[list[Technician], int]:
    stmt = query(scope=scope, active=active, q=q)
    if skill is None:
        return paginate(session, stmt, page)
    # skills are a JSON list; filtering in Python keeps the query portable (rosters are small)
    rows = [t for t in session.scalars(stmt) if skill.lower() in t.skills]
    return rows[page.offset: page.offset + page.limit], len(rows)


def _fields(data: TechnicianCreate | TechnicianUpdate, *, unset: bool) -> dict[str, Any]:
    values = data.model_dump(exclude_unset=unset)
    if values.get("skills") is not None:
        values["skills"] = sorted(set(values["skills"]))
    if values.get("work_days") is not None:
        values["work_days"] = sorted(set(values["work_days"]))
    return values


def new_row(data: TechnicianCreate) -> Technician:
    """A checked, not yet added row (raises InvalidInputError if the shift pattern breaks a domain rule)."""
    row = Technician(**_fields(data, unset=False))
    _validate(row)
    return row


def create(session: Session, *, data: TechnicianCreate) -> Technician:
    if session.get(Technician, data.id) is not None:
        raise ConflictError(f"technician {data.id!r} already exists")
    row = new_row(data)
    session.add(row)
    session.flush()
    parts_service.ensure_van(session, technician_id=row.id, technician_name=row.name)
    session.commit()
    return row


def update(session: Session, *, technician_id: str, data: TechnicianUpdate) -> Technician:
    row = get(session, technician_id=technician_id)
    for name, value in _fields(data, unset=True).items():
        if value is None and name in ("name", "skills", "home_lat", "home_lon", "shift_start", "shift_end",
                                      "work_days", "active"):
            raise field_error(name, "may not be null")
        setattr(row, name, value)
    _validate(row)
    session.commit()
    return row
