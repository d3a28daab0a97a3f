"""The independent plan checker: recomputes every hard rule, the lateness, the distances and the objective.

Independence is the point: this module never imports `solver/`, `dispatch/travel.py` or the code that builds
solver problems. Distances are computed pair by pair with geopy's geodesic (WGS-84) times the plan's road
factor, driven at the plan's speed; the checker reads the plan JSON itself (leniently, so that a broken plan
yields violations instead of an exception). Tolerances follow DESIGN.md: about 0.5 % on distances and a minute
on times.

A re-plan (a plan with `at`, DESIGN.md "The live day") is checked from where each technician stands: its fixed
stops (status other than planned) come first on a route and carry actual times, which do not follow the travel
model, so only their distances are recomputed; the planned stops are timed from the end and place of the last
fixed stop. An order's finished `unresolved` visit does not count as serving it (the order appears once more,
planned or unassigned); an order the customer cancelled (unassigned, rule "cancelled") is not unserved. Van stock
and max_orders count every stop of the day.

A multi-day plan (`dates`: the plan date, then the following days someone works, as many as the policy's
horizon_days; each route has its `date`) is checked route by route on the route's date: one route per
technician and date, on a day the technician works, with that day's shift, break, van stock and max_orders
(the technician moved by whole days; the van restocked overnight). An order with a `window_date` starts within
its window on that day; one without starts within its window moved to the route's date. An order is served
at most once over all days; its lateness counts against its response deadline whatever the day; the workload
balance is each day's spread, summed over the days. A route without a date is on the plan date.

A plan made on roads (travel model `osm`, dispatch.roads) records its extract's file and SHA-256: its legs are
recomputed on that extract (the same file, refused if its hash differs), pair by pair from the roads, not from
the matrices the solver was given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

from geopy.distance import geodesic

from dispatch.domain import PRIORITIES, WEEKDAYS, Day, Order, Technician
from dispatch.plan import PLANNED, SHIFT_TOLERANCE_MINUTES, STOP_STATUSES, Plan
from dispatch.policy import OSM, POLICY_KEYS, Policy
from dispatch.roads import RoadNetwork, network_for

# Rule names: the solver's words where it has them (solver/rules.py), repeated here, not imported
# (tests/dispatch/analysis/test_rule_names.py keeps the two lists equal).
REQUIRED_SKILL = "required skill"
VAN_STOCK = "van stock"
APPOINTMENT_WINDOW = "appointment window"
SHIFT = "shift"
BREAK = "break"
MAX_ORDERS = "max orders"
PINNED_TECHNICIAN = "pinned technician"
REFUSED_TECHNICIAN = "refused technician"
CREW = "crew"
OVER_QUALIFICATION = "over-qualification"
PREFERRED_TECHNICIAN = "preferred technician"
RESPONSE_DEADLINE = "response deadline"
COVERAGE = "coverage"
UNKNOWN_ID = "unknown id"
TRAVEL_TIME = "travel time"
TRAVEL_DISTANCE = "travel distance"
SERVICE_DURATION = "service duration"
PLAN_DATE = "plan date"
PLAN_FORMAT = "plan format"
OBJECTIVE = "objective"
WORK_DAYS = "work days"  # a route on a day its technician does not work
# a re-plan's own words
FROZEN = "frozen"
CANCELLED = "cancelled"  # the rule of an unassigned entry the customer cancelled
UNRESOLVED = "unresolved"
FINISHED_STATUSES = ("done", UNRESOLVED, "in_service")  # service begun: its times are what happened
REASSIGNMENT = "reassignment"
ETA_SHIFT = "eta shift"

TIME_TOL = timedelta(minutes=1)
TIME_TOL_MIN = 1.0
DIST_REL_TOL = 0.005
DIST_ABS_TOL_KM = 0.05  # integer metres and 3-decimal rounding on tiny legs
OBJECTIVE_REL_TOL = 0.005
OBJECTIVE_ABS_TOL = 1.0  # one objective unit, the solver's integer resolution

Point = tuple[float, float]


@dataclass(frozen=True)
class Violation:
    rule: str
    technician_id: str | None
    order_id: str | None
    message: str
    day: date | None = None  # the route's date, on a multi-day plan

    def __str__(self) -> str:
        when = None if self.day is None else self.day.isoformat()
        who = " ".join(x for x in (self.technician_id, when, self.order_id) if x)
        # no square brackets: console markup (rich) would swallow them
        return f"{self.rule}: {who + ': ' if who else ''}{self.message}"


@dataclass
class CheckReport:
    violations: list[Violation] = field(default_factory=list)
    objective: dict[str, float] = field(default_factory=dict)  # recomputed with the plan's policy
    reported_objective: dict[str, float] = field(default_factory=dict)  # as the plan states it
    late_minutes: dict[str, float] = field(default_factory=dict)  # per served order
    route_km: dict[str, float] = field(default_factory=dict)  # per technician, incl. the drive home
    work_minutes: dict[str, float] = field(default_factory=dict)  # per technician: service and driving
    # the same per route date (date -> technician -> value); route_km and work_minutes sum them over the days
    km_by_day: dict[date, dict[str, float]] = field(default_factory=dict)
    work_by_day: dict[date, dict[str, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def rules(self) -> set[str]:
        return {v.rule for v in self.violations}


# --- lenient plan reading -------------------------------------------------------------------------------


@dataclass
class _Stop:
    order_id: str
    arrival: datetime
    start: datetime
    end: datetime
    travel_km: float | None
    travel_minutes: float | None
    late_minutes: float | None
    status: str = PLANNED
    deadline: datetime | None = None  # as the plan states it, when it does
    crew: tuple[str, ...] = ()  # a job for several: the whole crew as the plan states it, the lead first

    @property
    def fixed(self) -> bool:
        return self.status != PLANNED


@dataclass
class _Route:
    technician_id: str
    stops: list[_Stop]
    break_: tuple[datetime, datetime] | None
    travel_km: float | None
    depart: datetime | None
    back: datetime | None
    return_km: float | None
    return_minutes: float | None
    readable: bool = True  # False when part of it could not be read: the timeline is then not checked
    unreadable_ids: list[str] = field(default_factory=list)  # orders of stops that could not be read
    day: date | None = None  # the route's date (the plan date when the plan leaves it out)


def _time(value: Any) -> datetime:
    dt = datetime.fromisoformat(str(value))
    if dt.tzinfo is not None:
        raise ValueError(f"time {value!r} has a time zone; plans use naive local times")
    return dt


def _opt_time(value: Any) -> datetime | None:
    return None if value in (None, "") else _time(value)


def _opt_float(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not math.isfinite(number := float(value)):
        raise ValueError(f"{value!r} is not a finite number")
    return number


class _Checker:
    def __init__(self, day: Day, data: Mapping[str, Any], roads: RoadNetwork | None = None) -> None:
        self.day = day
        self.data = data
        self.report = CheckReport()
        self.techs: dict[str, Technician] = {t.id: t for t in day.technicians}
        self.orders: dict[str, Order] = {o.id: o for o in day.orders}
        self.plan_date = day.date  # as the plan states it, once read
        self.dates: list[date] = [day.date]  # the plan's days, as it states them
        self.multi_day = False  # routes on more than one date: violations name the date
        self.on: date | None = None  # the date of the route being checked
        self.roads = roads
        self._road_points: dict[Point, int] = {}
        self._road_km: Any = None  # metres and seconds between the day's places, on the plan's roads
        self._road_s: Any = None
        self.policy = self._policy()
        self._legs: dict[tuple[Point, Point], tuple[float, float]] = {}
        self.incomplete = False  # some route could not be recomputed: its km and lateness are missing
        self.at: datetime | None = None  # a re-plan's moment; None for a morning plan
        self.routes: list[_Route] = []
        self.cancelled: set[str] = set()  # unassigned because the customer cancelled
        self.leads: dict[str, str] = {}  # order -> the crew member whose van gives its parts
        self.fixed_late: list[tuple[str, float]] = []  # (order, late minutes) of finished unresolved visits

    def flag(self, rule: str, message: str, tech: str | None = None, order: str | None = None) -> None:
        self.report.violations.append(Violation(rule, tech, order, message, self.on if self.multi_day else None))

    def section(self, key: str) -> Mapping[str, Any]:
        """A JSON object of the plan ({} when absent); anything else is a plan-format violation."""
        value = self.data.get(key)
        if value is None or isinstance(value, Mapping):
            return value or {}
        self.flag(PLAN_FORMAT, f"{key} is not an object")
        return {}

    def entries(self, value: Any, what: str, tech: str | None = None) -> tuple[list[Mapping[str, Any]], bool]:
        """The objects of a JSON list, and whether all of it was objects (violations name the rest)."""
        if value is None:
            return [], True
        if not isinstance(value, list | tuple):
            self.flag(PLAN_FORMAT, f"{what} is not a list", tech)
            return [], False
        good = [v for v in value if isinstance(v, Mapping)]
        if len(good) < len(value):
            self.flag(PLAN_FORMAT, f"{what} has {len(value) - len(good)} entries that are not objects", tech)
        return good, len(good) == len(value)

    def _policy(self) -> Policy:
        raw = self.section("policy")
        unknown = sorted(str(k) for k in raw if k not in POLICY_KEYS)
        if unknown:  # made by a newer version: check by what this one knows
            self.report.notes.append(f"policy keys not known to this checker, ignored: {', '.join(unknown)}")
            raw = {k: v for k, v in raw.items() if k in POLICY_KEYS}
        try:
            policy = Policy.from_dict(raw)
            # the domain accepts NaN and absurd hours; a checker must not choke on them
            if not all(math.isfinite(h) and h < 1e5 for h in policy.sla.hours.values()):
                raise ValueError(f"sla hours {dict(policy.sla.hours)} are not all finite and below 1e5")
            numbers = [*policy.weights.unserved.values(), *policy.weights.late_per_minute.values()]
            numbers += [policy.weights.per_km, policy.weights.balance_per_minute]
            numbers += [policy.travel.road_factor, policy.travel.speed_kmh]
            if not all(math.isfinite(x) for x in numbers):
                raise ValueError("weights and travel model must be finite numbers")
        except (ValueError, KeyError, TypeError) as exc:
            self.flag(PLAN_FORMAT, f"policy is unreadable ({exc}); checking with the defaults of DESIGN.md")
            return Policy()
        model = (raw.get("travel") or {}).get("model", "geodesic")
        if model == OSM:
            try:
                self.roads = self.roads or network_for(policy.travel)
                self.report.notes.append(f"travel model osm: legs recomputed on the roads of {self.roads.name} "
                                         f"(SHA-256 {policy.travel.sha256[:12]})")
            except (OSError, ValueError) as exc:
                self.flag(TRAVEL_TIME, f"the plan's roads cannot be read again ({exc}); legs recomputed as "
                                       "geodesic x road factor")
        elif model != "geodesic":
            self.report.notes.append(
                f"travel model {model!r}: distances recomputed as geodesic x road factor"
            )
        return policy

    def leg(self, a: Point, b: Point) -> tuple[float, float]:
        """Road km and driving minutes from a to b, by the plan's travel model."""
        if (a, b) not in self._legs and self.roads is not None:
            self._legs[(a, b)] = self._road_leg(a, b)
        if (a, b) not in self._legs:
            km = geodesic(a, b).km * self.policy.travel.road_factor
            self._legs[(a, b)] = (km, km / self.policy.travel.speed_kmh * 60.0)
        return self._legs[(a, b)]

    def _road_leg(self, a: Point, b: Point) -> tuple[float, float]:
        """Road km and minutes, from one search over every place of the day (homes and orders) the first time."""
        assert self.roads is not None
        if self._road_km is None:
            places = {(t.home_lat, t.home_lon) for t in self.day.technicians} | {(o.lat, o.lon) for o in self.day.orders}
            self._road_points = {p: i for i, p in enumerate(sorted(places))}
            pts = list(self._road_points)
            self._road_km, self._road_s = self.roads.matrices([p[0] for p in pts], [p[1] for p in pts],
                                                              max_snap_m=None)
        i, j = self._road_points.get(a), self._road_points.get(b)
        if i is None or j is None:
            metres, seconds = self.roads.matrices([a[0], b[0]], [a[1], b[1]], max_snap_m=None)
            return float(metres[0, 1]) / 1000.0, float(seconds[0, 1]) / 60.0
        return float(self._road_km[i, j]) / 1000.0, float(self._road_s[i, j]) / 60.0

    # --- reading ---

    def read_routes(self) -> list[_Route]:
        routes = []
        for i, r in enumerate(self.entries(self.data.get("routes"), "routes")[0]):
            tech = str(r.get("technician_id", ""))
            route = _Route(tech, [], None, None, None, None, None, None, day=self.plan_date)
            stops, route.readable = self.entries(r.get("stops"), "stops", tech)
            try:
                if r.get("date") not in (None, ""):
                    route.day = date.fromisoformat(str(r["date"]))
                b = r.get("break")
                route.break_ = None if not b else (_time(b["start"]), _time(b["end"]))
                route.travel_km = _opt_float(r.get("travel_km"))
                route.depart, route.back = _opt_time(r.get("depart")), _opt_time(r.get("back"))
                route.return_km = _opt_float(r.get("return_km"))
                route.return_minutes = _opt_float(r.get("return_minutes"))
            except (ValueError, KeyError, TypeError) as exc:
                self.flag(PLAN_FORMAT, f"route {i + 1} is unreadable: {exc}", tech)
                route.readable = False
            if route.break_ is not None and route.break_[1] < route.break_[0]:
                self.flag(
                    PLAN_FORMAT,
                    f"break ends {_hm(route.break_[1])} before it starts {_hm(route.break_[0])}",
                    tech,
                )
                route.readable = False
            for s in stops:
                oid = str(s.get("order_id", ""))
                try:
                    stop = _Stop(
                        oid,
                        _time(s["arrival"]),
                        _time(s["start"]),
                        _time(s["end"]),
                        _opt_float(s.get("travel_km")),
                        _opt_float(s.get("travel_minutes")),
                        _opt_float(s.get("late_minutes")),
                        str(s.get("status") or PLANNED),
                        _opt_time(s.get("deadline")),
                        tuple(str(t) for t in s.get("crew") or ()),
                    )
                    if stop.status not in STOP_STATUSES:
                        raise ValueError(f"status {stop.status!r} is not one of {', '.join(STOP_STATUSES)}")
                except (ValueError, KeyError, TypeError) as exc:
                    self.flag(PLAN_FORMAT, f"stop is unreadable: {exc}", tech, oid)
                    route.unreadable_ids.append(oid)
                    route.readable = False
                    continue
                route.stops.append(stop)
            routes.append(route)
        return routes

    def read_dates(self) -> list[date]:
        """The plan's days as it states them (the plan date alone when it names none), checked against the
        horizon its policy asks for."""
        raw = self.data.get("dates")
        if raw is None:
            return [self.plan_date]
        if not isinstance(raw, list | tuple):
            self.flag(PLAN_FORMAT, "dates is not a list")
            return [self.plan_date]
        dates = []
        for x in raw:
            try:
                dates.append(date.fromisoformat(str(x)))
            except ValueError:
                self.flag(PLAN_DATE, f"dates entry {x!r} is not an ISO date")
        if not dates:
            self.flag(PLAN_DATE, f"dates name no day; they begin with the plan date {self.plan_date}")
            return [self.plan_date]
        if dates[0] != self.plan_date:
            self.flag(PLAN_DATE, f"dates begin {dates[0]}, not with the plan date {self.plan_date}")
        for a, b in pairwise(dates):
            if b <= a:
                self.flag(PLAN_DATE, f"dates are not strictly increasing: {b} follows {a}")
        wanted = self.policy.horizon_days
        expected = list(self.day.horizon(wanted))
        if dates != expected and dates[0] == self.day.date and len(raw) == len(dates):
            fewer = f"; only {len(expected)} within reach have anyone working" if len(expected) < wanted else ""
            self.flag(PLAN_DATE, f"dates {', '.join(map(str, dates))} should be {', '.join(map(str, expected))}: "
                      f"the plan date and the following days someone works, horizon_days {wanted}{fewer}")
        return list(dict.fromkeys(dates))

    # --- coverage: every order exactly once, known ids, reasons ---

    def check_coverage(self, routes: list[_Route]) -> set[str]:
        """Returns the ids of the orders served on a route."""
        seen_tech: set[tuple[str, date | None]] = set()  # (technician, date): one route each
        where: dict[str, list[str]] = {}
        revisits: dict[str, list[str]] = {}
        for r in routes:
            on = f" on {r.day}" if self.multi_day else ""
            if r.technician_id not in self.techs:
                self.flag(UNKNOWN_ID, f"route of unknown technician {r.technician_id!r}", r.technician_id)
            elif (r.technician_id, r.day) in seen_tech:
                self.flag(COVERAGE, f"technician has more than one route{on}", r.technician_id)
            seen_tech.add((r.technician_id, r.day))
            for oid in [s.order_id for s in r.stops if s.status != UNRESOLVED] + r.unreadable_ids:
                where.setdefault(oid, []).append(f"route {r.technician_id}{on}")
            # a finished unresolved visit is not the order's place: the order appears once more besides it
            for s in r.stops:
                if s.status == UNRESOLVED:
                    revisits.setdefault(s.order_id, []).append(r.technician_id)
        for u in self.entries(self.data.get("unassigned"), "unassigned")[0]:
            oid = str(u.get("order_id", ""))
            where.setdefault(oid, []).append("unassigned")
            if not str(u.get("reason") or "").strip():
                self.flag(COVERAGE, "unassigned without a reason", order=oid)
            if str(u.get("rule") or "") == CANCELLED:
                self.cancelled.add(oid)
        for oid, techs in revisits.items():
            if oid not in self.orders:
                self.flag(UNKNOWN_ID, f"unknown order {oid!r} on route {', '.join(techs)}", order=oid)
            elif oid not in where:
                self.flag(COVERAGE, "order has an unresolved visit but no next visit nor unassigned entry",
                          order=oid)
        for oid, places in where.items():
            if oid not in self.orders:
                self.flag(UNKNOWN_ID, f"unknown order {oid!r} in {', '.join(places)}", order=oid)
            elif len(places) > 1 and not self.crew_places(oid, places):
                self.flag(COVERAGE, f"order appears {len(places)} times: {', '.join(places)}", order=oid)
        for oid in self.orders:
            if oid not in where and oid not in revisits:
                self.flag(COVERAGE, "order is neither on a route nor unassigned", order=oid)
        return {
            oid
            for r in routes
            for oid in [s.order_id for s in r.stops if s.status != UNRESOLVED] + r.unreadable_ids
            if oid in self.orders
        }

    def crew_places(self, oid: str, places: list[str]) -> bool:
        """Whether an order on several routes is a crew job placed only on routes (its crew is checked in
        `check_crews`)."""
        return self.orders[oid].technicians_needed > 1 and "unassigned" not in places

    def check_crews(self, routes: list[_Route]) -> None:
        """A job for several technicians: on exactly that many routes of one day, of different technicians,
        all starting together; the stop's crew names them (the lead, whose van gives the parts, first);
        together they hold every required skill at its level; a pinned technician is among them."""
        on: dict[str, list[tuple[_Route, _Stop]]] = {}
        for r in routes:
            for s in r.stops:
                order = self.orders.get(s.order_id)
                if order is not None and (order.technicians_needed > 1 or s.crew) and s.status != UNRESOLVED:
                    on.setdefault(s.order_id, []).append((r, s))
        for oid, places in sorted(on.items()):
            order = self.orders[oid]
            techs = [r.technician_id for r, _ in places]
            days = {r.day for r, _ in places}
            if order.technicians_needed == 1:
                self.flag(CREW, f"stop names a crew {list(places[0][1].crew)} for a one-person job", techs[0], oid)
                continue
            if len(places) != order.technicians_needed or len(set(techs)) != len(techs) or len(days) != 1:
                self.flag(CREW, f"needs {order.technicians_needed} technicians together on one day; it is on the "
                          f"routes of {', '.join(f'{r.technician_id} {r.day}' for r, _ in places)}", order=oid)
                continue
            starts = [s.start for _, s in places]
            if max(starts) - min(starts) > TIME_TOL:
                self.flag(CREW, f"the crew starts apart: {', '.join(f'{t} {_hm(x)}' for t, x in zip(techs, starts, strict=True))}",
                          order=oid)
            for r, s in places:
                if sorted(s.crew) != sorted(techs):
                    self.flag(CREW, f"stop names crew {list(s.crew)}, the routes have {sorted(techs)}",
                              r.technician_id, oid)
            team = [self.techs[t] for t in techs if t in self.techs]
            for skill in sorted(order.required_skills):
                need = order.skill_levels.get(skill, 1)
                if not any(skill in t.skills and t.skill_levels.get(skill, 1) >= need for t in team):
                    self.flag(REQUIRED_SKILL, f"nobody in the crew {', '.join(techs)} holds {skill} at level {need}",
                              order=oid)
            if order.pinned_technician is not None and order.pinned_technician not in techs:
                self.flag(PINNED_TECHNICIAN, f"order is pinned to {order.pinned_technician}, not in the crew "
                          f"{', '.join(techs)}", order=oid)

    def lead_of(self, oid: str, tech_id: str) -> bool:
        """Whether `tech_id`'s van gives the order's parts: the only technician, or a crew's lead."""
        crew = self.leads.get(oid)
        return crew is None or crew == tech_id

    # --- per stop ---

    def check_stop(self, tech: Technician, order: Order, s: _Stop, moved: timedelta = timedelta(0)) -> None:
        """`moved`: how far the route's date lies past the input day's (a window without window_date
        applies on the route's date)."""
        if s.arrival > s.start:
            self.flag(
                PLAN_FORMAT,
                f"service starts {_hm(s.start)} before arrival {_hm(s.arrival)}",
                tech.id,
                order.id,
            )
        if s.status in FINISHED_STATUSES:  # begun: what happened, not what the rules would plan
            return
        expected_end = s.start + timedelta(minutes=order.duration_min)
        if abs(s.end - expected_end) > TIME_TOL:
            self.flag(
                SERVICE_DURATION,
                f"service {_hm(s.start)}-{_hm(s.end)} should last {order.duration_min} min (end {_hm(expected_end)})",
                tech.id,
                order.id,
            )
        if s.fixed:  # on the way or on site: the visit stays, whatever its rules say
            return
        crew = order.technicians_needed > 1  # a crew's skills are the crew's (check_crews)
        if not crew and not order.required_skills <= tech.skills:
            missing = ", ".join(sorted(order.required_skills - tech.skills))
            self.flag(REQUIRED_SKILL, f"technician lacks skill {missing}", tech.id, order.id)
        for skill in sorted(order.required_skills & tech.skills) if not crew else ():
            held, need = tech.skill_levels.get(skill, 1), order.skill_levels.get(skill, 1)
            if held < need:
                self.flag(REQUIRED_SKILL, f"needs {skill} level {need}; technician holds level {held}", tech.id,
                          order.id)
        if tech.id in order.forbidden_technicians:
            self.flag(REFUSED_TECHNICIAN, "the customer refuses this technician", tech.id, order.id)
        if not crew and order.pinned_technician is not None and order.pinned_technician != tech.id:
            self.flag(PINNED_TECHNICIAN, f"order is pinned to {order.pinned_technician}", tech.id, order.id)
        if order.window_date is not None:  # the appointment is on that day, whatever the route's
            moved = timedelta(0)
        opens = None if order.window_start is None else order.window_start + moved
        closes = None if order.window_end is None else order.window_end + moved
        if opens is not None and s.start < opens - TIME_TOL:
            self.flag(
                APPOINTMENT_WINDOW,
                f"starts {_when(s.start, opens)}, before the window opens {_when(opens, s.start)}",
                tech.id,
                order.id,
            )
        if closes is not None and s.start > closes + TIME_TOL:
            self.flag(
                APPOINTMENT_WINDOW,
                f"starts {_when(s.start, closes)}, after the window closes {_when(closes, s.start)}",
                tech.id,
                order.id,
            )

    # --- per route ---

    def check_route(self, r: _Route) -> None:
        listed = self.techs[r.technician_id]
        day = r.day or self.plan_date
        if day not in self.dates:
            self.flag(PLAN_DATE, f"route date {day} is not one of the plan's dates "
                      f"{', '.join(map(str, self.dates))}", listed.id)
        if not listed.works_on(day):
            works = ", ".join(WEEKDAYS[d] for d in sorted(listed.work_days))
            self.flag(WORK_DAYS, f"route on {WEEKDAYS[day.weekday()]} {day}; the technician works {works}", listed.id)
        # that day's shift and break; van stock and max_orders hold per day
        moved = timedelta(days=(day - self.day.date).days)
        tech = listed.on(moved.days)
        stops = [s for s in r.stops if s.order_id in self.orders]
        for s in stops:
            self.check_stop(tech, self.orders[s.order_id], s, moved)
        self.check_capacity(
            tech, [s.order_id for s in stops] + [o for o in r.unreadable_ids if o in self.orders]
        )
        if not r.stops and not r.unreadable_ids:
            self.report.route_km.setdefault(tech.id, 0.0)
            self.report.km_by_day.setdefault(day, {}).setdefault(tech.id, 0.0)
            if r.travel_km is not None and r.travel_km > DIST_ABS_TOL_KM:
                self.flag(TRAVEL_DISTANCE, f"route has no stops but reports {r.travel_km:.3f} km", tech.id)
            return
        if len(stops) != len(r.stops) or not r.readable:
            self.report.notes.append(
                f"{tech.id}: timeline and distances not checked (unknown or unreadable stops)"
            )
            self.incomplete = True
            return
        home = (tech.home_lat, tech.home_lon)
        points = [home] + [(self.orders[s.order_id].lat, self.orders[s.order_id].lon) for s in stops] + [home]
        legs = [self.leg(a, b) for a, b in pairwise(points)]
        # working time for the workload balance: service and driving, summed like route_km; a service begun
        # counts as long as it lasted
        work = sum(minutes for _, minutes in legs) + sum(
            (s.end - s.start).total_seconds() / 60.0 if s.status in FINISHED_STATUSES
            else self.orders[s.order_id].duration_min for s in stops)
        self.report.work_minutes[tech.id] = self.report.work_minutes.get(tech.id, 0.0) + work
        on_day = self.report.work_by_day.setdefault(day, {})
        on_day[tech.id] = on_day.get(tech.id, 0.0) + work
        # fixed stops come first; those up to the last one are what happened, not timed by the travel model
        fixed = max((k + 1 for k, s in enumerate(stops) if s.fixed), default=0)
        first_planned = next((k for k, s in enumerate(stops) if not s.fixed), len(stops))
        if first_planned < fixed:
            self.flag(FROZEN, f"planned stop comes before the fixed stop {stops[fixed - 1].order_id}; fixed stops "
                      "come first", tech.id, stops[first_planned].order_id)
        self.check_distances(tech, r, stops, legs, fixed, day)
        self.check_break_rule(tech, r, stops)
        self.check_timeline(tech, r, stops, legs, fixed)

    def check_capacity(self, tech: Technician, order_ids: list[str]) -> None:
        if tech.max_orders is not None and len(order_ids) > tech.max_orders:
            self.flag(MAX_ORDERS, f"{len(order_ids)} orders, more than max_orders {tech.max_orders}", tech.id)
        used: dict[str, int] = {}
        for oid in order_ids:
            if not self.lead_of(oid, tech.id):
                continue  # a crew's parts come out of its lead's van
            for part, qty in self.orders[oid].required_parts.items():
                used[part] = used.get(part, 0) + qty
        for part, qty in sorted(used.items()):
            if qty > tech.van_stock.get(part, 0):
                self.flag(
                    VAN_STOCK,
                    f"route needs {qty} x {part}, van carries {tech.van_stock.get(part, 0)}",
                    tech.id,
                )

    def check_distances(
        self, tech: Technician, r: _Route, stops: list[_Stop], legs: list[tuple[float, float]], fixed: int = 0,
        day: date | None = None,
    ) -> None:
        total = sum(km for km, _ in legs)
        # summed over the days, and so that a second route of the same day (a coverage violation) is not hidden
        self.report.route_km[tech.id] = self.report.route_km.get(tech.id, 0.0) + total
        on_day = self.report.km_by_day.setdefault(day or self.plan_date, {})
        on_day[tech.id] = on_day.get(tech.id, 0.0) + total
        for k, (s, (km, minutes)) in enumerate(zip(stops, legs, strict=False)):
            if s.travel_km is not None and not _km_close(s.travel_km, km):
                self.flag(
                    TRAVEL_DISTANCE,
                    f"leg reported as {s.travel_km:.3f} km, recomputed {km:.3f} km",
                    tech.id,
                    s.order_id,
                )
            if k >= fixed and s.travel_minutes is not None and abs(s.travel_minutes - minutes) > TIME_TOL_MIN:
                self.flag(
                    TRAVEL_TIME,
                    f"leg reported as {s.travel_minutes:.2f} min, recomputed {minutes:.2f} min",
                    tech.id,
                    s.order_id,
                )
        home_km, home_min = legs[-1]
        # 0 means "not reported" (the field's default in dispatch.plan.Route)
        if r.return_km and not _km_close(r.return_km, home_km):
            self.flag(
                TRAVEL_DISTANCE,
                f"drive home reported as {r.return_km:.3f} km, recomputed {home_km:.3f} km",
                tech.id,
            )
        if r.return_minutes and abs(r.return_minutes - home_min) > TIME_TOL_MIN:
            self.flag(
                TRAVEL_TIME,
                f"drive home reported as {r.return_minutes:.2f} min, recomputed {home_min:.2f} min",
                tech.id,
            )
        if r.travel_km is not None and not _km_close(r.travel_km, total):
            self.flag(
                TRAVEL_DISTANCE,
                f"route reported as {r.travel_km:.3f} km, recomputed {total:.3f} km incl. the drive home",
                tech.id,
            )

    def check_break_rule(self, tech: Technician, r: _Route, stops: list[_Stop]) -> None:
        if r.break_ is not None:
            b0, b1 = r.break_
            for s in stops:  # any break the plan gives lies between visits, rule or not
                if s.status in FINISHED_STATUSES:  # what happened is not re-judged
                    continue
                if b0 < s.end - TIME_TOL and b1 > s.start + TIME_TOL:
                    self.flag(
                        BREAK,
                        f"break {_hm(b0)}-{_hm(b1)} overlaps the service {_hm(s.start)}-{_hm(s.end)}",
                        tech.id,
                        s.order_id,
                    )
        if not tech.has_break or tech.break_start is None or tech.break_end is None or not tech.break_minutes:
            return
        due = f"{tech.break_minutes} min in {_hm(tech.break_start)}-{_hm(tech.break_end)}"
        if r.break_ is None:
            if self.at is not None and all(s.fixed for s in stops):
                # a re-plan leaves this technician nothing new to do (absent, or the day is over)
                return
            begins = max(tech.break_start, tech.shift_start)
            if self.at is not None:  # a re-plan: the break can only come once the technician goes on
                begins = max([begins, self.at, *(s.end for s in stops if s.fixed)])
            room = min(tech.break_end, tech.shift_end) - begins
            if room < timedelta(minutes=tech.break_minutes):
                # the break window does not fit the shift: no break can be due (the solver drops it too)
                self.report.notes.append(f"{tech.id}: break window does not fit the shift; no break required")
            else:
                self.flag(BREAK, f"no break given; {due} is due", tech.id)
            return
        length = (b1 - b0).total_seconds() / 60.0
        if abs(length - tech.break_minutes) > TIME_TOL_MIN:
            self.flag(BREAK, f"break {_hm(b0)}-{_hm(b1)} lasts {length:.0f} min; {due} is due", tech.id)
        begun = self.at is not None and b0 < self.at  # taken as it was reported, window or not
        if not begun and (b0 < tech.break_start - TIME_TOL or b1 > tech.break_end + TIME_TOL):
            self.flag(BREAK, f"break {_hm(b0)}-{_hm(b1)} is outside its window; {due} is due", tech.id)

    def check_timeline(
        self, tech: Technician, r: _Route, stops: list[_Stop], legs: list[tuple[float, float]], fixed: int = 0
    ) -> None:
        brk = r.break_
        brk_len = (brk[1] - brk[0]) if brk else timedelta(0)
        first, last = stops[0], stops[-1]
        to_first, to_home = _minutes(legs[0][1]), _minutes(legs[-1][1])
        depart = r.depart
        if depart is None:  # infer: leave just in time, earlier if the break falls before the first service
            depart = first.arrival - to_first
            if brk and depart + TIME_TOL < brk[1] <= first.start + TIME_TOL:
                depart = min(depart, first.start - to_first - brk_len)
        back = r.back
        if back is None:  # infer: straight home, later if the break falls between the last service and home
            back = last.end + to_home
            if brk and last.end - TIME_TOL <= brk[0] < back - TIME_TOL:
                back += brk_len
        if not fixed and depart < tech.shift_start - TIME_TOL:
            self.flag(
                SHIFT, f"leaves home {_hm(depart)}, before the shift starts {_hm(tech.shift_start)}", tech.id
            )
        forced = self.at is not None and fixed == len(stops)  # the day ran late; the re-plan added nothing
        if back > tech.shift_end + TIME_TOL and not forced:
            self.flag(SHIFT, f"back home {_hm(back)}, after the shift ends {_hm(tech.shift_end)}", tech.id)
        # each gap: (left at, from, arrives, starts, drive, to) from home through the stops back home
        # a re-plan's planned stops go on from the last fixed stop, whose times are what happened
        gaps = [] if fixed else [(depart, "home", first.arrival, first.start, to_first, first.order_id)]
        for k in range(max(1, fixed), len(stops)):
            p, s = stops[k - 1], stops[k]
            gaps.append((p.end, p.order_id, s.arrival, s.start, _minutes(legs[k][1]), s.order_id))
        gaps.append((last.end, last.order_id, back, back, to_home, "home"))
        for left, src, arrives, starts, drive, dst in gaps:
            order = None if dst == "home" else dst
            if arrives - left < drive - TIME_TOL:
                self.flag(
                    TRAVEL_TIME,
                    f"arrives {_hm(arrives)} at {dst}, {_mins(arrives - left)} min after leaving {src} at {_hm(left)}; "
                    f"the drive takes {_mins(drive)} min",
                    tech.id,
                    order,
                )
            if (
                brk
                and brk[0] < starts - TIME_TOL
                and brk[1] > left + TIME_TOL
                and starts - left < drive + brk_len - TIME_TOL
            ):
                self.flag(
                    BREAK,
                    f"{_mins(starts - left)} min from {src} ({_hm(left)}) to {dst} ({_hm(starts)}) cannot hold the "
                    f"{_mins(drive)} min drive and the {_mins(brk_len)} min break",
                    tech.id,
                    order,
                )

    # --- lateness and objective ---

    def check_lateness(self, routes: list[_Route], served: set[str]) -> None:
        done: set[str] = set()
        for r in routes:
            for s in r.stops:
                revisit = s.status == UNRESOLVED and s.order_id in self.orders
                if not revisit and (s.order_id not in served or s.order_id in done):
                    continue
                order = self.orders[s.order_id]
                deadline = self.policy.sla.deadline(order)
                late = max(0.0, (s.start - deadline).total_seconds() / 60.0)
                if revisit:  # its lateness counts too: the response clock ran on
                    self.fixed_late.append((order.id, late))
                else:
                    done.add(s.order_id)
                    self.report.late_minutes[order.id] = late
                if s.deadline is not None and abs(s.deadline - deadline) > TIME_TOL:
                    # e.g. a plan made with a customer's contract hours, checked against a day without them
                    self.flag(
                        RESPONSE_DEADLINE,
                        f"deadline stated as {s.deadline:%Y-%m-%d %H:%M}, recomputed {deadline:%Y-%m-%d %H:%M} "
                        f"(created {order.created_at:%Y-%m-%d %H:%M}, {self.policy.sla.response_hours(order):g} h "
                        f"for {order.priority.value})",
                        r.technician_id,
                        order.id,
                    )
                if s.late_minutes is not None and abs(s.late_minutes - late) > TIME_TOL_MIN:
                    self.flag(
                        RESPONSE_DEADLINE,
                        f"late_minutes reported as {s.late_minutes:.1f}, recomputed {late:.1f} "
                        f"(deadline {deadline:%Y-%m-%d %H:%M}, start {_hm(s.start)})",
                        r.technician_id,
                        order.id,
                    )

    def who_serves(self) -> tuple[int, int]:
        """Levels held above the need over every served order's required skills, and orders served by
        another technician than the one their customer asked for (while that one works today)."""
        levels = missed = 0
        for r in self.routes:
            tech = self.techs.get(r.technician_id)
            for stop in r.stops:
                order = self.orders.get(stop.order_id)
                if tech is None or order is None:
                    continue
                if order.technicians_needed > 1:
                    continue  # a crew's levels are not charged; its preference is counted below, once
                for skill in order.required_skills & tech.skills:
                    levels += max(0, tech.skill_levels.get(skill, 1) - order.skill_levels.get(skill, 1))
                wanted = order.preferred_technician
                missed += wanted is not None and wanted in self.techs and wanted != tech.id
        crews: dict[str, set[str]] = {}
        for r in self.routes:
            for stop in r.stops:
                order = self.orders.get(stop.order_id)
                if order is not None and order.technicians_needed > 1:
                    crews.setdefault(order.id, set()).add(r.technician_id)
        for oid, team in crews.items():
            wanted = self.orders[oid].preferred_technician
            missed += wanted is not None and wanted in self.techs and wanted not in team
        return levels, missed

    def compute_objective(self, served: set[str]) -> None:
        w = self.policy.weights
        obj: dict[str, float] = {}
        unserved_cost = late_cost = 0.0
        lateness = [*self.report.late_minutes.items(), *self.fixed_late]
        for p in PRIORITIES:
            unserved = [o for o in self.day.orders
                        if o.priority == p and o.id not in served and o.id not in self.cancelled]
            late = sum(m for oid, m in lateness if self.orders[oid].priority == p)
            obj[f"unserved {p.value}"] = float(len(unserved))
            obj[f"late minutes {p.value}"] = late
            unserved_cost += len(unserved) * w.unserved[p]
            late_cost += late * w.late_per_minute[p]
        km = sum(self.report.route_km.values())
        obj["travel km"] = km
        obj["unserved"] = unserved_cost
        obj["response deadline"] = late_cost
        obj["travel"] = km * w.per_km
        reported = {
            str(k): float(v)
            for k, v in self.section("objective").items()
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        }
        self.report.reported_objective = reported
        # per day, the spread of working time (service and driving; waiting and breaks are not work) between
        # the busiest and the least busy technician, an idle one counting zero, summed over the days. As the
        # planner does, a multi-day plan compares the technicians who work that day, a one-day plan everyone.
        multi = len(self.dates) > 1
        spread = 0.0
        for d in self.dates:
            on_day = self.report.work_by_day.get(d, {})
            work = [on_day.get(t.id, 0.0) for t in self.day.technicians if not multi or t.works_on(d)]
            spread += max(work, default=0.0) - min(work, default=0.0)
        obj["work spread minutes"] = spread
        obj["workload balance"] = spread * w.balance_per_minute
        moved, delay = self.stability()
        obj[REASSIGNMENT] = moved * self.policy.reassign_cost
        obj[ETA_SHIFT] = delay * self.policy.shift_cost_per_minute
        levels, missed = self.who_serves()
        obj[OVER_QUALIFICATION] = levels * self.policy.over_qualification_cost
        obj[PREFERRED_TECHNICIAN] = missed * self.policy.preferred_technician_cost
        obj["total"] = unserved_cost + late_cost + obj["travel"] + obj["workload balance"] + obj[REASSIGNMENT] \
            + obj[ETA_SHIFT] + obj[OVER_QUALIFICATION] + obj[PREFERRED_TECHNICIAN]
        self.report.objective = obj
        if self.incomplete:
            self.report.notes.append("objective not compared: some routes could not be recomputed")
            return
        for key in ("unserved", "response deadline", "travel", "workload balance", REASSIGNMENT, ETA_SHIFT,
                    OVER_QUALIFICATION, PREFERRED_TECHNICIAN, "total"):
            if (
                key in reported
                and abs(reported[key] - obj[key]) > OBJECTIVE_REL_TOL * abs(obj[key]) + OBJECTIVE_ABS_TOL
            ):
                source = " from the plan's changes" if key in (REASSIGNMENT, ETA_SHIFT) else ""
                self.flag(OBJECTIVE, f"{key} reported as {reported[key]:.1f}, recomputed {obj[key]:.1f}{source}")

    def stability(self) -> tuple[int, float]:
        """Visits the plan's `changes` say changed technician, and their minutes of start moved past the
        tolerance (dispatch.analysis.replan_check checks the changes themselves against the previous plan)."""
        moved, delay = 0, 0.0
        for c in self.entries(self.data.get("changes"), "changes")[0]:
            kind = c.get("change")
            try:
                shift = _opt_float(c.get("eta_shift_minutes")) or 0.0
            except (ValueError, TypeError):
                shift = 0.0
                self.flag(PLAN_FORMAT, f"eta_shift_minutes {c.get('eta_shift_minutes')!r} is not a number",
                          order=str(c.get("order_id", "")))
            moved += kind == "reassigned"
            if kind in ("reassigned", "shifted"):
                delay += max(0.0, shift - SHIFT_TOLERANCE_MINUTES)
        return moved, delay

    def run(self) -> CheckReport:
        try:
            self.plan_date = date.fromisoformat(str(self.data.get("date")))
            if self.plan_date != self.day.date:
                self.flag(PLAN_DATE, f"plan is for {self.plan_date}, the input day is {self.day.date}")
        except ValueError:
            self.flag(PLAN_DATE, f"plan date {self.data.get('date')!r} is not an ISO date")
        try:
            self.at = _opt_time(self.data.get("at"))
        except ValueError as exc:
            self.flag(PLAN_FORMAT, f"at is unreadable: {exc}")
        self.dates = self.read_dates()
        routes = self.routes = self.read_routes()
        self.multi_day = len({*self.dates, *(r.day for r in routes)}) > 1
        # each crew's lead, as its stops name it: their van gives the parts
        self.leads = {s.order_id: s.crew[0] for r in routes for s in r.stops if s.crew}
        served = self.check_coverage(routes)
        self.check_crews(routes)
        for r in routes:
            self.on = r.day
            if r.technician_id in self.techs:
                try:
                    self.check_route(r)
                except (OverflowError, ValueError) as exc:  # times or speeds beyond datetime's range
                    self.flag(PLAN_FORMAT, f"route cannot be checked: {exc}", r.technician_id)
                    self.incomplete = True
            elif r.stops or r.unreadable_ids:
                self.incomplete = True
            self.on = None
        self.check_lateness(routes, served)
        self.compute_objective(served)
        return self.report


def check_plan(day: Day, plan: Plan | Mapping[str, Any], *, roads: RoadNetwork | None = None) -> CheckReport:
    """Check `plan` (a Plan or its JSON dict) against the input `day`; never raises on a malformed plan.
    `roads`: the road network of a plan made on roads, when its extract is not where the plan says."""
    if isinstance(plan, Plan):
        return _Checker(day, plan.to_dict(), roads).run()
    if not isinstance(plan, Mapping):
        report = CheckReport()
        report.violations.append(Violation(PLAN_FORMAT, None, None, "plan is not a JSON object"))
        return report
    return _Checker(day, plan, roads).run()


def format_report(report: CheckReport) -> str:
    """A human summary: verdict, violations one per line, then the recomputed objective by part."""
    n = len(report.violations)
    lines = ["plan check: OK" if report.ok else f"plan check: FAILED, {n} violation{'s' if n != 1 else ''}"]
    lines += [f"  {v}" for v in report.violations]
    obj, rep = report.objective, report.reported_objective
    lines.append(f"  {'objective part':<18} {'recomputed':>12} {'plan says':>12}")
    for key in ("unserved", "response deadline", "travel", "workload balance", REASSIGNMENT, ETA_SHIFT, "total"):
        if key not in obj or (key in (REASSIGNMENT, ETA_SHIFT) and not obj[key] and not rep.get(key)):
            continue
        detail = {
            "unserved": "orders "
            + " ".join(f"{p.value}:{obj[f'unserved {p.value}']:.0f}" for p in PRIORITIES),
            "response deadline": "late min "
            + " ".join(f"{p.value}:{obj[f'late minutes {p.value}']:.1f}" for p in PRIORITIES),
            "travel": f"{obj['travel km']:.1f} km",
        }.get(key, "")
        shown = f"{rep[key]:.1f}" if key in rep else "-"
        lines.append(f"  {key:<18} {obj[key]:>12.1f} {shown:>12}  {detail}".rstrip())
    lines += [f"  note: {note}" for note in report.notes]
    return "\n".join(lines)


def _km_close(reported: float, computed: float) -> bool:
    return abs(reported - computed) <= DIST_REL_TOL * computed + DIST_ABS_TOL_KM


def _minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


def _mins(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60.0:.1f}"


def _hm(dt: datetime) -> str:
    return f"{dt:%H:%M}" if dt.second == 0 else f"{dt:%H:%M:%S}"


def _when(dt: datetime, other: datetime) -> str:
    """The time of day, with the date when `other` lies on another day."""
    return _hm(dt) if dt.date() == other.date() else f"{dt:%Y-%m-%d} {_hm(dt)}"


__all__ = ["CheckReport", "Violation", "check_plan", "format_report"]
