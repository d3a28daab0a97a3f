"""A Day as plain JSON-like values and back: what a plan job stores as its input and sends to a worker."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from typing import Any

from dispatch.domain import Day, Order, Priority, Technician


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _fields(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def day_to_dict(day: Day) -> dict[str, Any]:
    techs = []
    for t in day.technicians:
        d = _fields(t) | {"skills": sorted(t.skills), "van_stock": dict(t.van_stock),
                          "skill_levels": dict(t.skill_levels), "work_days": sorted(t.work_days)}
        techs.append(d | {k: _iso(d[k]) for k in ("shift_start", "shift_end", "break_start", "break_end")})
    orders = []
    for o in day.orders:
        d = _fields(o) | {"required_skills": sorted(o.required_skills), "required_parts": dict(o.required_parts),
                         "priority": o.priority.value, "skill_levels": dict(o.skill_levels),
                         "forbidden_technicians": sorted(o.forbidden_technicians),
                         "window_date": None if o.window_date is None else o.window_date.isoformat()}
        orders.append(d | {k: _iso(d[k]) for k in ("created_at", "window_start", "window_end")})
    return {"date": day.date.isoformat(), "technicians": techs, "orders": orders}


def day_from_dict(data: dict[str, Any]) -> Day:
    techs = [Technician(**(t | {"skills": frozenset(t["skills"]), "work_days": frozenset(t.get("work_days") or ())}
                                  | {k: _dt(t[k]) for k in ("shift_start", "shift_end", "break_start", "break_end")}))
             for t in data["technicians"]]
    orders = [Order(**(o | {"required_skills": frozenset(o["required_skills"]),
                                   "forbidden_technicians": frozenset(o.get("forbidden_technicians") or ()),
                                   "priority": Priority(o["priority"]),
                                   "window_date": date.fromisoformat(o["window_date"]) if o.get("window_date") else None}
                              | {k: _dt(o[k]) for k in ("created_at", "window_start", "window_end")}))
              for o in data["orders"]]
    return Day(date=date.fromisoformat(data["date"]), technicians=tuple(techs), orders=tuple(orders))
