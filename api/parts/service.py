"""Parts catalogue and stock locations: plain functions over a Session, keyword-only, no HTTP."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.errors import ConflictError, NotFoundError, checked_again, field_error, taken
from api.paging import PageParams, paginate
from api.parts.models import LocationKind, Part, StockLocation, van_location_id, visible_locations
from api.parts.schemas import PartCreate, PartUpdate, StockLocationCreate, StockLocationUpdate

_REQUIRED = ("name", "unit", "unit_cost", "active")


# --- parts catalogue: shared by everyone, owned by no technician ----------------------------------------

def get_part(session: Session, *, part_id: str) -> Part:
    row = session.get(Part, part_id)
    if row is None:
        raise NotFoundError(f"part {part_id!r} not found")
    return row


def list_parts(session: Session, *, page: PageParams, active: bool | None = None,
               q: str | None = None) -> tuple[list[Part], int]:
    stmt = select(Part).order_by(Part.id)
    if active is not None:
        stmt = stmt.where(Part.active == active)
    if q:
        stmt = stmt.where(or_(Part.name.ilike(f"%{q}%"), Part.id.ilike(f"{q}%")))
    return paginate(session, stmt, page)


@checked_again
def create_part(session: Session, *, data: PartCreate) -> Part:
    if session.get(Part, data.id) is not None:
        raise taken("part", data.id)
    row = Part(**data.model_dump())
    session.add(row)
    session.commit()
    return row


def update_part(session: Session, *, part_id: str, data: PartUpdate) -> Part:
    row = get_part(session, part_id=part_id)
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is None and name in _REQUIRED:
            raise field_error(name, "may not be null")
        setattr(row, name, value)
    session.commit()
    return row


# --- stock locations: a technician sees central stores and their own van only ---------------------------

def get_location(session: Session, *, location_id: str, scope: str | None = None) -> StockLocation:
    row = session.get(StockLocation, location_id)
    if row is None or (scope is not None and row.kind == LocationKind.van and row.technician_id != scope):
        raise NotFoundError(f"stock location {location_id!r} not found")
    return row


def list_locations(session: Session, *, page: PageParams, scope: str | None = None,
                   kind: LocationKind | None = None) -> tuple[list[StockLocation], int]:
    stmt = select(StockLocation).where(visible_locations(scope)).order_by(StockLocation.kind, StockLocation.id)
    if kind is not None:
        stmt = stmt.where(StockLocation.kind == kind.value)
    return paginate(session, stmt, page)


@checked_again
def create_central(session: Session, *, data: StockLocationCreate) -> StockLocation:
    if session.get(StockLocation, data.id) is not None:
        raise taken("stock location", data.id)
    row = StockLocation(kind=LocationKind.central.value, **data.model_dump())
    session.add(row)
    session.commit()
    return row


def update_location(session: Session, *, location_id: str, data: StockLocationUpdate) -> StockLocation:
    row = get_location(session, location_id=location_id)
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is None and name == "name":
            raise field_error(name, "may not be null")
        setattr(row, name, value)
    session.commit()
    return row


def ensure_van(session: Session, *, technician_id: str, technician_name: str) -> StockLocation:
    """The technician's van, created if missing; the caller commits (it is part of their transaction)."""
    row = session.scalar(select(StockLocation).where(StockLocation.technician_id == technician_id))
    if row is not None:
        return row
    loc_id = van_location_id(technician_id)
    if session.get(StockLocation, loc_id) is not None:
        raise ConflictError(f"stock location {loc_id!r} already exists and is not this technician's van")
    row = StockLocation(id=loc_id, name=f"Van of {technician_name}", kind=LocationKind.van.value,
                        technician_id=technician_id)
    session.add(row)
    return row
