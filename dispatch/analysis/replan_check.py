"""The independent check of a re-plan (DESIGN.md, "The live day"): the plan checker's hard rules from each
technician's position, plus what a re-plan promises, recomputed here from the events and the previous plan.

Like the checker, this never imports the code that makes plans (dispatch.live, dispatch.planning, solver/):
the freeze is worked out again from the events known at `at` (those with time <= at).

- frozen: each done or unresolved visit is a stop of that technician with that status, its start the
  `started` time and its end the `done`/`unresolved` time, to the second; a visit in service at `at` is an
  `in_service` stop of that technician from its start to max(start + duration, at); a visit departed for or
  arrived at is an `en_route` / `on_site` stop right after that technician's finished stops (when a
  technician was redirected, the visit with the latest report); no other stop is fixed; a break reported
  is taken from when it was reported; orders done are not planned again.
- crews: a job for several technicians begun by any member (a `started` of it) is begun for the whole crew
  (the members the previous plan names, and whoever reported on it) at the crew's common start, its first
  `started`: each member has a stop of it from that start, finished (`done` / `unresolved`, ending at their
  own report) or `in_service` to max(start + duration, at), unless that member is in service at another
  order; a crew's order is done by its lead's `done` (the first of the previous plan's crew; without one,
  any member's). A crew job nobody has started fixes nothing (departed or arrived): it is planned again.
  The plan checker sees that the crew starts together and that each stop names the crew.
- absent technician: a technician reported absent has no planned stop.
- before at: every planned stop arrives and starts at `at` or later, no sooner than the drive from where the
  technician stands at `at`; a break neither reported nor begun before `at` in the previous plan starts at
  `at` or later.
- coverage: cancelled orders are unassigned with rule "cancelled" (and only they); orders created after `at`
  are not planned.
- changes, churn: the plan's `changes` and `kpis.churn` against this definition. The previous plan's planned
  stops are compared with the new plan's planned stops, order by order (the first planned stop of each; a
  crew job's, the stop of its lead, the first of the stop's crew):
    planned on A before, planned on B != A now       -> "reassigned" (A, B, shift)
    planned on A both times, |shift| > 15 minutes    -> "shifted" (A, A, shift)
    planned now, not planned before                   -> "added" (None, B, None)
    planned before, unassigned now, cancelled         -> "cancelled" (A, None, None)
    planned before, unassigned now, not cancelled     -> "dropped" (A, None, None)
    unassigned before, cancelled by the events        -> "cancelled" (None, None, None)
  where shift = new start - previous start in minutes, signed. A visit begun since the previous plan (the
  order has more fixed visits in the events than fixed stops in the previous plan) used up its previous
  planned stop: no change for it, and a planned stop of that order now (a revisit) is compared with nothing.
  An order already unassigned as cancelled in the previous plan has not changed. Churn: `reassigned` counts
  the "reassigned", `shifted_over_15_min` the orders planned in both with |shift| > 15 minutes whoever
  serves them, `max_eta_shift_minutes` the largest |shift| over them (0 when none), `technicians_affected`
  the distinct technicians named as from or to in the changes. Shifts compare to 0.1 minute.
- objective: "reassignment" = reassign_cost x reassigned, "eta shift" = shift_cost_per_minute x the sum of
  max(0, shift - 15) over reassigned and shifted orders, with the plan's policy; max moves: with the policy's
  `max_moves`, the reassigned visits whose previous technician is not absent are at most that many.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from dispatch.analysis.checker import (
    CANCELLED,
    COVERAGE,
    ETA_SHIFT,
    FROZEN,
    OBJECTIVE,
    OBJECTIVE_ABS_TOL,
    OBJECTIVE_REL_TOL,
    PLAN_FORMAT,
    REASSIGNMENT,
    TIME_TOL,
    CheckReport,
    Violation,
    _Checker,
    _hm,
    _opt_float,
    _Route,
)
from dispatch.domain import Day
from dispatch.events import Event, EventKind
from dispatch.plan import PLANNED, SHIFT_TOLERANCE_MINUTES, Plan

BEFORE_AT = "before at"
ABSENT = "absent technician"
CHANGES = "changes"
CHURN = "churn"
MAX_MOVES = "max moves"
SHIFT_TOL_MIN = 0.1 + 1e-9  # changes report shifts to a tenth of a minute


@dataclass(frozen=True)
class _Visit:
    """A visit the events fix at `at`, as this module works it out."""

    order_id: str
    technician_id: str
    status: str
    start: datetime | None = None  # begun visits
    end: datetime | None = None
    departed: datetime | None = None
    arrived: datetime | None = None


@dataclass(frozen=True)
class _Freeze:
    finished: dict[str, list[_Visit]]  # technician -> done / unresolved / in service, in time order
    under_way: dict[str, _Visit]  # technician -> en route or on site
    done: dict[str, _Visit]
    cancelled: set[str]
    absent: dict[str, datetime]
    breaks: dict[str, datetime]

    def fixed_count(self) -> dict[str, int]:
        count: dict[str, int] = {}
        for v in [*(v for vs in self.finished.values() for v in vs), *self.under_way.values()]:
            count[v.order_id] = count.get(v.order_id, 0) + 1
        return count


def _freeze(day: Day, events: Iterable[Event], at: datetime, crews: Mapping[str, list[str]]) -> _Freeze:
    duration = {o.id: timedelta(minutes=o.duration_min) for o in day.orders}
    needed = {o.id: o.technicians_needed for o in day.orders}
    steps: dict[tuple[str, str], dict[EventKind, datetime]] = {}
    finished: dict[str, list[_Visit]] = {t.id: [] for t in day.technicians}
    done: dict[str, _Visit] = {}
    cancelled: set[str] = set()
    absent: dict[str, datetime] = {}
    breaks: dict[str, datetime] = {}
    for e in sorted((e for e in events if e.time <= at), key=lambda e: (e.time, e.row or 0)):
        tech, order = str(e.technician_id), str(e.order_id)
        if e.kind is EventKind.CANCELLED:
            cancelled.add(order)
        elif e.kind is EventKind.ABSENT:
            absent.setdefault(tech, e.time)
        elif e.kind is EventKind.BREAK:
            breaks.setdefault(tech, e.time)
        elif e.kind in (EventKind.DONE, EventKind.UNRESOLVED):
            seen = steps.pop((tech, order), {})
            visit = _Visit(order, tech, e.kind.value, seen.get(EventKind.STARTED), e.time)
            finished.setdefault(tech, []).append(visit)
            if e.kind is EventKind.DONE and (needed.get(order, 1) == 1 or (crews.get(order) or [tech])[0] == tech):
                done[order] = visit
        else:
            steps.setdefault((tech, order), {})[e.kind] = e.time
    # a crew job begun by one member is begun by all, at its first start
    common: dict[str, datetime] = {}
    begun = [(o, seen[EventKind.STARTED]) for (_, o), seen in steps.items() if EventKind.STARTED in seen]
    begun += [(v.order_id, v.start) for vs in finished.values() for v in vs if v.start is not None]
    for order, start in begun:
        if needed.get(order, 1) > 1:
            common[order] = min(common.get(order, start), start)
    for order, start in common.items():
        members = dict.fromkeys([*crews.get(order, []), *(t for t, o in steps if o == order),
                                 *(t for t, vs in finished.items() for v in vs if v.order_id == order)])
        for tech in members:
            if tech not in finished:
                continue
            vs = finished[tech]
            if any(v.order_id == order for v in vs):
                finished[tech] = [replace(v, start=start) if v.order_id == order else v for v in vs]
                continue
            elsewhere = any(EventKind.STARTED in seen for (t, o), seen in steps.items() if t == tech and o != order)
            if (tech, order) in steps or not elsewhere:
                steps.setdefault((tech, order), {})[EventKind.STARTED] = start
    under_way: dict[str, _Visit] = {}
    # a redirected technician has two visits under way: the one reported last holds
    for (tech, order), seen in sorted(steps.items(), key=lambda item: max(item[1].values())):
        if EventKind.STARTED not in seen and needed.get(order, 1) > 1:
            continue  # a crew job nobody has begun fixes nothing
        if EventKind.STARTED in seen:
            start = seen[EventKind.STARTED]
            under_way[tech] = _Visit(order, tech, "in_service", start, max(start + duration[order], at))
        else:
            status = "on_site" if EventKind.ARRIVED in seen else "en_route"
            under_way[tech] = _Visit(order, tech, status, departed=seen.get(EventKind.DEPARTED),
                                     arrived=seen.get(EventKind.ARRIVED))
    for tech, visit in list(under_way.items()):
        if visit.status == "in_service":  # begun: it is finished business, not the next stop
            finished.setdefault(tech, []).append(under_way.pop(tech))
    return _Freeze(finished, under_way, done, cancelled, absent, breaks)


class _ReplanChecker:
    def __init__(self, day: Day, data: Mapping[str, Any], events: Iterable[Event], at: datetime,
                 previous: Mapping[str, Any]) -> None:
        self.day = day
        self.at = at
        self.base = _Checker(day, data)
        self.report: CheckReport = self.base.run()
        self.data = data
        self.orders = {o.id: o for o in day.orders}
        self.previous = _Checker(day, previous)
        self.prev_routes = self.previous.read_routes()
        crews: dict[str, list[str]] = {}
        for r in self.prev_routes:
            for s in r.stops:
                if s.crew:
                    crews.setdefault(s.order_id, list(s.crew))
        self.freeze = _freeze(day, events, at, crews)
        self.prev_unassigned = {str(u.get("order_id", "")): str(u.get("rule") or "")
                                for u in self.previous.entries(previous.get("unassigned"), "unassigned")[0]}

    def flag(self, rule: str, message: str, tech: str | None = None, order: str | None = None) -> None:
        self.report.violations.append(Violation(rule, tech, order, message))

    def run(self) -> CheckReport:
        routes = {r.technician_id: r for r in self.base.routes}
        if self.base.at is not None and self.base.at != self.at:
            self.flag(BEFORE_AT, f"plan was made at {self.base.at:%Y-%m-%d %H:%M}, checked at {self.at:%Y-%m-%d %H:%M}")
        self.check_frozen(routes)
        self.check_before_at(routes)
        self.check_orders()
        self.check_changes()
        return self.report

    # --- the freeze ---

    def check_frozen(self, routes: dict[str, _Route]) -> None:
        f = self.freeze
        where = {s.order_id: r.technician_id for r in self.base.routes for s in r.stops}
        for tech in self.base.techs:
            route = routes.get(tech)
            stops = route.stops if route else []
            expected = [*f.finished.get(tech, []), *([f.under_way[tech]] if tech in f.under_way else [])]
            fixed = [s for s in stops if s.fixed]
            for k, v in enumerate(expected):
                s = next((s for s in fixed if s.order_id == v.order_id and s.status == v.status), None)
                what = f"{v.status.replace('_', ' ')} visit"
                if s is None:
                    elsewhere = f"; the order is on {where[v.order_id]}'s route" if v.order_id in where \
                        and where[v.order_id] != tech else ""
                    self.flag(FROZEN, f"the events show this {what}; the route has no {v.status} stop for it{elsewhere}",
                              tech, v.order_id)
                    continue
                if v.start is not None and s.start != v.start:
                    self.flag(FROZEN, f"{what} started {_hm(v.start)}, the plan says {_hm(s.start)}", tech, v.order_id)
                if v.end is not None and s.end != v.end:
                    self.flag(FROZEN, f"{what} ends {_hm(v.end)}, the plan says {_hm(s.end)}", tech, v.order_id)
                if v.arrived is not None and s.arrival != v.arrived:
                    self.flag(FROZEN, f"{what}: arrived {_hm(v.arrived)}, the plan says {_hm(s.arrival)}", tech,
                              v.order_id)
                if v.departed is not None and s.arrival < v.departed:
                    self.flag(FROZEN, f"{what}: arrives {_hm(s.arrival)}, before it departed {_hm(v.departed)}",
                              tech, v.order_id)
                if k < len(fixed) and fixed[k] is not s:
                    self.flag(FROZEN, f"{what} is fixed stop {fixed.index(s) + 1} of the route; the events make it "
                              f"stop {k + 1}", tech, v.order_id)
            for s in fixed:
                if not any(s.order_id == v.order_id and s.status == v.status for v in expected):
                    self.flag(FROZEN, f"stop is {s.status} but the events show no such visit of {tech} by "
                              f"{_hm(self.at)}", tech, s.order_id)
            reported = f.breaks.get(tech)
            if reported is not None:
                if route is None or route.break_ is None:
                    self.flag(FROZEN, f"the break begun {_hm(reported)} is not on the route", tech)
                elif route.break_[0] != reported:
                    self.flag(FROZEN, f"the break began {_hm(reported)}, the plan says {_hm(route.break_[0])}", tech)
            if tech in f.absent:
                for s in stops:
                    if not s.fixed:
                        self.flag(ABSENT, f"technician is absent since {_hm(f.absent[tech])} but is given this "
                                  "planned stop", tech, s.order_id)
        for r in self.base.routes:
            for s in r.stops:
                if not s.fixed and s.order_id in f.done:
                    v = f.done[s.order_id]
                    self.flag(FROZEN, f"order was done by {v.technician_id} at {_hm(v.end or self.at)} and is "
                              "planned again", r.technician_id, s.order_id)

    # --- nothing new before at ---

    def check_before_at(self, routes: dict[str, _Route]) -> None:
        at = self.at
        prev_breaks = {r.technician_id: r.break_ for r in self.prev_routes if r.break_ is not None}
        for tech, r in routes.items():
            if tech not in self.base.techs:
                continue
            t = self.base.techs[tech]
            planned = [s for s in r.stops if not s.fixed]
            for s in planned:
                if s.arrival < at or s.start < at:
                    self.flag(BEFORE_AT, f"planned stop arrives {_hm(s.arrival)} and starts {_hm(s.start)}, "
                              f"before at {_hm(at)}", tech, s.order_id)
            fixed = [s for s in r.stops if s.fixed]
            if planned and planned[0].order_id in self.orders and all(s.order_id in self.orders for s in fixed):
                first = self.orders[planned[0].order_id]
                if fixed:
                    last = self.orders[fixed[-1].order_id]
                    place, free, src = (last.lat, last.lon), max(fixed[-1].end, at), last.id
                else:
                    place, free, src = (t.home_lat, t.home_lon), max(t.shift_start, at), "home"
                drive = self.base.leg(place, (first.lat, first.lon))[1]
                if planned[0].arrival < free + timedelta(minutes=drive) - TIME_TOL:
                    self.flag(BEFORE_AT, f"arrives {_hm(planned[0].arrival)}, but leaving {src} no earlier than "
                              f"{_hm(free)} the drive takes {drive:.1f} min", tech, first.id)
            b = r.break_
            begun = tech in self.freeze.breaks or (tech in prev_breaks and prev_breaks[tech][0] <= at)
            if b is not None and not begun and b[0] < at:
                self.flag(BEFORE_AT, f"break starts {_hm(b[0])}, before at {_hm(at)}, and was neither reported "
                          "nor begun in the previous plan", tech)

    # --- orders ---

    def check_orders(self) -> None:
        rules = {str(u.get("order_id", "")): str(u.get("rule") or "")
                 for u in self.base.entries(self.data.get("unassigned"), "unassigned")[0]}
        for oid in sorted(self.freeze.cancelled):
            if rules.get(oid) != CANCELLED:
                self.flag(COVERAGE, "order was cancelled; it belongs in unassigned with rule "
                          f"'{CANCELLED}'", order=oid)
        for oid, rule in rules.items():
            if rule == CANCELLED and oid not in self.freeze.cancelled:
                self.flag(COVERAGE, f"unassigned as cancelled, but no cancellation is reported by {_hm(self.at)}",
                          order=oid)
        for r in self.base.routes:
            for s in r.stops:
                o = self.orders.get(s.order_id)
                if o is not None and not s.fixed and o.created_at > self.at:
                    self.flag(COVERAGE, f"order created {o.created_at:%H:%M}, after at {_hm(self.at)}, is planned",
                              r.technician_id, o.id)

    # --- changes, churn and the stability objective ---

    def expected_changes(self) -> tuple[dict[str, tuple[str, str | None, str | None, float | None]], list[float]]:
        """order -> (change, from, to, shift); and the shifts of the orders planned in both plans."""
        begun = self.freeze.fixed_count()
        before: dict[str, int] = {}
        for r in self.prev_routes:
            for s in r.stops:
                if s.fixed:
                    before[s.order_id] = before.get(s.order_id, 0) + 1
        used_up = {o for o, n in begun.items() if n > before.get(o, 0)}
        prev = _planned(self.prev_routes, skip=used_up)
        new = _planned(self.base.routes)
        unassigned = {str(u.get("order_id", "")) for u in self.base.entries(self.data.get("unassigned"),
                                                                            "unassigned")[0]}
        out: dict[str, tuple[str, str | None, str | None, float | None]] = {}
        shifts: list[float] = []
        for o in self.day.orders:
            p, n = prev.get(o.id), new.get(o.id)
            if p is not None and n is not None:
                shift = (n[1] - p[1]).total_seconds() / 60.0
                shifts.append(shift)
                if p[0] != n[0]:
                    out[o.id] = ("reassigned", p[0], n[0], shift)
                elif abs(shift) > SHIFT_TOLERANCE_MINUTES:
                    out[o.id] = ("shifted", p[0], n[0], shift)
            elif n is not None:
                out[o.id] = ("added", None, n[0], None)
            elif p is not None and o.id in unassigned:
                out[o.id] = ("cancelled" if o.id in self.freeze.cancelled else "dropped", p[0], None, None)
            elif o.id in self.freeze.cancelled and p is None and o.id in self.prev_unassigned \
                    and self.prev_unassigned[o.id] != CANCELLED:
                out[o.id] = ("cancelled", None, None, None)
        return out, shifts

    def check_changes(self) -> None:
        expected, shifts = self.expected_changes()
        stated: dict[str, Mapping[str, Any]] = {}
        for c in self.base.entries(self.data.get(CHANGES), CHANGES)[0]:
            oid = str(c.get("order_id", ""))
            if oid in stated:
                self.flag(CHANGES, "order is listed twice in changes", order=oid)
            stated[oid] = c
        for oid, (kind, src, dst, shift) in expected.items():
            said_change = stated.get(oid)
            move = f"{kind} {src or '-'} -> {dst or '-'}" + ("" if shift is None else f", shift {shift:+.1f} min")
            if said_change is None:
                self.flag(CHANGES, f"missing from changes: {move}", order=oid)
                continue
            c = said_change
            if c.get("change") != kind:
                self.flag(CHANGES, f"listed as {c.get('change')!r}, the plans compare as {move}", order=oid)
                continue
            if c.get("from_technician") != src or c.get("to_technician") != dst:
                self.flag(CHANGES, f"listed {c.get('from_technician') or '-'} -> {c.get('to_technician') or '-'}, "
                          f"the plans compare as {move}", order=oid)
            try:
                said = _opt_float(c.get("eta_shift_minutes"))
            except (ValueError, TypeError):
                said = None
            if (said is None) != (shift is None) or (said is not None and shift is not None
                                                    and abs(said - shift) > SHIFT_TOL_MIN):
                self.flag(CHANGES, f"eta_shift_minutes listed as {c.get('eta_shift_minutes')!r}, the plans compare "
                          f"as {move}", order=oid)
        for oid, c in stated.items():
            if oid not in expected:
                self.flag(CHANGES, f"listed as {c.get('change')!r}, but the order's plan did not change", order=oid)
        reassigned = [v for v in expected.values() if v[0] == "reassigned"]
        techs = {t for v in expected.values() for t in (v[1], v[2]) if t is not None}
        churn = {"reassigned": len(reassigned),
                 "shifted_over_15_min": sum(1 for s in shifts if abs(s) > SHIFT_TOLERANCE_MINUTES),
                 "max_eta_shift_minutes": max((abs(s) for s in shifts), default=0.0),
                 "technicians_affected": len(techs)}
        self.check_churn(churn)
        policy = self.base.policy
        delay = sum(max(0.0, (v[3] or 0.0) - SHIFT_TOLERANCE_MINUTES) for v in expected.values()
                    if v[0] in ("reassigned", "shifted"))
        parts = {REASSIGNMENT: policy.reassign_cost * len(reassigned), ETA_SHIFT: policy.shift_cost_per_minute * delay}
        reported = self.report.reported_objective
        for key, value in parts.items():
            if key not in reported:
                self.flag(OBJECTIVE, f"{key} is not reported; recomputed {value:.1f}")
            elif abs(reported[key] - value) > OBJECTIVE_REL_TOL * abs(value) + OBJECTIVE_ABS_TOL:
                self.flag(OBJECTIVE, f"{key} reported as {reported[key]:.1f}, recomputed {value:.1f} from the "
                          "plans compared")
        if policy.max_moves is not None:
            moves = [v for v in reassigned if v[1] not in self.freeze.absent]
            if len(moves) > policy.max_moves:
                self.flag(MAX_MOVES, f"{len(moves)} visits changed technician (absent technicians' aside), more "
                          f"than max_moves {policy.max_moves}")

    def check_churn(self, churn: dict[str, float]) -> None:
        kpis = self.data.get("kpis")
        said = kpis.get(CHURN) if isinstance(kpis, Mapping) else None
        if not isinstance(said, Mapping):
            self.flag(CHURN, "the plan has no kpis.churn")
            return
        for key, value in churn.items():
            got = said.get(key)
            tol = SHIFT_TOL_MIN if key == "max_eta_shift_minutes" else 0
            if isinstance(got, bool) or not isinstance(got, int | float) or abs(got - value) > tol:
                shown = f"{value:.1f}" if key == "max_eta_shift_minutes" else f"{value:.0f}"
                self.flag(CHURN, f"{key} reported as {got!r}, recomputed {shown}")


def _planned(routes: list[_Route], skip: set[str] | None = None) -> dict[str, tuple[str, datetime]]:
    """order -> (technician, start) of its first planned stop (a crew job's: its lead's)."""
    out: dict[str, tuple[str, datetime]] = {}
    for r in routes:
        for s in r.stops:
            if s.status == PLANNED and s.order_id not in out and s.order_id not in (skip or set()) \
                    and (not s.crew or s.crew[0] == r.technician_id):
                out[s.order_id] = (r.technician_id, s.start)
    return out


def check_replan(day: Day, plan: Plan | Mapping[str, Any], events: Iterable[Event], at: datetime,
                 previous: Plan | Mapping[str, Any]) -> CheckReport:
    """Check the re-plan `plan` of `day` made at `at` from `events` and the `previous` plan; never raises on a
    malformed plan."""
    data = plan.to_dict() if isinstance(plan, Plan) else plan
    prev = previous.to_dict() if isinstance(previous, Plan) else previous
    if not isinstance(data, Mapping) or not isinstance(prev, Mapping):
        report = CheckReport()
        which = "plan" if not isinstance(data, Mapping) else "previous plan"
        report.violations.append(Violation(PLAN_FORMAT, None, None, f"{which} is not a JSON object"))
        return report
    return _ReplanChecker(day, data, list(events), at, prev).run()


__all__ = ["check_replan"]
