"""HTTP routes of technicians: thin, they check roles and hand over to the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import AnyRole, Dispatcher, SessionDep, technician_scope
from api.paging import Page, PageDep
from api.technicians import service
from api.technicians.schemas import TechnicianCreate, TechnicianRead, TechnicianUpdate

router = APIRouter(prefix="/technicians", tags=["technicians"])


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


@router.get("/{technician_id}", response_model=TechnicianRead)
def get_technician(session: SessionDep, user: AnyRole, technician_id: str) -> TechnicianRead:
    row = service.get(session, technician_id=technician_id, scope=technician_scope(user))
    return TechnicianRead.model_validate(row)


@router.patch("/{technician_id}", response_model=TechnicianRead)
def update_technician(session: SessionDep, _user: Dispatcher, technician_id: str,
                      body: TechnicianUpdate) -> TechnicianRead:
    return TechnicianRead.model_validate(service.update(session, technician_id=technician_id, data=body))
