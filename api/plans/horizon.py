"""A plan of several days seen one date at a time: the routes of a date, the Day those routes were planned
from, and the plan published for a date. A one-day plan is its own slice, unchanged.

Plain functions; the reads take a Session, keyword-only, no HTTP.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from api.plans.models import PlanJob, PublishedPlan
from dispatch.domain import Day
from dispatch.io.day_json import day_from_dict, day_to_dict


def plan_dates(plan: dict[str, Any]) -> list[date]:
    """The dates a plan covers, the plan date first (a plan stored before horizons names only its date)."""
    return [date.fromisoformat(d) for d in plan.get("dates") or [plan["date"]]]


def _route_date(plan: dict[str, Any], route: dict[str, Any]) -> date:
    return date.fromisoformat(route.get("date") or plan["date"])


def day_slice(plan: dict[str, Any], day: date) -> dict[str, Any]:
    """The one-day plan of `day` inside `plan`: its routes of that date; the orders left out belong to the
    plan date. Its kpis and objective stay the whole plan's."""
    if len(plan.get("dates") or ()) <= 1:
        return plan
    dates = plan_dates(plan)
    return plan | {"date": day.isoformat(), "dates": [day.isoformat()],
                   "routes": [r for r in plan["routes"] if _route_date(plan, r) == day],
                   "unassigned": plan["unassigned"] if day == dates[0] else []}


def input_slice(day_input: dict[str, Any], plan: dict[str, Any], day: date) -> dict[str, Any]:
    """The Day (as stored with a job) that `day_slice(plan, day)` is a one-day plan of: the technicians who
    work on `day` with their shift moved to it, and the orders served that day (on the plan date, also the
    orders left out). Keys beside the Day's own (the stores) are kept."""
    if len(plan.get("dates") or ()) <= 1:
        return day_input
    dates = plan_dates(plan)
    whole = day_from_dict(day_input)
    served = {s["order_id"]: _route_date(plan, r) for r in plan["routes"] for s in r["stops"]}
    techs = tuple(t.on((day - whole.date).days) for t in whole.technicians if t.works_on(day))
    ids = {t.id for t in techs}
    # an order left out, pinned to someone off the plan date, keeps no pin in that date's Day
    orders = tuple(o if o.pinned_technician in (None, *ids) else replace(o, pinned_technician=None)
                   for o in whole.orders if served.get(o.id, dates[0]) == day)
    return day_input | day_to_dict(Day(date=day, technicians=techs, orders=orders))


class PublishedDay(NamedTuple):
    """The plan published for a date: its row, its job, and the job's plan, Day and policy of that date."""

    published: PublishedPlan
    job: PlanJob
    plan: dict[str, Any] | None
    input: dict[str, Any] | None
    policy: dict[str, Any]  # the job's, of one day: the live day's engine works on one


def published_day(session: Session, *, day: date) -> PublishedDay | None:
    """The plan published for `day` (None: none is), as a one-day plan of that date."""
    published = session.get(PublishedPlan, day)
    job = None if published is None else session.get(PlanJob, published.plan_id)
    if published is None or job is None:
        return None
    policy = job.policy | {"horizon_days": 1}
    if job.plan is None:
        return PublishedDay(published, job, None, job.input, policy)
    return PublishedDay(published, job, day_slice(job.plan, day),
                        None if job.input is None else input_slice(job.input, job.plan, day), policy)
