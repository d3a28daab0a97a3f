"""Bodies of parts and stock locations: create, update, read."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.parts.models import LocationKind

PartId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^;:,\s]+$")]
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
