"""Time the default travel matrix (geodesic x road factor at a speed) for n random points in a city.

    python -m benchmarks.travel_matrix [N] [--workers W]

Prints wall and CPU seconds; not a timed test, just the figure the issue asks for (2,000 points ~ 1 s).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from dispatch.travel import GeodesicTravel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=None, help="threads (default: up to 4 cores)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    lats = rng.uniform(45.65, 45.85, args.n)  # Lyon, about 20 km across
    lons = rng.uniform(4.75, 5.00, args.n)
    travel = GeodesicTravel(workers=args.workers)
    best_wall = best_cpu = float("inf")
    for _ in range(args.repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        distances, durations = travel.matrices(lats, lons)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    print(f"{args.n} points ({args.n * (args.n - 1) // 2:,} pairs), workers={args.workers or 'auto'}: "
          f"best of {args.repeat}: {best_wall:.2f} s wall, {best_cpu:.2f} s CPU; "
          f"mean leg {distances.mean() / 1000:.1f} km, {durations.mean() / 60:.1f} min")


if __name__ == "__main__":
    main()
