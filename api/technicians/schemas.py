"""Technician bodies: create, update (every field optional), read, page; a day's shift; a part for the van."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from api.parts.schemas import LocationId, PartId
from api.timefields import LocalTime
from dispatch.domain import MAX_LEVEL, MIN_LEVEL

Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
# a numbered row (a visit, movement, alert, complaint, user) in a path or body: within PostgreSQL's INTEGER, so a
# larger number is a 422 naming the field on both databases (SQLite's driver cannot even bind one past 64 bits)
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]
# a skill as technicians.csv and orders.csv write it: a tag, with `:level` when above the plain tag's level 1
Skill = Annotated[str, StringConstraints(min_length=1, max_length=66, strip_whitespace=True, to_lower=True,
                                         pattern=rf"^[^;:,\s\"]{{1,64}}(:[{MIN_LEVEL}-{MAX_LEVEL}])?$")]
SKILLS_DOC = (f"skill tags, e.g. hvac or english; a level {MIN_LEVEL + 1}..{MAX_LEVEL} is written hvac:3 as in the "
              "CSV (a plain tag is level 1). Sending the list replaces the levels too")
LEVELS_DOC = f"skill -> level {MIN_LEVEL + 1}..{MAX_LEVEL}, for the skills held above level 1 (written hvac:3 in {{}})"
WORK_DAYS_DOC = "ISO weekdays the shift pattern applies to, 1 = Monday .. 7 = Sunday"
Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]
Weekday = Annotated[int, Field(ge=1, le=7)]
# the region a large day is split by (dispatch.regions); a name as the dispatcher's systems spell it
Territory = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
# what an hour of the technician's working time costs: the labour cost of the supervisor's report
HourlyCost = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2,
                                      description="cost of an hour of work, e.g. 32.50; null: not priced (0)")]


class TechnicianCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Id
    name: str = Field(min_length=1, max_length=200)
    skills: list[Skill] = Field(default_factory=list, max_length=50, description=SKILLS_DOC)
    home_lat: Lat
    home_lon: Lon
    home_address: str | None = Field(default=None, max_length=300)
    shift_start: LocalTime
    shift_end: LocalTime
    break_start: LocalTime | None = None
    break_end: LocalTime | None = None
    break_minutes: int | None = Field(default=None, ge=0, le=24 * 60)
    max_orders: int | None = Field(default=None, ge=0, le=1000)
    work_days: list[Weekday] = Field(default_factory=lambda: [1, 2, 3, 4, 5], max_length=7,
                                     description=WORK_DAYS_DOC + "; default Monday to Friday")
    active: bool = True
    territory: Territory | None = None
    hourly_cost: HourlyCost | None = None


class TechnicianUpdate(BaseModel):
    """Only the fields sent are changed; the id is not among them."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    skills: list[Skill] | None = Field(default=None, max_length=50, description=SKILLS_DOC)
    home_lat: Lat | None = None
    home_lon: Lon | None = None
    home_address: str | None = Field(default=None, max_length=300)
    shift_start: LocalTime | None = None
    shift_end: LocalTime | None = None
    break_start: LocalTime | None = None
    break_end: LocalTime | None = None
    break_minutes: int | None = Field(default=None, ge=0, le=24 * 60)
    max_orders: int | None = Field(default=None, ge=0, le=1000)
    work_days: list[Weekday] | None = Field(default=None, max_length=7, description=WORK_DAYS_DOC)
    active: bool | None = None
    territory: Territory | None = None
    hourly_cost: HourlyCost | None = None


class TechnicianRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    skills: list[str] = Field(description="skill tags, without levels")
    skill_levels: dict[str, int] = Field(description=LEVELS_DOC.format("skills"))
    home_lat: float
    home_lon: float
    home_address: str | None
    shift_start: LocalTime
    shift_end: LocalTime
    break_start: LocalTime | None
    break_end: LocalTime | None
    break_minutes: int | None
    max_orders: int | None
    work_days: list[int] = Field(description=WORK_DAYS_DOC)
    active: bool
    territory: str | None
    hourly_cost: Decimal | None
    van_location_id: str

    @field_validator("skill_levels", mode="before")
    @classmethod
    def _none_is_no_levels(cls, value: object) -> object:
        return {} if value is None else value  # rows stored before levels were



class TechnicianImportResult(BaseModel):
    created: int
    technician_ids: list[str]
    parts_created: list[str] = Field(
        description="part numbers the catalogue did not know: created with unit_cost 0, to be priced")
    receipts: int = Field(description="ledger receipts (reason 'import') of the file's van_stock")
    message: str


class ShiftDaySet(BaseModel):
    """The shift of one date where it differs from the weekly pattern: a side left out keeps the pattern's."""

    model_config = ConfigDict(extra="forbid")

    shift_start: LocalTime | None = Field(default=None, description="HH:MM; default the weekly pattern's")
    shift_end: LocalTime | None = Field(default=None, description="HH:MM, e.g. later for overtime; default the "
                                                             "weekly pattern's")


class ShiftDayRead(BaseModel):
    """A technician's shift on one date: the one plans of that date use."""

    technician_id: str
    date: date
    works: bool = Field(description="the date is one of the technician's work days and they are active")
    shift_start: LocalTime
    shift_end: LocalTime
    usual_shift_start: LocalTime = Field(description="the weekly pattern's")
    usual_shift_end: LocalTime
    changed: bool = Field(description="the shift of this date differs from the weekly pattern by a shift day")


class VanTransferCreate(BaseModel):
    """Parts from a central store into the technician's van (e.g. so that a plan can give them an order)."""

    model_config = ConfigDict(extra="forbid")

    part_id: PartId
    quantity: int = Field(ge=1, le=10_000)
    from_location_id: LocationId = Field(description="a central store that holds the parts")
    reason: str | None = Field(default=None, min_length=1, max_length=500)
