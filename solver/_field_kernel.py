"""The compiled loop of solver/fieldwalk.py: slack string removals and blinking insertion on dispatch days.

Imported only when a field walk runs (numba takes a while to import). Every array is prepared by
solver/fieldwalk.py, which states the rules they encode; nothing here reads the clock.

A route k is rt[k, :ln[k]] (visit indices). Its times come from `_sim`, the rule book's scheduler
(schedule.Timetable.walk) over the route with one visit put in: leave home at the shift start, wait for
windows to open, the break by the lazy rule, and when that breaks a rule the least late break leg that
keeps them all (construct._load, Timetable.best_schedule). ee[k, p] is the end of service at stop p without
the break, ls[k, p] the latest start there that lets the later stops keep their windows and the shift
without it: the break only delays, so an insertion these bounds refuse never fits, and most are refused
in O(1) before a full re-simulation.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from solver._sisr_kernel import _rand, ruin

_NONE = -(1 << 62)  # a schedule that breaks a hard rule


@njit(cache=True)
def _walk_times(k, rt, m, j, pos, gap, nobreak, loc, svc, opn, cls, ddl, lw, vs, ve, ss, se, bes, ble, bdur,
                hasb, dur):
    """Weighted lateness of route k with visit j put in at `pos` (j < 0: as it is) under the rule book's
    strict schedule: the break on leg `gap` (-1: the lazy rule; `nobreak`: none). _NONE when a window, the
    break or the shift breaks."""
    t = ss[k]
    at = vs[k]
    taken = nobreak or not hasb[k]
    eb = bes[k]
    lb = ble[k]
    length = bdur[k]
    late = np.int64(0)
    total = m + 1 if j >= 0 else m
    i = 0
    for q in range(total):
        if j >= 0 and q == pos:
            x = j
        else:
            x = rt[k, i]
            i += 1
        there = loc[x]
        arrival = t + dur[at, there]
        opens = opn[x]
        ready = arrival if arrival > opens else opens
        if not taken:
            bs = t if t > eb else eb
            wb = (arrival if arrival > bs else bs) + length
            if gap >= 0:
                take = q == gap
            else:
                after = ready + svc[x]
                take = wb <= ready or (after if after > eb else eb) + length > lb
            if take:
                if bs + length > lb:
                    return _NONE
                taken = True
                ready = wb if wb > opens else opens
        if ready > cls[x]:
            return _NONE
        if ready > ddl[x]:
            late += (ready - ddl[x]) * lw[x]
        t = ready + svc[x]
        at = there
    back = t + dur[at, ve[k]]
    if not taken:
        bs = t if t > eb else eb
        if bs + length > lb:
            return _NONE
        back = (back if back > bs else bs) + length
    if back > se[k]:
        return _NONE
    return late


@njit(cache=True)
def _late(k, rt, m, j, pos, loc, svc, opn, cls, ddl, lw, vs, ve, ss, se, bes, ble, bdur, hasb, dur):
    """Weighted lateness of route k with j put in at `pos` as construct._load schedules it: the lazy break
    rule, else the least late break leg (the first of equals); -1 when no leg keeps every rule."""
    got = _walk_times(k, rt, m, j, pos, -1, False, loc, svc, opn, cls, ddl, lw, vs, ve, ss, se, bes, ble, bdur,
                      hasb, dur)
    if got >= 0:
        return got
    if not hasb[k]:
        return -1
    # without the break every time is as soon or sooner: if that breaks a rule, so does every leg
    if _walk_times(k, rt, m, j, pos, -1, True, loc, svc, opn, cls, ddl, lw, vs, ve, ss, se, bes, ble, bdur,
                   hasb, dur) == _NONE:
        return -1
    best = np.int64(-1)
    total = m + 1 if j >= 0 else m
    for gap in range(total + 1):
        got = _walk_times(k, rt, m, j, pos, gap, False, loc, svc, opn, cls, ddl, lw, vs, ve, ss, se, bes, ble,
                          bdur, hasb, dur)
        if got >= 0 and (best < 0 or got < best):
            best = got
            if best == 0:
                break
    return best


@njit(cache=True)
def _retime(k, rt, ln, ld, ee, ls, rc, rl, loc, svc, opn, cls, ddl, lw, dem, asg, vs, ve, ss, se, bes, ble, bdur,
            hasb, dur, dist):
    """Recompute route k's bounds, van load, travel plus assignment cost (rc) and weighted lateness (rl)."""
    m = ln[k]
    t = ss[k]
    at = vs[k]
    cost = np.int64(0)
    nparts = ld.shape[1]
    for p in range(nparts):
        ld[k, p] = 0
    for p in range(m):
        j = rt[k, p]
        here = loc[j]
        a = t + dur[at, here]
        if a < opn[j]:
            a = opn[j]
        t = a + svc[j]
        ee[k, p] = t
        cost += dist[at, here] + asg[j, k]
        at = here
        for q in range(nparts):
            ld[k, q] += dem[j, q]
    if m > 0:
        cost += dist[at, ve[k]]
    nxt = se[k]
    nl = ve[k]
    for p in range(m - 1, -1, -1):
        j = rt[k, p]
        here = loc[j]
        latest = nxt - dur[here, nl] - svc[j]
        if latest > cls[j]:
            latest = cls[j]
        ls[k, p] = latest
        nxt = latest
        nl = here
    rc[k] = cost
    if m > 0:
        rl[k] = _late(k, rt, m, -1, 0, loc, svc, opn, cls, ddl, lw, vs, ve, ss, se, bes, ble, bdur, hasb, dur)
    else:
        rl[k] = 0


@njit(cache=True)
def walk(iterations, t_from, t_to, rng,
         rt, ln, ld, ee, ls, rc, rl, rof,
         c_rt, c_ln, c_ld, c_ee, c_ls, c_rc, c_rl, c_rof,
         b_rt, b_ln, cost_now, best_now,
         loc, svc, opn, cls, ddl, lw, dem, needs, pen, cls_rank, asg, maxv, vs, ve, ss, se, cap, bes, ble, bdur,
         hasb, vclass, dur, dist, adj, far, early, avg_removed, max_string, blink):
    """`iterations` steps of ruin, recreate and simulated-annealing acceptance, the temperature going
    geometrically from t_from to t_to. The working state (rt ...) equals the current one (c_rt ...) on
    entry and on return; the best plan is b_rt/b_ln at cost best_now[0]. Returns how many steps found a
    new best."""
    n = loc.shape[0]
    fleet = ln.shape[0]
    nparts = ld.shape[1]
    improvements = 0
    removed = np.empty(n, np.int64)
    touched = np.zeros(fleet, np.bool_)
    touched_list = np.empty(fleet, np.int64)
    seen_class = np.zeros(fleet + 1, np.bool_)
    keys = np.empty(n, np.float64)
    for it in range(iterations):
        temp = t_from * (t_to / t_from) ** (it / max(1, iterations))
        # --- ruin: strings on routes near a seed visit
        nrem, ntouched = ruin(rng, rt, ln, rof, adj, removed, touched, touched_list, avg_removed, max_string, blink)
        # visits left out before are tried again too
        for j in range(n):
            if rof[j] < 0 and c_rof[j] < 0:
                removed[nrem] = j
                nrem += 1
        for i in range(ntouched):
            k = touched_list[i]
            _retime(k, rt, ln, ld, ee, ls, rc, rl, loc, svc, opn, cls, ddl, lw, dem, asg, vs, ve, ss, se, bes, ble,
                    bdur, hasb, dur, dist)
        # --- recreate: priority classes first (as the rule book's insertion), within one in one of four orders
        r = _rand(rng) * 11.0
        for i in range(nrem):
            j = removed[i]
            if r < 4.0:
                key = _rand(rng)
            elif r < 8.0:
                key = early[j]
            elif r < 10.0:
                key = 1.0 - far[j]
            else:
                key = far[j]
            keys[i] = cls_rank[j] * 2.0 + key
        order = np.argsort(keys[:nrem], kind="mergesort")
        for oi in range(nrem):
            j = removed[order[oi]]
            lj = loc[j]
            best_delta = np.int64(-1)
            best_k = -1
            best_p = -1
            for q in range(fleet + 1):
                seen_class[q] = False
            for k in range(fleet):
                if asg[j, k] < 0:
                    continue
                m = ln[k]
                if m >= maxv[k]:
                    continue
                if needs[j]:
                    fits = True
                    for q in range(nparts):
                        if ld[k, q] + dem[j, q] > cap[k, q]:
                            fits = False
                            break
                    if not fits:
                        continue
                if m == 0:
                    if seen_class[vclass[k]]:
                        continue  # an idle vehicle like one already tried
                    seen_class[vclass[k]] = True
                for p in range(m + 1):
                    if blink > 0.0 and _rand(rng) < blink:
                        continue
                    if p == 0:
                        pl = vs[k]
                        pend = ss[k]
                    else:
                        pj = rt[k, p - 1]
                        pl = loc[pj]
                        pend = ee[k, p - 1]
                    nl = ve[k] if p == m else loc[rt[k, p]]
                    if m == 0:
                        delta = dist[pl, lj] + dist[lj, nl]
                    else:
                        delta = dist[pl, lj] + dist[lj, nl] - dist[pl, nl]
                    delta += asg[j, k]
                    if best_k >= 0 and delta >= best_delta:
                        continue
                    # the bounds without the break: a place they refuse never fits
                    a = pend + dur[pl, lj]
                    if a < opn[j]:
                        a = opn[j]
                    if a > cls[j]:
                        continue
                    after = a + svc[j] + dur[lj, nl]
                    if p == m:
                        if after > se[k]:
                            continue
                    else:
                        nj = rt[k, p]
                        if after < opn[nj]:
                            after = opn[nj]
                        if after > ls[k, p]:
                            continue
                    late = _late(k, rt, m, j, p, loc, svc, opn, cls, ddl, lw, vs, ve, ss, se, bes, ble, bdur, hasb,
                                 dur)
                    if late < 0:
                        continue
                    delta += late - rl[k]
                    if best_k >= 0 and delta >= best_delta:
                        continue
                    best_delta = delta
                    best_k = k
                    best_p = p
            if best_k < 0 or best_delta > pen[j]:
                continue  # left out this step
            k = best_k
            m = ln[k]
            for p in range(m, best_p, -1):
                rt[k, p] = rt[k, p - 1]
            rt[k, best_p] = j
            ln[k] = m + 1
            rof[j] = k
            _retime(k, rt, ln, ld, ee, ls, rc, rl, loc, svc, opn, cls, ddl, lw, dem, asg, vs, ve, ss, se, bes, ble,
                    bdur, hasb, dur, dist)
            if not touched[k]:
                touched[k] = True
                touched_list[ntouched] = k
                ntouched += 1
        # --- accept or undo
        cost = np.int64(0)
        for k in range(fleet):
            cost += rc[k] + rl[k]
        for j in range(n):
            if rof[j] < 0:
                cost += pen[j]
        accept = cost < cost_now[0] - temp * np.log(1.0 - _rand(rng))
        if accept:
            src_rt, src_ln, src_ld, src_ee, src_ls, src_rc, src_rl = rt, ln, ld, ee, ls, rc, rl
            dst_rt, dst_ln, dst_ld, dst_ee, dst_ls, dst_rc, dst_rl = c_rt, c_ln, c_ld, c_ee, c_ls, c_rc, c_rl
            cost_now[0] = cost
        else:
            src_rt, src_ln, src_ld, src_ee, src_ls, src_rc, src_rl = c_rt, c_ln, c_ld, c_ee, c_ls, c_rc, c_rl
            dst_rt, dst_ln, dst_ld, dst_ee, dst_ls, dst_rc, dst_rl = rt, ln, ld, ee, ls, rc, rl
        for i in range(ntouched):
            k = touched_list[i]
            m = src_ln[k]
            for p in range(m):
                dst_rt[k, p] = src_rt[k, p]
                dst_ee[k, p] = src_ee[k, p]
                dst_ls[k, p] = src_ls[k, p]
            for q in range(nparts):
                dst_ld[k, q] = src_ld[k, q]
            dst_ln[k] = m
            dst_rc[k] = src_rc[k]
            dst_rl[k] = src_rl[k]
            touched[k] = False
        if accept:
            for j in range(n):
                c_rof[j] = rof[j]
            if cost < best_now[0]:
                best_now[0] = cost
                improvements += 1
                for k in range(fleet):
                    b_ln[k] = ln[k]
                    for p in range(ln[k]):
                        b_rt[k, p] = rt[k, p]
        else:
            for j in range(n):
                rof[j] = c_rof[j]
    return improvements
