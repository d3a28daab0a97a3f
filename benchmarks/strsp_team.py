"""Kovacs et al. STRSP, Team variant: technicians form teams for the whole day, a team serves a task when its
members together meet the task's requirement, tasks not served are outsourced.

    python -m benchmarks.strsp tasks_Team/*_5x4_Team.txt --variant team --time-limit 20 --out DIR [--reduced]

The rules, from the instance files and the authors' note (`kovacs-source.txt`); the paper itself is not in the
stored material, so what it alone could settle is marked as the convention taken here:
- d_sl of a task is the number of technicians at level l or more in domain s it needs at once (every file's
  rows are non-increasing in l, as such counts must be). A team meets it when, for every (s, l), at least
  d_sl of its members hold domain s at level l or more;
- a team is formed at the start of the day and stays together: one route from the depot back to it within
  the depot's hours, service starting inside each task's window (waiting allowed), travel time = Euclidean
  distance; a technician belongs to one team at most;
- objective: routing cost + outsourcing cost, outsourcing a task costing 200 + (sum of its d_sl)^1.5 (the
  authors' note). Routing cost is the Euclidean distance each team travels, counted once per team (the
  members share one vehicle); the paper's own statement of this could not be checked here. Forming teams
  costs nothing else.

Team formation (the engine routes vehicles; the formation is this module's): a formation is a partition of the
technicians. Each team becomes one engine vehicle whose skills are the requirement classes (tasks with the same
d matrix) it meets, and each task requires its class, so "this team can serve this task" is plain tag
inclusion. Formations are searched in three steps, each bounded by a count so that a solution limit gives the
same plan on any machine:
1. size profiles: b-sized teams (b = the largest team a task needs), B of them, the other technicians in teams
   of 1, 2 or 3; technicians are drafted strongest first (sum of levels), snaking over the teams;
2. a descent over relocating one technician to another (or a new) team and swapping two technicians of
   different teams, from the best profiles; 1 and 2 score a formation by the engine's cheapest-insertion plan
   (`greedy_solve`, about 0.01-0.1 s);
3. the best few formations are routed by the engine's search (a small solution limit, or a share of the time
   left), and the best of them gets the rest of the time (or the solution limit), starting from its routes.
Under a time limit, steps 1-2 also stop at a share of it, so the whole run keeps to the limit.

Every solution is re-checked from the raw files (team membership, each task's requirement against its team's
members' levels, windows, depot hours, each task once) and written to DIR/NAME.sol: `Route #k (members):
task ids` per team in visiting order, `Outsourced: ids`, then `Cost X`.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.strsp import (
    Evaluation,
    StrspInstance,
    Task,
    Technician,
    engine_problem,
    outsourcing_tail,
    timeline,
)
from solver.params import SolveParams
from solver.problem import Problem

Formation = tuple[tuple[int, ...], ...]  # teams of technician positions in inst.technicians, canonical order

# Counts that bound the formation search (steps 1-3 of the module docstring).
PROFILE_SMALL_SIZES = (1, 2, 3)
PROFILE_BIG_COUNTS = 12  # at most this many values of B, spread over 0..N // b
DESCENT_EVALUATIONS = 300  # per start (--formation-evaluations)
DESCENT_STARTS = 2
FINALISTS = 3
FINALIST_SOLUTIONS = 50  # under a solution limit (at most the limit itself)
FINALIST_TIME_SHARE = 0.3  # else of the time left after steps 1-2, shared by the finalists
FORMATION_TIME_SHARE = 0.35  # of the time limit, for steps 1-2 (never under a solution limit)


def capability(inst: StrspInstance, members: Sequence[Technician]) -> tuple[int, ...]:
    """Per (s, l), row-major like Task.need: how many members hold domain s at level l or more."""
    return tuple(sum(1 for m in members if m.levels[s] >= lv + 1)
                 for s in range(inst.domains) for lv in range(inst.levels))


def meets(cap: Sequence[int], need: Sequence[int]) -> bool:
    return all(c >= n for c, n in zip(cap, need, strict=True))


def canonical(teams: Sequence[Sequence[int]]) -> Formation:
    return tuple(sorted(tuple(sorted(t)) for t in teams if t))


def team_problem(inst: StrspInstance, formation: Formation) -> Problem:
    """One engine vehicle per team; skill g is requirement class g (the distinct d matrices, first seen
    first), held by a team that meets it and required by the tasks of that class."""
    classes: dict[tuple[int, ...], int] = {}
    for t in inst.tasks:
        classes.setdefault(t.need, len(classes))
    caps = [capability(inst, [inst.technicians[i] for i in team]) for team in formation]
    vehicle_skills = [frozenset(g for need, g in classes.items() if meets(cap, need)) for cap in caps]
    task_skills = [frozenset({classes[t.need]}) for t in inst.tasks]
    return engine_problem(inst, vehicle_skills, task_skills, num_skills=len(classes))


def profiles(n: int, big: int) -> list[list[int]]:
    """Team sizes summing to n: B teams of `big`, the rest in teams of a (the last one smaller)."""
    top = n // big
    step = max(1, math.ceil((top + 1) / PROFILE_BIG_COUNTS))
    counts = sorted({*range(0, top + 1, step), top})
    out: list[list[int]] = []
    for a in PROFILE_SMALL_SIZES:
        for b_count in counts:
            q, r = divmod(n - big * b_count, a)
            sizes = [big] * b_count + [a] * q + ([r] if r else [])
            if sizes and sizes not in out:
                out.append(sizes)
    return out


def draft(inst: StrspInstance, sizes: Sequence[int]) -> Formation:
    """Technicians strongest first (sum of levels, then file order), snaking over the teams with room left."""
    order = sorted(range(len(inst.technicians)), key=lambda i: (-sum(inst.technicians[i].levels), i))
    teams: list[list[int]] = [[] for _ in sizes]
    forward = True
    it = iter(order)
    while any(len(t) < s for t, s in zip(teams, sizes, strict=True)):
        ks = range(len(sizes)) if forward else range(len(sizes) - 1, -1, -1)
        for k in ks:
            if len(teams[k]) < sizes[k]:
                teams[k].append(next(it))
        forward = not forward
    return canonical(teams)


def neighbours(formation: Formation, rng: random.Random) -> Formation:
    """A random relocation (to another team or a new one) or swap of technicians between two teams."""
    teams = [list(t) for t in formation]
    a = rng.randrange(len(teams))
    i = rng.randrange(len(teams[a]))
    if len(teams) > 1 and rng.random() < 0.5:
        b = rng.randrange(len(teams) - 1)
        b += b >= a
        j = rng.randrange(len(teams[b]))
        teams[a][i], teams[b][j] = teams[b][j], teams[a][i]
    else:
        tech = teams[a].pop(i)
        b = rng.randrange(len(teams))  # b == a (or a team that just emptied): a new team of its own
        if b == a:
            teams.append([tech])
        else:
            teams[b].append(tech)
    return canonical(teams)


def repair(inst: StrspInstance, formation: Formation, need: Sequence[int], rng: random.Random) -> Formation:
    """Reshape one team, chosen at random among those large enough, until it meets `need`: each step brings
    in the technician of another team (swapping one member out, or joining when the team is short) that
    leaves the smallest shortfall, ties to the lowest positions; at most one step per member needed."""
    size = max(need[s * inst.levels] for s in range(inst.domains))
    teams = [list(t) for t in formation]
    fits = [k for k, t in enumerate(teams) if len(t) >= size] or list(range(len(teams)))
    k = rng.choice(fits)

    def shortfall(members: Sequence[int]) -> int:
        cap = capability(inst, [inst.technicians[i] for i in members])
        return sum(max(0, n - c) for n, c in zip(need, cap, strict=True))

    for _ in range(size):
        if shortfall(teams[k]) == 0:
            break
        outside = [(b, i) for b, t in enumerate(teams) if b != k for i in t]
        if len(teams[k]) < size:
            moves = [(shortfall([*teams[k], i]), i, -1, b) for b, i in outside]
        else:
            moves = [(shortfall([*(m for m in teams[k] if m != out), i]), i, out, b)
                     for b, i in outside for out in teams[k]]
        if not moves:
            break
        _, i, out, b = min(moves)
        teams[b].remove(i)
        teams[k].append(i)
        if out >= 0:
            teams[k].remove(out)
            teams[b].append(out)
    return canonical(teams)


@dataclass
class FormationSearch:
    """Scores formations by the engine's insertion plan (cached) and keeps count of the work done."""

    inst: StrspInstance
    deadline: float | None  # time.monotonic() bound for steps 1-2; None under a solution limit
    scores: dict[Formation, int]

    def score(self, formation: Formation) -> int:
        if formation not in self.scores:
            from solver.construct import greedy_solve

            self.scores[formation] = greedy_solve(team_problem(self.inst, formation)).objective
        return self.scores[formation]

    def unmet(self, formation: Formation) -> list[tuple[int, ...]]:
        """The requirement matrices (first seen first) that no team of the formation meets."""
        caps = [capability(self.inst, [self.inst.technicians[i] for i in team]) for team in formation]
        needs = dict.fromkeys(t.need for t in self.inst.tasks)
        return [need for need in needs if not any(meets(cap, need) for cap in caps)]

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    def run(self, seed: int, evaluations: int = DESCENT_EVALUATIONS) -> list[Formation]:
        """Steps 1-2 (`evaluations` descent steps from each start); the formations scored, best first."""
        n = len(self.inst.technicians)
        big = min(n, max(1, max((max(t.need[s * self.inst.levels] for s in range(self.inst.domains))
                                 for t in self.inst.tasks), default=1)))
        for sizes in profiles(n, big):
            self.score(draft(self.inst, sizes))
            if self.out_of_time():
                break
        rng = random.Random(seed)
        for start in sorted(self.scores, key=self._key)[:DESCENT_STARTS]:
            current = start
            for _ in range(evaluations):
                if self.out_of_time():
                    break
                unmet = self.unmet(current)
                candidate = (repair(self.inst, current, rng.choice(unmet), rng) if unmet and rng.random() < 0.3
                             else neighbours(current, rng))
                if self.score(candidate) < self.score(current):
                    current = candidate
        return sorted(self.scores, key=self._key)

    def _key(self, f: Formation) -> tuple[int, Formation]:
        return self.scores[f], f


def solve_team_instance(inst: StrspInstance, *, time_limit: float, seed: int, params: SolveParams,
                        evaluations: int = DESCENT_EVALUATIONS, log: Callable[[str], None] = lambda _: None) -> tuple[Formation, list[list[int]]] | None:
    """A formation and the task IDs each of its teams serves, or None when the engine found nothing."""
    from solver import solve  # late: the reader and the checker work on their own

    began = time.monotonic()
    limited = params.solution_limit is not None
    search = FormationSearch(inst, None if limited else began + FORMATION_TIME_SHARE * time_limit, {})
    ranked = search.run(seed, evaluations)
    log(f"{len(search.scores)} formations scored by insertion, best {search.scores[ranked[0]] / 1000:.2f}")
    # finalists: a solution count under a solution limit, else a share of the time left
    short = SolveParams(solution_limit=min(FINALIST_SOLUTIONS, params.solution_limit) if limited else None,
                        portfolio=params.portfolio)
    each = time_limit if limited else max(0.2, FINALIST_TIME_SHARE * (time_limit - (time.monotonic() - began))
                                          / FINALISTS)
    best: tuple[int, Formation, list[list[int]]] | None = None
    for formation in ranked[:FINALISTS]:
        sol = solve(team_problem(inst, formation), time_limit=each, seed=seed, params=short)
        if sol.status != "infeasible" and (best is None or (sol.objective, formation) < best[:2]):
            best = (sol.objective, formation, [list(r.visits) for r in sol.routes])
    if best is None:
        return None
    _, formation, start = best
    left = time_limit if limited else max(0.5, time_limit - (time.monotonic() - began))
    sol = solve(team_problem(inst, formation), time_limit=left, seed=seed, params=params, start=start)
    if sol.status == "infeasible":
        return None
    by_vehicle = {r.vehicle: r.visits for r in sol.routes}
    return formation, [[inst.tasks[j].id for j in by_vehicle.get(k, ())] for k in range(len(formation))]


def evaluate_team(inst: StrspInstance, teams: Sequence[Sequence[int]], routes: Sequence[Sequence[int]],
                  outsourced: Sequence[int] | None = None) -> Evaluation:
    """Check teams (technician IDs) and their routes (task IDs) against the raw files and cost them.
    `outsourced` None: every task not in a route is outsourced; given: every task must be in exactly one
    route or there."""
    errors: list[str] = []
    by_id = {t.id: t for t in inst.technicians}
    if len(routes) != len(teams):
        errors.append(f"{len(routes)} routes for {len(teams)} teams")
    member_of: dict[int, int] = {}
    for k, team in enumerate(teams, 1):
        for tid in team:
            if tid not in by_id:
                errors.append(f"team {k}: unknown technician {tid}")
            elif tid in member_of:
                errors.append(f"technician {tid} is in teams {member_of[tid]} and {k}")
            else:
                member_of[tid] = k
    seen: dict[int, int] = {}
    routing = 0.0
    for k, (team, route) in enumerate(zip(teams, routes, strict=False), 1):
        tag = f"team {k} ({' '.join(map(str, team))})"
        members = [by_id[i] for i in team if i in by_id]
        tasks: list[Task] = []
        for tid in route:
            task = inst.task(tid)
            if task is None:
                errors.append(f"{tag}: unknown task {tid}")
                continue
            seen[tid] = seen.get(tid, 0) + 1
            for idx, n in enumerate(task.need):
                s, lv = divmod(idx, inst.levels)
                have = sum(1 for m in members if m.levels[s] >= lv + 1)
                if have < n:
                    errors.append(f"{tag}: task {tid} needs {n} technicians at level {lv + 1}+ in domain "
                                  f"{s + 1}, the team has {have}")
            tasks.append(task)
        routing += timeline(inst, tasks, tag, errors)
    return outsourcing_tail(inst, routes, outsourced, seen, routing, errors)


def format_team_sol(teams: Sequence[Sequence[int]], routes: Sequence[Sequence[int]], ev: Evaluation) -> str:
    lines = [f"Route #{k} ({' '.join(map(str, team))}): {' '.join(map(str, r))}".rstrip()
             for k, (team, r) in enumerate(zip(teams, routes, strict=True), 1)]
    lines.append(f"Outsourced: {' '.join(map(str, ev.outsourced))}".rstrip())
    return "\n".join([*lines, f"Cost {ev.objective:.2f}"]) + "\n"


def parse_team_sol(text: str) -> tuple[list[list[int]], list[list[int]], list[int]]:
    """Teams (technician IDs), their routes and the outsourced tasks of a Team `.sol` file."""
    teams: list[list[int]] = []
    routes: list[list[int]] = []
    outsourced: list[int] = []
    for line in text.splitlines():
        head, _, rest = line.partition(":")
        if head.strip().lower().startswith("route"):
            teams.append([int(c) for c in head[head.index("(") + 1:head.index(")")].split()])
            routes.append([int(c) for c in rest.split()])
        elif head.strip().lower().startswith("outsourced"):
            outsourced += [int(c) for c in rest.split()]
    return teams, routes, outsourced


@dataclass(frozen=True)
class TeamRow:
    name: str
    technicians: int
    teams: int
    evaluation: Evaluation | None
    bks: float | None
    wall: float
    cpu: float

    @property
    def gap(self) -> float | None:
        if self.evaluation is None or not self.bks:
            return None
        return 100 * (self.evaluation.objective - self.bks) / self.bks


def run_team(instances: Sequence[StrspInstance], *, out: Path, time_limit: float, seed: int, params: SolveParams,
             bks: dict[str, float], evaluations: int = DESCENT_EVALUATIONS) -> list[TeamRow]:
    """Form teams, route, check and write every instance, printing one row each as it completes."""
    out.mkdir(parents=True, exist_ok=True)
    print(f"{'instance':<18}{'techs':>6}{'teams':>6}{'used':>5}{'routing':>10}{'served':>7}{'outs.':>6}"
          f"{'outs. cost':>11}{'objective':>11}{'BKS':>10}{'gap %':>8}{'feasible':>9}{'wall s':>8}{'cpu s':>7}")
    rows: list[TeamRow] = []
    for inst in instances:
        t0, c0 = time.perf_counter(), time.process_time()
        found = solve_team_instance(inst, time_limit=time_limit, seed=seed, params=params, evaluations=evaluations)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        ev: Evaluation | None = None
        teams: list[list[int]] = []
        if found is not None:
            formation, routes = found
            teams = [[inst.technicians[i].id for i in team] for team in formation]
            ev = evaluate_team(inst, teams, routes)
            (out / f"{inst.name}.sol").write_text(format_team_sol(teams, routes, ev))
        row = TeamRow(inst.name, len(inst.technicians), len(teams), ev, bks.get(inst.name), wall, cpu)
        rows.append(row)
        print(_line(row, found[1] if found else None), flush=True)
        for err in ev.errors if ev else ("no solution",):
            print(f"    {inst.name}: {err}", file=sys.stderr)
    done = [r.evaluation for r in rows if r.evaluation is not None]
    if done:
        print(f"mean objective {sum(e.objective for e in done) / len(done):.2f} over {len(done)} instances; "
              f"mean served {sum(e.served for e in done) / len(done):.1f}, mean outsourcing cost "
              f"{sum(e.outsourcing for e in done) / len(done):.2f}")
    gaps = [r.gap for r in rows if r.gap is not None]
    if gaps:
        print(f"mean gap {sum(gaps) / len(gaps):.2f} % over {len(gaps)} instances")
    return rows


def _line(row: TeamRow, routes: Sequence[Sequence[int]] | None) -> str:
    used = str(sum(1 for r in routes if r)) if routes else "-"
    ev = row.evaluation
    bks = f"{row.bks:.2f}" if row.bks else "-"
    gap = f"{row.gap:.2f}" if row.gap is not None else "-"
    head = f"{row.name:<18}{row.technicians:>6}{row.teams:>6}{used:>5}"
    tail = f"{bks:>10}{gap:>8}{('yes' if ev and ev.feasible else 'NO'):>9}{row.wall:>8.1f}{row.cpu:>7.1f}"
    if ev is None:
        return f"{head}{'-':>10}{'-':>7}{'-':>6}{'-':>11}{'-':>11}{tail}"
    return (f"{head}{ev.routing:>10.2f}{ev.served:>7}{len(ev.outsourced):>6}{ev.outsourcing:>11.2f}"
            f"{ev.objective:>11.2f}{tail}")
