"""Bodies of parts, stock locations and ledger movements: create, update, read; stock and usage reports."""

from __future__ import annotations

from datetime import date as date_
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.parts.models import LocationKind, MovementKind
from api.timefields import LocalDateTime

PartId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^;:,\s\x00-\x1f]+$")]
LocationId = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")]
CENT = Decimal("0.01")
# money is kept to the cent, so 400 and 400.00 are the same price and read back alike
Cost = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2), AfterValidator(lambda d: d.quantize(CENT))]


class PartCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: PartId
    name: str = Field(min_length=1, max_length=200)
    unit: str = Field(default="pcs", min_length=1, max_length=16)
    unit_cost: Cost = Decimal(0)
    low_stock_threshold: int | None = Field(default=None, ge=0, le=1_000_000)
    active: bool = True


class PartUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    unit: str | None = Field(default=None, min_length=1, max_length=16)
    unit_cost: Cost | None = None
    low_stock_threshold: int | None = Field(default=None, ge=0, le=1_000_000)
    active: bool | None = None


class PartRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    unit: str
    unit_cost: Decimal
    low_stock_threshold: int | None
    active: bool


class StockLocationCreate(BaseModel):
    """A central store; vans are created with their technician."""

    model_config = ConfigDict(extra="forbid")

    id: LocationId
    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class StockLocationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class StockLocationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    kind: LocationKind
    technician_id: str | None
    address: str | None
    lat: float | None
    lon: float | None


# --- the ledger: one request body per kind of movement, the movement and stock as read ---------------------

Quantity = Annotated[int, Field(ge=1, le=1_000_000, description="how many units, always positive")]
# no control characters: PostgreSQL refuses NUL in text, and nobody means them
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500,
                                          pattern=r"^[^\x00-\x08\x0b-\x1f]*$")]
OrderId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")]
TechnicianId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")]


class ReceiptCreate(BaseModel):
    """Parts arriving from a supplier into a location (usually a central store)."""

    model_config = ConfigDict(extra="forbid")

    part_id: PartId
    location_id: LocationId
    quantity: Quantity
    reason: Reason | None = Field(default=None, description="a note, e.g. the delivery note number")


class TransferCreate(BaseModel):
    """Parts moved between two locations (central store to a van, or back, or between stores)."""

    model_config = ConfigDict(extra="forbid")

    part_id: PartId
    from_location_id: LocationId
    to_location_id: LocationId
    quantity: Quantity
    reason: Reason | None = None


class ReturnCreate(TransferCreate):
    """Unused or faulty parts brought back from a van to a central store."""


class ConsumptionCreate(BaseModel):
    """Parts used on an order, out of the technician's van."""

    model_config = ConfigDict(extra="forbid")

    part_id: PartId
    order_id: OrderId
    quantity: Quantity
    technician_id: TechnicianId | None = Field(
        default=None, description="who used them; a technician may leave it out (it is always themselves)")
    location_id: LocationId | None = Field(default=None, description="the technician's van if left out")


class AdjustmentCreate(BaseModel):
    """A count correction at one location: positive adds, negative removes; the reason is mandatory."""

    model_config = ConfigDict(extra="forbid")

    part_id: PartId
    location_id: LocationId
    delta: int = Field(ge=-1_000_000, le=1_000_000, description="units to add (positive) or remove (negative)")
    reason: Reason

    @model_validator(mode="after")
    def _not_zero(self) -> AdjustmentCreate:
        if self.delta == 0:
            raise ValueError("delta: an adjustment of 0 moves nothing")
        return self


class MovementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: MovementKind
    part_id: str
    quantity: int
    from_location_id: str | None
    to_location_id: str | None
    order_id: str | None
    technician_id: str | None
    unit_cost: Decimal
    reason: str | None
    recorded_by: int | None
    at: LocalDateTime


class StockRead(BaseModel):
    part_id: str
    location_id: str
    quantity: int
    low_stock_threshold: int | None = Field(description="the location's own threshold, else the part's")
    below_threshold: bool


class ThresholdSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    low_stock_threshold: int | None = Field(
        ge=0, le=1_000_000, description="below this an alert is raised here; null falls back to the part's")


UsageBy = Literal["order", "technician", "part", "month"]


class UsageRow(BaseModel):
    key: str
    movements: int
    quantity: int
    cost: Decimal


class UsageReport(BaseModel):
    by: UsageBy
    rows: list[UsageRow]
    total: UsageRow


# --- the pick list: what a plan's stops need against what each van holds ------------------------------------

PickSource = Literal["published", "latest", "none"]


class PickLine(BaseModel):
    part_id: str
    part_name: str
    needed: int = Field(description="units the technician's stops of the plan require")
    on_van: int = Field(description="units the technician's van holds now")
    shortfall: int = Field(description="needed minus on_van, at least 0: what the stops lack")
    minimum: int | None = Field(description="the van's low-stock threshold of the part, if any")
    to_pick: int = Field(description="the shortfall, or more if that keeps the van at its minimum after the "
                                     "stops: needed + minimum - on_van, at least 0")
    store_location_id: str | None = Field(description="the central store holding most of the part, if any")
    in_store: int = Field(description="units that central store holds")
    order_ids: list[str] = Field(description="the orders needing the part, in route order")


class PickVan(BaseModel):
    technician_id: str
    technician_name: str
    van_location_id: str | None
    stops: int
    lines: list[PickLine]
    shortfall: int = Field(description="units missing over all parts of the van")
    to_pick: int = Field(description="units to pick over all parts of the van (shortfalls and top-ups)")


class PickNeed(BaseModel):
    part_id: str
    part_name: str
    quantity: int
    store_location_id: str | None = Field(description="the central store holding most of the part, if any")
    in_store: int


class PickWaiting(BaseModel):
    """An order the plan left out because no qualified technician's van carries its parts."""

    order_id: str
    reason: str
    parts: list[PickNeed]


class PickList(BaseModel):
    date: date_
    source: PickSource = Field(description="published: the plan published for the date; latest: no plan is "
                                           "published, so the newest done plan of the date; none: no plan")
    plan_id: str | None
    vans: list[PickVan]
    waiting: list[PickWaiting] = Field(
        default_factory=list, description="orders left out for want of van stock: load a qualified "
                                          "technician's van from a store, then re-plan")
