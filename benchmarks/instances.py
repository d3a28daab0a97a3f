"""Readers for public VRPTW instances (Solomon text files, VRPLIB files such as Gehring-Homberger).

Each reader returns an `Instance`: the raw data as in the file (used by the independent DIMACS evaluator)
plus the solver `Problem` built directly from it, in the DIMACS convention: distance = travel time =
floor(10 * euclidean) in tenth units, service times and windows scaled by 10, every customer mandatory,
one part type whose stock is the vehicle capacity and whose quantity per visit is the demand. Location 0
is the depot and location i is customer i as numbered in the file (visit i - 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from solver.problem import IntMatrix, Problem, Vehicle, Visit

SCALE = 10  # DIMACS: one decimal, so every value in the Problem is in tenths of the file's unit


@dataclass(frozen=True)
class Instance:
    """A VRPTW instance as in its file. Index 0 is the depot; customer i is index i."""

    name: str
    x: tuple[int, ...]
    y: tuple[int, ...]
    demand: tuple[int, ...]
    ready: tuple[int, ...]
    due: tuple[int, ...]
    service: tuple[int, ...]
    capacity: int
    num_vehicles: int

    @property
    def num_customers(self) -> int:
        return len(self.x) - 1

    def problem(self) -> Problem:
        """The solver Problem in tenth units (see the module docstring)."""
        matrix = truncated_distances(self.x, self.y)
        depot = Vehicle(
            start=0,
            end=0,
            shift_start=SCALE * self.ready[0],
            shift_end=SCALE * self.due[0],
            stock=(self.capacity,),
        )
        visits = tuple(
            Visit(
                location=i,
                service=SCALE * self.service[i],
                window=(SCALE * self.ready[i], SCALE * self.due[i]),
                parts=(self.demand[i],),
            )
            for i in range(1, len(self.x))
        )
        return Problem(
            distances=matrix,
            durations=matrix,
            vehicles=(depot,) * self.num_vehicles,
            visits=visits,
            num_parts=1,
        )


def truncated_distances(x: tuple[int, ...], y: tuple[int, ...]) -> IntMatrix:
    """floor(10 * euclidean distance) for integer coordinates, computed exactly (no float rounding)."""
    xs = np.asarray(x, dtype=np.int64)
    ys = np.asarray(y, dtype=np.int64)
    sq = (SCALE * SCALE) * ((xs[:, None] - xs[None, :]) ** 2 + (ys[:, None] - ys[None, :]) ** 2)
    root: npt.NDArray[np.int64] = np.floor(np.sqrt(sq.astype(np.float64))).astype(np.int64)
    # float sqrt may be off by one near perfect squares: correct to the exact integer square root
    root -= (root * root > sq).astype(np.int64)
    root += ((root + 1) * (root + 1) <= sq).astype(np.int64)
    return root


def read_solomon(path: str | Path) -> Instance:
    """Read a Solomon (1987) text file: name, `NUMBER CAPACITY` block, then one row per customer."""
    lines = Path(path).read_text().splitlines()
    name = lines[0].strip()
    num_vehicles = capacity = None
    rows: list[list[int]] = []
    for i, line in enumerate(lines):
        if line.strip().upper().startswith("NUMBER"):
            num_vehicles, capacity = (int(v) for v in lines[i + 1].split()[:2])
        fields = line.split()
        if len(fields) == 7 and all(re.fullmatch(r"-?\d+", f) for f in fields):
            rows.append([int(f) for f in fields])
    if num_vehicles is None or capacity is None:
        raise ValueError(f"{path}: no NUMBER/CAPACITY block")
    if not rows or rows[0][0] != 0:
        raise ValueError(f"{path}: the first customer row must be the depot (number 0)")
    for k, row in enumerate(rows):
        if row[0] != k:
            raise ValueError(f"{path}: customer rows must be numbered 0, 1, 2, ...; found {row[0]} at {k}")
    cols = list(zip(*rows, strict=True))
    return Instance(
        name=name,
        x=cols[1],
        y=cols[2],
        demand=cols[3],
        ready=cols[4],
        due=cols[5],
        service=cols[6],
        capacity=capacity,
        num_vehicles=num_vehicles,
    )


def read_vrplib(path: str | Path) -> Instance:
    """Read a VRPLIB VRPTW file (NODE_COORD, DEMAND, TIME_WINDOW sections; optional SERVICE_TIME
    section or header). Nodes are renumbered from 0 (the depot), so customer i is VRPLIB node i + 1,
    which is the numbering of VRPLIB `.sol` files."""
    header: dict[str, str] = {}
    sections: dict[str, list[list[str]]] = {}
    current: str | None = None
    for raw in Path(path).read_text().splitlines():
        line = raw.strip()
        if not line or line == "EOF":
            continue
        if line.endswith("_SECTION"):
            current = line
            sections[current] = []
        elif ":" in line and current is None:
            key, value = line.split(":", 1)
            header[key.strip().upper()] = value.strip()
        elif current is not None:
            sections[current].append(line.split())

    def column(section: str, width: int) -> list[list[int]]:
        rows = sections.get(section)
        if rows is None:
            raise ValueError(f"{path}: missing {section}")
        out = [[int(float(v)) for v in r[1 : 1 + width]] for r in rows if r[0] != "-1"]
        if [int(r[0]) for r in rows if r[0] != "-1"] != list(range(1, len(out) + 1)):
            raise ValueError(f"{path}: {section} rows must be numbered 1, 2, 3, ...")
        return out

    coords = column("NODE_COORD_SECTION", 2)
    n = len(coords)
    demand = [r[0] for r in column("DEMAND_SECTION", 1)]
    windows = column("TIME_WINDOW_SECTION", 2)
    if "SERVICE_TIME_SECTION" in sections:
        service = [r[0] for r in column("SERVICE_TIME_SECTION", 1)]
    else:
        service = [int(float(header.get("SERVICE_TIME", "0")))] * n
    depots = [int(r[0]) for r in sections.get("DEPOT_SECTION", [["1"]]) if r[0] != "-1"]
    if depots != [1]:
        raise ValueError(f"{path}: only a single depot numbered 1 is supported, got {depots}")
    service[0] = 0  # the depot has no service
    if len({len(demand), len(windows), len(service), n}) != 1:
        raise ValueError(f"{path}: sections disagree on the number of nodes")
    return Instance(
        name=header.get("NAME", Path(path).stem),
        x=tuple(c[0] for c in coords),
        y=tuple(c[1] for c in coords),
        demand=tuple(demand),
        ready=tuple(w[0] for w in windows),
        due=tuple(w[1] for w in windows),
        service=tuple(service),
        capacity=int(header["CAPACITY"]),
        num_vehicles=int(header["VEHICLES"]),
    )
