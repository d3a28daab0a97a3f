"""The parts catalogue, the places stock is kept (central stores and one van per technician), and the ledger.

The ledger is an append-only list of movements, each carrying a positive quantity from one location to
another; an empty side is the world outside (a supplier for a receipt, the customer's equipment for a
consumption, a count correction for an adjustment). So the stock of part P at location L is (what came into
L) - (what left L); `stock_balances` holds that sum, changed in the same transaction as each ledger row, with
a CHECK that it never drops below zero.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    func,
    or_,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, Timestamps


class LocationKind(StrEnum):
    central = "central"
    van = "van"


def van_location_id(technician_id: str) -> str:
    return f"VAN-{technician_id}"


class Part(Timestamps, Base):
    __tablename__ = "parts"
    __table_args__ = (
        CheckConstraint("unit_cost >= 0", name="unit_cost"),
        CheckConstraint("low_stock_threshold IS NULL OR low_stock_threshold >= 0", name="low_stock_threshold"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the part number the CSV contract uses
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(16), default="pcs")
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal(0))
    # below this quantity at a location a low-stock alert is raised (the ledger's job)
    low_stock_threshold: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)


class StockLocation(Timestamps, Base):
    __tablename__ = "stock_locations"
    __table_args__ = (
        CheckConstraint("kind IN ('central', 'van')", name="kind"),
        # a van belongs to exactly one technician, a central store to none
        CheckConstraint("(kind = 'van') = (technician_id IS NOT NULL)", name="van_owner"),
    )

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    technician_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("technicians.id", ondelete="RESTRICT"), unique=True)
    address: Mapped[str | None] = mapped_column(String(300))
    lat: Mapped[float | None]
    lon: Mapped[float | None]


def visible_locations(scope: str | None) -> ColumnElement[bool]:
    """The stock locations a caller limited to technician `scope` sees: central stores and their own van (all
    of them when `scope` is None)."""
    if scope is None:
        return true()
    return or_(StockLocation.kind == LocationKind.central.value, StockLocation.technician_id == scope)


class MovementKind(StrEnum):
    receive = "receive"    # supplier -> a location
    transfer = "transfer"  # a location -> another location (central store -> van, or back)
    consume = "consume"    # a technician's van -> an order (names the order and the technician)
    return_ = "return"     # a van -> a central store (unused or faulty parts brought back)
    adjust = "adjust"      # a count correction into or out of one location, with a mandatory reason


# the shape each kind must have, enforced by the database as well as by the service
_SHAPE = (
    "(kind = 'receive' AND from_location_id IS NULL AND to_location_id IS NOT NULL)"
    " OR (kind IN ('transfer', 'return') AND from_location_id IS NOT NULL AND to_location_id IS NOT NULL"
    " AND from_location_id <> to_location_id)"
    " OR (kind = 'consume' AND from_location_id IS NOT NULL AND to_location_id IS NULL"
    " AND order_id IS NOT NULL AND technician_id IS NOT NULL)"
    " OR (kind = 'adjust' AND reason IS NOT NULL"
    " AND (from_location_id IS NULL) <> (to_location_id IS NULL))"
)


class StockMovement(Base):
    """One ledger row; rows are only ever inserted."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint(_SHAPE, name="shape"),
        Index("ix_stock_movements_part_id_at", "part_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    part_id: Mapped[str] = mapped_column(String(64), ForeignKey("parts.id", ondelete="RESTRICT"))
    quantity: Mapped[int]
    from_location_id: Mapped[str | None] = mapped_column(
        String(80), ForeignKey("stock_locations.id", ondelete="RESTRICT"), index=True)
    to_location_id: Mapped[str | None] = mapped_column(
        String(80), ForeignKey("stock_locations.id", ondelete="RESTRICT"), index=True)
    order_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("orders.id", ondelete="RESTRICT"),
                                                 index=True)
    technician_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("technicians.id", ondelete="RESTRICT"), index=True)
    # the catalogue price when the movement was recorded, so later price changes do not rewrite old costs
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    reason: Mapped[str | None] = mapped_column(String(500))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class StockBalance(Base):
    """The running sum of the ledger per part and location, and an optional threshold for that location."""

    __tablename__ = "stock_balances"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity"),
        CheckConstraint("low_stock_threshold IS NULL OR low_stock_threshold >= 0", name="low_stock_threshold"),
    )

    part_id: Mapped[str] = mapped_column(String(64), ForeignKey("parts.id", ondelete="RESTRICT"),
                                         primary_key=True)
    location_id: Mapped[str] = mapped_column(String(80), ForeignKey("stock_locations.id", ondelete="RESTRICT"),
                                             primary_key=True, index=True)
    quantity: Mapped[int] = mapped_column(default=0)
    # overrides the part's own threshold at this location (a van carries fewer than the central store)
    low_stock_threshold: Mapped[int | None]
