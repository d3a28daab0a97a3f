"""The Day a plan is made from, as the database holds it: the working technicians with their vans (and their
shift of that date), the open orders (with their customers' contract hours) and, for the live day, the day's
events and what they name; and what the central stores hold, so that a plan's part fixes name a store.

Plain functions over a Session, keyword-only, no HTTP.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.customers import service as customers_service
from api.errors import InvalidInputError, NotFoundError, field_error
from api.orders import service as orders_service
from api.orders.models import Order, OrderStatus
from api.parts.models import LocationKind, MovementKind, StockBalance, StockLocation, StockMovement
from api.plans.models import PlanJob
from api.technicians import service as technicians_service
from api.technicians.models import Technician
from dispatch.domain import Day
from dispatch.domain import Order as DomainOrder
from dispatch.domain import Technician as DomainTechnician
from dispatch.events import Event
from dispatch.planning import candidates
from dispatch.planning.candidates import Candidate
from dispatch.policy import Policy


def _van_stocks(session: Session, technician_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """Technician id -> what the ledger says their van holds now (positive quantities), in one query (as
    stock.van_stock reads it for one): parts consumed on visits are gone for the next plan."""
    out: dict[str, dict[str, int]] = {t: {} for t in technician_ids}
    if not technician_ids:
        return out
    rows = session.execute(
        select(StockLocation.technician_id, StockBalance.part_id, StockBalance.quantity)
        .join(StockLocation, StockLocation.id == StockBalance.location_id)
        .where(StockLocation.technician_id.in_(technician_ids), StockBalance.quantity > 0)
        .order_by(StockLocation.technician_id, StockBalance.part_id))
    for tech, part, quantity in rows:
        assert tech is not None  # IN (...) never matches a NULL
        out[tech][part] = quantity
    return out


def _domain(session: Session, rows: Sequence[Technician], *, day: date) -> list[DomainTechnician]:
    """`rows` on `day`: their shift of that date (a shift day's, else the weekly pattern's) and the van stock
    the ledger gives them now."""
    ids = [t.id for t in rows]
    vans = _van_stocks(session, ids)
    shifts = technicians_service.shift_days(session, day=day, technician_ids=ids)
    return [technicians_service.to_domain(t, day=day, van_stock=vans[t.id], shift_day=shifts.get(t.id))
            for t in rows]


def working_technicians(session: Session, *, day: date) -> list[DomainTechnician]:
    """The active technicians who work on `day`, with their shift of that date and the van stock the ledger
    gives them now."""
    rows = [t for t in session.scalars(select(Technician).where(Technician.active).order_by(Technician.id))
            if day.isoweekday() in t.work_days]
    return _domain(session, rows, day=day)


def store_stock(session: Session, *, part_ids: Collection[str]) -> dict[str, list[tuple[str, int]]]:
    """Part number -> (central store, quantity) of the stores that hold some of it now, the fullest first:
    where a plan's part fix can have the parts brought from."""
    if not part_ids:
        return {}
    rows = session.execute(
        select(StockBalance.part_id, StockBalance.location_id, StockBalance.quantity)
        .join(StockLocation, StockLocation.id == StockBalance.location_id)
        .where(StockLocation.kind == LocationKind.central.value, StockBalance.part_id.in_(sorted(part_ids)),
               StockBalance.quantity > 0)
        .order_by(StockBalance.part_id, StockBalance.quantity.desc(), StockBalance.location_id))
    out: dict[str, list[tuple[str, int]]] = {}
    for part, location, quantity in rows:
        out.setdefault(part, []).append((location, quantity))
    return out


def order_candidates(session: Session, *, order_id: str, day: date, policy: Policy) -> list[Candidate]:
    """Every technician of the service, in id order, with whether they could take `order_id` on `day`:
    the solver's screening (skills, van stock, shift, window) for those who work that day; the others are
    off that day (or no longer active)."""
    order = session.get(Order, order_id)
    if order is None:
        raise NotFoundError(f"order {order_id!r} not found")
    working = working_technicians(session, day=day)
    try:
        screened = {c.technician_id: c for c in candidates.candidates(
            Day(date=day, technicians=tuple(working), orders=()),
            orders_service.to_domain(order, contract=customers_service.contracts(
                session, customer_ids=[order.customer_id]).get(order.customer_id)), policy)}
    except ValueError as e:
        raise InvalidInputError(f"order {order_id!r}: {e}") from None
    out = []
    for t in session.scalars(select(Technician).order_by(Technician.id)):
        why = "off that day" if t.active else "no longer active"
        out.append(screened.get(t.id) or candidates.Candidate(t.id, t.name, False, why))
    return out


def build_day(session: Session, *, day: date, horizon_days: int = 1) -> Day:
    """The Day a plan of `day` is made from: working technicians with their van stock, and open orders.

    Open orders are those not cancelled, not resolved by a visit, created before the day ends, whose
    appointment window (if any) falls on the day; each carries its customer's contract hours for its
    priority. Raises ValueError when a row breaks a domain rule.

    With a horizon of several days the Day is still one Day of `day` (the planner expands it into the
    horizon's dates: `day` and the following days someone works): its technicians are those who work on
    any of those dates (each with their `work_days`, so the planner gives them routes only on their days),
    and its orders are those open by the end of `day` whose window falls on one of the dates; a window's
    date is kept with it (`window_date`), so it holds on that day only. The plan date's shift (a shift day
    where there is one) repeats on every day: the planner takes one shift per technician.
    """
    if horizon_days > 1:
        return _horizon_day(session, day=day, horizon_days=horizon_days)
    techs = working_technicians(session, day=day)
    open_rows = [o for o in _open_orders(session, day=day) if o.window_start is None or o.window_start.date() == day]
    return Day(date=day, technicians=tuple(techs), orders=tuple(_orders(session, open_rows)))


def _open_orders(session: Session, *, day: date) -> list[Order]:
    """Open orders created before `day` ends and not resolved by a visit, in id order."""
    from api.visits.models import Visit

    resolved = select(Visit.order_id).where(Visit.resolved.is_(True))
    end = datetime.combine(day + timedelta(days=1), datetime.min.time())
    return list(session.scalars(
        select(Order).where(Order.status == OrderStatus.open.value, Order.created_at < end,
                            Order.id.not_in(resolved)).order_by(Order.id)))


def _orders(session: Session, rows: Sequence[Order]) -> list[DomainOrder]:
    contract = customers_service.contracts(session, customer_ids={o.customer_id for o in rows})
    return [orders_service.to_domain(o, contract=contract.get(o.customer_id)) for o in rows]


def _window_day(order: Order) -> date | None:
    at = order.window_start or order.window_end
    return order.window_date or (None if at is None else at.date())


def _horizon_day(session: Session, *, day: date, horizon_days: int) -> Day:
    # every active technician with a working weekday, on the plan date; the planner drops each from the
    # days they do not work (an empty work_days is "never" here, but "every day" to the domain)
    rows = [t for t in session.scalars(select(Technician).where(Technician.active).order_by(Technician.id))
            if t.work_days]
    techs = _domain(session, rows, day=day)
    dates = set(Day(date=day, technicians=tuple(techs), orders=()).horizon(horizon_days))
    techs = [t for t in techs if any(t.works_on(d) for d in dates)]
    open_rows = [o for o in _open_orders(session, day=day) if _window_day(o) is None or _window_day(o) in dates]
    orders = [o if o.window_date is not None or (o.window_start is None and o.window_end is None)
              else replace(o, window_date=(o.window_start or o.window_end).date())  # type: ignore[union-attr]
              for o in _orders(session, open_rows)]
    return Day(date=day, technicians=tuple(techs), orders=tuple(orders))


def build_live_day(session: Session, *, day: date, events: Sequence[Event]) -> Day:
    """The Day a live re-plan (or a recommendation) of `day` starts from: `build_day`'s open orders, plus
    the orders the day's events name (done, unresolved, under way or cancelled today: their facts stay in
    the plan), plus the technicians the events name who would not work that day otherwise."""
    base = build_day(session, day=day)
    known = {o.id for o in base.orders}
    touched = sorted({e.order_id for e in events if e.order_id is not None} - known)
    rows = list(session.scalars(select(Order).where(Order.id.in_(touched)))) if touched else []
    contract = customers_service.contracts(session, customer_ids={o.customer_id for o in rows})
    orders = sorted([*base.orders, *(orders_service.to_domain(o, contract=contract.get(o.customer_id))
                                     for o in rows)], key=lambda o: o.id)
    working = {t.id for t in base.technicians}
    named = sorted(({e.technician_id for e in events if e.technician_id is not None}
                    | {o.pinned_technician for o in orders if o.pinned_technician is not None}) - working)
    extra = _domain(session, list(session.scalars(select(Technician).where(Technician.id.in_(named))
                                             .order_by(Technician.id))), day=day) if named else []
    extra = [replace(t, work_days=frozenset()) for t in extra]  # they work today, whatever their week says
    # the engine takes each fixed visit's parts out of the van itself: what the ledger already counts as
    # consumed on those visits goes back in, so it is not taken twice
    used = _consumed_on_visits(session, day=day, visits={(e.technician_id, e.order_id) for e in events
                                                         if e.technician_id is not None and e.order_id is not None})
    techs = sorted([*base.technicians, *extra], key=lambda t: t.id)
    techs = [t if t.id not in used else replace(t, van_stock=_plus(t.van_stock, used[t.id])) for t in techs]
    return Day(date=day, technicians=tuple(techs), orders=tuple(orders))


def _consumed_on_visits(session: Session, *, day: date, visits: set[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """Technician id -> part -> quantity the ledger records as consumed on `visits` (technician, order) of
    `day`: booked that day or since (a visit's parts may be booked after it)."""
    if not visits:
        return {}
    rows = session.execute(
        select(StockMovement.technician_id, StockMovement.order_id, StockMovement.part_id, StockMovement.quantity)
        .where(StockMovement.kind == MovementKind.consume.value,
               StockMovement.technician_id.in_({t for t, _ in visits}),
               StockMovement.order_id.in_({o for _, o in visits}),
               StockMovement.at >= datetime.combine(day, datetime.min.time())))
    out: dict[str, dict[str, int]] = {}
    for tech, order, part, quantity in rows:
        assert tech is not None  # IN (...) never matches a NULL
        if (tech, order) in visits:
            mine = out.setdefault(tech, {})
            mine[part] = mine.get(part, 0) + quantity
    return out


def _plus(stock: Mapping[str, int], more: Mapping[str, int]) -> dict[str, int]:
    return {p: stock.get(p, 0) + more.get(p, 0) for p in sorted({*stock, *more})}


def day_events_of(session: Session, *, day: date) -> list[Event]:
    from api.visits.events import day_events  # the visits package reads the published plans: imported late

    return day_events(session, day=day)


def live_moment(job: PlanJob, *, at: datetime | None, now: datetime, field: str = "at") -> datetime:
    """The moment of the day a live request about `job`'s date works at: `at` when given (a local time on
    that date, else 422), else now when now falls on the date, else the moment the plan was re-planned at,
    else the start of the day (nothing has happened yet)."""
    if at is not None:
        if at.tzinfo is not None:
            raise field_error(field, f"{at.isoformat()} must be a local time without a zone", at.isoformat())
        if at.date() != job.date:
            raise field_error(field, f"{at.isoformat()} is not on the plan's date {job.date}", at.isoformat())
        return at.replace(microsecond=0)
    if now.date() == job.date:
        return now.replace(microsecond=0)
    if job.plan is not None and job.plan.get("at"):
        return datetime.fromisoformat(job.plan["at"])
    return datetime.combine(job.date, datetime.min.time())
