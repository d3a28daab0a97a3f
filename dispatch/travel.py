"""Travel distances and times between points: the interface and the default model of DESIGN.md.

The solver only ever sees two integer matrices (metres and seconds), so any source that fills them can replace
the default without touching `solver/`.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from geopy.distance import geodesic
from pyproj import Geod

from dispatch.policy import GEODESIC, OSM, TravelModel

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@runtime_checkable
class TravelSource(Protocol):
    """Anything that turns n points into (distances in metres, durations in seconds), both n x n int64.

    Entry [i, j] is the trip from point i to point j. Matrices need not be symmetric (a road network is not),
    but the diagonal must be zero.
    """

    def matrices(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> tuple[IntArray, IntArray]: ...


_WGS84 = Geod(ellps="WGS84")


def _as_points(lats: npt.ArrayLike, lons: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    la = np.asarray(lats, dtype=np.float64).ravel()
    lo = np.asarray(lons, dtype=np.float64).ravel()
    if la.shape != lo.shape:
        raise ValueError(f"lats and lons differ in length: {la.size} and {lo.size}")
    if not (np.all(np.abs(la) <= 90.0) and np.all(np.abs(lo) <= 180.0)):
        raise ValueError("lats must lie in -90..90 and lons in -180..180 (and not be NaN)")
    return la, lo


def geodesic_matrix_m(lats: npt.ArrayLike, lons: npt.ArrayLike, *, chunk_pairs: int = 1 << 18,
                      workers: int | None = None) -> FloatArray:
    """Symmetric n x n WGS-84 geodesic distances in metres (float), zero diagonal.

    Only the upper triangle is computed, in blocks of rows of about `chunk_pairs` pairs so memory stays bounded
    for large n; pyproj releases the GIL, so the blocks run on `workers` threads (default: up to 4 cores).
    """
    la, lo = _as_points(lats, lons)
    n = la.size
    out = np.zeros((n, n), dtype=np.float64)
    if n < 2:
        return out
    rows = max(1, chunk_pairs // n)
    blocks = [(a, min(n - 1, a + rows)) for a in range(0, n - 1, rows)]

    def block(a: int, b: int) -> None:
        i = np.arange(a, b)[:, None]
        j = np.arange(a, n)[None, :]
        ii, jj = np.broadcast_arrays(i, j)
        upper = jj > ii
        ii, jj = ii[upper], jj[upper]
        _, _, dist = _WGS84.inv(lo[ii], la[ii], lo[jj], la[jj])
        out[ii, jj] = dist

    workers = workers or min(4, os.cpu_count() or 1)
    if workers == 1 or len(blocks) == 1:
        for a, b in blocks:
            block(a, b)
    else:
        with ThreadPoolExecutor(workers) as pool:
            for f in [pool.submit(block, a, b) for a, b in blocks]:
                f.result()  # re-raises a worker's error here
    out += out.T  # the lower triangle is still zero, so this mirrors the upper one
    return out


class GeodesicTravel:
    """The default model: geodesic distance x road factor, driven at a constant speed (DESIGN.md)."""

    def __init__(self, model: TravelModel | None = None, *, workers: int | None = None) -> None:
        self.model = model or TravelModel()
        self.workers = workers

    def matrices(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> tuple[IntArray, IntArray]:
        road_m = geodesic_matrix_m(lats, lons, workers=self.workers) * self.model.road_factor
        metres_per_second = self.model.speed_kmh / 3.6
        # Round once from the unrounded road distance, so a metre of rounding never becomes a second.
        distances = np.rint(road_m).astype(np.int64)
        durations = np.rint(road_m / metres_per_second).astype(np.int64)
        return distances, durations

    def __repr__(self) -> str:
        return f"GeodesicTravel(road_factor={self.model.road_factor}, speed_kmh={self.model.speed_kmh})"


def source_name(travel: TravelSource) -> str:
    """What a plan records as the source of its travel times: `geodesic` for the default model, else the
    source's `name` attribute when it has one, else its class name."""
    if isinstance(travel, GeodesicTravel):
        return GEODESIC
    return str(getattr(travel, "name", "") or type(travel).__name__)


def travel_for(model: TravelModel) -> TravelSource:
    """The source a policy's travel model names: the geodesic model, or the roads of the OSM extract it
    records (read once and cached; a changed file is refused by its hash)."""
    if model.source == OSM:
        from dispatch.roads import travel_for_model

        return travel_for_model(model)
    return GeodesicTravel(model)


def parse_travel(spec: str, *, max_snap_m: float | None = None) -> TravelSource:
    """`geodesic` or `osm:FILE.osm.pbf` (the command line's --travel)."""
    text = spec.strip()
    if text in ("", GEODESIC):
        return GeodesicTravel()
    if text.startswith(f"{OSM}:") and text[len(OSM) + 1:].strip():
        from dispatch.roads import DEFAULT_MAX_SNAP_M, OsmTravel

        return OsmTravel(text[len(OSM) + 1:].strip(), max_snap_m=max_snap_m or DEFAULT_MAX_SNAP_M)
    raise ValueError(f"travel {spec!r} is not 'geodesic' or 'osm:FILE.osm.pbf'")


def recorded_model(travel: TravelSource) -> TravelModel | dict[str, str]:
    """What a plan records of its travel source: the model of a source that has one (geodesic, osm), else
    the source's name."""
    model = getattr(travel, "model", None)
    if isinstance(model, TravelModel):
        return model
    return {"source": source_name(travel)}


def pair_km(lat1: float, lon1: float, lat2: float, lon2: float, model: TravelModel | None = None) -> float:
    """Road km between two points under the model (geopy's geodesic, the same WGS-84 line as the matrix)."""
    model = model or TravelModel()
    return float(geodesic((lat1, lon1), (lat2, lon2)).km) * model.road_factor


def pair_minutes(lat1: float, lon1: float, lat2: float, lon2: float, model: TravelModel | None = None) -> float:
    """Driving minutes between two points under the model."""
    model = model or TravelModel()
    return pair_km(lat1, lon1, lat2, lon2, model) / model.speed_kmh * 60.0
