"""HTTP routes of complaints: handled by a supervisor or a dispatcher, read by staff; thin. Every read checks the
clocks first (api.complaints.service.check_clocks), so an overdue complaint's alert exists when it is seen."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, status

from api.complaints import service
from api.complaints.models import Complaint
from api.complaints.schemas import (
    ComplaintAssign,
    ComplaintCreate,
    ComplaintRead,
    ComplaintResolve,
    ComplaintRespond,
    StatusFilter,
)
from api.customers.schemas import CustomerId
from api.deps import NowDep, SessionDep, SessionRoute, SettingsDep, Staff, Supervising
from api.technicians.schemas import RowId

router = APIRouter(route_class=SessionRoute, prefix="/complaints", tags=["complaints"])

Limit = Annotated[int, Query(ge=1, le=500)]


def _read(row: Complaint, now: dt.datetime) -> ComplaintRead:
    response_overdue, resolution_overdue = service.overdue(row, now=now)
    return ComplaintRead.model_validate({
        **{name: getattr(row, name) for name in ComplaintRead.model_fields
           if name not in ("status", "response_overdue", "resolution_overdue")},
        "status": service.status(row), "response_overdue": response_overdue,
        "resolution_overdue": resolution_overdue})


@router.post("", response_model=ComplaintRead, status_code=status.HTTP_201_CREATED)
def create_complaint(session: SessionDep, settings: SettingsDep, user: Supervising, now: NowDep,
                     body: ComplaintCreate) -> ComplaintRead:
    """Receive a complaint: its first response is due within the response hours (24 by default), its resolution
    within the resolution working days (3 by default, Monday to Friday; received on a weekend, counted from the
    next Monday 00:00)."""
    received_at = now if body.received_at is None else body.received_at  # local time (api.timefields)
    row = service.create(session, data=body, received_at=received_at.replace(microsecond=0), recorded_by=user.id,
                         now=now, response_hours=settings.complaint_response_hours,
                         resolution_working_days=settings.complaint_resolution_working_days)
    return _read(row, now)


@router.get("", response_model=list[ComplaintRead])
def list_complaints(session: SessionDep, _user: Staff, now: NowDep, status: StatusFilter | None = None,
                    customer_id: CustomerId | None = None, limit: Limit = 100) -> list[ComplaintRead]:
    """Complaints newest received first. `status`: open (not answered), responded (answered, not resolved),
    resolved, or overdue (a clock still running has run out)."""
    service.check_clocks(session, now=now)
    rows = service.list_for(session, status=status, customer_id=customer_id, now=now, limit=limit)
    return [_read(r, now) for r in rows]


@router.get("/{complaint_id}", response_model=ComplaintRead)
def get_complaint(session: SessionDep, _user: Staff, now: NowDep, complaint_id: RowId) -> ComplaintRead:
    service.check_clocks(session, now=now)
    return _read(service.get(session, complaint_id=complaint_id), now)


@router.post("/{complaint_id}/assign", response_model=ComplaintRead)
def assign_complaint(session: SessionDep, _user: Supervising, now: NowDep, complaint_id: RowId,
                     body: ComplaintAssign) -> ComplaintRead:
    """Hand the complaint to a dispatcher or a supervisor."""
    return _read(service.assign(session, complaint_id=complaint_id, user_id=body.user_id, now=now), now)


@router.post("/{complaint_id}/respond", response_model=ComplaintRead)
def respond_complaint(session: SessionDep, _user: Supervising, now: NowDep, complaint_id: RowId,
                      body: ComplaintRespond) -> ComplaintRead:
    """The first response to the customer: stops the response clock."""
    return _read(service.respond(session, complaint_id=complaint_id, response=body.response, now=now), now)


@router.post("/{complaint_id}/resolve", response_model=ComplaintRead)
def resolve_complaint(session: SessionDep, _user: Supervising, now: NowDep, complaint_id: RowId,
                      body: ComplaintResolve) -> ComplaintRead:
    """The outcome and the remedy: stops the resolution clock (and the response clock, if no response was
    given). Resolving again with another outcome is a conflict."""
    return _read(service.resolve(session, complaint_id=complaint_id, outcome=body.outcome.value,
                                 resolution=body.resolution, now=now), now)
