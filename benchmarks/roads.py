"""Road travel benchmarks (dispatch.roads): preparing an extract, a many-to-many matrix after preparation, a plan
on roads against the straight-line plan at the same time limit (in this process, and with `--cli` as
`dispatch solve` from its start to its exit), and the peak memory of the whole run.

The only real extract here is the small one the tests ship (central Helsinki, 1.6 x 1 km). For a city-sized
graph the runner also writes a synthetic one with pyosmium: a square grid of streets centred on Lyon (so the
seeded Lyon days of dispatch.demo_days fall inside it), `--blocks` streets each way `--block-m` apart, every
street one OSM way with a shape node in the middle of each block, a primary road every tenth street, a third
of the residential streets one-way, and a speed limit tagged on every other primary road.

    python -m benchmarks.roads --blocks 200 --block-m 100 --points 1000 --orders 200 --technicians 25 \
        --time-limit 20 --cli --out benchmarks/out/roads.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from dispatch import roads
from dispatch.analysis.checker import check_plan
from dispatch.demo_days import CITIES, generate_day
from dispatch.domain import Day
from dispatch.io import write_orders_csv, write_technicians_csv
from dispatch.plan import Plan
from dispatch.planning import plan_day
from dispatch.policy import Policy
from dispatch.roads.searches import MIN_SHARED_WORK, search_threads
from dispatch.whatif.roads import DEMO_EXTRACT

PLAN_DATE = date(2026, 11, 24)
ROOT = Path(__file__).resolve().parents[1]


def write_grid_city(path: Path, *, blocks: int, block_m: float, lat0: float, lon0: float,
                    buildings: int = 0) -> None:
    """A synthetic city extract (see the module's text); `buildings` closed ways tagged as buildings with an
    address (five nodes each) make the file as large as a real city's, whose reader must skip them."""
    import osmium
    from osmium.osm.mutable import Node, Way

    dlat = block_m / 111_195.0
    dlon = block_m / (111_195.0 * math.cos(math.radians(lat0)))
    half = blocks / 2
    path.unlink(missing_ok=True)
    w = osmium.SimpleWriter(str(path))

    def corner(r: int, c: int) -> int:
        return 1 + r * blocks + c

    mid = blocks * blocks + 1
    mids: dict[tuple[str, int, int], int] = {}
    for r in range(blocks):
        for c in range(blocks):
            w.add_node(Node(id=corner(r, c), location=(lon0 + (c - half) * dlon, lat0 + (r - half) * dlat)))
    for r in range(blocks):
        for c in range(blocks):
            if c + 1 < blocks:
                mids[("h", r, c)] = mid
                w.add_node(Node(id=mid, location=(lon0 + (c + 0.5 - half) * dlon, lat0 + (r - half) * dlat)))
                mid += 1
            if r + 1 < blocks:
                mids[("v", r, c)] = mid
                w.add_node(Node(id=mid, location=(lon0 + (c - half) * dlon, lat0 + (r + 0.5 - half) * dlat)))
                mid += 1
    way = 1
    for kind in ("h", "v"):
        for k in range(blocks):
            nodes: list[int] = []
            for j in range(blocks):
                r, c = (k, j) if kind == "h" else (j, k)
                nodes.append(corner(r, c))
                if j + 1 < blocks:
                    nodes.append(mids[(kind, r, c)])
            tags = {"highway": "primary" if k % 10 == 0 else "residential"}
            if k % 10 == 0 and k % 20 == 0:
                tags["maxspeed"] = "70"
            elif k % 10 and k % 3 == 0:
                tags["oneway"] = "yes" if k % 2 else "-1"
            w.add_way(Way(id=way, nodes=nodes, tags=tags))
            way += 1
    rng = np.random.default_rng(7)
    size = 8.0 / 111_195.0  # about 8 m
    for b in range(buildings):
        cy = lat0 + (rng.random() - 0.5) * blocks * dlat
        cx = lon0 + (rng.random() - 0.5) * blocks * dlon
        ring = [mid + i for i in range(4)]
        for i, (ox, oy) in enumerate(((0, 0), (1, 0), (1, 1), (0, 1))):
            w.add_node(Node(id=ring[i], location=(cx + ox * size * 1.6, cy + oy * size)))
        mid += 4
        w.add_way(Way(id=way, nodes=[*ring, ring[0]],
                      tags={"building": "yes", "addr:street": f"Rue {b % 997}", "addr:housenumber": str(b % 300 + 1)}))
        way += 1
    w.close()


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB



def solve_commands(day: Day, extract: Path, args: argparse.Namespace, cache: Path) -> dict[str, object]:
    """`dispatch solve` as a user runs it, its own process from start to exit (imports, reading, matrices,
    search, fixes, writing), straight line then roads, at the same time limit; the extract already prepared
    (in `cache`), as a city's would be after its first plan. CPU seconds are the process's, all threads."""
    out: dict[str, object] = {}
    folder = cache.parent / f"cli-{extract.stem}"
    folder.mkdir(parents=True, exist_ok=True)
    write_technicians_csv(day.technicians, folder / "technicians.csv")
    write_orders_csv(day.orders, folder / "orders.csv")
    env = {**os.environ, "PYTHONPATH": str(ROOT), roads.CACHE_ENV: str(cache)}
    walls = {}
    for label, travel in (("geodesic", "geodesic"), ("roads", f"osm:{extract}")):
        plan_path = folder / f"plan-{label}.json"
        cmd = [sys.executable, "-c", "from api.cli import main; main()", "solve", "-t", str(folder / "technicians.csv"),
               "-o", str(folder / "orders.csv"), "-d", PLAN_DATE.isoformat(), "--time-limit", f"{args.time_limit:g}",
               "--seed", str(args.seed), "--travel", travel, "--out", str(plan_path)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        walls[label] = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"dispatch solve --travel {travel} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        plan = Plan.from_json(plan_path.read_text(encoding="utf-8"))
        out[f"solve_{label}_start_to_exit_s"] = round(walls[label], 2)
        out[f"solve_{label}_cpu_s"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2)
        out[f"solve_{label}_valid"] = check_plan(day, plan).ok
        out[f"solve_{label}_served"] = len(plan.assigned_ids())
    out["solve_roads_over_geodesic_pct"] = round(100 * (walls["roads"] / walls["geodesic"] - 1), 1)
    return out


def measure(name: str, extract: Path, city: str, args: argparse.Namespace, cache: Path) -> dict[str, object]:
    out: dict[str, object] = {"extract": name, "file_mib": round(extract.stat().st_size / 2**20, 2)}
    roads.forget()
    t, cpu = time.perf_counter(), time.process_time()
    net = roads.prepare(extract, directory=cache)
    # wall and CPU seconds: on a busy shared machine the CPU time is what the work itself takes (one thread)
    out["prepare_s"] = round(time.perf_counter() - t, 2)
    out["prepare_cpu_s"] = round(time.process_time() - cpu, 2)
    out.update(osm_nodes=int(net.data.lat.size), chains=net.data.chains, intersections=net.vertices)
    roads.forget()
    t = time.perf_counter()
    net = roads.prepare(extract, directory=cache)
    out["load_cached_s"] = round(time.perf_counter() - t, 2)

    rng = np.random.default_rng(1)
    lat, lon = net.data.lat, net.data.lon
    n = args.points
    la = rng.uniform(lat.min(), lat.max(), n)
    lo = rng.uniform(lon.min(), lon.max(), n)
    # the first matrix of a process loads the compiled search (dispatch.roads.searches), the second has it;
    # CPU seconds are of every thread of the process
    for run in ("", "_again"):
        t, cpu = time.perf_counter(), time.process_time()
        dist, dur = net.matrices(la, lo, max_snap_m=None)
        out[f"matrix_{n}x{n}{run}_s"] = round(time.perf_counter() - t, 2)
        out[f"matrix_{n}x{n}{run}_cpu_s"] = round(time.process_time() - cpu, 2)
    out["search_threads"] = search_threads() if n * net.vertices >= MIN_SHARED_WORK else 1
    off = ~np.eye(n, dtype=bool)
    out["matrix_check"] = bool((np.diag(dist) == 0).all() and (dist[off] > 0).all() and (dur[off] > 0).all())

    if args.matrix_only:
        out["peak_rss_mib_so_far"] = round(peak_mib())
        out["load_average_1min"] = round(os.getloadavg()[0], 1)
        return out
    travel = roads.OsmTravel(extract, directory=cache)
    day = generate_day(orders=args.orders, technicians=args.technicians, seed=args.seed, plan_date=PLAN_DATE,
                       city=city)
    policy = Policy(time_limit=args.time_limit, seed=args.seed)
    walls = {}
    for label, source in (("geodesic", None), ("roads", travel)):
        t, cpu = time.perf_counter(), time.process_time()
        plan = plan_day(day, policy, travel=source)
        walls[label] = time.perf_counter() - t
        out[f"plan_{label}_cpu_s"] = round(time.process_time() - cpu, 2)
        report = check_plan(day, plan)
        out[f"plan_{label}_s"] = round(walls[label], 2)
        out[f"plan_{label}_valid"] = report.ok
        out[f"plan_{label}_served"] = len(plan.assigned_ids())
    out["plan_roads_over_geodesic_pct"] = round(100 * (walls["roads"] / walls["geodesic"] - 1), 1)
    if args.cli:
        out.update(solve_commands(day, extract, args, cache))
    out["peak_rss_mib_so_far"] = round(peak_mib())
    out["load_average_1min"] = round(os.getloadavg()[0], 1)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--blocks", type=int, default=200, help="streets each way of the synthetic city")
    ap.add_argument("--block-m", type=float, default=100.0, help="metres between streets")
    ap.add_argument("--points", type=int, default=1000, help="points of the many-to-many matrix")
    ap.add_argument("--orders", type=int, default=200)
    ap.add_argument("--technicians", type=int, default=25)
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--matrix-only", action="store_true", help="measure preparation and the matrix, no plans")
    ap.add_argument("--buildings", type=int, default=0,
                    help="add this many buildings to the synthetic grid, so its file is as large as a real city's")
    ap.add_argument("--cli", action="store_true",
                    help="also time `dispatch solve` from start to exit, straight line and roads")
    args = ap.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        small = argparse.Namespace(**{**vars(args), "orders": min(args.orders, 60),
                                      "technicians": min(args.technicians, 8)})
        results.append(measure("helsinki.osm.pbf (shipped, 1.6 x 1 km)", DEMO_EXTRACT, "helsinki", small, cache))
        print(json.dumps(results[-1]), flush=True)
        lyon = CITIES["lyon"]
        grid = Path(tmp) / "grid.osm.pbf"
        t = time.perf_counter()
        write_grid_city(grid, blocks=args.blocks, block_m=args.block_m, lat0=lyon.lat, lon0=lyon.lon,
                        buildings=args.buildings)
        side = (args.blocks - 1) * args.block_m / 1000
        print(f"wrote the synthetic grid ({side:.1f} km square) in {time.perf_counter() - t:.1f} s", flush=True)
        results.append(measure(f"synthetic grid {args.blocks}x{args.blocks} streets, {side:.1f} km square",
                               grid, "lyon", args, cache))
        print(json.dumps(results[-1]), flush=True)
    summary = {"command": "python -m benchmarks.roads " + " ".join(sys.argv[1:] if argv is None else argv),
               "peak_rss_mib": round(peak_mib()), "load_average_1_5_15": [round(x, 1) for x in os.getloadavg()], "results": results}
    print(json.dumps({k: summary[k] for k in ("peak_rss_mib", "load_average_1_5_15")}))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
