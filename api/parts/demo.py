"""The demo's stock: part names and prices, a depot in Lyon holding spares, and van minimums (low-stock
thresholds) set so that a fresh demo already shows a few alerts for the storekeeper to act on.

Runs after the demo's technicians are imported (their vans and van stock exist), in the caller's session;
deterministic, so every fresh demo shows the same alerts.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.parts import ledger
from api.parts.models import LocationKind, MovementKind, Part, StockBalance, StockLocation
from dispatch.demo_details import PART_NAMES

DEPOT_ID = "DEPOT-LYON"
# part -> (unit cost, units received into the depot, depot threshold, van minimum or None); names: PART_NAMES
CATALOGUE: dict[str, tuple[str, int, int, int | None]] = {
    "FLT-100": ("18.50", 60, 20, 5),
    "BLT-12": ("9.90", 30, 10, 3),
    "CAP-45": ("14.00", 40, 10, 3),
    "BRD-210": ("240.00", 6, 3, None),
    "VLV-300": ("36.00", 30, 10, 3),
    "PMP-75": ("185.00", 3, 4, None),  # below its threshold: a depot alert
    "GSK-8": ("2.40", 100, 30, 5),
    "BRK-16": ("11.00", 40, 10, 4),
    "RLY-20": ("7.80", 30, 10, 3),
    "IGN-50": ("22.00", 25, 8, 3),
    "DRL-40": ("16.50", 20, 6, 3),
    "CMP-900": ("620.00", 4, 2, None),  # only ever from the depot
}


def seed_demo_stock(session: Session, *, user_id: int | None) -> None:
    """Name and price the demo's parts, open the depot with its spares, set van minimums; commits."""
    parts = {p.id: p for p in session.scalars(select(Part))}
    for part_id, (cost, *_rest) in CATALOGUE.items():
        name = PART_NAMES[part_id]
        part = parts.get(part_id)
        if part is None:
            part = parts[part_id] = Part(id=part_id, name=name, unit_cost=Decimal(cost))
            session.add(part)
        part.name, part.unit_cost = name, Decimal(cost)
    if session.get(StockLocation, DEPOT_ID) is None:
        session.add(StockLocation(id=DEPOT_ID, name="Lyon depot", kind=LocationKind.central.value,
                                  address="12 Rue de Gerland, 69007 Lyon", lat=45.7295, lon=4.8330))
    session.flush()
    for part_id, (cost, units, _depot_min, _van_min) in CATALOGUE.items():
        ledger.record(session, kind=MovementKind.receive, part_id=part_id, quantity=units, user_id=user_id,
                      target=DEPOT_ID, reason="demo: opening stock", unit_cost=Decimal(cost))
    session.flush()
    for part_id, (_cost, _units, depot_min, van_min) in CATALOGUE.items():
        depot = session.get(StockBalance, (part_id, DEPOT_ID))
        if depot is not None:
            depot.low_stock_threshold = depot_min
        if van_min is None:
            continue
        # every van carrying the part gets the minimum; the random van stock leaves some below it
        for balance in session.scalars(
                select(StockBalance).join(StockLocation, StockLocation.id == StockBalance.location_id)
                .where(StockLocation.kind == LocationKind.van.value, StockBalance.part_id == part_id)):
            balance.low_stock_threshold = van_min
    session.commit()
