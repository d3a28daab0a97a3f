"""Kovacs et al. STRSP benchmark (skill domains with proficiency levels, outsourcing) on the dispatch engine.

    python -m benchmarks.strsp FILE... --time-limit 30 --out DIR [--reduced] [--technicians FILE] [--seed N]
        [--variant noTeam|team] [--bks CSV] [--formation-evaluations N]

The problem (Kovacs, Parragh, Doerner & Hartl 2012, J. Scheduling 15:579-600; the instance conventions from
the authors' note `kovacs-source.txt` next to the files):
- a task file is a Solomon instance (row 1 is the depot, rows 2-101 the tasks; coordinates, ready and due
  times, service times) plus a requirement matrix d_sl (domain s, level l). A technician has a level per
  domain; d_sl = 1 asks for a technician at level l or more in domain s (the matrices are cumulative: a task
  at level 3 has d_s1 = d_s2 = d_s3 = 1). Capacity and demand are not used, nor the file's `cost` column;
- every technician leaves the depot no earlier than its ready time and is back by its due time; service
  starts inside the task's window (waiting allowed); travel time = Euclidean distance;
- a task may be left to a subcontractor (outsourced) at cost 200 + (sum of its d_sl)^1.5;
- objective: routing cost (total Euclidean distance travelled, double precision) + outsourcing cost. The
  paper itself is not in the stored material, so the distance precision could not be checked there; the
  routing-plus-outsourcing objective and the outsourcing formula are the authors' own words.

The technician file is chosen from the task file's name `BASE_SxL_VARIANT.txt` in the Kovacs folder layout
(`tasks_noTeam/` next to `technicians_noTeam/`): noTeam -> `technicians_noTeam/technicians_BASE_SxL_noTeam.txt`
(`--reduced`: `techniciansReduced_noTeam/`, the same name, fewer technicians); Team ->
`technicians_Team/technicians_SxL_Team.txt` (one file per size; its header count gives the rows used).
`--technicians FILE` overrides the choice (one task file only).

The Team variant (d_sl above 1: several technicians at once; teams formed for the whole day) runs with
`--variant team` (the default for Team files) in benchmarks.strsp_team, which forms the teams, routes each
team as one engine vehicle and checks the teams against the raw files; its docstring states its rules.
`build_problem` below is the noTeam translation and refuses Team files.

How it maps onto the engine (a solver Problem built directly, like benchmarks.trsp): a technician is a vehicle
from the depot back to it with the depot window as shift; a task is an optional visit whose drop penalty is
its outsourcing cost (the engine's per-visit unserved cost, so engine objective = distance + outsourcing,
both in thousandths). Levels are cumulative tags until the engine's own skill levels land: a technician at
level 3 in domain s holds tags d{s}l1, d{s}l2, d{s}l3 and a task with d_sl = 1 requires tag d{s}l{l}
(engine skill index (s - 1) * L + l - 1), so "level >= required" is plain tag inclusion.

Each solution is checked independently from the raw files (levels, windows, depot times, each task served
once or outsourced) and written to DIR/NAME.sol: `Route #k (technician T): task ids` for every technician in
visiting order, then `Outsourced: ids`, then `Cost X` (the objective, two decimals). No best-known values are
stored, so no gap is printed (the Team runner prints one against `--bks`). Exits 1 if any solution breaks a
rule, 2 when the files' variants differ from each other or from `--variant`.
"""

from __future__ import annotations

import math
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks import solomon
from solver.params import SolveParams
from solver.problem import Problem, Vehicle, Visit

SCALE = 1000  # engine units per instance unit; travel times rounded UP so engine-feasible is truly feasible
EPS = 1e-6

_NAME = re.compile(r"^(?P<base>[A-Z]+\d+)_(?P<s>\d+)x(?P<l>\d+)_(?P<variant>noTeam|Team)$")


class TeamVariantError(ValueError):
    """A Team instance given to the noTeam translation: some task needs several technicians at once."""


@dataclass(frozen=True)
class Task:
    id: int
    x: float
    y: float
    ready: float
    due: float
    service: float
    need: tuple[int, ...]  # d_sl, row-major: index (s - 1) * L + l - 1

    def outsourcing_cost(self) -> float:
        return 200 + sum(self.need) ** 1.5


@dataclass(frozen=True)
class Technician:
    id: int
    levels: tuple[int, ...]  # level per domain, 0 = none


@dataclass(frozen=True)
class StrspInstance:
    name: str
    variant: str  # "noTeam" or "Team"
    domains: int
    levels: int
    depot: Task
    tasks: tuple[Task, ...]
    technicians: tuple[Technician, ...]

    def dist(self, a: Task, b: Task) -> float:
        return math.hypot(a.x - b.x, a.y - b.y)

    def task(self, task_id: int) -> Task | None:
        k = task_id - self.tasks[0].id if self.tasks else -1
        return self.tasks[k] if 0 <= k < len(self.tasks) and self.tasks[k].id == task_id else None

    def tags(self, tech: Technician) -> frozenset[int]:
        """Engine skill indices a technician holds: every level up to its own, per domain."""
        return frozenset(s * self.levels + lv for s, top in enumerate(tech.levels) for lv in range(top))

    def required(self, task: Task) -> frozenset[int]:
        return frozenset(k for k, n in enumerate(task.need) if n > 0)


def tag_name(inst: StrspInstance, index: int) -> str:
    return f"d{index // inst.levels + 1}l{index % inst.levels + 1}"


def _numbers(line: str) -> list[float] | None:
    try:
        return [float(v) for v in line.split()]
    except ValueError:
        return None


def _parse_name(path: Path) -> re.Match[str]:
    m = _NAME.match(path.stem)
    if not m:
        raise ValueError(f"{path}: task file name must look like C101_5x4_noTeam.txt, got {path.name}")
    return m


def technicians_file(task_path: Path, *, reduced: bool = False) -> Path:
    """The technician file that goes with a task file in the Kovacs folder layout (module docstring)."""
    m = _parse_name(task_path)
    root = task_path.resolve().parent.parent
    size = f"{m['s']}x{m['l']}"
    if m["variant"] == "noTeam":
        folder = "techniciansReduced_noTeam" if reduced else "technicians_noTeam"
        return root / folder / f"technicians_{m['base']}_{size}_noTeam.txt"
    if not reduced:
        return root / "technicians_Team" / f"technicians_{size}_Team.txt"
    horizon = "long" if m["base"].lstrip("RC")[:1] == "2" else "short"
    folder = root / "techniciansReduced_Team" / ("R2_C2_RC2" if horizon == "long" else "R1_C1_RC1")
    hits = sorted(folder.glob(f"technicians_{size}_*_{horizon}.txt"))  # the 6x6 short file is spelt "Tema"
    if not hits:
        raise ValueError(f"{task_path}: no reduced Team technician file for {size} in {folder}")
    return hits[0]


def read_technicians(path: str | Path, domains: int) -> tuple[Technician, ...]:
    """`Number of Technicians: N`, `domains: S`, `proficiency level: L`, then `ID level1..levelS` rows (the
    first N are used)."""
    text = Path(path).read_text()
    header = {k: int(v) for k, v in re.findall(r"(Number of Technicians|domains|proficiency level):\s*(\d+)", text)}
    if header.get("domains") != domains:
        raise ValueError(f"{path}: domains {header.get('domains')}, the task file has {domains}")
    rows = [r for r in (_numbers(line) for line in text.splitlines()) if r and len(r) == domains + 1]
    count = header.get("Number of Technicians", len(rows))
    if len(rows) < count:
        raise ValueError(f"{path}: {len(rows)} technician rows, the header says {count}")
    return tuple(Technician(int(r[0]), tuple(int(v) for v in r[1:])) for r in rows[:count])


def read_strsp(path: str | Path, technicians: str | Path | None = None, *, reduced: bool = False) -> StrspInstance:
    """Read a task file and its technician file (chosen by `technicians_file` unless given)."""
    path = Path(path)
    m = _parse_name(path)
    domains, levels = int(m["s"]), int(m["l"])
    width = 8 + domains * levels  # id x y demand ready due service cost d11..dSL
    rows = [r for r in (_numbers(line) for line in path.read_text().splitlines()) if r and len(r) == width]
    if len(rows) < 2:
        raise ValueError(f"{path}: no rows of {width} numbers (depot and tasks)")
    nodes = [Task(int(r[0]), r[1], r[2], r[4], r[5], r[6], tuple(int(v) for v in r[8:])) for r in rows]
    for k, n in enumerate(nodes):
        if n.id != nodes[0].id + k:
            raise ValueError(f"{path}: rows must be numbered consecutively; found {n.id} at row {k + 1}")
    tech_path = Path(technicians) if technicians else technicians_file(path, reduced=reduced)
    return StrspInstance(name=path.stem, variant=m["variant"], domains=domains, levels=levels, depot=nodes[0],
                         tasks=tuple(nodes[1:]), technicians=read_technicians(tech_path, domains))


def build_problem(inst: StrspInstance) -> Problem:
    """Locations: 0 the depot, then the tasks (visit j is task inst.tasks[j])."""
    teams = [t.id for t in inst.tasks if any(n > 1 for n in t.need)]
    if teams:
        raise TeamVariantError(f"{inst.name}: tasks {teams[:5]} need several technicians at once (a team); "
                               "this is the noTeam translation; Team files go through benchmarks.strsp_team")
    return engine_problem(inst, [inst.tags(t) for t in inst.technicians], [inst.required(t) for t in inst.tasks],
                          num_skills=inst.domains * inst.levels)


def engine_problem(inst: StrspInstance, vehicle_skills: Sequence[frozenset[int]],
                   task_skills: Sequence[frozenset[int]], *, num_skills: int) -> Problem:
    """One vehicle per entry of `vehicle_skills` (a technician, or a team in the Team variant) from the depot
    back to it within the depot's hours; visit j is task inst.tasks[j] requiring task_skills[j], dropped at
    its outsourcing cost. Locations: 0 the depot, then the tasks."""
    nodes = [inst.depot, *inst.tasks]
    xs = np.array([n.x for n in nodes])
    ys = np.array([n.y for n in nodes])
    d = np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :])
    durations = np.ceil(d * SCALE - 1e-9).astype(np.int64)
    distances = np.rint(d * SCALE).astype(np.int64)
    shift = (math.ceil(SCALE * inst.depot.ready), math.floor(SCALE * inst.depot.due))
    vehicles = tuple(Vehicle(start=0, end=0, shift_start=shift[0], shift_end=shift[1], skills=skills)
                     for skills in vehicle_skills)
    visits = tuple(
        Visit(location=1 + j, service=round(SCALE * t.service),
              window=(math.ceil(SCALE * t.ready), math.floor(SCALE * t.due)),
              drop_penalty=round(SCALE * t.outsourcing_cost()), skills=skills)
        for j, (t, skills) in enumerate(zip(inst.tasks, task_skills, strict=True))
    )
    return Problem(distances=distances, durations=durations, vehicles=vehicles, visits=visits,
                   num_skills=num_skills)


@dataclass(frozen=True)
class Evaluation:
    """The paper's objective of routes (task IDs per technician) and outsourced tasks, and what breaks a rule."""

    routing: float
    served: int
    outsourced: tuple[int, ...]
    outsourcing: float
    errors: tuple[str, ...] = field(default=())

    @property
    def objective(self) -> float:
        return self.routing + self.outsourcing

    @property
    def feasible(self) -> bool:
        return not self.errors


def evaluate(inst: StrspInstance, routes: Sequence[Sequence[int]],
             outsourced: Sequence[int] | None = None) -> Evaluation:
    """Check routes (one per technician, in file order) against the raw files and cost them. `outsourced`
    None: every task not in a route is outsourced; given: every task must be in exactly one route or there."""
    errors: list[str] = []
    if len(routes) != len(inst.technicians):
        errors.append(f"{len(routes)} routes for {len(inst.technicians)} technicians")
    seen: dict[int, int] = {}
    routing = 0.0
    for tech, route in zip(inst.technicians, routes, strict=False):
        tag = f"technician {tech.id}"
        tasks: list[Task] = []
        for tid in route:
            task = inst.task(tid)
            if task is None:
                errors.append(f"{tag}: unknown task {tid}")
                continue
            seen[tid] = seen.get(tid, 0) + 1
            for k, n in enumerate(task.need):
                s, lv = divmod(k, inst.levels)
                if n > 1:
                    errors.append(f"{tag}: task {tid} needs {n} technicians at d{s + 1}l{lv + 1} (a team)")
                elif n == 1 and tech.levels[s] < lv + 1:
                    errors.append(f"{tag}: level {tech.levels[s]} in domain {s + 1} for task {tid}, "
                                  f"which needs level {lv + 1}")
            tasks.append(task)
        routing += timeline(inst, tasks, tag, errors)
    return outsourcing_tail(inst, routes, outsourced, seen, routing, errors)


def timeline(inst: StrspInstance, route: Sequence[Task], tag: str, errors: list[str]) -> float:
    """Distance of a route from the depot back to it, appending what breaks a window or the depot's hours."""
    t, prev, dist = inst.depot.ready, inst.depot, 0.0
    for task in route:
        arc = inst.dist(prev, task)
        dist += arc
        t = max(t + prev.service + arc, task.ready)
        if t > task.due + EPS:
            errors.append(f"{tag}: task {task.id} starts at {t:.2f} after its due time {task.due:g}")
        prev = task
    if route:
        arc = inst.dist(prev, inst.depot)
        dist += arc
        if t + prev.service + arc > inst.depot.due + EPS:
            errors.append(f"{tag}: back at the depot at {t + prev.service + arc:.2f} after {inst.depot.due:g}")
    return dist


def outsourcing_tail(inst: StrspInstance, routes: Sequence[Sequence[object]], outsourced: Sequence[int] | None,
                     seen: dict[int, int], routing: float, errors: list[str]) -> Evaluation:
    """The common end of both variants' checks: every task served or outsourced once, and the outsourcing
    cost (tasks served are counted in `seen`; None `outsourced`: every task not served)."""
    if outsourced is None:
        out = tuple(t.id for t in inst.tasks if t.id not in seen)
    else:
        out = tuple(outsourced)
        for tid in out:
            if inst.task(tid) is None:
                errors.append(f"unknown outsourced task {tid}")
            seen[tid] = seen.get(tid, 0) + 1
        missing = [t.id for t in inst.tasks if t.id not in seen]
        if missing:
            errors.append(f"{len(missing)} tasks neither served nor outsourced, e.g. {missing[:5]}")
    twice = sorted(n for n, c in seen.items() if c > 1)
    if twice:
        errors.append(f"tasks served or outsourced more than once: {twice[:5]}")
    cost = sum(task.outsourcing_cost() for tid in out if (task := inst.task(tid)) is not None)
    served = sum(len(r) for r in routes)
    return Evaluation(routing=routing, served=served, outsourced=out, outsourcing=cost, errors=tuple(errors))

def format_sol(inst: StrspInstance, routes: Sequence[Sequence[int]], ev: Evaluation) -> str:
    lines = [f"Route #{k} ({tech.id}): {' '.join(str(n) for n in r)}".rstrip()
             for k, (tech, r) in enumerate(zip(inst.technicians, routes, strict=True), 1)]
    lines.append(f"Outsourced: {' '.join(str(n) for n in ev.outsourced)}".rstrip())
    return "\n".join([*lines, f"Cost {ev.objective:.2f}"]) + "\n"


def parse_sol(text: str) -> tuple[list[list[int]], list[int]]:
    """Routes and outsourced tasks of a `.sol` file (other lines ignored)."""
    routes: list[list[int]] = []
    outsourced: list[int] = []
    for line in text.splitlines():
        head = line.strip().lower()
        if head.startswith("route"):
            routes.append([int(c) for c in line.split(":", 1)[1].split()])
        elif head.startswith("outsourced"):
            outsourced += [int(c) for c in line.split(":", 1)[1].split()]
    return routes, outsourced


def solve_instance(inst: StrspInstance, *, time_limit: float, seed: int,
                   params: SolveParams) -> list[list[int]] | None:
    """Task IDs per technician from the dispatch engine, or None when it found nothing."""
    from solver import solve  # late: the reader and the evaluator work on their own

    solution = solve(build_problem(inst), time_limit=time_limit, seed=seed, params=params)
    if solution.status == "infeasible":
        return None
    by_vehicle = {r.vehicle: r.visits for r in solution.routes}
    return [[inst.tasks[j].id for j in by_vehicle.get(k, ())] for k in range(len(inst.technicians))]


@dataclass(frozen=True)
class Row:
    name: str
    technicians: int
    evaluation: Evaluation | None
    wall: float


def run(instances: Sequence[StrspInstance], *, out: Path, time_limit: float, seed: int,
        params: SolveParams) -> list[Row]:
    """Solve, check and write every instance, printing one row each as it completes."""
    out.mkdir(parents=True, exist_ok=True)
    print(f"{'instance':<18}{'techs':>6}{'used':>5}{'routing':>10}{'served':>7}{'outs.':>6}{'outs. cost':>11}"
          f"{'objective':>11}{'feasible':>9}{'wall s':>8}")
    rows: list[Row] = []
    for inst in instances:
        t0 = time.perf_counter()
        routes = solve_instance(inst, time_limit=time_limit, seed=seed, params=params)
        wall = time.perf_counter() - t0
        ev = evaluate(inst, routes) if routes is not None else None
        if ev is not None and routes is not None:
            (out / f"{inst.name}.sol").write_text(format_sol(inst, routes, ev))
        row = Row(inst.name, len(inst.technicians), ev, wall)
        rows.append(row)
        used = str(sum(1 for r in routes if r)) if routes else "-"
        if ev is None:
            print(f"{inst.name:<18}{row.technicians:>6}{used:>5}{'-':>10}{'-':>7}{'-':>6}{'-':>11}{'-':>11}"
                  f"{'NO':>9}{wall:>8.1f}", flush=True)
        else:
            print(f"{inst.name:<18}{row.technicians:>6}{used:>5}{ev.routing:>10.2f}{ev.served:>7}"
                  f"{len(ev.outsourced):>6}{ev.outsourcing:>11.2f}{ev.objective:>11.2f}"
                  f"{'yes' if ev.feasible else 'NO':>9}{wall:>8.1f}", flush=True)
        for err in ev.errors if ev else ("no solution",):
            print(f"    {inst.name}: {err}", file=sys.stderr)
    done = [r.evaluation for r in rows if r.evaluation is not None]
    if done:
        print(f"mean objective {sum(e.objective for e in done) / len(done):.2f} over {len(done)} instances")
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    p = solomon.arg_parser("Kovacs et al. STRSP benchmark (routing + outsourcing cost).", time_limit=30.0,
                           out=Path("benchmarks/out/strsp"),
                           files_help="task files, e.g. tasks_noTeam/C101_5x4_noTeam.txt")
    p.add_argument("--technicians", type=Path, default=None, help="technician file (one task file only)")
    p.add_argument("--reduced", action="store_true", help="the techniciansReduced_* files (fewer technicians)")
    p.add_argument("--variant", choices=("noTeam", "team"), default=None,
                   help="noTeam: one technician per route; team: teams formed for the day (benchmarks.strsp_team). "
                        "Default: the task files' own (their names end in _noTeam or _Team)")
    p.add_argument("--bks", type=Path, default=None,
                   help="Team variant: CSV of best-known objectives (columns instance,objective; instance = file stem)")
    p.add_argument("--formation-evaluations", type=int, default=None,
                   help="Team variant: descent steps over team formations from each start (default 300)")
    args = p.parse_args(argv)
    if args.technicians and len(args.files) > 1:
        p.error("--technicians goes with one task file")
    instances = [read_strsp(f, args.technicians, reduced=args.reduced) for f in args.files]
    variants = {"team" if inst.variant == "Team" else "noTeam" for inst in instances}
    if len(variants) > 1 or (args.variant and variants != {args.variant}):
        print(f"task files of the {' and '.join(sorted(variants))} variants, asked for {args.variant or 'one'}: "
              "Team files (d_sl above 1: several technicians on one task) run with --variant team, noTeam "
              "files with --variant noTeam", file=sys.stderr)
        return 2
    bks = solomon.read_bks(args.bks, column="objective") if args.bks else {}
    if variants == {"team"}:
        from benchmarks.strsp_team import DESCENT_EVALUATIONS, run_team

        team_rows = run_team(instances, out=args.out, time_limit=args.time_limit, seed=args.seed,
                             params=SolveParams(solution_limit=args.solution_limit), bks=bks,
                             evaluations=args.formation_evaluations or DESCENT_EVALUATIONS)
        return 0 if all(r.evaluation is not None and r.evaluation.feasible for r in team_rows) else 1
    rows = run(instances, out=args.out, time_limit=args.time_limit, seed=args.seed,
               params=SolveParams(solution_limit=args.solution_limit))
    return 0 if solomon.all_feasible(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
