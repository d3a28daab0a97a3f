"""Technician bodies: create, update (every field optional), read, page."""

from __future__ import annotations

from datetime import time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True, to_lower=True,
                                       pattern=r"^[^;:,\s\"]+$")]
Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]
Weekday = Annotated[int, Field(ge=1, le=7)]
# the region a large day is split by (dispatch.regions); a name as the dispatcher's systems spell it
Territory = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]


class TechnicianCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Id
    name: str = Field(min_length=1, max_length=200)
    skills: list[Tag] = Field(default_factory=list, max_length=50)
    home_lat: Lat
    home_lon: Lon
    home_address: str | None = Field(default=None, max_length=300)
    shift_start: time
    shift_end: time
    break_start: time | None = None
    break_end: time | None = None
    break_minutes: int | None = Field(default=None, ge=0, le=24 * 60)
    max_orders: int | None = Field(default=None, ge=0, le=1000)
    work_days: list[Weekday] = Field(default_factory=lambda: [1, 2, 3, 4, 5], max_length=7)
    active: bool = True
    territory: Territory | None = None


class TechnicianUpdate(BaseModel):
    """Only the fields sent are changed; the id is not among them."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    skills: list[Tag] | None = Field(default=None, max_length=50)
    home_lat: Lat | None = None
    home_lon: Lon | None = None
    home_address: str | None = Field(default=None, max_length=300)
    shift_start: time | None = None
    shift_end: time | None = None
    break_start: time | None = None
    break_end: time | None = None
    break_minutes: int | None = Field(default=None, ge=0, le=24 * 60)
    max_orders: int | None = Field(default=None, ge=0, le=1000)
    work_days: list[Weekday] | None = Field(default=None, max_length=7)
    active: bool | None = None
    territory: Territory | None = None


class TechnicianRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    skills: list[str]
    home_lat: float
    home_lon: float
    home_address: str | None
    shift_start: time
    shift_end: time
    break_start: time | None
    break_end: time | None
    break_minutes: int | None
    max_orders: int | None
    work_days: list[int]
    active: bool
    territory: str | None
    van_location_id: str


class TechnicianImportResult(BaseModel):
    created: int
    technician_ids: list[str]
    parts_created: list[str] = Field(
        description="part numbers the catalogue did not know: created with unit_cost 0, to be priced")
    receipts: int = Field(description="ledger receipts (reason 'import') of the file's van_stock")
    message: str
