"""HTTP routes of technicians: thin, they check roles and hand over to the service."""

from __future__ import annotations

import datetime as dt
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile, status
from fastapi.responses import JSONResponse

from api.deps import AnyRole, Dispatcher, SessionDep, SessionRoute, SettingsDep, technician_scope
from api.errors import PayloadTooLargeError
from api.idempotency import IdempotencyKey
from api.live.clock import local_now
from api.paging import Page, PageDep
from api.parts.schemas import MovementRead
from api.technicians import importer, service
from api.technicians.schemas import (
    ShiftDayRead,
    ShiftDaySet,
    TechnicianCreate,
    TechnicianImportResult,
    TechnicianRead,
    TechnicianUpdate,
    VanTransferCreate,
)

router = APIRouter(route_class=SessionRoute, prefix="/technicians", tags=["technicians"])


@router.get("", response_model=Page[TechnicianRead])
def list_technicians(
    session: SessionDep, user: AnyRole, page: PageDep,
    skill: Annotated[str | None, Query(max_length=64, description="has this skill tag")] = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="name contains or id starts with")] = None,
) -> Page[TechnicianRead]:
    """All technicians for staff; a technician sees only themself."""
    rows, total = service.list_page(session, page=page, scope=technician_scope(user), skill=skill,
                                    active=active, q=q)
    return Page[TechnicianRead](items=[TechnicianRead.model_validate(r) for r in rows], total=total,
                                limit=page.limit, offset=page.offset)


@router.post("", response_model=TechnicianRead, status_code=status.HTTP_201_CREATED)
def create_technician(session: SessionDep, _user: Dispatcher, body: TechnicianCreate) -> TechnicianRead:
    """Add a technician; their van (a stock location) comes with them."""
    return TechnicianRead.model_validate(service.create(session, data=body))


@router.post("/import", response_model=TechnicianImportResult, status_code=status.HTTP_201_CREATED)
def import_technicians(
    session: SessionDep, settings: SettingsDep, user: Dispatcher,
    file: Annotated[UploadFile, File(description="technicians.csv of the CSV contract")],
    plan_date: Annotated[date, Query(description="the date HH:MM shift times fall on")],
) -> TechnicianImportResult:
    """Import technicians.csv: all or nothing; a bad file gets 422 listing every bad cell (row, column, value).

    Each technician gets a van; the file's van_stock becomes ledger receipts into it (reason "import"); part
    numbers the catalogue does not know are created with unit_cost 0 and listed in `parts_created`.
    """
    # a plain def: the route runs in the thread pool, so reading the spooled file and the database may block
    content = file.file.read(settings.max_upload_bytes + 1)
    if len(content) > settings.max_upload_bytes:
        raise PayloadTooLargeError(f"file is larger than {settings.max_upload_bytes} bytes")
    done = importer.import_technicians(session, content=content, filename=file.filename, plan_date=plan_date,
                                       max_rows=settings.import_max_rows, user_id=user.id)
    message = f"{len(done.technician_ids)} technician(s) imported with {done.receipts} van stock receipt(s)"
    if done.parts_created:
        message += (f"; {len(done.parts_created)} part number(s) were new to the catalogue and were created "
                    f"with unit_cost 0: {', '.join(done.parts_created)}")
    return TechnicianImportResult(created=len(done.technician_ids), technician_ids=done.technician_ids,
                                  parts_created=done.parts_created, receipts=done.receipts, message=message)


@router.get("/{technician_id}", response_model=TechnicianRead)
def get_technician(session: SessionDep, user: AnyRole, technician_id: str) -> TechnicianRead:
    row = service.get(session, technician_id=technician_id, scope=technician_scope(user))
    return TechnicianRead.model_validate(row)


@router.patch("/{technician_id}", response_model=TechnicianRead)
def update_technician(session: SessionDep, _user: Dispatcher, technician_id: str,
                      body: TechnicianUpdate) -> TechnicianRead:
    return TechnicianRead.model_validate(service.update(session, technician_id=technician_id, data=body))


@router.get("/days/{date}", response_model=list[ShiftDayRead])
def changed_shifts(session: SessionDep, user: AnyRole, date: dt.date) -> list[ShiftDayRead]:
    """The shifts of `date` that differ from the technicians' weekly patterns (overtime for that day)."""
    return service.changed_shifts(session, day=date, scope=technician_scope(user))


@router.get("/{technician_id}/days/{date}", response_model=ShiftDayRead)
def get_day_shift(session: SessionDep, user: AnyRole, technician_id: str, date: dt.date) -> ShiftDayRead:
    """The technician's shift on `date`, as plans of that date take it: the weekly pattern, or a shift day."""
    return service.day_shift(session, technician_id=technician_id, day=date, scope=technician_scope(user))


@router.put("/{technician_id}/days/{date}", response_model=ShiftDayRead)
def set_day_shift(session: SessionDep, settings: SettingsDep, user: Dispatcher, technician_id: str, date: dt.date,
                  body: ShiftDaySet) -> ShiftDayRead:
    """Change the shift of that date only (e.g. overtime: a later `shift_end`); the next plan or re-plan of the
    date uses it. 422 naming the field for an end before the start or a date the technician does not work."""
    return service.set_day_shift(session, technician_id=technician_id, day=date, data=body, user_id=user.id,
                                 now=local_now(settings.zone))


@router.delete("/{technician_id}/days/{date}", response_model=ShiftDayRead)
def clear_day_shift(session: SessionDep, _user: Dispatcher, technician_id: str, date: dt.date) -> ShiftDayRead:
    """Back to the weekly pattern on `date`."""
    return service.clear_day_shift(session, technician_id=technician_id, day=date)


@router.post("/{technician_id}/van/transfers", response_model=MovementRead, status_code=status.HTTP_201_CREATED,
             responses={409: {"description": "the store holds too few (names it, what it has and what was asked)"}})
def stock_van(session: SessionDep, user: Dispatcher, technician_id: str, body: VanTransferCreate,
              key: IdempotencyKey = None) -> Any:
    """Parts from a central store into the technician's van, e.g. so that a plan can give them an order that
    needs them: a ledger transfer, as a storekeeper's (the Idempotency-Key replays a retried request)."""
    outcome = service.stock_van(session, technician_id=technician_id, data=body, user_id=user.id,
                                idempotency_key=key)
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)
