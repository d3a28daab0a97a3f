"""The reason for an order left out, as a sentence a dispatcher can act on, in the rule names of the model."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from dispatch.domain import Order
from solver import rules
from solver.problem import Reason

if TYPE_CHECKING:
    from dispatch.planning.translate import Built


def _hhmm(dt: datetime | None) -> str:
    return "--:--" if dt is None else dt.strftime("%H:%M")


def reason_text(built: Built, order: Order, reason: Reason) -> str:
    """A sentence a dispatcher can act on, in the rule names of the model."""
    techs = built.day.technicians
    several_days = len(built.dates) > 1

    def who(vehicles: tuple[int, ...]) -> list[str]:
        # a technician has one vehicle per working day of a multi-day horizon: name them once
        return list(dict.fromkeys(built.technician(k).id for k in vehicles))

    def names(ix: tuple[int, ...]) -> str:
        ids = who(ix)
        shown = ", ".join(ids[:6])
        return shown + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")

    rule = reason.rule
    if rule == rules.REQUIRED_SKILL:
        if reason.skill is not None and reason.level is not None and reason.level > 1:
            skill = built.skills[reason.skill]
            if reason.vehicle is None:
                return f"needs {skill} level {reason.level}; no technician has skill '{skill}'"
            best = built.technician(reason.vehicle)
            return f"needs {skill} level {reason.level}; the best is {best.id} at level {best.level(skill)}"
        if reason.skill is not None:
            return f"no technician has skill '{built.skills[reason.skill]}'"
        need = "', '".join(sorted(order.required_skills))
        return f"no technician has all of the skills '{need}'"
    if rule == rules.REFUSED_TECHNICIAN:
        n = len(who(reason.vehicles))
        if n == 1:
            return f"the only qualified technician, {names(reason.vehicles)}, is refused by this customer"
        return f"all {n} qualified technicians ({names(reason.vehicles)}) are refused by this customer"
    if rule == rules.VAN_STOCK:
        if reason.part is not None:
            qty = reason.quantity if reason.quantity is not None else order.required_parts.get(built.parts[reason.part], 0)
            return f"no qualified technician carries {qty} x {built.parts[reason.part]}"
        return "no qualified technician carries the required parts"
    if rule == rules.APPOINTMENT_WINDOW and not reason.broken:
        on = "" if order.window_date is None else f" on {order.window_date.isoformat()}"
        if order.window_date is not None and order.window_date not in built.dates:
            return f"appointment{on} is outside the days planned ({', '.join(d.isoformat() for d in built.dates)})"
        return (
            f"appointment window {_hhmm(order.window_start)}-{_hhmm(order.window_end)}{on} cannot be reached "
            f"within any qualified technician's shift"
        )
    if rule == rules.SHIFT and not reason.broken:
        going_on = not several_days and any(built.at(v.shift_start) > t.shift_start
                                            for v, t in zip(built.problem.vehicles, techs, strict=True))
        if going_on:  # a re-plan: technicians go on from where they stand
            return (f"service of {order.duration_min} min and the drive there and home no longer fit in what is "
                    "left of any qualified technician's shift")
        return f"service of {order.duration_min} min is longer than any qualified technician's shift"
    if rule == rules.CREW:
        skills = "', '".join(sorted(order.required_skills))
        hold = f" who hold '{skills}'" if skills else ""
        pin = f", {order.pinned_technician} among them" if order.pinned_technician else ""
        return (f"needs {order.technicians_needed} technicians together{hold}{pin}; no day planned has them "
                f"(free to go: {names(reason.vehicles) or 'nobody'})")
    if rule == rules.PINNED_TECHNICIAN:
        pinned = built.technician(reason.vehicle).id if reason.vehicle is not None else order.pinned_technician
        why = ", ".join(reason.broken) if reason.broken else "it does not fit the route"
        return f"pinned technician {pinned} cannot take it: {why}"
    # Not worth it: the best place breaks no rule but costs more than leaving the order out (a day late).
    if reason.vehicle is not None and not reason.broken and reason.extra_cost is not None \
            and built.cost(reason.extra_cost) >= built.policy.weights.unserved[order.priority]:
        day = f" of {built.date_of(reason.vehicle).isoformat()}" if several_days else ""
        return (f"serving it at its best place, on {built.technician(reason.vehicle).id}'s route{day}, costs more "
                f"than leaving it out: its lateness and the drive outweigh the unserved weight of a {order.priority.value}")
    # Capacity: every qualified technician's day is full.
    n = len(who(reason.vehicles))
    what = "have reached their max orders" if rule == rules.MAX_ORDERS else "are fully booked"
    text = f"all {n} qualified technician{'s' if n != 1 else ''} ({names(reason.vehicles)}) {what}"
    if n == 1:
        text = f"the only qualified technician ({names(reason.vehicles)}) {'has reached max orders' if rule == rules.MAX_ORDERS else 'is fully booked'}"
    if reason.vehicle is not None:
        # the insertion's cost is in solver units, which mean nothing to a dispatcher: only the rules are named
        what = f"break {', '.join(reason.broken)}" if reason.broken else "push out a higher-priority visit"
        day = f" of {built.date_of(reason.vehicle).isoformat()}" if several_days else ""
        text += f"; fitting it in at the best place, on {built.technician(reason.vehicle).id}'s route{day}, would {what}"
    return text
