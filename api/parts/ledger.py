"""The spare-part ledger: movements of stock, each a ledger row plus a balance change in one transaction.

Functions here are keyword-only and know nothing of HTTP. The public ones (`receive`, `transfer`,
`return_to_store`, `consume`, `adjust`) run one write transaction each, under an optional Idempotency-Key
(see api.idempotency), and return an `Outcome` whose body is the movement as JSON. `record` adds a movement
to a transaction the caller owns (for a caller that wraps it in `run_once` with a response of its own).

Why stock never goes negative, also under concurrent requests: a decrement is one conditional UPDATE
(`quantity = quantity - q WHERE quantity >= q`); PostgreSQL locks the balance row and re-checks the
condition after a concurrent writer commits; SQLite transactions start with BEGIN IMMEDIATE, so writers take
turns. A rowcount of 0 is a 409, and the CHECK (quantity >= 0) constraint is the last line of defence.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api import idempotency
from api.errors import ConflictError, ForbiddenError, NotFoundError, field_error
from api.idempotency import Outcome, run_once
from api.orders import service as orders
from api.orders.models import OrderStatus
from api.parts.models import LocationKind, MovementKind, Part, StockBalance, StockLocation, StockMovement
from api.parts.schemas import MovementRead

log = logging.getLogger(__name__)


# --- the one place balances change ------------------------------------------------------------------------

def _add(session: Session, *, part_id: str, location_id: str, quantity: int) -> None:
    values = {"part_id": part_id, "location_id": location_id, "quantity": quantity}
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(StockBalance).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["part_id", "location_id"],
                                      set_={"quantity": StockBalance.quantity + stmt.excluded.quantity})
    session.execute(stmt)


def _take(session: Session, *, part_id: str, location_id: str, quantity: int, verb: str = "move") -> None:
    result = session.execute(
        update(StockBalance)
        .where(StockBalance.part_id == part_id, StockBalance.location_id == location_id,
               StockBalance.quantity >= quantity)
        .values(quantity=StockBalance.quantity - quantity)
        .execution_options(synchronize_session=False))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        have = session.scalar(select(StockBalance.quantity).where(
            StockBalance.part_id == part_id, StockBalance.location_id == location_id)) or 0
        part = session.get(Part, part_id)
        what = part_id if part is None or part.name == part_id else f"{part.name} ({part_id})"
        # a sentence the storekeeper can act on, shown as is by the pages
        raise ConflictError(f"Not enough stock: {location_id} holds {have} × {what}; "
                            f"you asked to {verb} {quantity}.",
                            errors=[{"location_id": location_id, "part_id": part_id, "have": have,
                                     "asked": quantity}])


def _move(session: Session, *, part_id: str, source: str | None, target: str | None, quantity: int,
          verb: str = "move") -> None:
    # balance rows are touched in location-id order, so two opposite transfers cannot deadlock on PostgreSQL
    steps = sorted((loc, sign) for loc, sign in ((source, -1), (target, +1)) if loc is not None)
    for location_id, sign in steps:
        if sign < 0:
            _take(session, part_id=part_id, location_id=location_id, quantity=quantity, verb=verb)
        else:
            _add(session, part_id=part_id, location_id=location_id, quantity=quantity)


# --- checks -----------------------------------------------------------------------------------------------

def _part(session: Session, part_id: str, *, must_be_active: bool = False) -> Part:
    row = session.get(Part, part_id)
    if row is None:
        raise field_error("part_id", f"part {part_id!r} does not exist", part_id)
    if must_be_active and not row.active:
        raise field_error("part_id", f"part {part_id!r} is no longer active", part_id)
    return row


def _location(session: Session, field: str, location_id: str, *, kind: LocationKind | None = None) -> StockLocation:
    row = session.get(StockLocation, location_id)
    if row is None:
        raise field_error(field, f"stock location {location_id!r} does not exist", location_id)
    if kind is not None and row.kind != kind.value:
        raise field_error(field, f"stock location {location_id!r} is a {row.kind}, not a {kind.value}", location_id)
    return row


def record(session: Session, *, kind: MovementKind, part_id: str, quantity: int, user_id: int | None,
           source: str | None = None, target: str | None = None, order_id: str | None = None,
           technician_id: str | None = None, reason: str | None = None, at: datetime | None = None,
           unit_cost: Any = None) -> StockMovement:
    """Append one movement and change the balances, inside the caller's (write) transaction; no checks of
    roles or kinds beyond what the database enforces. The caller commits."""
    if quantity <= 0:
        raise field_error("quantity", "must be positive", quantity)
    if unit_cost is None:
        unit_cost = _part(session, part_id).unit_cost
    verb = {MovementKind.consume: "use", MovementKind.adjust: "remove"}.get(kind, "move")
    _move(session, part_id=part_id, source=source, target=target, quantity=quantity, verb=verb)
    row = StockMovement(kind=kind.value, part_id=part_id, quantity=quantity, from_location_id=source,
                        to_location_id=target, order_id=order_id, technician_id=technician_id,
                        unit_cost=unit_cost, reason=reason, recorded_by=user_id,
                        at=at or datetime.now().replace(microsecond=0))
    session.add(row)
    session.flush()
    log.info("stock %s: %s x %s %s -> %s (order %s, technician %s)", kind.value, quantity, part_id,
             source or "outside", target or "outside", order_id, technician_id)
    return row


def _once(session: Session, *, kind: MovementKind, user_id: int, key: str | None, digest: str | None,
          fields: dict[str, Any], work: Any) -> Outcome:
    def body() -> dict[str, Any]:
        return MovementRead.model_validate(work()).model_dump(mode="json")

    return run_once(session, key=key, user_id=user_id, endpoint=f"stock:{kind.value}",
                    digest=digest or idempotency.request_hash(fields), work=body)


# --- the five kinds of movement ---------------------------------------------------------------------------

def receive(session: Session, *, part_id: str, location_id: str, quantity: int, user_id: int,
            reason: str | None = None, at: datetime | None = None, idempotency_key: str | None = None,
            request_hash: str | None = None) -> Outcome:
    """Parts from a supplier into a location."""
    fields = {"part_id": part_id, "location_id": location_id, "quantity": quantity, "reason": reason}

    def work() -> StockMovement:
        part = _part(session, part_id, must_be_active=True)
        _location(session, "location_id", location_id)
        return record(session, kind=MovementKind.receive, part_id=part_id, quantity=quantity, user_id=user_id,
                      target=location_id, reason=reason, at=at, unit_cost=part.unit_cost)

    return _once(session, kind=MovementKind.receive, user_id=user_id, key=idempotency_key, digest=request_hash,
                 fields=fields, work=work)


def _between(session: Session, *, kind: MovementKind, part_id: str, from_location_id: str,
             to_location_id: str, quantity: int, user_id: int, reason: str | None, at: datetime | None,
             idempotency_key: str | None, request_hash: str | None) -> Outcome:
    fields = {"part_id": part_id, "from_location_id": from_location_id, "to_location_id": to_location_id,
              "quantity": quantity, "reason": reason}

    def work() -> StockMovement:
        part = _part(session, part_id)
        if from_location_id == to_location_id:
            raise field_error("to_location_id", "must differ from from_location_id", to_location_id)
        is_return = kind == MovementKind.return_
        _location(session, "from_location_id", from_location_id, kind=LocationKind.van if is_return else None)
        _location(session, "to_location_id", to_location_id, kind=LocationKind.central if is_return else None)
        return record(session, kind=kind, part_id=part_id, quantity=quantity, user_id=user_id,
                      source=from_location_id, target=to_location_id, reason=reason, at=at,
                      unit_cost=part.unit_cost)

    return _once(session, kind=kind, user_id=user_id, key=idempotency_key, digest=request_hash, fields=fields,
                 work=work)


def transfer(session: Session, *, part_id: str, from_location_id: str, to_location_id: str, quantity: int,
             user_id: int, reason: str | None = None, at: datetime | None = None,
             idempotency_key: str | None = None, request_hash: str | None = None) -> Outcome:
    """Parts from one location to another (central store to a van, back, or between stores)."""
    return _between(session, kind=MovementKind.transfer, part_id=part_id, from_location_id=from_location_id,
                    to_location_id=to_location_id, quantity=quantity, user_id=user_id, reason=reason, at=at,
                    idempotency_key=idempotency_key, request_hash=request_hash)


def return_to_store(session: Session, *, part_id: str, from_location_id: str, to_location_id: str,
                    quantity: int, user_id: int, reason: str | None = None, at: datetime | None = None,
                    idempotency_key: str | None = None, request_hash: str | None = None) -> Outcome:
    """Unused or faulty parts from a van back to a central store."""
    return _between(session, kind=MovementKind.return_, part_id=part_id, from_location_id=from_location_id,
                    to_location_id=to_location_id, quantity=quantity, user_id=user_id, reason=reason, at=at,
                    idempotency_key=idempotency_key, request_hash=request_hash)


def adjust(session: Session, *, part_id: str, location_id: str, delta: int, reason: str, user_id: int,
           at: datetime | None = None, idempotency_key: str | None = None,
           request_hash: str | None = None) -> Outcome:
    """A count correction: `delta` units into (positive) or out of (negative) a location, with a reason."""
    fields = {"part_id": part_id, "location_id": location_id, "delta": delta, "reason": reason}

    def work() -> StockMovement:
        if not reason or not reason.strip():
            raise field_error("reason", "an adjustment needs a reason")
        if delta == 0:
            raise field_error("delta", "an adjustment of 0 moves nothing", delta)
        part = _part(session, part_id)
        _location(session, "location_id", location_id)
        source, target = (None, location_id) if delta > 0 else (location_id, None)
        return record(session, kind=MovementKind.adjust, part_id=part_id, quantity=abs(delta), user_id=user_id,
                      source=source, target=target, reason=reason.strip(), at=at, unit_cost=part.unit_cost)

    return _once(session, kind=MovementKind.adjust, user_id=user_id, key=idempotency_key, digest=request_hash,
                 fields=fields, work=work)


def consume(session: Session, *, part_id: str, order_id: str, technician_id: str, quantity: int, user_id: int,
            location_id: str | None = None, scope: str | None = None, at: datetime | None = None,
            idempotency_key: str | None = None, request_hash: str | None = None) -> Outcome:
    """Parts used on `order_id` by `technician_id`, out of that technician's van (`location_id` defaults to it).

    `scope` is the technician a caller is limited to (a technician user: themselves): another technician's
    van or order is "not found" for them. The order must be the technician's (orders.get with their scope:
    pinned to them, or on their published route) and not cancelled.
    """
    if scope is not None and technician_id != scope:
        raise ForbiddenError(f"a technician records only their own part usage, not {technician_id!r}'s")
    fields = {"part_id": part_id, "order_id": order_id, "technician_id": technician_id,
              "location_id": location_id, "quantity": quantity}

    def work() -> StockMovement:
        van = session.scalar(select(StockLocation).where(StockLocation.technician_id == technician_id))
        if van is None:
            raise field_error("technician_id", f"technician {technician_id!r} has no van", technician_id)
        source = location_id or van.id
        if source != van.id:
            if scope is not None:  # do not tell a technician what another technician's van holds
                raise NotFoundError(f"stock location {source!r} not found")
            raise field_error("location_id", f"{source!r} is not the van of technician {technician_id!r}",
                              source)
        order = orders.get(session, order_id=order_id, scope=scope)  # 404 for a technician on another's order
        if scope is None:
            try:
                orders.get(session, order_id=order_id, scope=technician_id)
            except NotFoundError:
                raise field_error("order_id", f"order {order_id!r} is not technician {technician_id!r}'s",
                                  order_id) from None
        if order.status == OrderStatus.cancelled.value:
            raise ConflictError(f"order {order_id!r} is cancelled: no parts can be used on it")
        part = _part(session, part_id)
        return record(session, kind=MovementKind.consume, part_id=part_id, quantity=quantity, user_id=user_id,
                      source=source, order_id=order_id, technician_id=technician_id, at=at,
                      unit_cost=part.unit_cost)

    return _once(session, kind=MovementKind.consume, user_id=user_id, key=idempotency_key, digest=request_hash,
                 fields=fields, work=work)
