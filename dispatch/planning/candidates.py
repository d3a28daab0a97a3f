"""Who could take an order: each technician of a day, whether the order fits them, and why not in a
dispatcher's words.

The checks are the solver's own screening (solver.reasons.screen: required skill, van stock, shift,
appointment window), run on a one-order problem built the way a plan builds it, so a technician offered
for a pin is one the solver would not reject outright; only the wording is made here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from dispatch.domain import Day, Order, Technician
from dispatch.planning.translate import build_problem
from dispatch.policy import Policy
from dispatch.travel import TravelSource
from solver import rules
from solver.reasons import screen
from solver.tables import tables_of

# the screening's rules in the order a dispatcher weighs them
RULES = (rules.REQUIRED_SKILL, rules.VAN_STOCK, rules.SHIFT, rules.APPOINTMENT_WINDOW)


@dataclass(frozen=True)
class Candidate:
    technician_id: str
    name: str
    fits: bool
    reason: str | None = None  # why not, as a phrase after the technician's id ("lacks refrigeration")
    rules: tuple[str, ...] = ()  # the rules broken, by their names in the model


def _hhmm(at: datetime | None) -> str:
    return "--:--" if at is None else at.strftime("%H:%M")


def _why(rule: str, tech: Technician, order: Order) -> str:
    if rule == rules.REQUIRED_SKILL:
        return "lacks " + " and ".join(sorted(order.required_skills - tech.skills))
    if rule == rules.VAN_STOCK:
        short = [(p, q) for p, q in sorted(order.required_parts.items()) if tech.van_stock.get(p, 0) < q]
        return "; ".join(f"van holds {tech.van_stock.get(p, 0)} of {q} × {p}" for p, q in short)
    shift = f"{_hhmm(tech.shift_start)}–{_hhmm(tech.shift_end)}"
    if rule == rules.SHIFT:
        return f"the {order.duration_min} min visit and the drive there and back do not fit in the shift {shift}"
    window = f"{_hhmm(order.window_start)}–{_hhmm(order.window_end)}"
    if order.window_start is not None and order.window_start >= tech.shift_end:
        return f"shift ends at {_hhmm(tech.shift_end)}, before the order's window {window}"
    if order.window_end is not None and order.window_end <= tech.shift_start:
        return f"shift starts at {_hhmm(tech.shift_start)}, after the order's window {window}"
    return f"cannot reach the window {window} and be home by the end of the shift {shift}"


def candidates(day: Day, order: Order, policy: Policy | None = None, *,
               travel: TravelSource | None = None) -> tuple[Candidate, ...]:
    """Each technician of `day` (in its order) with whether `order` fits them, ignoring any pin it has now.

    `day` holds the technicians who work that day; the order need not be one of its orders.
    """
    if not day.technicians:
        return ()
    alone = Day(date=day.date, technicians=day.technicians,
                orders=(dataclasses.replace(order, pinned_technician=None),))
    problem = build_problem(alone, policy, travel).problem
    fits = screen(problem, tables_of(problem)).fits
    out = []
    for k, tech in enumerate(day.technicians):
        broken = tuple(rule for rule in RULES if not bool(fits[rule][0, k]))
        reason = "; ".join(_why(rule, tech, order) for rule in broken) or None
        out.append(Candidate(tech.id, tech.name, not broken, reason, broken))
    return tuple(out)
