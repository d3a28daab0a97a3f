"""The compiled loop of solver/vrptw.py: slack string removals and blinking insertion on plain VRPTW routes.

Imported only when a plain VRPTW walk runs (numba takes a while to import). Every array is prepared by
solver/vrptw.py, which states the rules they encode; nothing here reads the clock.

A route k is rt[k, :ln[k]] (visit indices). est[k, p] is the earliest start of service at its p-th stop
(leaving home at the shift start, waiting for windows to open), lst[k, p] the latest start there that still
lets every later stop start within its window and the vehicle be home by the end of its shift. An insertion
is then tested in O(1): the visit's own window, and the next stop's start against its latest.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_MULT = np.uint64(0x2545F4914F6CDD1D)


@njit(cache=True)
def _rand(state: np.ndarray) -> float:
    """xorshift64*: a float in [0, 1). The walk's only randomness, so one seed gives one walk."""
    x = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return float((x * _MULT) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def _below(state: np.ndarray, n: int) -> int:
    """An integer in [0, n)."""
    i = int(_rand(state) * n)
    return i if i < n else n - 1


@njit(cache=True)
def _retime(k, rt, ln, ld, est, lst, rc, loc, svc, opn, cls, dem, vs, ve, ss, se, dur, dist):
    """Recompute route k's earliest and latest starts, load and travel cost."""
    m = ln[k]
    t = ss[k]
    at = vs[k]
    load = 0
    cost = 0
    for p in range(m):
        j = rt[k, p]
        here = loc[j]
        a = t + dur[at, here]
        if a < opn[j]:
            a = opn[j]
        est[k, p] = a
        t = a + svc[j]
        cost += dist[at, here]
        at = here
        load += dem[j]
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
        lst[k, p] = latest
        nxt = latest
        nl = here
    ld[k] = load
    rc[k] = cost


@njit(cache=True)
def _remove(k, first, count, rt, ln, rof):
    """Take stops first..first+count-1 off route k."""
    m = ln[k]
    for p in range(first, first + count):
        rof[rt[k, p]] = -1
    for p in range(first + count, m):
        rt[k, p - count] = rt[k, p]
    ln[k] = m - count


@njit(cache=True)
def _position(k, j, rt, ln):
    for p in range(ln[k]):
        if rt[k, p] == j:
            return p
    return -1


@njit(cache=True)
def ruin(rng, rt, ln, rof, adj, removed, touched, touched_list, avg_removed, max_string, blink):
    """SISR's ruin: strings of stops cut from a few routes near a random served visit, sometimes with a run of
    stops kept in between. The removed visits go to `removed`, the routes cut to `touched_list` (and are
    marked in `touched`); returns how many of each."""
    n = rof.shape[0]
    fleet = ln.shape[0]
    served = 0
    used = 0
    for k in range(fleet):
        if ln[k] > 0:
            served += ln[k]
            used += 1
    nrem = 0
    ntouched = 0
    if served > 0:
        ls_max = min(float(max_string), served / used)
        ks_max = 4.0 * avg_removed / (1.0 + ls_max) - 1.0
        ks = int(_rand(rng) * ks_max) + 1
        seed = _below(rng, n)
        while rof[seed] < 0:
            seed = _below(rng, n)
        for c in adj[seed]:
            if ntouched >= ks:
                break
            k = rof[c]
            if k < 0 or touched[k]:
                continue
            m = ln[k]
            lmax = min(float(m), ls_max)
            length = int(_rand(rng) * lmax) + 1
            at = _position(k, c, rt, ln)
            if length >= m or _rand(rng) < 0.5:
                first = at - _below(rng, length)
                first = max(0, min(first, m - length))
                for p in range(first, first + length):
                    removed[nrem] = rt[k, p]
                    nrem += 1
                _remove(k, first, length, rt, ln, rof)
            else:
                # split string: a string of length + kept stops, of which `kept` in a row stay
                kept = 1
                while length + kept < m and _rand(rng) < blink:
                    kept += 1
                span = length + kept
                first = at - _below(rng, span)
                first = max(0, min(first, m - span))
                stay = first + _below(rng, length + 1)  # the kept run starts here
                w = 0
                for p in range(m):
                    j = rt[k, p]
                    if first <= p < first + span and not (stay <= p < stay + kept):
                        removed[nrem] = j
                        nrem += 1
                        rof[j] = -1
                    else:
                        rt[k, w] = j
                        w += 1
                ln[k] = w
            touched[k] = True
            touched_list[ntouched] = k
            ntouched += 1
    return nrem, ntouched


@njit(cache=True)
def walk(iterations, t_from, t_to, rng,
         rt, ln, ld, est, lst, rc, rof,
         c_rt, c_ln, c_ld, c_est, c_lst, c_rc, c_rof,
         b_rt, b_ln, cost_now, best_now,
         loc, svc, opn, cls, dem, pen, vs, ve, ss, se, cap, vclass, dur, dist, adj, far,
         avg_removed, max_string, blink):
    """`iterations` steps of ruin, recreate and simulated-annealing acceptance, the temperature going
    geometrically from t_from to t_to. The working state (rt ...) equals the current one (c_rt ...) on
    entry and on return; the best plan is b_rt/b_ln at cost best_now[0]. Returns how many steps found a
    new best."""
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
        # --- ruin: strings on routes near a seed visit
        nrem, ntouched = ruin(rng, rt, ln, rof, adj, removed, touched, touched_list, avg_removed, max_string, blink)
        # visits left out before are tried again too
        for j in range(n):
            if rof[j] < 0 and c_rof[j] < 0:
                removed[nrem] = j
                nrem += 1
        for i in range(ntouched):
            k = touched_list[i]
            _retime(k, rt, ln, ld, est, lst, rc, loc, svc, opn, cls, dem, vs, ve, ss, se, dur, dist)
        # --- recreate: in one of four orders, each at its cheapest place, a few places blinked over
        r = _rand(rng) * 11.0
        for i in range(nrem):
            j = removed[i]
            if r < 4.0:
                keys[i] = _rand(rng)
            elif r < 8.0:
                keys[i] = -dem[j]
            elif r < 10.0:
                keys[i] = -far[j]
            else:
                keys[i] = far[j]
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
                m = ln[k]
                if ld[k] + dem[j] > cap[k]:
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
                        pend = est[k, p - 1] + svc[pj]
                    nl = ve[k] if p == m else loc[rt[k, p]]
                    if m == 0:
                        delta = dist[pl, lj] + dist[lj, nl]
                    else:
                        delta = dist[pl, lj] + dist[lj, nl] - dist[pl, nl]
                    if best_k >= 0 and delta >= best_delta:
                        continue
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
                        if after > lst[k, p]:
                            continue
                    best_delta = delta
                    best_k = k
                    best_p = p
            if best_k < 0:
                continue  # left out this step
            k = best_k
            m = ln[k]
            for p in range(m, best_p, -1):
                rt[k, p] = rt[k, p - 1]
            rt[k, best_p] = j
            ln[k] = m + 1
            rof[j] = k
            _retime(k, rt, ln, ld, est, lst, rc, loc, svc, opn, cls, dem, vs, ve, ss, se, dur, dist)
            if not touched[k]:
                touched[k] = True
                touched_list[ntouched] = k
                ntouched += 1
        # --- accept or undo
        cost = np.int64(0)
        for k in range(fleet):
            cost += rc[k]
        for j in range(n):
            if rof[j] < 0:
                cost += pen[j]
        accept = cost < cost_now[0] - temp * np.log(1.0 - _rand(rng))
        if accept:
            src_rt, src_ln, src_ld, src_est, src_lst, src_rc = rt, ln, ld, est, lst, rc
            dst_rt, dst_ln, dst_ld, dst_est, dst_lst, dst_rc = c_rt, c_ln, c_ld, c_est, c_lst, c_rc
            cost_now[0] = cost
        else:
            src_rt, src_ln, src_ld, src_est, src_lst, src_rc = c_rt, c_ln, c_ld, c_est, c_lst, c_rc
            dst_rt, dst_ln, dst_ld, dst_est, dst_lst, dst_rc = rt, ln, ld, est, lst, rc
        for i in range(ntouched):
            k = touched_list[i]
            m = src_ln[k]
            for p in range(m):
                dst_rt[k, p] = src_rt[k, p]
                dst_est[k, p] = src_est[k, p]
                dst_lst[k, p] = src_lst[k, p]
            dst_ln[k] = m
            dst_ld[k] = src_ld[k]
            dst_rc[k] = src_rc[k]
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
