"""The rule book: every rule of a dispatch day by the name a dispatcher uses, and the predicate that
decides whether it binds, each written once.

The OR-Tools model (solver/model.py) states the rules as constraints; the screening and the reasons for
left-out visits (solver/reasons.py), the scheduler and the costs (solver/schedule.py) and the insertion
heuristic (solver/construct.py) check them in Python through the predicates below. The names come back
in `Reason.rule`, `Reason.broken` and `Solution.costs`.

Units as in solver/problem.py: times in integer seconds, costs in integer objective units.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # problem.py imports the names from here
    from solver.problem import Break, Problem, Vehicle, Visit
    from solver.schedule import Timing

# Hard rules, in the order the model states them.
SHIFT = "shift"
REQUIRED_SKILL = "required skill"
REFUSED_TECHNICIAN = "refused technician"
PINNED_TECHNICIAN = "pinned technician"
APPOINTMENT_WINDOW = "appointment window"
BREAK = "break"
VAN_STOCK = "van stock"
MAX_ORDERS = "max orders"
# A job for several technicians: they start together, and together hold the skills it needs.
CREW = "crew"
# No rule is broken, but no technician has room left (a reason, not a rule of the model).
FULLY_BOOKED = "fully booked"
# Soft rules: the parts of the objective.
RESPONSE_DEADLINE = "response deadline"
UNSERVED = "unserved"
TRAVEL = "travel"
WORKLOAD_BALANCE = "workload balance"
# Each route's span, home to home, waiting included (benchmarks whose objective is working time).
WORKING_TIME = "working time"
# A technician holding a required skill above the level the visit needs (kept for the jobs that need them).
OVER_QUALIFICATION = "over-qualification"
# A visit the customer asked a technician for, served by another one.
PREFERRED_TECHNICIAN = "preferred technician"
# Stability of a re-plan: a visit not yet begun moved to another technician, or started later than before.
REASSIGNMENT = "reassignment"
ETA_SHIFT = "eta shift"

HARD_RULES = (SHIFT, REQUIRED_SKILL, REFUSED_TECHNICIAN, PINNED_TECHNICIAN, APPOINTMENT_WINDOW, BREAK, VAN_STOCK,
              MAX_ORDERS, CREW)
SOFT_RULES = (RESPONSE_DEADLINE, UNSERVED, TRAVEL, WORKLOAD_BALANCE, REASSIGNMENT, ETA_SHIFT, OVER_QUALIFICATION,
              PREFERRED_TECHNICIAN, WORKING_TIME)
# Every name, hard rules first.
ALL_RULES = (*HARD_RULES, FULLY_BOOKED, *SOFT_RULES)


# --- hard rules


def overruns_shift(vehicle: Vehicle, back: int) -> bool:
    """Shift: the technician is home after the end of the shift."""
    return back > vehicle.shift_end


def qualified(vehicle: Vehicle, visit: Visit) -> bool:
    """Required skill: the technician has every skill the visit requires, each at the level it needs
    (a plain skill is level 1)."""
    return vehicle.has_skills(visit.skills) and all(vehicle.level_of(s) >= visit.level_of(s) for s in visit.skills)


def crew_covers(vehicles: Iterable[Vehicle], visit: Visit) -> bool:
    """Required skill, for a crew: together the vehicles hold every skill the visit requires, each at
    its level by one of them."""
    team = list(vehicles)
    return all(any(v.level_of(s) >= visit.level_of(s) for v in team) for s in visit.skills)


def refused(visit: Visit, technician: int) -> bool:
    """Refused technician: the customer refuses this technician (Problem.technician_of a vehicle)."""
    return technician in visit.forbidden


def pin_allows(visit: Visit, technician: int) -> bool:
    """Pinned technician: the visit is not pinned, or pinned to this technician."""
    return visit.pinned is None or visit.pinned == technician


def misses_window(window: tuple[int, int] | None, start: int) -> bool:
    """Appointment window: service starts after the window (Problem.window_of) closes; waiting for it to
    open is allowed."""
    return window is not None and start > window[1]


def break_of(vehicle: Vehicle) -> Break | None:
    """Break: the technician's break, or None when its window does not overlap the shift by its length
    (such a break can never be due)."""
    b = vehicle.break_
    if b is None or min(b.latest_end, vehicle.shift_end) - max(b.earliest_start, vehicle.shift_start) < b.duration:
        return None
    return b


def break_overruns(brk: Break, start: int) -> bool:
    """Break: a break starting at `start` ends after its window."""
    return start + brk.duration > brk.latest_end


def parts_needed(visits: Iterable[Visit]) -> dict[int, int]:
    """Quantity per part type over the visits (types needed by none are left out)."""
    need: dict[int, int] = {}
    for x in visits:
        for p, q in enumerate(x.parts):
            if q > 0:
                need[p] = need.get(p, 0) + q
    return need


def carries(vehicle: Vehicle, visits: Iterable[Visit]) -> bool:
    """Van stock: the van holds every part the visits need together."""
    return all(q <= vehicle.stock_of(p) for p, q in parts_needed(visits).items())


def over_max_orders(vehicle: Vehicle, orders: int) -> bool:
    """Max orders: `orders` visits are more than the technician may take."""
    return vehicle.max_visits is not None and orders > vehicle.max_visits


# --- soft rules


def lateness(visit: Visit, start: int) -> int:
    """Response deadline: the cost of starting service at `start`, per second after the deadline."""
    if visit.deadline is None or start <= visit.deadline:
        return 0
    return (start - visit.deadline) * visit.lateness_cost


def reassigned(visit: Visit, technician: int) -> bool:
    """Reassignment: the visit was on another technician's route in the plan being re-planned."""
    return visit.previous_vehicle is not None and visit.previous_vehicle != technician


def over_max_moves(problem: Problem, routes: Iterable[tuple[int, Sequence[int]]]) -> bool:
    """Max moves: more visits changed vehicle on these (vehicle, visits) routes than the re-plan allows."""
    if problem.max_moves is None:
        return False
    moved = sum(reassigned(problem.visits[j], problem.technician_of(k)) for k, visits in routes for j in visits)
    return moved > problem.max_moves


def eta_shift(problem: Problem, visit: Visit, start: int) -> int:
    """ETA shift: the cost of starting more than the tolerance after the start planned before. Arriving
    earlier costs nothing here (the customer is told; waiting longer is what hurts)."""
    if visit.previous_start is None or problem.shift_cost <= 0:
        return 0
    return max(0, start - visit.previous_start - problem.shift_tolerance) * problem.shift_cost


def over_qualification(problem: Problem, vehicle: Vehicle, visit: Visit) -> int:
    """Over-qualification: the cost of the levels the technician holds above those the visit needs,
    summed over its required skills (0 for a technician who is not qualified)."""
    if problem.over_qualification_cost <= 0 or not qualified(vehicle, visit):
        return 0
    extra = sum(vehicle.level_of(s) - visit.level_of(s) for s in visit.skills)
    return extra * problem.over_qualification_cost


def missed_preference(problem: Problem, visit: Visit, technician: int) -> int:
    """Preferred technician: the cost of serving a visit by another technician than the one the customer asked for."""
    if visit.preferred is None or visit.preferred == technician:
        return 0
    return problem.preference_cost


# --- a whole route


def broken_rules(problem: Problem, vehicle: int, visits: Sequence[int], timing: Timing) -> tuple[str, ...]:
    """Hard rules the route `visits` on `vehicle` breaks with these times (empty: the route is feasible),
    in the order appointment window, shift, break, van stock, max orders. Skills and pins are not
    checked: the screening keeps them off every route."""
    v = problem.vehicles[vehicle]
    stops = [problem.visits[j] for j in visits]
    broken: list[str] = []
    if any(misses_window(problem.window_of(j, vehicle), s) for j, s in zip(visits, timing.starts, strict=True)):
        broken.append(APPOINTMENT_WINDOW)
    if overruns_shift(v, timing.back):
        broken.append(SHIFT)
    brk = break_of(v)
    if brk is not None and timing.break_start is not None and break_overruns(brk, timing.break_start):
        broken.append(BREAK)
    if not carries(v, stops):
        broken.append(VAN_STOCK)
    if over_max_orders(v, len(visits)):
        broken.append(MAX_ORDERS)
    return tuple(broken)
