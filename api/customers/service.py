"""Customers: plain functions over a Session, keyword-only, no HTTP."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.customers.models import Customer
from api.customers.schemas import CustomerCreate, CustomerUpdate
from api.errors import NotFoundError, checked_again, field_error, taken
from api.paging import PageParams, paginate


def _values(data: CustomerCreate | CustomerUpdate, *, unset: bool) -> dict[str, Any]:
    return data.model_dump(mode="json", exclude_unset=unset)


def contracts(session: Session, *, customer_ids: Iterable[str]) -> dict[str, Mapping[str, float]]:
    """Each named customer's contract response hours per priority (customers without a contract left out)."""
    ids = set(customer_ids)
    if not ids:
        return {}
    rows = session.execute(select(Customer.id, Customer.sla_hours).where(Customer.id.in_(ids)))
    return {cid: dict(hours) for cid, hours in rows if hours}


def get(session: Session, *, customer_id: str) -> Customer:
    row = session.get(Customer, customer_id)
    if row is None:
        raise NotFoundError(f"customer {customer_id!r} not found")
    return row


def list_page(session: Session, *, page: PageParams, q: str | None = None) -> tuple[list[Customer], int]:
    stmt = select(Customer).order_by(Customer.id)
    if q:
        stmt = stmt.where(or_(Customer.name.ilike(f"%{q}%"), Customer.id.ilike(f"{q}%")))
    return paginate(session, stmt, page)


@checked_again
def create(session: Session, *, data: CustomerCreate) -> Customer:
    if session.get(Customer, data.id) is not None:
        raise taken("customer", data.id)
    row = Customer(**_values(data, unset=False))
    session.add(row)
    session.commit()
    return row


def update(session: Session, *, customer_id: str, data: CustomerUpdate) -> Customer:
    row = get(session, customer_id=customer_id)
    for name, value in _values(data, unset=True).items():
        if value is None and name == "name":
            raise field_error("name", "may not be null")
        setattr(row, name, value)
    session.commit()
    return row
