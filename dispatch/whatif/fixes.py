"""A plan's fixes for planners: which one change would serve how many more orders.

Every order left out (and every late stop) of a plan carries up to three one-change fixes (dispatch.plan.Fix,
found by dispatch.planning.fixes). `fixes_frame` lists them one row per fix; `fix_groups` groups the fixes of
the orders left out by the change itself (skill S, part P, overtime of one technician, window moves, swaps, a
later day) and counts each order once per group, whichever technician its fix names; `fix_sentences` says
each group in a line; `apply_change` makes the change in a scenario so that it can be re-planned.

Each fix was verified alone, against the plan's routes as they stand: two orders that each fit with the same
change may not both fit at once. The counts are therefore "up to"; a re-plan of the changed scenario says
how many are served in the end.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd

from dispatch.domain import PRIORITIES, Day, Priority
from dispatch.io.cells import format_parts, format_time, parse_parts
from dispatch.plan import FIX_KINDS, Fix, Plan
from dispatch.whatif.scenario import Scenario
from dispatch.whatif.variations import add_skill

FIX_COLUMNS = ("order_id", "priority", "status", "reason", "rank", "change", "kind", "technician_id", "position",
               "eta", "late_minutes", "cost_delta", "text", "minutes", "window_start", "window_end", "skill",
               "part", "quantity", "store", "swap_order_id", "date")
GROUP_COLUMNS = ("change", "kind", "subject", "technicians", "technician_ids", "orders", *(p.value for p in PRIORITIES),
                 "order_ids", "minutes", "quantity", "cost_delta", "sentence")
# how many technician ids a sentence names before it only counts them
_NAMED = 3


def change_of(fix: Fix) -> str:
    """The change a fix stands for, the same for every order it would serve: `skill boiler`, `part P-310`,
    `overtime T07`, `window moves`, `swaps`, `later day 2026-11-25`."""
    match fix.kind:
        case "skill":
            return f"skill {fix.skill}"
        case "part":
            return f"part {fix.part}"
        case "overtime":
            return f"overtime {fix.technician_id}"
        case "window":
            return "window moves"
        case "swap":
            return "swaps"
        case _:
            return f"later day {fix.date.isoformat() if fix.date else '?'}"


@dataclass(frozen=True)
class _Entry:
    order_id: str
    status: str  # "unassigned" or "late"
    reason: str
    fixes: tuple[Fix, ...]


def _entries(plan: Plan, which: tuple[str, ...] = ("unassigned", "late")) -> Iterator[_Entry]:
    if "unassigned" in which:
        for u in plan.unassigned:
            yield _Entry(u.order_id, "unassigned", u.reason, u.fixes)
    if "late" in which:
        for r in plan.routes:
            for s in r.stops:
                if s.late_minutes > 0:
                    yield _Entry(s.order_id, "late", f"{s.late_minutes:.0f} min late with {r.technician_id}",
                                 s.fixes)


def _priorities(day: Day, plan: Plan) -> dict[str, Priority]:
    if plan.date != day.date:
        raise ValueError(f"the plan is for {plan.date.isoformat()}, the day is {day.date.isoformat()}")
    return {o.id: o.priority for o in day.orders}


def _priority(priorities: dict[str, Priority], order_id: str) -> Priority:
    try:
        return priorities[order_id]
    except KeyError:
        raise ValueError(f"order {order_id!r} of the plan is not an order of the day") from None


def _total(fix: Fix) -> float:
    return float(fix.cost_delta.get("total", float("nan")))


def fixes_frame(day: Day, plan: Plan) -> pd.DataFrame:
    """One row per fix of the plan: the orders left out first, then the late stops; `rank` 1 is the
    cheapest of an order's fixes, `change` the group `fix_groups` counts it in, `cost_delta` its total.
    An order without any fix has no row."""
    priorities = _priorities(day, plan)
    rows: list[dict[str, Any]] = []
    for e in _entries(plan):
        priority = _priority(priorities, e.order_id)
        for rank, f in enumerate(e.fixes, 1):
            rows.append({
                "order_id": e.order_id, "priority": priority.value, "status": e.status, "reason": e.reason,
                "rank": rank, "change": change_of(f), "kind": f.kind, "technician_id": f.technician_id,
                "position": f.position, "eta": f.eta, "late_minutes": f.late_minutes, "cost_delta": _total(f),
                "text": f.text, "minutes": f.minutes, "window_start": f.window_start, "window_end": f.window_end,
                "skill": f.skill, "part": f.part, "quantity": f.quantity, "store": f.store,
                "swap_order_id": f.swap_order_id, "date": f.date,
            })
    return pd.DataFrame(rows, columns=list(FIX_COLUMNS))


def _chosen(plan: Plan, *, late: bool) -> dict[str, dict[str, Fix]]:
    """Per change, per order: the order's cheapest fix of that change (fixes come cheapest first)."""
    groups: dict[str, dict[str, Fix]] = {}
    for e in _entries(plan, ("late",) if late else ("unassigned",)):
        for f in e.fixes:
            groups.setdefault(change_of(f), {}).setdefault(e.order_id, f)
    return groups


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _orders_phrase(n: int, by_priority: dict[str, int], what: str, tail: str = "") -> str:
    """`9 more orders, 4 of them P2`: the most urgent priority among them is the one named; `tail` goes
    before the priorities."""
    top = next(p.value for p in PRIORITIES if by_priority[p.value])
    if n == 1:
        return f"1 {what}{tail} ({top})"
    if by_priority[top] == n:
        return f"{n} {what}s{tail}, all {top}"
    return f"{n} {what}s{tail}, {by_priority[top]} of them {top}"


def _techs_phrase(ids: Sequence[str], many: str) -> str:
    if len(ids) == 1:
        return ids[0]
    named = f" ({', '.join(ids)})" if len(ids) <= _NAMED else ""
    return f"{len(ids)} {many}{named}"


def _sentence(kind: str, subject: str, techs: Sequence[str], n: int, by_priority: dict[str, int], *,
              minutes: int | None, quantity: int | None, late: bool) -> str:
    def gain(what: str = "more order", tail: str = "") -> str:
        if late:
            return f"would put up to {_orders_phrase(n, by_priority, 'late order')} on time"
        return f"would serve up to {_orders_phrase(n, by_priority, what, tail)}"

    match kind:
        case "skill":
            return f"skill {subject} for {_techs_phrase(techs, 'more technicians')} {gain()}"
        case "part":
            vans = f"the van of {techs[0]}" if len(techs) == 1 else _techs_phrase(techs, "vans")
            return f"{quantity} of part {subject} in {vans} {gain()}"
        case "overtime":
            return f"overtime for {subject} (up to {minutes} min) {gain()}"
        case "window":
            return f"moving {_count(n, 'appointment window')} {gain()}"
        case "swap":
            place = " in its place" if n == 1 else " in their place"
            return f"swapping out {_count(n, 'less urgent order')} {gain('order', place)}"
        case _:
            return f"moving to {subject} {gain('order')}"


def fix_groups(day: Day, plan: Plan, *, late: bool = False) -> pd.DataFrame:
    """The fixes of the orders left out (with `late`: of the late stops), grouped by the change: one row per
    change (index `change`), with the technicians it names (each order's cheapest fix of that change counts),
    how many orders it would serve (each once, whichever technician) and how many of each priority, the
    overtime it takes (the most any of its orders needs), the parts it puts in vans (in all), the sum of
    its fixes' `cost_delta` totals and a sentence. Most orders first, then the most urgent."""
    priorities = _priorities(day, plan)
    rows: list[dict[str, Any]] = []
    for change, per_order in _chosen(plan, late=late).items():
        fixes = list(per_order.values())
        kind = fixes[0].kind
        techs = list(dict.fromkeys(f.technician_id for f in fixes))
        by_priority = {p.value: 0 for p in PRIORITIES}
        for order_id in per_order:
            by_priority[_priority(priorities, order_id).value] += 1
        minutes = max((f.minutes or 0 for f in fixes), default=0) if kind == "overtime" else None
        quantity = sum(f.quantity or 0 for f in fixes) if kind == "part" else None
        subject = {"skill": fixes[0].skill, "part": fixes[0].part, "overtime": fixes[0].technician_id,
                   "tomorrow": fixes[0].date.isoformat() if fixes[0].date else ""}.get(kind) or ""
        n = len(per_order)
        rows.append({
            "change": change, "kind": kind, "subject": subject, "technicians": len(techs),
            "technician_ids": ", ".join(techs), "orders": n, **by_priority, "order_ids": ", ".join(per_order),
            "minutes": minutes, "quantity": quantity, "cost_delta": sum(_total(f) for f in fixes),
            "sentence": _sentence(kind, subject, techs, n, by_priority, minutes=minutes, quantity=quantity,
                                  late=late),
        })
    frame = pd.DataFrame(rows, columns=list(GROUP_COLUMNS))
    frame = frame.astype({"minutes": "Int64", "quantity": "Int64", "cost_delta": float})  # empty where no such
    if frame.empty:
        return frame.set_index("change")
    urgency = ["orders", *(p.value for p in PRIORITIES)]
    frame = frame.sort_values([*urgency, "cost_delta", "change"], ascending=[False] * len(urgency) + [True, True])
    return frame.set_index("change")


def fix_sentences(day: Day, plan: Plan, *, late: bool = False) -> list[str]:
    """One line per change, as `fix_groups` orders them: "skill boiler for 2 more technicians (T03, T07)
    would serve up to 9 more orders, 4 of them P2"."""
    return list(fix_groups(day, plan, late=late)["sentence"])


def apply_change(s: Scenario, plan: Plan, change: str) -> Scenario:
    """`s` with one change of `fix_groups` made, for every order its group counts (each order's cheapest fix
    of that change): the skill given to those technicians, the parts put in their vans (added to what they
    carry), the technician's shift ended later by the most minutes any order needs, or each order's window
    moved. Swaps and later days are a dispatcher's choice per order, not a change of the scenario: ValueError.
    The new scenario is named `<s.name> + <change>`."""
    groups = _chosen(plan, late=False)
    if change not in groups:
        raise ValueError(f"apply_change: {change!r} is not a change of the plan's fixes; "
                         f"have {', '.join(groups) or 'none'}")
    per_order = groups[change]
    fixes = list(per_order.values())
    kind = fixes[0].kind
    assert kind in FIX_KINDS
    name = f"{s.name} + {change}"
    if kind == "skill":
        skill = fixes[0].skill or ""
        return add_skill(s, skill, to=list(dict.fromkeys(f.technician_id for f in fixes))).named(name)
    if kind == "part":
        techs = s.technicians.copy()
        for f in fixes:
            row = techs.index[techs["id"] == f.technician_id]
            if not len(row):
                raise ValueError(f"apply_change: technician {f.technician_id!r} is not in scenario {s.name!r}")
            stock = parse_parts(str(techs.at[row[0], "van_stock"]), min_qty=0)
            part = f.part or ""
            stock[part] = stock.get(part, 0) + (f.quantity or 0)
            techs.at[row[0], "van_stock"] = format_parts(stock)
        return s.updated(name=name, technicians=techs)
    if kind == "overtime":
        tech_id = fixes[0].technician_id
        minutes = max(f.minutes or 0 for f in fixes)
        try:
            tech = s.day().technician(tech_id)
        except KeyError:
            raise ValueError(f"apply_change: technician {tech_id!r} is not in scenario {s.name!r}") from None
        techs = s.technicians.copy()
        techs.loc[techs["id"] == tech_id, "shift_end"] = format_time(tech.shift_end + timedelta(minutes=minutes),
                                                                    s.plan_date)
        return s.updated(name=name, technicians=techs)
    if kind == "window":
        orders = s.orders.copy()
        for order_id, f in per_order.items():
            mask = orders["id"] == order_id
            if not mask.any():
                raise ValueError(f"apply_change: order {order_id!r} is not in scenario {s.name!r}")
            orders.loc[mask, "window_start"] = f.window_start or ""
            orders.loc[mask, "window_end"] = f.window_end or ""
        return s.updated(name=name, orders=orders)
    raise ValueError(f"apply_change: {change!r} ({kind}) is a choice per order for a dispatcher, "
                     "not a change of the scenario")
