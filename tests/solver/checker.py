"""A test-only consistency check of a Solution against its Problem, written without solver code.

The independent checker of plans lives in dispatch/; this one guards the solver's own output: every
visit once, hard rules, a schedule that adds up, and costs that match the routes.
"""

from __future__ import annotations

from solver import Problem, Solution
from solver.problem import (
    DAY,
    OVER_QUALIFICATION,
    PREFERRED_TECHNICIAN,
    RESPONSE_DEADLINE,
    TRAVEL,
    UNSERVED,
    WORKING_TIME,
)


def assert_consistent(p: Problem, s: Solution) -> None:
    errors = problems_of(p, s)
    assert not errors, "\n".join(errors)


def problems_of(p: Problem, s: Solution) -> list[str]:
    err: list[str] = []
    dist, dur = p.distances, p.durations
    travel = late = levels = preference = 0
    # a crew visit is on as many routes as its crew (distinct vehicles of one day), starting together
    serving: dict[int, list[tuple[int, int]]] = {}  # visit -> (vehicle, start) of each route it is on
    for r in s.routes:
        for j, start in zip(r.visits, r.starts, strict=True):
            serving.setdefault(j, []).append((r.vehicle, start))
    seen = list(serving) + [j for j, _ in s.unassigned]
    if sorted(seen) != list(range(len(p.visits))):
        err.append(f"visits covered {sorted(seen)}, expected each of 0..{len(p.visits) - 1} once")
    lead = {j: team[0] for j, team in s.crews}
    for j, on in serving.items():
        x = p.visits[j]
        ks = [k for k, _ in on]
        if len(on) != x.crew or len(set(ks)) != len(ks):
            err.append(f"visit {j}: on vehicles {ks}, needs {x.crew} different ones")
        if len({t for _, t in on}) != 1:
            err.append(f"visit {j}: the crew starts at different times {[t for _, t in on]}")
        if x.crew > 1:
            team = [p.vehicles[k] for k in ks]
            for q in x.skills:
                need = (x.levels[q] or 1) if q < len(x.levels) else 1
                if not any(q in v.skills and ((v.levels[q] or 1) if q < len(v.levels) else 1) >= need for v in team):
                    err.append(f"visit {j}: nobody in crew {ks} holds skill {q} at level {need}")
            if sorted(dict(s.crews).get(j, ())) != sorted(ks):
                err.append(f"visit {j}: crew {dict(s.crews).get(j)} is not its vehicles {ks}")
            whos = {k if p.vehicles[k].technician is None else p.vehicles[k].technician for k in ks}
            if x.pinned is not None and x.pinned not in whos:
                err.append(f"visit {j}: pinned technician {x.pinned} is not in crew {ks}")
            if x.preferred is not None and x.preferred not in whos:
                preference += p.preference_cost
        start = on[0][1]
        if x.deadline is not None and start > x.deadline:
            late += (start - x.deadline) * x.lateness_cost
    if [r.vehicle for r in s.routes] != list(range(len(p.vehicles))):
        err.append("routes are not one per vehicle in vehicle order")
    for r in s.routes:
        v = p.vehicles[r.vehicle]
        tag = f"vehicle {r.vehicle}"
        # visits name technicians; a multi-day vehicle is one technician's day
        who = r.vehicle if v.technician is None else v.technician
        if not r.visits:
            continue
        if v.max_visits is not None and len(r.visits) > v.max_visits:
            err.append(f"{tag}: {len(r.visits)} visits > max {v.max_visits}")
        for part in range(p.num_parts):
            used = sum(p.visits[j].parts[part] for j in r.visits if part < len(p.visits[j].parts)
                       and lead.get(j, r.vehicle) == r.vehicle)  # a crew's parts come from its lead's van
            if used > v.stock_of(part):
                err.append(f"{tag}: uses {used} of part {part}, carries {v.stock_of(part)}")
        brk = v.break_
        b0 = r.break_start
        fits = brk is not None and min(brk.latest_end, v.shift_end) - max(brk.earliest_start, v.shift_start) >= brk.duration
        if fits and b0 is None:
            err.append(f"{tag}: no break given")
        if brk is not None and b0 is not None and not (brk.earliest_start <= b0 and b0 + brk.duration <= brk.latest_end):
            err.append(f"{tag}: break {b0} outside [{brk.earliest_start}, {brk.latest_end}]")
        b1 = None if b0 is None or brk is None else b0 + brk.duration
        if r.depart < v.shift_start:
            err.append(f"{tag}: departs {r.depart} before shift start {v.shift_start}")
        if r.back > v.shift_end:
            err.append(f"{tag}: back {r.back} after shift end {v.shift_end}")
        at, left, metres = v.start, r.depart, 0
        legs = [*zip(r.visits, r.arrivals, r.starts, strict=True), (None, r.back, r.back)]
        for j, arrival, start in legs:
            loc = v.end if j is None else p.visits[j].location
            drive = int(dur[at, loc])
            metres += int(dist[at, loc])
            # A break inside this gap adds its duration to the drive; it must sit wholly in the gap.
            in_gap = b0 is not None and b1 is not None and left <= b0 and b1 <= start
            need = drive + (b1 - b0 if in_gap and b0 is not None and b1 is not None else 0)
            if arrival - left < need:
                err.append(f"{tag}: reaches {j} at {arrival}, only {arrival - left}s after leaving at {left}, needs {need}")
            if start < arrival:
                err.append(f"{tag}: visit {j} starts {start} before arrival {arrival}")
            if j is None:
                break
            x = p.visits[j]
            if b0 is not None and b1 is not None and b0 < start + x.service and start < b1:
                err.append(f"{tag}: break [{b0}, {b1}] overlaps service of {j} at {start}")
            window = x.window
            if window is not None and x.daily:
                window = (window[0] + v.day * DAY, window[1] + v.day * DAY)
            if window is not None and not window[0] <= start <= window[1]:
                err.append(f"{tag}: visit {j} starts {start} outside window {window}")
            if x.crew == 1 and not v.has_skills(x.skills):
                err.append(f"{tag}: lacks a skill of visit {j}")
            for q in x.skills if x.crew == 1 else ():
                held = (v.levels[q] or 1) if q < len(v.levels) else 1
                need = (x.levels[q] or 1) if q < len(x.levels) else 1
                if q in v.skills and held < need:
                    err.append(f"{tag}: holds skill {q} at level {held}, visit {j} needs {need}")
                elif q in v.skills:
                    levels += (held - need) * p.over_qualification_cost
            if who in x.forbidden:
                err.append(f"{tag}: visit {j} refuses this technician")
            if x.crew == 1 and x.preferred is not None and x.preferred != who:
                preference += p.preference_cost
            if x.crew == 1 and x.pinned is not None and x.pinned != who:
                err.append(f"{tag}: visit {j} is pinned to {x.pinned}")
            at, left = loc, start + x.service
        # The break lies within the day, or after it (off the clock) once the technician is home.
        if b0 is not None and b1 is not None and not (r.depart <= b0 and (b1 <= r.back or b0 >= r.back)):
            err.append(f"{tag}: break [{b0}, {b1}] outside the day [{r.depart}, {r.back}]")
        if metres != r.distance:
            err.append(f"{tag}: distance {r.distance} != {metres} recomputed")
        travel += metres * p.distance_cost
    unserved = sum(p.visits[j].drop_penalty or 0 for j, _ in s.unassigned)
    for rule, want in ((TRAVEL, travel), (RESPONSE_DEADLINE, late), (UNSERVED, unserved),
                       (OVER_QUALIFICATION, levels), (PREFERRED_TECHNICIAN, preference),
                       (WORKING_TIME, p.span_cost * sum(r.back - r.depart for r in s.routes if r.visits))):
        if s.costs.get(rule) != want:
            err.append(f"cost {rule}: {s.costs.get(rule)} != {want} recomputed")
    if s.objective != sum(s.costs.values()):
        err.append(f"objective {s.objective} != sum of costs {sum(s.costs.values())}")
    return err
