"""HTTP routes of customers: staff only (a technician sees a customer through their own visits)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.customers import service
from api.customers.schemas import CustomerCreate, CustomerRead, CustomerUpdate
from api.deps import Dispatcher, SessionDep, Staff
from api.paging import Page, PageDep

router = APIRouter(prefix="/customers", tags=["customers"])


@router.get("", response_model=Page[CustomerRead])
def list_customers(
    session: SessionDep, _user: Staff, page: PageDep,
    q: Annotated[str | None, Query(max_length=100, description="name contains or id starts with")] = None,
) -> Page[CustomerRead]:
    rows, total = service.list_page(session, page=page, q=q)
    return Page[CustomerRead](items=[CustomerRead.model_validate(r) for r in rows], total=total,
                              limit=page.limit, offset=page.offset)


@router.post("", response_model=CustomerRead, status_code=status.HTTP_201_CREATED)
def create_customer(session: SessionDep, _user: Dispatcher, body: CustomerCreate) -> CustomerRead:
    return CustomerRead.model_validate(service.create(session, data=body))


@router.get("/{customer_id}", response_model=CustomerRead)
def get_customer(session: SessionDep, _user: Staff, customer_id: str) -> CustomerRead:
    return CustomerRead.model_validate(service.get(session, customer_id=customer_id))


@router.patch("/{customer_id}", response_model=CustomerRead)
def update_customer(session: SessionDep, _user: Dispatcher, customer_id: str,
                    body: CustomerUpdate) -> CustomerRead:
    return CustomerRead.model_validate(service.update(session, customer_id=customer_id, data=body))
