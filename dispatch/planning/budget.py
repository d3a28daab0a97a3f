"""One deadline for a whole plan request, and what each phase of it gets.

A time limit bounds the whole call, not the search alone: the travel matrices, the split of a large day,
the searches, the border passes, the explanations of what is left out, the fixes and the translation back.
The deadline is fixed once, when the request starts (`deadline_of`); each phase gets what remains of it
after the estimated cost of the phases after it (`search_seconds`), and the phases that can stop part way
(explanations, fixes) stop at the deadline, with a note in the plan (`noted`), rather than overrun it.

Under a solution limit there is no deadline (None): the time limit does not act and nothing is decided by
the clock, so the plan stays the same however busy the machine is.

Deadlines are `time.monotonic()` moments, which one machine's processes share (dask workers of a remote
cluster do not: they get seconds, never a moment).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from dispatch.plan import Plan, Unassigned
from dispatch.policy import Policy

# Estimated costs of the phases after a search, in seconds, measured on 2 shared cores (benchmarks/RESULTS.md,
# "Time limits"): translating a solution back (plan, KPIs) and looking for the fixes of the orders left out
# and the late stops. At 1,000 x 100 as one problem the fixes took 3.5 s; at 200 x 25, 0.1 s.
TRANSLATE_PER_ORDER = 0.0002
FIXES_PER_ORDER = 0.004
# The fixes never hold back more than this share of the time limit from the search: beyond it they are cut
# short at the deadline (with a note) rather than the search starved.
FIXES_SHARE = 0.1
# The search never gets less than this, however little is left (it then keeps its insertion plan).
MIN_SEARCH = 0.05


# The deadline comes this much before the time limit: on a busy machine a search overruns its own limit a
# little (OR-Tools reads its clock between moves) and the phase running at the deadline finishes its step
# (a region's fixes build its matrices first). At load 10 on 2 cores, aiming at the limit itself came back
# 1-7 % after it (benchmarks/RESULTS.md, "Time limits").
SAFETY_SHARE = 0.02
SAFETY_SECONDS = 0.3


def deadline_of(policy: Policy, started: float | None = None) -> float | None:
    """The moment a request that started at `started` (a time.monotonic() moment; default now) must have its
    plan by, a little before its time limit is up (SAFETY_SHARE, SAFETY_SECONDS), or None under a solution
    limit."""
    if policy.solution_limit is not None:
        return None
    margin = min(SAFETY_SHARE * policy.time_limit + SAFETY_SECONDS, 0.1 * policy.time_limit)
    return (time.monotonic() if started is None else started) + policy.time_limit - margin


def left(deadline: float) -> float:
    """Seconds until `deadline` (negative once it has passed)."""
    return deadline - time.monotonic()


def after_search(orders: int, policy: Policy, *, fixes: bool) -> float:
    """Estimated seconds of what follows the search of `orders` orders: the translation and, with `fixes`,
    the fixes (at most FIXES_SHARE of the time limit)."""
    estimate = TRANSLATE_PER_ORDER * orders
    if fixes:
        estimate += min(FIXES_PER_ORDER * orders, FIXES_SHARE * policy.time_limit)
    return estimate


def search_seconds(deadline: float, reserve: float) -> float:
    """The seconds a search starting now gets: what is left before `deadline` after `reserve` seconds for
    the phases after it."""
    return max(MIN_SEARCH, left(deadline) - reserve)


# The end of the reason of an order left out whose best place was not tried (solver.Solution.unexplained).
UNTRIED = "; its best place was not tried: the time limit ran out"
# How a note on fixes cut short begins (a caller showing fixes then does not say "no single change would do").
FIXES_CUT = "fixes were sought"


def untried_notes(unassigned: Sequence[Unassigned]) -> tuple[str, ...]:
    """The note on orders left out whose reason names the rule alone, if any."""
    n = sum(u.reason.endswith(UNTRIED) for u in unassigned)
    if not n:
        return ()
    return (f"{n} of the {len(unassigned)} orders left out have their rule alone as the reason: the time limit "
            "ran out before their best place was tried",)


def fixes_note(left_done: int, left: int, late_done: int, late: int) -> str:
    """The note on fixes cut short: how many orders left out and late stops were looked at."""
    return (f"{FIXES_CUT} for {left_done} of the {left} orders left out (the most urgent first) and {late_done} of "
            f"the {late} late stops: the time limit ran out")


def fixes_cut(plan: Plan) -> bool:
    """Whether the time limit cut the fixes of `plan` short (some orders left out or late stops were not looked at)."""
    solver = plan.kpis.solver if plan.kpis is not None else None
    return solver is not None and any(n.startswith(FIXES_CUT) for n in solver.notes)


def noted(plan: Plan, note: str) -> Plan:
    """`plan` with `note` added to its solver notes (what a time limit cut short)."""
    if plan.kpis is None or plan.kpis.solver is None:
        return plan
    solver = plan.kpis.solver
    return replace(plan, kpis=replace(plan.kpis, solver=replace(solver, notes=(*solver.notes, note))))
