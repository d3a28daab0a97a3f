"""Ruin and recreate around a plan: the search that goes on improving once OR-Tools' local search stalls.

Each step removes a few served visits that lie close together (around one visit, or a string of consecutive
stops on a few nearby routes) or, one step in three, those whose removal saves most, inserts them again
together with the visits left out near them, priority first and within a class by regret-2, at the cheapest
feasible place (`construct.greedy_solve`, the rule book's own insertion), and keeps the result by
record-to-record travel: a plan within a shrinking margin of the best one found becomes the one to ruin next.
Plans are compared on the problem's own costs (`Solution.objective`) plus the extra weight the local search
gives the most urgent class's lateness (model.URGENT_LATENESS_EMPHASIS), so that serving more orders is never
bought with an emergency's lateness.

Bounded by a number of steps, the walk depends on the seed alone; bounded by a deadline (no solution limit),
the margin shrinks with the time spent instead.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from solver.construct import greedy_solve, prepare, span
from solver.model import URGENT_LATENESS_EMPHASIS
from solver.problem import Problem, Solution
from solver.rules import lateness, over_max_moves
from solver.schedule import Timetable

log = logging.getLogger(__name__)

# Margin (share of the best cost) within which a worse plan is still taken as the next one to ruin, at
# the start; it shrinks linearly to 0.
START_MARGIN = 0.01
# How many visits one step removes: from MIN_REMOVED up to this share of the served visits (at most
# MAX_REMOVED), drawn anew each step. With steps 4-10 times as fast (issue 18), 15 %/60 with worst removal
# and regret beat 8 %/40 by 4.1 % at 5 CPU s on six tuning days (benchmarks.lns_tune; RESULTS, issue 18).
MIN_REMOVED = 4
REMOVED_SHARE = 0.15
MAX_REMOVED = 60
# A step ruins a string of consecutive stops on each of up to this many routes near the seed visit, or
# (one step in RADIAL_EVERY) the visits nearest the seed wherever they are.
STRING_ROUTES = 3
# The visits left out that a step tries to insert: those among the NEARBY_MIN nearest visits to the seed, or
# this many times as many as it removes. Trying them all is best on 200-order days (3 % at equal CPU time)
# but slow on large ones (a 1,000-order day ends 3 % higher).
NEARBY_LEFT_OUT = 4
NEARBY_MIN = 150
RADIAL_EVERY = 2
# One step in ROUTE_EVERY (0: never) removes the whole route of the seed visit instead; one in WORST_EVERY
# (0: never) the visits whose removal saves most (detour and lateness), drawn with a bias of WORST_POWER
# towards the worst (Ropke and Pisinger's worst removal). Worst removal won 2.4 %; route removal added
# nothing on top, so it is off.
ROUTE_EVERY = 0
WORST_EVERY = 3
WORST_POWER = 3.0
# With a working-time cost (`Problem.span_cost`), one step in SHORT_ROUTE_EVERY empties one of the routes with
# fewest visits (drawn with a bias of SHORT_ROUTE_POWER towards the shortest) and keeps its vehicle out of the
# recreate: a technician's whole tour is dissolved into the others, which saves its trip from home and back
# (the Pillac benchmark's tours used twice the technicians of the best-known ones). Dispatch days do not
# cost working time and walk as before.
SHORT_ROUTE_EVERY = 5
SHORT_ROUTE_POWER = 2.0
# Whether the recreate inserts each priority class by regret-2 (`greedy_solve(regret=True)`) rather than in
# order: a step costs 1.5 times as much and the walk still ends 1.7 % lower.
REGRET = True


@dataclass(frozen=True)
class Walk:
    best: Solution
    steps: int
    improvements: int


def _urgent_extra(problem: Problem) -> Callable[[Solution], int]:
    """What a plan's score adds to its cost: the most urgent class's lateness, weighed as the model does."""
    classes = {v.lateness_cost for v in problem.visits if v.lateness_cost > 0}
    if len(classes) < 2:
        return lambda s: 0
    urgent = max(classes)
    weight = URGENT_LATENESS_EMPHASIS - 1
    visits = problem.visits

    def extra(s: Solution) -> int:
        return weight * sum(lateness(visits[j], t) for r in s.routes for j, t in zip(r.visits, r.starts, strict=True)
                            if visits[j].lateness_cost == urgent)
    return extra


def _gains(problem: Problem, plan: Solution, table: Timetable | None = None) -> list[tuple[int, int]]:
    """(what leaving it out of its route saves in travel and lateness, visit) for every visit `plan` serves;
    with a working-time cost also the span it saves, waits included (re-timed on `table`, the problem's)."""
    out = []
    dist, cost, visits = problem.distances, problem.distance_cost, problem.visits
    span_cost = problem.span_cost
    if span_cost and table is None:
        table = Timetable(problem)
    for r in plan.routes:
        v = problem.vehicles[r.vehicle]
        stops = [v.start, *(visits[j].location for j in r.visits), v.end]
        for i, (j, t) in enumerate(zip(r.visits, r.starts, strict=True)):
            a, b, c = stops[i], stops[i + 1], stops[i + 2]
            detour = int(dist[a, b]) + int(dist[b, c]) - int(dist[a, c])
            gain = cost * detour + lateness(visits[j], t)
            if span_cost and table is not None:
                rest = r.visits[:i] + r.visits[i + 1:]
                without = table.schedule(r.vehicle, rest, strict=False)
                assert without is not None  # only a strict schedule gives up
                gain += span_cost * (r.back - r.depart - span(table, r.vehicle, without))
            out.append((gain, j))
    return out


def _neighbours(problem: Problem) -> np.ndarray:
    """Visits by travel time from each visit, nearest first (itself first)."""
    loc = np.array([v.location for v in problem.visits], dtype=np.int64)
    between = problem.durations[np.ix_(loc, loc)]
    return np.argsort(between + between.T, axis=1, kind="stable")


def _ruin(routes: Sequence[Sequence[int]], near: np.ndarray, crews: set[int], rng: np.random.Generator,
          step: int, gains: Callable[[], list[tuple[int, int]]] | None = None,
          short_routes: bool = False) -> tuple[list[list[int]], set[int], set[int]]:
    """The routes without the visits one step removes, the visits to insert again: those removed, the
    crews (visits needing more than one technician), and the visits left out near the ruin (elsewhere the
    routes are as they were when those visits were last tried, so they would not fit there now either); and
    the routes (indices) that take no visit this step. With `short_routes`, some steps empty a short route."""
    served = [j for r in routes for j in r]
    if not served:
        return [[j for j in r if j not in crews] for r in routes], set(range(len(near))), set()
    most = max(MIN_REMOVED, min(MAX_REMOVED, int(REMOVED_SHARE * len(served))))
    count = int(rng.integers(MIN_REMOVED, most + 1))
    seed_visit = served[int(rng.integers(len(served)))]
    route_of = {j: k for k, r in enumerate(routes) for j in r}
    removed: set[int] = set()
    around = [seed_visit]  # the visits whose nearest left-out ones are tried again
    closed: set[int] = set()
    used = [k for k, r in enumerate(routes) if r]
    if short_routes and len(used) > 1 and step % SHORT_ROUTE_EVERY == SHORT_ROUTE_EVERY - 1:
        shortest = sorted(used, key=lambda k: (len(routes[k]), k))
        emptied = shortest[int(rng.random() ** SHORT_ROUTE_POWER * len(shortest))]
        removed.update(routes[emptied])
        around = list(routes[emptied])
        closed.add(emptied)
    elif ROUTE_EVERY and step % ROUTE_EVERY == ROUTE_EVERY - 1:
        removed.update(routes[route_of[seed_visit]])
    elif WORST_EVERY and gains is not None and step % WORST_EVERY == WORST_EVERY - 1:
        ranked = [j for _, j in sorted(gains(), reverse=True)]
        while ranked and len(removed) < count:
            j = ranked.pop(int(rng.random() ** WORST_POWER * len(ranked)))
            removed.add(j)
            around.append(j)
    elif step % RADIAL_EVERY == 0:
        for j in near[seed_visit]:
            if int(j) in route_of:
                removed.add(int(j))
                if len(removed) >= count:
                    break
    else:
        # strings of consecutive stops on the routes of the seed's nearest served neighbours
        per_route = max(1, count // STRING_ROUTES)
        touched: list[int] = []
        for j in near[seed_visit]:
            k = route_of.get(int(j))
            if k is None or k in touched:
                continue
            touched.append(k)
            route = routes[k]
            at = route.index(int(j))
            length = int(rng.integers(1, per_route + 1))
            first = max(0, min(at - int(rng.integers(0, length)), len(route) - length))
            removed.update(route[first:first + length])
            if len(touched) >= STRING_ROUTES:
                break
    reach = max(NEARBY_MIN, NEARBY_LEFT_OUT * count) // len(around)
    nearby = {int(j) for a in around for j in near[a][:reach] if int(j) not in route_of}
    # a crew's visit is on each member's route: the insertion places crews again, all members at once
    ruined = [[j for j in r if j not in removed and j not in crews] for r in routes]
    return ruined, removed | crews | nearby, closed


def improve(problem: Problem, start: Solution, *, seed: int, steps: int | None = None,
            deadline: float | None = None, on_better: Callable[[Solution], None] | None = None,
            clock: Callable[[], float] = time.monotonic) -> Walk:
    """Ruin and recreate from `start` for `steps` steps, or until `clock()` (time.monotonic unless told,
    e.g. time.process_time for a benchmark on a shared machine) reaches `deadline`; the best plan found
    (`start` itself when nothing beats it). `on_better` hears of each new best."""
    if steps is None and deadline is None:
        raise ValueError("ruin and recreate needs a number of steps or a deadline")
    rng = np.random.default_rng(seed)
    near = _neighbours(problem)
    prepared = prepare(problem)
    extra = _urgent_extra(problem)
    crews = {j for j, v in enumerate(problem.visits) if v.crew > 1}
    began = clock()
    best = current = start
    best_score = start.objective + extra(start)
    step = improvements = 0
    while True:
        if steps is not None:
            if step >= steps:
                break
            done = step / steps
        else:
            now = clock()
            if now >= deadline:  # type: ignore[operator]
                break
            done = (now - began) / max(1e-9, deadline - began)  # type: ignore[operator]
        ruined, again, closed = _ruin([r.visits for r in current.routes], near, crews, rng, step,
                                      gains=partial(_gains, problem, current, prepared.table),
                                      short_routes=problem.span_cost > 0)
        step += 1
        candidate = greedy_solve(problem, ruined, worth_it=True, only=again, prepared=prepared, explain=False,
                                 regret=REGRET, closed=closed)
        if any(problem.visits[j].drop_penalty is None for j, _ in candidate.unassigned) and not any(
                problem.visits[j].drop_penalty is None for j, _ in best.unassigned):
            continue  # never trade a mandatory visit away
        if over_max_moves(problem, ((r.vehicle, r.visits) for r in candidate.routes)):
            continue
        score = candidate.objective + extra(candidate)
        if score < best_score:
            best = current = candidate
            best_score = score
            improvements += 1
            if on_better is not None:
                on_better(best)
        elif score <= best_score * (1 + START_MARGIN * (1 - done)):
            current = candidate
    return Walk(best=best, steps=step, improvements=improvements)


def _walk_heard(problem: Problem, start: Solution, kwargs: dict[str, Any],
                walker: Callable[..., Walk]) -> tuple[Walk, list[tuple[float, float, int]]]:
    """`walker`'s walk and the (wall, cpu, cost) points of its better plans since it started."""
    began, cpu0 = time.perf_counter(), time.process_time()
    points: list[tuple[float, float, int]] = []

    def heard(s: Solution) -> None:
        points.append((time.perf_counter() - began, time.process_time() - cpu0, s.objective))

    return walker(problem, start, on_better=heard, **kwargs), points


def _child(problem: Problem, start: Solution, kwargs: dict[str, Any], conn: Connection,
           walker: Callable[..., Walk] = improve) -> None:
    """In a forked process: walk (`improve`, or a walk with its signature) and send back (walk, progress
    points) or None."""
    try:
        conn.send(_walk_heard(problem, start, kwargs, walker))
    except Exception:  # the parent carries on without it
        log.exception("the walk on the other core failed")
        conn.send(None)
    finally:
        conn.close()


class Elsewhere:
    """A ruin-and-recreate walk in a forked child process, on another core, while this process goes on."""

    def __init__(self, problem: Problem, start: Solution, *, seed: int, steps: int | None, deadline: float | None,
                 walker: Callable[..., Walk] = improve):
        ctx = multiprocessing.get_context("fork")
        self._receiver, sender = ctx.Pipe(duplex=False)
        kwargs = {"seed": seed, "steps": steps, "deadline": deadline}
        self._walk = (problem, start, kwargs, walker)
        self._child = ctx.Process(target=_child, args=(problem, start, kwargs, sender, walker), daemon=True)
        self.started = time.perf_counter()
        self._child.start()
        sender.close()

    def close(self) -> None:
        """Stop the child if it is still at work (the solve ended early: an error, a cancelled job)."""
        if self._child.is_alive():
            self._child.kill()
        self._child.join(timeout=5.0)
        self._receiver.close()

    def result(self, *, wait: float | None) -> tuple[Walk, list[tuple[float, float, int]]] | None:
        """The child's walk and its (wall, cpu, cost) points since it started; `wait` seconds at most (None:
        as long as it takes, for a walk bounded by steps)."""
        try:
            if wait is None or self._receiver.poll(wait):
                return self._receiver.recv()  # type: ignore[no-any-return]
            return None
        except EOFError:
            log.warning("the walk on the other core ended without an answer (exit code %s)", self._child.exitcode)
            return None
        finally:
            self._receiver.close()
            self._child.join(timeout=1.0)
            if self._child.is_alive():
                self._child.kill()
                self._child.join()

    def here(self) -> tuple[Walk, list[tuple[float, float, int]]]:
        """The child's walk, walked in this process instead: a walk bounded by steps gives the same plan
        wherever it runs, so a solve bounded by solutions does not depend on whether its child answered."""
        self.started = time.perf_counter()
        return _walk_heard(*self._walk)


def can_fork() -> bool:
    """Whether this process may start a child to search beside it: the platform forks and this process is
    not itself a daemon (service job processes and dask workers are, and may not have children)."""
    return ("fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)
