"""The compiled loop of solver/spanwalk.py: ruin and recreate priced by working time.

Imported only when a span walk runs. Every array is prepared by solver/spanwalk.py (most by
solver/fieldwalk.py's `_Arrays`); nothing here reads the clock.

A route k is rt[k, :ln[k]] (visit indices). Its working time is the rule book's (schedule.Timetable.lean):
back home, leaving at the shift start, minus the latest departure that keeps that time back (the waits on
the way, as far as every window and the shift still hold: Savelsbergh's forward slack). Routes are short
(5-15 stops), so an insertion that passes the O(1) window bounds is priced by re-simulating its route.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from solver._sisr_kernel import _below, _rand, ruin


@njit(cache=True)
def _span(k, rt, m, j, pos, loc, svc, opn, cls, vs, ve, ss, se, dur):
    """Working time of route k with visit j put in at `pos` (j < 0: as it is); -1 when a window or the
    shift breaks."""
    if m == 0 and j < 0:
        return np.int64(0)
    t = ss[k]
    at = vs[k]
    waits = np.int64(0)
    room = np.int64(1 << 62)
    i = 0
    for q in range(m + 1 if j >= 0 else m):
        if j >= 0 and q == pos:
            x = j
        else:
            x = rt[k, i]
            i += 1
        arrival = t + dur[at, loc[x]]
        begins = arrival if arrival > opn[x] else opn[x]
        if begins > cls[x]:
            return np.int64(-1)
        waits += begins - arrival
        if waits + cls[x] - begins < room:
            room = waits + cls[x] - begins
        t = begins + svc[x]
        at = loc[x]
    back = t + dur[at, ve[k]]
    if back > se[k]:
        return np.int64(-1)
    if waits + se[k] - back < room:
        room = waits + se[k] - back
    push = min(room, waits)
    return back - ss[k] - max(push, 0)


@njit(cache=True)
def _refresh(k, rt, ln, ld, ee, ls, rc, sp, idle, loc, svc, opn, cls, dem, asg, vs, ve, ss, se, dur, dist, span_w):
    """Route k's window bounds (ee: end of service leaving at the shift start, ls: latest start keeping the
    later stops), van load, cost (travel, assignment, working time) and idle time (working time less travel
    and service: what an insertion can absorb)."""
    m = ln[k]
    ld[k, :] = 0
    if m == 0:
        rc[k] = 0
        sp[k] = 0
        idle[k] = 0
        return
    t = ss[k]
    at = vs[k]
    busy = np.int64(0)
    fixed = np.int64(0)
    for p in range(m):
        x = rt[k, p]
        busy += dur[at, loc[x]] + svc[x]
        fixed += dist[at, loc[x]] + asg[x, k]
        t = max(t + dur[at, loc[x]], opn[x]) + svc[x]
        ee[k, p] = t
        at = loc[x]
        ld[k, :] += dem[x, :]
    busy += dur[at, ve[k]]
    travel = fixed + dist[at, ve[k]]
    limit = se[k]
    after = ve[k]
    for p in range(m - 1, -1, -1):
        x = rt[k, p]
        limit = min(limit - dur[loc[x], after] - svc[x], cls[x])
        ls[k, p] = limit
        after = loc[x]
    span = _span(k, rt, m, -1, 0, loc, svc, opn, cls, vs, ve, ss, se, dur)
    rc[k] = travel + span_w * span
    sp[k] = span
    idle[k] = span - busy


@njit(cache=True)
def _room(load, need, cap):
    """Whether the van still holds `need` on top of `load`."""
    for q in range(load.shape[0]):  # noqa: SIM110 (numba compiles no generator inside all())
        if load[q] + need[q] > cap[q]:
            return False
    return True


@njit(cache=True)
def _take(k, src, dst):
    """Route k's state from one plan to the other (visit owners aside)."""
    dst[0][k] = src[0][k]
    dst[1][k] = src[1][k]
    dst[2][k] = src[2][k]
    dst[3][k] = src[3][k]
    dst[4][k] = src[4][k]
    dst[5][k] = src[5][k]
    dst[6][k] = src[6][k]
    dst[7][k] = src[7][k]


@njit(cache=True)
def _shortest(rng, ln, tries):
    """A used route with few visits: the shortest of `tries` drawn at random (-1: none used)."""
    fleet = ln.shape[0]
    pick = -1
    for _ in range(tries):
        k = _below(rng, fleet)
        if ln[k] > 0 and (pick < 0 or ln[k] < ln[pick]):
            pick = k
    return pick


@njit(cache=True)
def walk(iterations, t_from, t_to, rng, cur, new, best, cost_now, best_now,
         loc, svc, opn, cls, dem, needs, pen, cls_rank, asg, maxv, vs, ve, ss, se, cap, vclass, dur, dist, adj, far,
         early, span_w, avg_removed, max_string, blink, dissolve_every):
    """`iterations` steps of ruin, recreate and simulated-annealing acceptance, the temperature going
    geometrically from t_from to t_to. `cur` and `new` are (rt, ln, ld, ee, ls, rc, sp, idle, rof) of the current
    plan and the working one (equal on entry and on return); `best` is (rt, ln) of the best plan, at cost
    best_now[0]. About one step in `dissolve_every` also empties a short route, whose vehicle then takes no
    visit in that step (its trip from home and back is saved). Returns how many steps found a new best."""
    rt, ln, ld, ee, ls, rc, sp, idle, rof = new
    c_rof = cur[8]
    b_rt, b_ln = best
    n = loc.shape[0]
    fleet = ln.shape[0]
    improvements = 0
    removed = np.empty(n, np.int64)
    touched = np.zeros(fleet, np.bool_)
    touched_list = np.empty(fleet, np.int64)
    seen_class = np.zeros(fleet + 1, np.bool_)
    keys = np.empty(n, np.float64)
    for it in range(iterations):
        temp = t_from * (t_to / t_from) ** (it / max(1, iterations))
        nrem, ntouched = ruin(rng, rt, ln, rof, adj, removed, touched, touched_list, avg_removed, max_string, blink)
        closed = -1
        if dissolve_every > 0 and _below(rng, dissolve_every) == 0:
            closed = _shortest(rng, ln, 3)
            if closed >= 0:
                for p in range(ln[closed]):
                    removed[nrem] = rt[closed, p]
                    rof[rt[closed, p]] = -1
                    nrem += 1
                ln[closed] = 0
                if not touched[closed]:
                    touched[closed] = True
                    touched_list[ntouched] = closed
                    ntouched += 1
        for j in range(n):  # visits left out before are tried again too
            if rof[j] < 0 and c_rof[j] < 0:
                removed[nrem] = j
                nrem += 1
        for i in range(ntouched):
            _refresh(touched_list[i], rt, ln, ld, ee, ls, rc, sp, idle, loc, svc, opn, cls, dem, asg, vs, ve, ss, se,
                     dur, dist, span_w)
        # recreate: priority classes first, within one at random, by window, from near or from far
        r = _rand(rng) * 11.0
        for i in range(nrem):
            j = removed[i]
            key = _rand(rng) if r < 4.0 else early[j] if r < 8.0 else 1.0 - far[j] if r < 10.0 else far[j]
            keys[i] = cls_rank[j] * 2.0 + key
        for i in np.argsort(keys[:nrem], kind="mergesort"):
            j = removed[i]
            lj = loc[j]
            best_delta = np.int64(0)
            best_k = -1
            best_p = -1
            seen_class[:] = False
            for k in range(fleet):
                m = ln[k]
                if asg[j, k] < 0 or k == closed or m >= maxv[k]:
                    continue
                if needs[j] and not _room(ld[k], dem[j], cap[k]):
                    continue
                if m == 0:
                    if seen_class[vclass[k]]:
                        continue  # an idle vehicle like one already tried
                    seen_class[vclass[k]] = True
                for p in range(m + 1):
                    if blink > 0.0 and _rand(rng) < blink:
                        continue
                    pl = vs[k] if p == 0 else loc[rt[k, p - 1]]
                    pend = ss[k] if p == 0 else ee[k, p - 1]
                    nl = ve[k] if p == m else loc[rt[k, p]]
                    moved = dur[pl, lj] + dur[lj, nl] - (dur[pl, nl] if m else 0)
                    priced = dist[pl, lj] + dist[lj, nl] - (dist[pl, nl] if m else 0) + asg[j, k]
                    # the working time grows by the added drive and service, less the idle time it can fill
                    bound = priced + span_w * max(0, moved + svc[j] - idle[k])
                    if best_k >= 0 and bound >= best_delta:
                        continue
                    a = max(pend + dur[pl, lj], opn[j])
                    if a > cls[j]:
                        continue
                    nxt = a + svc[j] + dur[lj, nl]
                    if (nxt > se[k]) if p == m else (max(nxt, opn[rt[k, p]]) > ls[k, p]):
                        continue
                    span = _span(k, rt, m, j, p, loc, svc, opn, cls, vs, ve, ss, se, dur)
                    if span < 0:
                        continue
                    delta = priced + span_w * (span - sp[k])
                    if best_k < 0 or delta < best_delta:
                        best_delta = delta
                        best_k = k
                        best_p = p
            if best_k < 0 or best_delta > pen[j]:
                continue  # left out this step
            k = best_k
            m = ln[k]
            rt[k, best_p + 1:m + 1] = rt[k, best_p:m].copy()
            rt[k, best_p] = j
            ln[k] = m + 1
            rof[j] = k
            _refresh(k, rt, ln, ld, ee, ls, rc, sp, idle, loc, svc, opn, cls, dem, asg, vs, ve, ss, se, dur, dist, span_w)
            if not touched[k]:
                touched[k] = True
                touched_list[ntouched] = k
                ntouched += 1
        cost = rc.sum()
        for j in range(n):
            if rof[j] < 0:
                cost += pen[j]
        accept = cost < cost_now[0] - temp * np.log(1.0 - _rand(rng))
        # the touched routes go over to the current plan (accepted) or back from it (refused)
        src, dst = (new, cur) if accept else (cur, new)
        for i in range(ntouched):
            k = touched_list[i]
            touched[k] = False
            _take(k, src, dst)
        if accept:
            cost_now[0] = cost
            c_rof[:] = rof
            if cost < best_now[0]:
                best_now[0] = cost
                improvements += 1
                b_ln[:] = ln
                b_rt[:] = rt
        else:
            rof[:] = c_rof
    return improvements
