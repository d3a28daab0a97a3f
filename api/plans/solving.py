"""The computation of a plan job: plain values in, the plan JSON out, no database, no settings, no clock.

It runs on the job runner's compute executor (another process, or a dask worker of a cluster that may sit on
another machine), so its arguments are the plain JSON-like data the job stores as its input, and it imports
nothing of the service beyond this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import date, datetime
from typing import Any

from dispatch import domain
from dispatch.domain import Day, Policy
from dispatch.planning import plan_day

# (day, policy) -> plan, all as JSON-like dicts: what a plan job computes
Solve = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _fields(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def day_to_dict(day: Day) -> dict[str, Any]:
    techs = []
    for t in day.technicians:
        d = _fields(t) | {"skills": sorted(t.skills), "van_stock": dict(t.van_stock)}
        techs.append(d | {k: _iso(d[k]) for k in ("shift_start", "shift_end", "break_start", "break_end")})
    orders = []
    for o in day.orders:
        d = _fields(o) | {"required_skills": sorted(o.required_skills), "required_parts": dict(o.required_parts),
                         "priority": o.priority.value}
        orders.append(d | {k: _iso(d[k]) for k in ("created_at", "window_start", "window_end")})
    return {"date": day.date.isoformat(), "technicians": techs, "orders": orders}


def day_from_dict(data: dict[str, Any]) -> Day:
    techs = [domain.Technician(**(t | {"skills": frozenset(t["skills"])}
                                  | {k: _dt(t[k]) for k in ("shift_start", "shift_end", "break_start", "break_end")}))
             for t in data["technicians"]]
    orders = [domain.Order(**(o | {"required_skills": frozenset(o["required_skills"]),
                                   "priority": domain.Priority(o["priority"])}
                              | {k: _dt(o[k]) for k in ("created_at", "window_start", "window_end")}))
              for o in data["orders"]]
    return Day(date=date.fromisoformat(data["date"]), technicians=tuple(techs), orders=tuple(orders))


def solve(day: dict[str, Any], policy: dict[str, Any]) -> dict[str, Any]:
    """The plan of `day` under `policy` (both as dicts), as the plan JSON contract."""
    return plan_day(day_from_dict(day), Policy.from_dict(policy)).to_dict()
