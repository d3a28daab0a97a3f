"""HTTP routes of customers: staff only, but for a customer's history, which a technician also reads for the
customers of their published routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.customers import history, service
from api.customers.schemas import CustomerCreate, CustomerHistory, CustomerRead, CustomerUpdate
from api.deps import AnyRole, Dispatcher, SessionDep, SessionRoute, Staff, technician_scope
from api.paging import Page, PageDep

router = APIRouter(route_class=SessionRoute, prefix="/customers", tags=["customers"])


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


@router.get("/{customer_id}/history", response_model=CustomerHistory, summary="A customer's history")
def customer_history(session: SessionDep, user: AnyRole, customer_id: str,
                     limit: Annotated[int, Query(ge=1, le=200, description="orders, newest first")] = 20,
                     ) -> CustomerHistory:
    """Orders (newest first) with each visit's outcome, reason and score, complaints, and a summary. A
    technician reads it for a customer with an order on one of their published routes (404 otherwise)."""
    return CustomerHistory.model_validate(history.get(session, customer_id=customer_id,
                                                      scope=technician_scope(user), limit=limit))
