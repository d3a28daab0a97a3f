"""Pillac TRSP benchmark (technicians with skills, tools and spare parts) on the dispatch engine.

    python -m benchmarks.trsp FILE... --bks bks_trsp_pillac_crew25.csv --time-limit 30 --out DIR [--seed N]

The problem (Pillac, Gueret & Medaglia 2013, Optimization Letters 7:1525-1535; conventions read from the
authors' code, vpillac/vroom @ de39e77: `PillacSimplePersistenceHelper`, `TRSPWorkingTime`,
`SkillsConstraint`, `ToolsConstraint`, `SparePartsConstraint`, `TRSPDistanceMatrix`):
- one tour per technician (IDs 1-25), from home back home inside the home's time window; every request
  (IDs 26-125) served exactly once, service starting inside its window (waiting allowed);
- skills are not consumed: the technician holds every skill the request needs;
- tools are not consumed: the technician holds every tool the request needs, or has visited the main depot
  (ID 0) earlier in the tour; spare parts are consumed along the tour from the technician's stock, and a visit
  to the main depot refills every tool and part (unlimited there). At most one depot visit per tour;
- travel time = Euclidean distance in double precision (speed 1, no rounding);
- objective: total working time = the sum over non-empty tours of (back home - departure), service and
  waiting included, each technician leaving home as late as it can without changing the tour's schedule
  (Savelsbergh's forward slack). This is `bks_total_duration_vrprep`, the column the gap is taken against.

How it maps onto the engine (a solver Problem built directly, like benchmarks.solomon): a technician is a
vehicle from home to home with its home window as shift; skill s is engine skill s and tool t is engine skill
5 + t (tools as skill tags); parts are the van stock (engine part types). The engine has no mid-tour restock:
a technician either leaves home with their own van, or starts "via the depot" (a vehicle with every tool and
an unlimited stock whose first leg is home -> depot -> first request, so its working time counts the drive). Who goes by the
depot is chosen in two searches (`solve_instance`), and each tour then gets its one depot visit wherever it
costs least, mid-tour included, or none (`place_depot`). The engine minimises the routes' working time
(`Problem.span_cost`, waiting included; travel distance is not costed), the paper's objective: with a span cost
each technician leaves home as late as keeps the time back (`Timetable.lean`), as the evaluator here does.
Ruin and recreate on these days is the compiled span walk (solver/spanwalk.py: tens of thousands of steps a
search, each place priced by the route's working time), which `run` loads before the first clock starts.
Skill levels play no part in these instances.

Each solution is checked independently from the raw file (every rule above, with the depot visit anywhere)
and written to DIR/NAME.sol: `Route #k (technician T): ids` for every technician, in visiting order (0 for
the depot visit), then `Cost X` (the paper's objective, two decimals). Exits 1 if any solution is infeasible.
"""

from __future__ import annotations

import math
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from benchmarks import solomon
from solver.params import SolveParams
from solver.problem import Problem, Solution, Vehicle, Visit

SCALE = 1000  # engine units per instance unit; travel times rounded UP so engine-feasible is truly feasible
UNLIMITED = 10**6
# optional visits with a penalty far above any route: the search starts easily and drops only the impossible
DROP = 10**10
SCARCE = 10  # the drop penalty's factor for a request at most one technician reaches in time
EPS = 1e-6

_ROW = re.compile(r"\s*(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+\[(.*?)\]\s*\[(.*?)\]\s*\[(.*?)\]")


@dataclass(frozen=True)
class Node:
    id: int
    x: float
    y: float
    tws: float
    twe: float
    service: float
    skills: frozenset[int]
    tools: frozenset[int]
    parts: tuple[int, ...]  # stock (technician) or need (request), per part type


@dataclass(frozen=True)
class TrspInstance:
    name: str
    depot: Node
    technicians: tuple[Node, ...]  # technician k has ID k + 1
    requests: tuple[Node, ...]
    num_skills: int
    num_tools: int
    num_parts: int

    def node(self, node_id: int) -> Node:
        if node_id == 0:
            return self.depot
        if node_id <= len(self.technicians):
            return self.technicians[node_id - 1]
        return self.requests[node_id - len(self.technicians) - 1]

    def dist(self, a: Node, b: Node) -> float:
        return math.hypot(a.x - b.x, a.y - b.y)

    def own_ok(self, tech: Node, req: Node) -> bool:
        """The technician can serve the request from home without the depot (ignoring other requests)."""
        return (req.skills <= tech.skills and req.tools <= tech.tools
                and all(n <= s for n, s in zip(req.parts, tech.parts, strict=True)))


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def read_trsp(path: str | Path) -> TrspInstance:
    """Read a crew25 file: name, the `CREW COUNT SKILLS TOOLS SPARE PARTS` counts, then one row per node."""
    lines = Path(path).read_text().splitlines()
    name = lines[0].strip()
    counts = None
    nodes: list[Node] = []
    for i, line in enumerate(lines):
        if line.strip().upper().startswith("CREW COUNT"):
            counts = [int(v) for v in lines[i + 1].split()]
        m = _ROW.match(line)
        if m:
            g = m.groups()
            nodes.append(Node(int(g[0]), float(g[1]), float(g[2]), float(g[3]), float(g[4]), float(g[5]),
                              frozenset(_ints(g[6])), frozenset(_ints(g[7])), tuple(_ints(g[8]))))
    if counts is None or len(counts) != 4:
        raise ValueError(f"{path}: no CREW COUNT SKILLS TOOLS SPARE PARTS block")
    crew, skills, tools, parts = counts
    for k, n in enumerate(nodes):
        if n.id != k:
            raise ValueError(f"{path}: rows must be numbered 0, 1, 2, ...; found {n.id} at {k}")
        if n.id > 0 and len(n.parts) != parts:
            raise ValueError(f"{path}: row {n.id} has {len(n.parts)} spare-part counts, expected {parts}")
    return TrspInstance(name=name, depot=nodes[0], technicians=tuple(nodes[1:crew + 1]),
                        requests=tuple(nodes[crew + 1:]), num_skills=skills, num_tools=tools, num_parts=parts)


def via_depot(inst: TrspInstance) -> frozenset[int]:
    """Technician indices that start via the depot: for each request at most one technician can serve from
    their own tools and stock (one may not have the time), the skilled technician nearest the depot, other
    than that one."""
    chosen: set[int] = set()
    for r in inst.requests:
        own = [k for k, t in enumerate(inst.technicians) if inst.own_ok(t, r)]
        if len(own) > 1:
            continue
        skilled = [k for k, t in enumerate(inst.technicians) if r.skills <= t.skills and k not in own]
        if skilled:
            chosen.add(min(skilled, key=lambda k: (inst.dist(inst.technicians[k], inst.depot), k)))
    return frozenset(chosen)


def build_problem(inst: TrspInstance, depot_first: frozenset[int], *, costed_drive: bool = True) -> Problem:
    """Locations: 0 the depot, 1..25 the homes, then the requests (visit j is request ID 26 + j), then for
    each technician the start "home by way of the depot": travel from it is the drive home -> depot -> there
    (nothing travels to it). A technician in `depot_first` starts there, so that the tour's working time
    includes the drive to the depot, as the evaluator's does; without `costed_drive`, at the depot when they
    would reach it (the drive then costs nothing)."""
    nodes = [inst.depot, *inst.technicians, *inst.requests]
    xs = np.array([n.x for n in nodes])
    ys = np.array([n.y for n in nodes])
    d = np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :])
    crew = len(inst.technicians)
    homes = np.arange(1, crew + 1)
    via = d[homes, 0][:, None] + d[0][None, :]  # home k -> depot -> each location
    d = np.block([[d, d[:, homes]], [via, via[:, homes]]])
    np.fill_diagonal(d, 0.0)
    durations = np.ceil(d * SCALE - 1e-9).astype(np.int64)
    distances = np.rint(d * SCALE).astype(np.int64)
    all_tools = frozenset(inst.num_skills + t for t in range(inst.num_tools))
    vehicles = []
    for k, t in enumerate(inst.technicians):
        home = k + 1
        skills = frozenset(t.skills) | frozenset(inst.num_skills + x for x in t.tools)
        if k in depot_first and not costed_drive:
            vehicles.append(Vehicle(start=0, end=home, shift_start=math.ceil(SCALE * t.tws) + int(durations[home, 0]),
                                    shift_end=math.floor(SCALE * t.twe), skills=frozenset(t.skills) | all_tools,
                                    stock=(UNLIMITED,) * inst.num_parts))
        elif k in depot_first:
            vehicles.append(Vehicle(start=len(nodes) + k, end=home, shift_start=math.ceil(SCALE * t.tws),
                                    shift_end=math.floor(SCALE * t.twe), skills=frozenset(t.skills) | all_tools,
                                    stock=(UNLIMITED,) * inst.num_parts))
        else:
            vehicles.append(Vehicle(start=home, end=home, shift_start=math.ceil(SCALE * t.tws),
                                    shift_end=math.floor(SCALE * t.twe), skills=skills, stock=t.parts))
    base = 1 + len(inst.technicians)
    visits = []
    for j, r in enumerate(inst.requests):
        skills = frozenset(r.skills) | frozenset(inst.num_skills + x for x in r.tools)
        window = (math.ceil(SCALE * r.tws), math.floor(SCALE * r.twe))
        # A request at most one technician reaches in time is inserted first (a dearer class): else another
        # request of that technician's can take its one slot and the search seldom undoes it (R102's 117).
        reach = sum(1 for v in vehicles if skills <= v.skills and all(n <= q for n, q in zip(r.parts, v.stock, strict=True))
                    and v.shift_start + int(durations[v.start, base + j]) <= window[1])
        visits.append(Visit(location=base + j, service=round(SCALE * r.service),
                            drop_penalty=DROP * SCARCE if reach <= 1 else DROP, window=window, skills=skills,
                            parts=r.parts))
    # the paper's objective is working time: each route's span, waiting included, not its distance
    return Problem(distances=distances, durations=durations, vehicles=tuple(vehicles), visits=tuple(visits),
                   num_skills=inst.num_skills + inst.num_tools, num_parts=inst.num_parts, distance_cost=0, span_cost=1)


@dataclass(frozen=True)
class Evaluation:
    """The paper's objective of routes (node IDs per technician, 0 = the depot visit) and what breaks a rule."""

    total_duration: float
    durations: tuple[float, ...]
    errors: tuple[str, ...] = field(default=())

    @property
    def feasible(self) -> bool:
        return not self.errors


def tour_duration(inst: TrspInstance, tech: Node, route: Sequence[int]) -> tuple[float, list[str]]:
    """Working time of one tour leaving home at the best moment, and the rules it breaks (times, windows)."""
    if not route:
        return 0.0, []
    errors: list[str] = []
    t = tech.tws  # earliest departure
    prev = tech
    waits = 0.0
    slack = math.inf  # forward slack: how late the departure can move without breaking a window
    for nid in [*route, None]:
        node = tech if nid is None else inst.node(nid)
        arrival = t + prev.service + inst.dist(prev, node)  # a home's service time is 0
        if nid is None:
            start = arrival
            if start > tech.twe + EPS:
                errors.append(f"back home at {start:.2f} after {tech.twe:g}")
            slack = min(slack, waits + tech.twe - start)
            break
        start = max(arrival, node.tws)
        waits += start - arrival
        if start > node.twe + EPS:
            errors.append(f"{nid} starts at {start:.2f} after {node.twe:g}")
        slack = min(slack, waits + node.twe - start)
        t, prev = start, node
    return start - (tech.tws + max(0.0, min(slack, waits))), errors


def evaluate(inst: TrspInstance, routes: Sequence[Sequence[int]]) -> Evaluation:
    """Check routes against the raw instance (every rule of the module docstring) and cost them."""
    errors: list[str] = []
    if len(routes) != len(inst.technicians):
        errors.append(f"{len(routes)} routes for {len(inst.technicians)} technicians")
    first = len(inst.technicians) + 1
    seen: dict[int, int] = {}
    durations = []
    for k, route in enumerate(routes):
        tech = inst.technicians[k]
        tag = f"technician {k + 1}"
        if route.count(0) > 1:
            errors.append(f"{tag}: {route.count(0)} depot visits, at most 1")
        depot_seen = False
        stock = list(tech.parts)
        for nid in route:
            if nid == 0:
                depot_seen = True
                continue
            if not first <= nid < first + len(inst.requests):
                errors.append(f"{tag}: unknown request {nid}")
                continue
            seen[nid] = seen.get(nid, 0) + 1
            r = inst.node(nid)
            if not r.skills <= tech.skills:
                errors.append(f"{tag}: lacks skills {sorted(r.skills - tech.skills)} for {nid}")
            if not depot_seen:
                if not r.tools <= tech.tools:
                    errors.append(f"{tag}: lacks tools {sorted(r.tools - tech.tools)} for {nid} (no depot visit before)")
                stock = [s - n for s, n in zip(stock, r.parts, strict=True)]
                if any(s < 0 for s in stock):
                    errors.append(f"{tag}: out of spare parts at {nid} (no depot visit before)")
        dur, errs = tour_duration(inst, tech, route)
        durations.append(dur)
        errors += [f"{tag}: {e}" for e in errs]
    missing = [r.id for r in inst.requests if r.id not in seen]
    if missing:
        errors.append(f"{len(missing)} requests not served, e.g. {missing[:5]}")
    twice = sorted(n for n, c in seen.items() if c > 1)
    if twice:
        errors.append(f"requests served more than once: {twice[:5]}")
    return Evaluation(total_duration=sum(durations), durations=tuple(durations), errors=tuple(errors))


def format_sol(inst: TrspInstance, routes: Sequence[Sequence[int]], ev: Evaluation) -> str:
    lines = [f"Route #{k} ({inst.technicians[k - 1].id}): {' '.join(str(n) for n in r)}".rstrip()
             for k, r in enumerate(routes, 1)]
    return "\n".join([*lines, f"Cost {ev.total_duration:.2f}"]) + "\n"


def read_bks(path: str | Path) -> dict[str, float]:
    return solomon.read_bks(path, column="bks_total_duration_vrprep")


@dataclass(frozen=True)
class Row:
    name: str
    evaluation: Evaluation | None
    bks: float | None
    wall: float
    via_depot: int

    @property
    def gap(self) -> float | None:
        if self.evaluation is None or not self.bks:
            return None
        return 100 * (self.evaluation.total_duration - self.bks) / self.bks


def place_depot(inst: TrspInstance, k: int, requests: Sequence[int]) -> list[int]:
    """Technician k's tour of `requests` (node IDs, in order) with its one depot visit where it costs least:
    anywhere, or nowhere when the technician's own tools and parts suffice. The depot refills on the way, so
    the requests before it must be served from the van; the order of the requests is kept."""
    best: tuple[float, list[int]] | None = None
    # no depot visit first: a visit that saves nothing is left out
    for route in [list(requests)] + [[*requests[:at], 0, *requests[at:]] for at in range(len(requests))]:
        ev = evaluate_tour(inst, k, route)
        if not ev[1] and (best is None or ev[0] < best[0] - EPS):
            best = (ev[0], route)
    return best[1] if best is not None else [0, *requests]


def evaluate_tour(inst: TrspInstance, k: int, route: Sequence[int]) -> tuple[float, list[str]]:
    """One technician's working time and broken rules, as `evaluate` judges them."""
    routes: list[list[int]] = [[] for _ in inst.technicians]
    routes[k] = list(route)
    ev = evaluate(inst, routes)
    return ev.durations[k], [e for e in ev.errors if e.startswith(f"technician {k + 1}:")]


def from_home_only(inst: TrspInstance) -> frozenset[int]:
    """Technicians who must keep their own start for the first search: for each request that nobody starting
    via the depot reaches before its window closes (an early window), those who reach it from home in time
    with their own tools and parts."""
    depot = inst.depot
    keep: set[int] = set()
    for r in inst.requests:
        skilled = [t for t in inst.technicians if r.skills <= t.skills]
        if any(t.tws + inst.dist(t, depot) + depot.service + inst.dist(depot, r) <= r.twe + EPS for t in skilled):
            continue
        keep.update(k for k, t in enumerate(inst.technicians)
                    if inst.own_ok(t, r) and t.tws + inst.dist(t, r) <= r.twe + EPS)
    return frozenset(keep)


def rescuers(inst: TrspInstance, routes: Sequence[Sequence[int]]) -> frozenset[int]:
    """For each request the routes leave out, the technicians who reach it from home in time with their own
    tools and parts: the second search lets them leave from home."""
    served = {n for r in routes for n in r}
    return frozenset(k for r in inst.requests if r.id not in served for k, t in enumerate(inst.technicians)
                     if inst.own_ok(t, r) and t.tws + inst.dist(t, r) <= r.twe + EPS)


# Shares of the time limit: the first search (nearly everyone via the depot, the drive there not costed), then
# two with the drive costed, each from the routes before. Three searches of 0.3-0.35 beat two of 0.4 and 0.6 on
# 3 of 5 R1/RC1 instances at the same total solution count (1 equal); each later search still gained 1-5 %.
SHARES = (0.3, 0.35, 0.35)


def solve_instance(inst: TrspInstance, *, time_limit: float, seed: int,
                   params: SolveParams) -> tuple[list[list[int]] | None, frozenset[int]]:
    """Routes (node IDs per technician) from the dispatch engine, or None when it found nothing; and the
    technicians whose tour includes a depot visit.

    The engine has no mid-tour restock, so who goes by the depot is chosen over a few searches. The first
    lets every technician start via the depot (every tool, every part), but those `from_home_only` keeps at
    home: the requests find their technicians freely, each tour priced from the depot (`build_problem`'s
    `costed_drive` off). Each tour then gets its depot visit where it costs least, or none (`place_depot`). The
    next search starts from those routes, the depot kept first only for the technicians who still need it (for
    one needed mid-tour too: the engine's nearest form) and who are not `rescuers` of a request left out; the
    others leave from home with their own van. From then on a tour via the depot is priced with its drive
    there, as the evaluator prices it. The third search does the same once more. The cheapest result wins."""
    from solver import solve  # late: the reader and the evaluator work on their own

    depot_first = frozenset(range(len(inst.technicians))) - from_home_only(inst)
    candidates: list[list[list[int]]] = []
    start: list[list[int]] | None = None
    for share in SHARES:
        # Costing the drive to the depot in the first search too was worse (mean gap 12.7 % against 10.6 % on
        # 8 R1/RC1/C1 instances, 6 of 8 worse): priced so, a tour that will need no depot looks dearer than it is.
        problem = build_problem(inst, depot_first, costed_drive=start is not None)
        solution = solve(problem, time_limit=time_limit * share, seed=seed, start=start,
                         params=params if start is None else replace(params, ruin_recreate_from_start=True))
        visits = _engine_routes(solution, len(inst.technicians))
        if visits is None:
            break
        routes = _with_depots(inst, visits)
        candidates.append(routes)
        start = visits
        depot_first = (frozenset(k for k, r in enumerate(routes) if 0 in r) | via_depot(inst)) - rescuers(inst, routes)
    if not candidates:
        return None, frozenset()
    best = min(candidates, key=lambda routes: _rank(evaluate(inst, routes)))
    return best, frozenset(k for k, r in enumerate(best) if 0 in r)


def _engine_routes(solution: Solution, technicians: int) -> list[list[int]] | None:
    if solution.status == "infeasible":
        return None
    by_vehicle = {r.vehicle: list(r.visits) for r in solution.routes}
    return [by_vehicle.get(k, []) for k in range(technicians)]


def _with_depots(inst: TrspInstance, visits: Sequence[Sequence[int]]) -> list[list[int]]:
    first = len(inst.technicians) + 1
    return [place_depot(inst, k, [first + v for v in seq]) if seq else [] for k, seq in enumerate(visits)]


def _rank(ev: Evaluation) -> tuple[int, float]:
    return len(ev.errors), ev.total_duration


def run(instances: Sequence[TrspInstance], *, bks: dict[str, float], out: Path, time_limit: float, seed: int,
        params: SolveParams) -> list[Row]:
    """Solve, check and write every instance, printing one row each as it completes."""
    out.mkdir(parents=True, exist_ok=True)
    from solver import spanwalk  # late, as solve

    spanwalk.warm()  # the compiled walk loaded once, before any clock runs (timed solves use it only then)
    print(f"{'instance':<20}{'duration':>11}{'BKS':>11}{'gap %':>8}{'techs':>6}{'depot':>6}{'feasible':>9}"
          f"{'wall s':>8}")
    rows: list[Row] = []
    for inst in instances:
        t0 = time.perf_counter()
        routes, depot_first = solve_instance(inst, time_limit=time_limit, seed=seed, params=params)
        wall = time.perf_counter() - t0
        ev = evaluate(inst, routes) if routes is not None else None
        if ev is not None and routes is not None:
            (out / f"{inst.name}.sol").write_text(format_sol(inst, routes, ev))
        row = Row(inst.name, ev, bks.get(inst.name), wall, len(depot_first))
        rows.append(row)
        print(_format_row(row, routes), flush=True)
        for err in ev.errors if ev else ("no solution",):
            print(f"    {inst.name}: {err}", file=sys.stderr)
    gaps = [r.gap for r in rows if r.gap is not None]
    if gaps:
        print(f"mean gap {sum(gaps) / len(gaps):.2f} % over {len(gaps)} instances")
    return rows


def _format_row(row: Row, routes: Sequence[Sequence[int]] | None) -> str:
    ev = row.evaluation
    dur = f"{ev.total_duration:.2f}" if ev else "-"
    bks = f"{row.bks:.2f}" if row.bks else "-"
    gap = f"{row.gap:.2f}" if row.gap is not None else "-"
    used = str(sum(1 for r in routes if r)) if routes else "-"
    feas = "yes" if ev and ev.feasible else "NO"
    return f"{row.name:<20}{dur:>11}{bks:>11}{gap:>8}{used:>6}{row.via_depot:>6}{feas:>9}{row.wall:>8.1f}"


def main(argv: Sequence[str] | None = None) -> int:
    p = solomon.arg_parser("Pillac TRSP benchmark (total working time) on the dispatch engine.", time_limit=30.0,
                           out=Path("benchmarks/out/trsp"))
    p.add_argument("--bks", type=Path, required=True, help="bks_trsp_pillac_crew25.csv")
    args = p.parse_args(argv)
    rows = run([read_trsp(f) for f in args.files], bks=read_bks(args.bks), out=args.out,
               time_limit=args.time_limit, seed=args.seed,
               params=SolveParams(solution_limit=args.solution_limit))
    return 0 if solomon.all_feasible(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
