"""The parts catalogue and the places stock is kept (central stores and one van per technician).

Quantities are not columns here: they will be the sum of an append-only ledger of movements per part and
location (issue 3, item 6), which references these two tables.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String
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
