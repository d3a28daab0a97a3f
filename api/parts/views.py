"""HTTP routes of the parts catalogue, stock locations and the ledger: thin, roles here, rules in the services."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import JSONResponse

from api.auth.models import Role, User
from api.deps import AnyRole, NowDep, SessionDep, SessionRoute, Staff, Storekeeper, allow, technician_scope
from api.errors import field_error
from api.idempotency import IdempotencyKey, Outcome
from api.paging import Page, PageDep
from api.parts import ledger, picklist, service, stock
from api.parts.models import LocationKind, MovementKind
from api.parts.schemas import (
    AdjustmentCreate,
    ConsumptionCreate,
    MovementRead,
    PartCreate,
    PartRead,
    PartUpdate,
    PickList,
    ReceiptCreate,
    ReturnCreate,
    StockLocationCreate,
    StockLocationRead,
    StockLocationUpdate,
    StockRead,
    ThresholdSet,
    TransferCreate,
    UsageBy,
    UsageReport,
)
from api.technicians.schemas import RowId
from api.timefields import LocalDateTime

# ids in paths: no control characters (PostgreSQL refuses NUL in text; a 422 beats a 500)
PathId = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f]+$")]

parts_router = APIRouter(route_class=SessionRoute, prefix="/parts", tags=["parts"])
locations_router = APIRouter(route_class=SessionRoute, prefix="/stock-locations", tags=["stock locations"])


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
def get_part(session: SessionDep, _user: AnyRole, part_id: PathId) -> PartRead:
    return PartRead.model_validate(service.get_part(session, part_id=part_id))


@parts_router.patch("/{part_id}", response_model=PartRead)
def update_part(session: SessionDep, _user: Storekeeper, part_id: PathId, body: PartUpdate) -> PartRead:
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
def get_location(session: SessionDep, user: AnyRole, location_id: PathId) -> StockLocationRead:
    row = service.get_location(session, location_id=location_id, scope=technician_scope(user))
    return StockLocationRead.model_validate(row)


@locations_router.patch("/{location_id}", response_model=StockLocationRead)
def update_location(session: SessionDep, _user: Storekeeper, location_id: PathId,
                    body: StockLocationUpdate) -> StockLocationRead:
    return StockLocationRead.model_validate(service.update_location(session, location_id=location_id, data=body))


# --- the ledger: stock-moving POSTs (Idempotency-Key aware), stock, alerts, movements, usage -------------

stock_router = APIRouter(route_class=SessionRoute, prefix="/stock", tags=["stock"])
Consumer = Annotated[User, allow(Role.technician, Role.storekeeper)]
IdQuery = Annotated[str | None, Query(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f]+$")]
MOVED: dict[int | str, dict[str, Any]] = {
    201: {"description": "the movement; a replay of an Idempotency-Key answers the same, with the header "
                         "Idempotent-Replayed: true"},
    409: {"description": "insufficient stock (names the location, what it has and what was asked)"}}


def _answer(outcome: Outcome) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


@stock_router.post("/receipts", response_model=MovementRead, status_code=201, responses=MOVED)
def receive(session: SessionDep, now: NowDep, user: Storekeeper, body: ReceiptCreate, key: IdempotencyKey = None) -> Any:
    """Parts from a supplier into a location."""
    return _answer(ledger.receive(session, **body.model_dump(), user_id=user.id, at=now, idempotency_key=key))


@stock_router.post("/transfers", response_model=MovementRead, status_code=201, responses=MOVED)
def transfer(session: SessionDep, now: NowDep, user: Storekeeper, body: TransferCreate, key: IdempotencyKey = None) -> Any:
    """Parts from one location to another (central store to a van, and back)."""
    return _answer(ledger.transfer(session, **body.model_dump(), user_id=user.id, at=now, idempotency_key=key))


@stock_router.post("/returns", response_model=MovementRead, status_code=201, responses=MOVED)
def return_to_store(session: SessionDep, now: NowDep, user: Storekeeper, body: ReturnCreate,
                    key: IdempotencyKey = None) -> Any:
    """Unused or faulty parts from a van back to a central store."""
    return _answer(ledger.return_to_store(session, **body.model_dump(), user_id=user.id, at=now, idempotency_key=key))


@stock_router.post("/adjustments", response_model=MovementRead, status_code=201, responses=MOVED)
def adjust(session: SessionDep, now: NowDep, user: Storekeeper, body: AdjustmentCreate, key: IdempotencyKey = None) -> Any:
    """A count correction at one location, with its reason."""
    return _answer(ledger.adjust(session, **body.model_dump(), user_id=user.id, at=now, idempotency_key=key))


@stock_router.post("/consumptions", response_model=MovementRead, status_code=201, responses=MOVED)
def consume(session: SessionDep, now: NowDep, user: Consumer, body: ConsumptionCreate, key: IdempotencyKey = None) -> Any:
    """Parts used on an order, out of the technician's own van; a technician records only their own."""
    scope = technician_scope(user)
    technician_id = body.technician_id or scope
    if technician_id is None:
        raise field_error("technician_id", "required when a storekeeper records a consumption")
    return _answer(ledger.consume(
        session, part_id=body.part_id, order_id=body.order_id, technician_id=technician_id,
        quantity=body.quantity, location_id=body.location_id, scope=scope, user_id=user.id, at=now,
        idempotency_key=key))


@stock_router.get("", response_model=Page[StockRead])
def list_stock(session: SessionDep, user: AnyRole, page: PageDep, location_id: IdQuery = None,
               part_id: IdQuery = None) -> Page[StockRead]:
    """Quantity per part and location; a technician sees the central stores and their own van."""
    items, total = stock.list_stock(session, page=page, scope=technician_scope(user), location_id=location_id,
                                    part_id=part_id)
    return Page[StockRead](items=items, total=total, limit=page.limit, offset=page.offset)


@stock_router.get("/alerts", response_model=Page[StockRead])
def list_alerts(session: SessionDep, user: AnyRole, page: PageDep, location_id: IdQuery = None) -> Page[StockRead]:
    """Parts below their low-stock threshold, per location."""
    items, total = stock.alerts(session, page=page, scope=technician_scope(user), location_id=location_id)
    return Page[StockRead](items=items, total=total, limit=page.limit, offset=page.offset)


@stock_router.put("/thresholds/{location_id}/{part_id}", response_model=StockRead)
def set_threshold(session: SessionDep, _user: Storekeeper, location_id: PathId, part_id: PathId,
                  body: ThresholdSet) -> StockRead:
    """The low-stock threshold of a part at one location (null falls back to the part's own)."""
    return stock.set_threshold(session, location_id=location_id, part_id=part_id,
                               threshold=body.low_stock_threshold)


@stock_router.get("/movements", response_model=Page[MovementRead])
def list_movements(
    session: SessionDep, user: AnyRole, page: PageDep, part_id: IdQuery = None, order_id: IdQuery = None,
    technician_id: IdQuery = None,
    location_id: Annotated[str | None, Query(max_length=80, pattern=r"^[^\x00-\x1f]+$",
                                                 description="into or out of this location")] = None,
    kind: MovementKind | None = None, since: LocalDateTime | None = None,
    until: Annotated[LocalDateTime | None, Query(description="exclusive")] = None,
    newest_first: Annotated[bool, Query(description="the latest movement first (default: oldest first)")] = False,
) -> Page[MovementRead]:
    """The ledger, oldest first unless asked otherwise; ids match whatever their case; a technician sees
    movements of their van or in their name."""
    filters = stock.MovementFilter(part_id=part_id, order_id=order_id, technician_id=technician_id,
                                   location_id=location_id, kind=kind, since=since, until=until)
    rows, total = stock.list_movements(session, page=page, scope=technician_scope(user), filters=filters,
                                       newest_first=newest_first)
    return Page[MovementRead](items=[MovementRead.model_validate(r) for r in rows], total=total,
                              limit=page.limit, offset=page.offset)


@stock_router.get("/movements/{movement_id}", response_model=MovementRead)
def get_movement(session: SessionDep, user: AnyRole, movement_id: RowId) -> MovementRead:
    row = stock.get_movement(session, movement_id=movement_id, scope=technician_scope(user))
    return MovementRead.model_validate(row)


@stock_router.get("/usage", response_model=UsageReport)
def usage(
    session: SessionDep, _user: Staff, by: UsageBy = "part", part_id: IdQuery = None, order_id: IdQuery = None,
    technician_id: IdQuery = None, since: LocalDateTime | None = None,
    until: Annotated[LocalDateTime | None, Query(description="exclusive")] = None,
) -> UsageReport:
    """Parts consumed per order, technician, part or month: movements, units and cost."""
    filters = stock.MovementFilter(part_id=part_id, order_id=order_id, technician_id=technician_id,
                                   since=since, until=until)
    return stock.usage(session, by=by, filters=filters)


@stock_router.get("/picklist", response_model=PickList)
def pick_list(session: SessionDep, _user: Staff,
              date: Annotated[dt.date, Query(description="the plan's date, e.g. tomorrow")]) -> PickList:
    """For the plan of `date` (the published one, else the newest done one: `source` says which), each
    technician's parts needed by their stops still to do, what their van holds, and the shortfall to pick
    from a central store."""
    return picklist.pick_list(session, day=date)
