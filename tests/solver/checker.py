"""A test-only consistency check of a Solution against its Problem, written without solver code.

The independent checker of plans lives in dispatch/; this one guards the solver's own output: every
visit once, hard rules, a schedule that adds up, and costs that match the routes.
"""

from __future__ import annotations

from solver import Problem, Solution
from solver.problem import DAY, OVER_QUALIFICATION, PREFERRED_TECHNICIAN, RESPONSE_DEADLINE, TRAVEL, UNSERVED


def assert_consistent(p: Problem, s: Solution) -> None:
    errors = problems_of(p, s)
    assert not errors, "\n".join(errors)


def problems_of(p: Problem, s: Solution) -> list[str]:
    err: list[str] = []
    dist, dur = p.distances, p.durations
    seen = [j for r in s.routes for j in r.visits] + [j for j, _ in s.unassigned]
    if sorted(seen) != list(range(len(p.visits))):
        err.append(f"visits covered {sorted(seen)}, expected each of 0..{len(p.visits) - 1} once")
    if [r.vehicle for r in s.routes] != list(range(len(p.vehicles))):
        err.append("routes are not one per vehicle in vehicle order")
    travel = late = levels = preference = 0
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
            used = sum(p.visits[j].parts[part] for j in r.visits if part < len(p.visits[j].parts))
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
            if not v.has_skills(x.skills):
                err.append(f"{tag}: lacks a skill of visit {j}")
            for q in x.skills:
                held = (v.levels[q] or 1) if q < len(v.levels) else 1
                need = (x.levels[q] or 1) if q < len(x.levels) else 1
                if q in v.skills and held < need:
                    err.append(f"{tag}: holds skill {q} at level {held}, visit {j} needs {need}")
                elif q in v.skills:
                    levels += (held - need) * p.over_qualification_cost
            if who in x.forbidden:
                err.append(f"{tag}: visit {j} refuses this technician")
            if x.preferred is not None and x.preferred != who:
                preference += p.preference_cost
            if x.pinned is not None and x.pinned != who:
                err.append(f"{tag}: visit {j} is pinned to {x.pinned}")
            if x.deadline is not None and start > x.deadline:
                late += (start - x.deadline) * x.lateness_cost
            at, left = loc, start + x.service
        # The break lies within the day, or after it (off the clock) once the technician is home.
        if b0 is not None and b1 is not None and not (r.depart <= b0 and (b1 <= r.back or b0 >= r.back)):
            err.append(f"{tag}: break [{b0}, {b1}] outside the day [{r.depart}, {r.back}]")
        if metres != r.distance:
            err.append(f"{tag}: distance {r.distance} != {metres} recomputed")
        travel += metres * p.distance_cost
    unserved = sum(p.visits[j].drop_penalty or 0 for j, _ in s.unassigned)
    for rule, want in ((TRAVEL, travel), (RESPONSE_DEADLINE, late), (UNSERVED, unserved),
                       (OVER_QUALIFICATION, levels), (PREFERRED_TECHNICIAN, preference)):
        if s.costs.get(rule) != want:
            err.append(f"cost {rule}: {s.costs.get(rule)} != {want} recomputed")
    if s.objective != sum(s.costs.values()):
        err.append(f"objective {s.objective} != sum of costs {sum(s.costs.values())}")
    return err
