"""HTTP routes of the parts catalogue and stock locations: thin, roles checked here, rules in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import AnyRole, SessionDep, Storekeeper, technician_scope
from api.paging import Page, PageDep
from api.parts import service
from api.parts.models import LocationKind
from api.parts.schemas import (
    PartCreate,
    PartRead,
    PartUpdate,
    StockLocationCreate,
    StockLocationRead,
    StockLocationUpdate,
)

parts_router = APIRouter(prefix="/parts", tags=["parts"])
locations_router = APIRouter(prefix="/stock-locations", tags=["stock locations"])


@parts_router.get("", response_model=Page[PartRead])
def list_parts(
    session: SessionDep, _user: AnyRole, page: PageDep, active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="name contains or id starts with")] = None,
) -> Page[PartRead]:
    rows, total = service.list_parts(session, page=page, active=active, q=q)
    return Page[PartRead](items=[PartRead.model_validate(r) for r in rows], total=total,
                          limit=page.limit, offset=page.offset)


@parts_router.post("", response_model=PartRead, status_code=status.HTTP_201_CREATED)
def create_part(session: SessionDep, _user: Storekeeper, body: PartCreate) -> PartRead:
    return PartRead.model_validate(service.create_part(session, data=body))


@parts_router.get("/{part_id}", response_model=PartRead)
def get_part(session: SessionDep, _user: AnyRole, part_id: str) -> PartRead:
    return PartRead.model_validate(service.get_part(session, part_id=part_id))


@parts_router.patch("/{part_id}", response_model=PartRead)
def update_part(session: SessionDep, _user: Storekeeper, part_id: str, body: PartUpdate) -> PartRead:
    return PartRead.model_validate(service.update_part(session, part_id=part_id, data=body))


@locations_router.get("", response_model=Page[StockLocationRead])
def list_locations(session: SessionDep, user: AnyRole, page: PageDep,
                   kind: LocationKind | None = None) -> Page[StockLocationRead]:
    """Central stores and vans; a technician sees the central stores and their own van."""
    rows, total = service.list_locations(session, page=page, scope=technician_scope(user), kind=kind)
    return Page[StockLocationRead](items=[StockLocationRead.model_validate(r) for r in rows], total=total,
                                   limit=page.limit, offset=page.offset)


@locations_router.post("", response_model=StockLocationRead, status_code=status.HTTP_201_CREATED)
def create_location(session: SessionDep, _user: Storekeeper, body: StockLocationCreate) -> StockLocationRead:
    """Add a central store (vans come with their technician)."""
    return StockLocationRead.model_validate(service.create_central(session, data=body))


@locations_router.get("/{location_id}", response_model=StockLocationRead)
def get_location(session: SessionDep, user: AnyRole, location_id: str) -> StockLocationRead:
    row = service.get_location(session, location_id=location_id, scope=technician_scope(user))
    return StockLocationRead.model_validate(row)


@locations_router.patch("/{location_id}", response_model=StockLocationRead)
def update_location(session: SessionDep, _user: Storekeeper, location_id: str,
                    body: StockLocationUpdate) -> StockLocationRead:
    return StockLocationRead.model_validate(service.update_location(session, location_id=location_id, data=body))
