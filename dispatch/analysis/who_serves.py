"""The objective parts that depend on who serves an order: skill levels above the need, and a customer's
wanted technician. Kept apart from the other parts so both the KPIs and the what-if tables can use them."""

from __future__ import annotations

from dispatch.domain import Day
from dispatch.plan import Plan
from dispatch.policy import Policy
from solver.rules import OVER_QUALIFICATION, PREFERRED_TECHNICIAN


def who_serves_parts(day: Day, plan: Plan, policy: Policy) -> dict[str, float]:
    """Over-qualification: levels held above those an order needs, summed over its required skills, times
    the policy's cost per level. Preferred technician: orders served by another technician than the one
    their customer asked for, while that one works today, times the policy's cost. A crew's levels are not
    charged, and its preference is met when any member is the one asked for."""
    orders = {o.id: o for o in day.orders}
    techs = {t.id: t for t in day.technicians}
    levels = missed = 0
    crews: dict[str, set[str]] = {}
    for r in plan.routes:
        tech = techs.get(r.technician_id)
        for s in r.stops:
            order = orders.get(s.order_id)
            if tech is None or order is None:
                continue
            if order.technicians_needed > 1:  # a crew: levels not charged, its preference judged once below
                crews.setdefault(order.id, set()).add(tech.id)
                continue
            levels += sum(max(0, tech.level(k) - order.level(k)) for k in order.required_skills)
            wanted = order.preferred_technician
            missed += wanted is not None and wanted in techs and wanted != tech.id
    for order_id, team in crews.items():
        wanted = orders[order_id].preferred_technician
        missed += wanted is not None and wanted in techs and wanted not in team
    return {OVER_QUALIFICATION: policy.over_qualification_cost * levels,
            PREFERRED_TECHNICIAN: policy.preferred_technician_cost * missed}
