"""HTTP routes of visits and day events: a technician records their own stops and day; staff read them. Thin."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse, Response

from api.auth.models import User
from api.deps import AnyRole, D, SessionDep, SessionRoute, SettingsDep, Staff, T, allow, technician_scope
from api.errors import ForbiddenError
from api.idempotency import IdempotencyKey
from api.live.clock import local_now
from api.parts.schemas import MovementRead
from api.technicians.schemas import RowId
from api.visits import recording, service
from api.visits.events import day_events
from api.visits.schemas import EventCreate, EventRead, PartUse, VisitCreate, VisitRead, VisitUpdate
from dispatch.io.events import events_csv_text

router = APIRouter(route_class=SessionRoute, prefix="/visits", tags=["visits"])
days_router = APIRouter(route_class=SessionRoute, prefix="/days", tags=["visits"])
events_router = APIRouter(route_class=SessionRoute, prefix="/events", tags=["visits"])
Reporter = Annotated[User, allow(D, T)]  # technicians report their day; the dispatcher reports for them


@router.post("", response_model=VisitRead, status_code=status.HTTP_201_CREATED)
def record_visit(session: SessionDep, user: AnyRole, body: VisitCreate) -> VisitRead:
    """Record a visit on one of my stops of the published route (arrival, service, outcome, customer score)."""
    if user.technician_id is None or technician_scope(user) is None:
        raise ForbiddenError("only a technician records visits on their route")
    return VisitRead.model_validate(service.record(session, technician_id=user.technician_id, data=body))


@router.get("", response_model=list[VisitRead])
def list_visits(session: SessionDep, user: AnyRole, date: dt.date | None = None,
                technician_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[VisitRead]:
    """Visits; a technician sees only their own."""
    rows = service.list_for(session, scope=technician_scope(user), day=date, technician_id=technician_id,
                            limit=limit)
    return [VisitRead.model_validate(r) for r in rows]


@router.get("/{visit_id}", response_model=VisitRead)
def get_visit(session: SessionDep, user: AnyRole, visit_id: RowId) -> VisitRead:
    return VisitRead.model_validate(service.get(session, visit_id=visit_id, scope=technician_scope(user)))


@router.patch("/{visit_id}", response_model=VisitRead)
def update_visit(session: SessionDep, user: AnyRole, visit_id: RowId, body: VisitUpdate) -> VisitRead:
    """Change my visit (e.g. mark it done); staff may correct any visit."""
    return VisitRead.model_validate(service.update(session, visit_id=visit_id, scope=technician_scope(user),
                                                   data=body))


@router.post("/{visit_id}/parts", response_model=MovementRead, status_code=status.HTTP_201_CREATED,
             responses={409: {"description": "not enough of the part in the van"}})
def use_part(session: SessionDep, user: AnyRole, visit_id: RowId, body: PartUse,
             key: IdempotencyKey = None) -> JSONResponse:
    """Parts used on my visit, out of my van (the ledger's consumption); a retry with the same
    Idempotency-Key replays the first answer and moves nothing twice."""
    outcome = service.use_part(session, visit_id=visit_id, scope=technician_scope(user), part_id=body.part_id,
                               quantity=body.quantity, user_id=user.id, idempotency_key=key)
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


@events_router.post("", response_model=EventRead, status_code=status.HTTP_201_CREATED,
                    responses={404: {"description": "the order is not on the technician's published route"},
                               409: {"description": "the step is recorded already, or the van lacks a part"}})
def report_event(session: SessionDep, settings: SettingsDep, user: Reporter, body: EventCreate,
                 key: IdempotencyKey = None) -> JSONResponse:
    """One event of my day (departed, arrived, started, done, unresolved with its reason, break, absent) at
    the phone's time; the server's receipt time is kept too. The dispatcher names the technician (absent)
    or records a customer's cancellation. A retry with the same Idempotency-Key answers the first answer
    (header Idempotent-Replayed: true) and records nothing twice."""
    outcome = recording.report(session, data=body, scope=technician_scope(user), user_id=user.id,
                               now=local_now(settings.zone), idempotency_key=key)
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


@days_router.get("/{day}/events", response_model=list[EventRead])
def list_events(session: SessionDep, user: AnyRole, day: dt.date) -> list[EventRead]:
    """The day's stored events in time order, as reported; a technician sees only their own."""
    return [EventRead.model_validate(r) for r in recording.list_day(session, day=day, scope=technician_scope(user))]


@days_router.get("/{day}/events.csv", response_class=Response,
                 responses={200: {"content": {"text/csv": {}}, "description": "the day's events.csv"}})
def export_events(session: SessionDep, _user: Staff, day: dt.date) -> Response:
    """The day's events in the `events.csv` contract, in time order: what the phones reported (departed,
    break, absent), the visits' steps (arrived, started, done, unresolved with its reason) and the
    cancellations: what `dispatch replan --events` reads."""
    text = events_csv_text(day_events(session, day=day))
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="events-{day.isoformat()}.csv"'})
