"""HTTP routes of repair orders: thin, roles checked here, rules in the service and the importer."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from api.auth.models import User
from api.deps import (
    AnyRole,
    D,
    Dispatcher,
    NowDep,
    P,
    SessionDep,
    SessionRoute,
    SettingsDep,
    allow,
    technician_scope,
)
from api.errors import PayloadTooLargeError
from api.live.clock import local_now
from api.notify import service as notify_service
from api.notify.schemas import NotificationRead
from api.orders import importer, service
from api.orders.models import OrderStatus
from api.orders.schemas import (
    CandidateRead,
    ImportResult,
    OrderCancel,
    OrderCreate,
    OrderRead,
    OrderUpdate,
    WindowProposal,
)
from api.paging import Page, PageDep
from api.plans import service as plans_service
from api.timefields import LocalDateTime
from dispatch.domain import Priority

router = APIRouter(route_class=SessionRoute, prefix="/orders", tags=["orders"])

IdQuery = Annotated[str | None, Query(max_length=64)]
Planner = Annotated[User, allow(D, P)]  # those who plan: dispatchers and planners


@router.get("", response_model=Page[OrderRead])
def list_orders(
    session: SessionDep, user: AnyRole, page: PageDep,
    status_: Annotated[list[OrderStatus], Query(alias="status", max_length=4)] = [],  # noqa: B006
    priority: Annotated[list[Priority], Query(max_length=4)] = [],  # noqa: B006
    customer_id: IdQuery = None,
    technician_id: Annotated[str | None, Query(max_length=64, description="pinned to this technician")] = None,
    skill: Annotated[str | None, Query(max_length=64, description="needs this skill tag")] = None,
    created_from: LocalDateTime | None = None,
    created_to: LocalDateTime | None = None,
    sort: service.Sort = "priority",
) -> Page[OrderRead]:
    """Orders with filters and paging; a technician sees only their own."""
    rows, total = service.list_page(
        session, page=page, scope=technician_scope(user), status=status_, priority=priority,
        customer_id=customer_id, technician_id=technician_id, skill=skill, created_from=created_from,
        created_to=created_to, sort=sort,
    )
    return Page[OrderRead](items=service.read(session, rows), total=total,
                           limit=page.limit, offset=page.offset)


@router.post("", response_model=OrderRead, status_code=status.HTTP_201_CREATED)
def create_order(session: SessionDep, now: NowDep, _user: Dispatcher, body: OrderCreate) -> OrderRead:
    return service.read(session, [service.create(session, data=body, now=now)])[0]


@router.post("/import", response_model=ImportResult, status_code=status.HTTP_201_CREATED)
def import_orders(
    session: SessionDep, settings: SettingsDep, _user: Dispatcher,
    file: Annotated[UploadFile, File(description="orders.csv of the CSV contract")],
    plan_date: Annotated[date, Query(description="the date HH:MM windows fall on")],
) -> ImportResult:
    """Import orders.csv: all or nothing; a bad file gets 422 listing every bad cell (row, column, value)."""
    # a plain def: the route runs in the thread pool, so reading the spooled file and the database may block
    content = file.file.read(settings.max_upload_bytes + 1)
    if len(content) > settings.max_upload_bytes:
        raise PayloadTooLargeError(f"file is larger than {settings.max_upload_bytes} bytes")
    ids, customers = importer.import_orders(session, content=content, filename=file.filename,
                                             plan_date=plan_date, max_rows=settings.import_max_rows)
    return ImportResult(created=len(ids), order_ids=ids, customers_created=customers)


@router.get("/{order_id}", response_model=OrderRead)
def get_order(session: SessionDep, user: AnyRole, order_id: str) -> OrderRead:
    return service.read(session, [service.get(session, order_id=order_id, scope=technician_scope(user))])[0]


@router.get("/{order_id}/candidates", response_model=list[CandidateRead])
def order_candidates(session: SessionDep, settings: SettingsDep, _user: Planner, order_id: str,
                     day: Annotated[date, Query(alias="date", description="the plan date")]) -> list[CandidateRead]:
    """Every technician, in id order, with whether they could take the order on `date` (skills, van stock,
    shift, appointment window: the solver's own checks) and why not; what a pin may choose from."""
    found = plans_service.order_candidates(session, order_id=order_id, day=day, policy=settings.policy())
    return [CandidateRead(technician_id=c.technician_id, name=c.name, fits=c.fits, reason=c.reason,
                          rules=list(c.rules)) for c in found]


@router.patch("/{order_id}", response_model=OrderRead)
def update_order(session: SessionDep, _user: Dispatcher, order_id: str, body: OrderUpdate) -> OrderRead:
    return service.read(session, [service.update(session, order_id=order_id, data=body)])[0]


@router.post("/{order_id}/cancel", response_model=OrderRead)
def cancel_order(session: SessionDep, now: NowDep, _user: Dispatcher, order_id: str, body: OrderCancel) -> OrderRead:
    row = service.cancel(session, order_id=order_id, reason=body.reason, now=now)
    return service.read(session, [row])[0]


@router.post("/{order_id}/window-proposals", response_model=NotificationRead, status_code=status.HTTP_201_CREATED,
             responses={200: {"description": "the same proposal was made before: that notification"}})
def propose_window(session: SessionDep, settings: SettingsDep, _user: Dispatcher, order_id: str,
                   body: WindowProposal, response: Response) -> NotificationRead:
    """Propose another appointment window to the order's customer: a message in the notifications outbox
    (kind window_proposed). The order's window stays as it is until it is changed once the customer agrees."""
    row, added = notify_service.propose_window(session, order_id=order_id, window_start=body.window_start,
                                               window_end=body.window_end, now=local_now(settings.zone))
    if not added:
        response.status_code = status.HTTP_200_OK
    return NotificationRead.model_validate(row)
