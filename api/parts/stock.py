"""Reading the ledger: stock per location and part, low-stock alerts, movements, usage reports, van stock.

Keyword-only functions over a Session, no HTTP. `scope` is the technician a caller is limited to: they see
the central stores and their own van, and movements of their van or in their name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, func, label, or_, select, true
from sqlalchemy.orm import Session

from api.errors import NotFoundError, field_error
from api.paging import PageParams, paginate
from api.parts.models import (
    MovementKind,
    Part,
    StockBalance,
    StockLocation,
    StockMovement,
    visible_locations,
)
from api.parts.schemas import StockRead, UsageBy, UsageReport, UsageRow

# --- stock and thresholds ---------------------------------------------------------------------------------

_THRESHOLD = func.coalesce(StockBalance.low_stock_threshold, Part.low_stock_threshold)


def _stock_query(scope: str | None) -> Select[str, str, int, int]:
    return (select(StockBalance.part_id, StockBalance.location_id, StockBalance.quantity,
                   _THRESHOLD.label("threshold"))
            .join(Part, Part.id == StockBalance.part_id)
            .join(StockLocation, StockLocation.id == StockBalance.location_id)
            .where(visible_locations(scope))
            .order_by(StockBalance.location_id, StockBalance.part_id))


def _stock_read(row: Any) -> StockRead:
    below = row.threshold is not None and row.quantity < row.threshold
    return StockRead(part_id=row.part_id, location_id=row.location_id, quantity=row.quantity,
                     low_stock_threshold=row.threshold, below_threshold=below)


def list_stock(session: Session, *, page: PageParams, scope: str | None = None, location_id: str | None = None,
               part_id: str | None = None) -> tuple[list[StockRead], int]:
    """Balances (part, location, quantity) with their effective threshold; a location never stocked has none."""
    stmt = _stock_query(scope)
    if location_id is not None:
        stmt = stmt.where(StockBalance.location_id == location_id)
    if part_id is not None:
        stmt = stmt.where(StockBalance.part_id == part_id)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(stmt.limit(page.limit).offset(page.offset)).all()
    return [_stock_read(r) for r in rows], total


def alerts(session: Session, *, page: PageParams, scope: str | None = None,
           location_id: str | None = None) -> tuple[list[StockRead], int]:
    """Part and location pairs whose quantity is below the threshold (the location's own, else the part's).

    Only locations that hold or held the part, or have a threshold of their own for it, are considered: a
    part's threshold does not make every van that never carried it an alert.
    """
    stmt = _stock_query(scope).where(_THRESHOLD.is_not(None), StockBalance.quantity < _THRESHOLD)
    if location_id is not None:
        stmt = stmt.where(StockBalance.location_id == location_id)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(stmt.limit(page.limit).offset(page.offset)).all()
    return [_stock_read(r) for r in rows], total


def set_threshold(session: Session, *, location_id: str, part_id: str, threshold: int | None) -> StockRead:
    """Set (or with None clear) the low-stock threshold of a part at one location."""
    if session.get(StockLocation, location_id) is None:
        raise NotFoundError(f"stock location {location_id!r} not found")
    if session.get(Part, part_id) is None:
        raise NotFoundError(f"part {part_id!r} not found")
    row = session.get(StockBalance, (part_id, location_id))
    if row is None:  # quantity 0: the row is the place the threshold lives, and stock may come later
        row = StockBalance(part_id=part_id, location_id=location_id, quantity=0)
        session.add(row)
    row.low_stock_threshold = threshold
    session.commit()
    found = session.execute(_stock_query(None).where(StockBalance.part_id == part_id,
                                                     StockBalance.location_id == location_id)).one()
    return _stock_read(found)


def van_stock(session: Session, *, technician_id: str) -> dict[str, int]:
    """What the technician's van holds now, part id -> quantity (positive only): what the next plan sees."""
    rows = session.execute(
        select(StockBalance.part_id, StockBalance.quantity)
        .join(StockLocation, StockLocation.id == StockBalance.location_id)
        .where(StockLocation.technician_id == technician_id, StockBalance.quantity > 0)
        .order_by(StockBalance.part_id))
    return {row.part_id: row.quantity for row in rows}


# --- movements --------------------------------------------------------------------------------------------

def _visible_movement(scope: str | None) -> ColumnElement[bool]:
    if scope is None:
        return true()
    vans = select(StockLocation.id).where(StockLocation.technician_id == scope).scalar_subquery()
    return or_(StockMovement.technician_id == scope, StockMovement.from_location_id == vans,
               StockMovement.to_location_id == vans)


def get_movement(session: Session, *, movement_id: int, scope: str | None = None) -> StockMovement:
    row = session.scalar(select(StockMovement).where(StockMovement.id == movement_id, _visible_movement(scope)))
    if row is None:
        raise NotFoundError(f"stock movement {movement_id} not found")
    return row


@dataclass(frozen=True)
class MovementFilter:
    part_id: str | None = None
    order_id: str | None = None
    technician_id: str | None = None
    location_id: str | None = None  # either side of the movement
    kind: MovementKind | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive

    def where(self) -> list[ColumnElement[bool]]:
        m = StockMovement
        out: list[ColumnElement[bool]] = []
        # ids match whatever the case: "t001" typed in a filter finds T001's movements
        for column, value in ((m.part_id, self.part_id), (m.order_id, self.order_id),
                              (m.technician_id, self.technician_id)):
            if value is not None:
                out.append(func.lower(column) == value.lower())
        if self.location_id is not None:
            loc = self.location_id.lower()
            out.append(or_(func.lower(m.from_location_id) == loc, func.lower(m.to_location_id) == loc))
        if self.kind is not None:
            out.append(m.kind == self.kind.value)
        if self.since is not None:
            out.append(m.at >= self.since)
        if self.until is not None:
            out.append(m.at < self.until)
        return out


def list_movements(session: Session, *, page: PageParams, scope: str | None = None,
                   filters: MovementFilter = MovementFilter(),
                   newest_first: bool = False) -> tuple[list[StockMovement], int]:
    """The ledger, oldest first (the order it happened in) or newest first, filtered."""
    order = StockMovement.id.desc() if newest_first else StockMovement.id
    stmt = select(StockMovement).where(_visible_movement(scope), *filters.where()).order_by(order)
    return paginate(session, stmt, page)


# --- usage reports ----------------------------------------------------------------------------------------

def _month(session: Session) -> ColumnElement[str]:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(StockMovement.at, "YYYY-MM")
    return func.strftime("%Y-%m", StockMovement.at)


def usage(session: Session, *, by: UsageBy, filters: MovementFilter = MovementFilter()) -> UsageReport:
    """Parts consumed, grouped by order, technician, part or month (YYYY-MM): movements, units and cost.

    Cost is quantity times the catalogue price recorded with each consumption.
    """
    if filters.kind not in (None, MovementKind.consume):
        raise field_error("kind", "usage counts consumptions only", filters.kind)
    m = StockMovement
    keys: dict[UsageBy, SQLColumnExpression[str | None]] = {
        "order": m.order_id, "technician": m.technician_id, "part": m.part_id, "month": _month(session)}
    key = keys[by]
    cost = func.coalesce(func.sum(m.quantity * m.unit_cost), 0)
    # label(), not key.label(): the stubs type an expression's own .label() as Label[Never]
    stmt = (select(label("key", key), func.count().label("movements"), func.sum(m.quantity).label("quantity"),
                   cost.label("cost"))
            .where(m.kind == MovementKind.consume.value, *filters.where())
            .group_by(key).order_by(key))
    rows = [UsageRow(key=str(r.key), movements=r.movements, quantity=int(r.quantity),
                     cost=Decimal(r.cost).quantize(Decimal("0.01")))
            for r in session.execute(stmt)]
    total = UsageRow(key="total", movements=sum(r.movements for r in rows),
                     quantity=sum(r.quantity for r in rows),
                     cost=sum((r.cost for r in rows), Decimal("0.00")))
    return UsageReport(by=by, rows=rows, total=total)

