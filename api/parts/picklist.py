"""The pick list: for the plan of a date, what each technician's stops need against what their van holds.

The plan is the one published for the date, else (said so in `source`) the newest done plan of that date.
Stops already done (a visit with done_at on that date) need nothing more: their parts left the van when
they were used. Cancelled orders need nothing. The shortfall is what the stops lack; what to pick adds what
keeps the van at its minimum (its low-stock threshold of the part) once the stops are done.
The orders the plan left out for want of van stock (rule "van stock") are listed with what they need and
what the stores hold: loading a qualified van and re-planning may bring them in.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.orders.models import Order, OrderStatus
from api.parts.models import LocationKind, Part, StockBalance, StockLocation
from api.parts.schemas import PickLine, PickList, PickNeed, PickSource, PickVan, PickWaiting
from api.plans.horizon import day_slice, published_day
from api.plans.models import JobStatus, PlanJob
from api.plans.route_export import is_lead
from api.technicians.models import Technician
from api.visits.models import Visit
from dispatch.analysis.checker import VAN_STOCK


def _plan_of(session: Session, day: date) -> tuple[PickSource, str | None, dict[str, Any] | None]:
    """Which plan the pick list of `day` is made from, its id and its plan of that date (a multi-day plan's
    routes of that date)."""
    found = published_day(session, day=day)
    if found is not None:
        return "published", found.job.id, found.plan
    latest = session.scalar(select(PlanJob).where(PlanJob.date == day, PlanJob.status == JobStatus.done.value)
                            .order_by(PlanJob.finished_at.desc(), PlanJob.created_at.desc(), PlanJob.id).limit(1))
    if latest is None or latest.plan is None:
        return "none", None, None
    return "latest", latest.id, day_slice(latest.plan, day)


def _stores(session: Session, part_ids: set[str]) -> dict[str, tuple[str, int]]:
    """Part -> (central store holding most of it, how many); ties go to the first store id."""
    rows = session.execute(
        select(StockBalance.part_id, StockBalance.location_id, StockBalance.quantity)
        .join(StockLocation, StockLocation.id == StockBalance.location_id)
        .where(StockLocation.kind == LocationKind.central.value, StockBalance.part_id.in_(part_ids),
               StockBalance.quantity > 0)
        .order_by(StockBalance.part_id, StockBalance.quantity.desc(), StockBalance.location_id))
    best: dict[str, tuple[str, int]] = {}
    for row in rows:
        best.setdefault(row.part_id, (row.location_id, row.quantity))
    return best


def pick_list(session: Session, *, day: date) -> PickList:
    source, plan_id, plan = _plan_of(session, day)
    if plan_id is None or plan is None:
        return PickList(date=day, source="none", plan_id=None, vans=[])
    routes: list[dict[str, Any]] = [r for r in plan["routes"] if r["stops"]]
    left_out = [u for u in plan.get("unassigned", []) if u.get("rule") == VAN_STOCK]
    order_ids = {s["order_id"] for r in routes for s in r["stops"]} | {u["order_id"] for u in left_out}
    orders = {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(order_ids)))}
    done = set(session.scalars(select(Visit.order_id).where(Visit.date == day, Visit.order_id.in_(order_ids),
                                                            Visit.done_at.is_not(None), Visit.lead)))
    tech_ids = {r["technician_id"] for r in routes}
    techs = {t.id: t for t in session.scalars(select(Technician).where(Technician.id.in_(tech_ids)))}
    vans = {v.technician_id: v for v in session.scalars(
        select(StockLocation).where(StockLocation.technician_id.in_(tech_ids)))}
    balances = list(session.scalars(
        select(StockBalance).where(StockBalance.location_id.in_([v.id for v in vans.values()]))))
    held = {(b.location_id, b.part_id): b.quantity for b in balances}
    own_minimum = {(b.location_id, b.part_id): b.low_stock_threshold for b in balances}

    needs: dict[str, dict[str, list[tuple[str, int]]]] = {}
    for route in routes:
        per_part: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for stop in route["stops"]:
            order = orders.get(stop["order_id"])
            if order is None or order.status == OrderStatus.cancelled.value or order.id in done:
                continue
            if not is_lead(stop, route["technician_id"]):
                continue  # a crew's parts are loaded on its lead's van
            for part_id, qty in sorted(order.required_parts.items()):
                per_part[part_id].append((order.id, qty))
        needs[route["technician_id"]] = per_part
    waiting_orders = [orders[u["order_id"]] for u in left_out
                      if u["order_id"] in orders and orders[u["order_id"]].status == OrderStatus.open.value]
    part_ids = {p for per_part in needs.values() for p in per_part} | \
        {p for o in waiting_orders for p in o.required_parts}
    catalogue = {p.id: p for p in session.scalars(select(Part).where(Part.id.in_(part_ids)))}
    names = {p.id: p.name for p in catalogue.values()}
    stores = _stores(session, part_ids)

    out: list[PickVan] = []
    for route in routes:
        tech_id = route["technician_id"]
        van = vans.get(tech_id)
        lines = []
        for part_id, uses in sorted(needs[tech_id].items()):
            needed = sum(q for _, q in uses)
            on_van = held.get((van.id, part_id), 0) if van is not None else 0
            store, in_store = stores.get(part_id, (None, 0))
            # the van's own threshold, else the part's (as the alerts read it)
            minimum = own_minimum.get((van.id, part_id)) if van is not None else None
            if minimum is None and part_id in catalogue:
                minimum = catalogue[part_id].low_stock_threshold
            shortfall = max(0, needed - on_van)
            lines.append(PickLine(part_id=part_id, part_name=names.get(part_id, part_id), needed=needed,
                                  on_van=on_van, shortfall=shortfall, minimum=minimum,
                                  to_pick=max(shortfall, needed + (minimum or 0) - on_van),
                                  store_location_id=store, in_store=in_store, order_ids=[o for o, _ in uses]))
        tech = techs.get(tech_id)
        out.append(PickVan(technician_id=tech_id, technician_name=tech.name if tech is not None else tech_id,
                           van_location_id=van.id if van is not None else None, stops=len(route["stops"]),
                           lines=lines, shortfall=sum(line.shortfall for line in lines),
                           to_pick=sum(line.to_pick for line in lines)))
    out.sort(key=lambda v: (-v.shortfall, -v.to_pick, v.technician_id))  # the vans to load first at the top
    reasons = {u["order_id"]: u["reason"] for u in left_out}
    waiting = [PickWaiting(order_id=o.id, reason=reasons[o.id], parts=[
        PickNeed(part_id=p, part_name=names.get(p, p), quantity=q, store_location_id=stores.get(p, (None, 0))[0],
                 in_store=stores.get(p, (None, 0))[1]) for p, q in sorted(o.required_parts.items())])
        for o in waiting_orders]
    return PickList(date=day, source=source, plan_id=plan_id, vans=out, waiting=waiting)
