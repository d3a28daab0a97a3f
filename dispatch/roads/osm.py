"""Reading an OpenStreetMap extract (.osm.pbf) into the drivable road graph, with pyosmium.

The graph keeps every node of a drivable way for its geometry, but its vertices are the intersections only (a
node shared by two ways, or a way's end): a way is cut there into chains, each one edge of the graph with its
length, speed and direction. Road classes, speeds and access follow the table below; they are documented in
the README ("Road travel") and recorded by the cache's format version, so changing them re-prepares extracts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

# Speed in km/h per drivable `highway` class when the way has no usable `maxspeed` tag: town driving speeds,
# lights and junctions included for the big roads. A class not listed is not driven.
DEFAULT_SPEED_KMH: dict[str, float] = {
    "motorway": 100.0, "motorway_link": 60.0,
    "trunk": 80.0, "trunk_link": 50.0,
    "primary": 50.0, "primary_link": 40.0,
    "secondary": 45.0, "secondary_link": 35.0,
    "tertiary": 40.0, "tertiary_link": 30.0,
    "unclassified": 30.0, "residential": 30.0,
    "living_street": 10.0, "service": 15.0,
}
# classes that are one-way without an `oneway` tag
_IMPLIED_ONEWAY = {"motorway", "motorway_link"}
# access values that keep a car out; the most specific of motorcar, motor_vehicle, vehicle, access decides
_NO_ACCESS = {"no", "private", "agricultural", "forestry", "emergency", "psv", "bus", "delivery"}
# the words some extracts use instead of a number (km/h)
_NAMED_SPEEDS = {"walk": 7.0, "living_street": 10.0, "urban": 50.0, "rural": 80.0}
EARTH_RADIUS_M = 6_371_008.8

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def parse_maxspeed(text: str | None) -> float | None:
    """km/h of a `maxspeed` value: `50`, `30 mph`, `FI:urban`, `walk`; None for `none`, `signals` or anything
    unreadable (the class default is used then)."""
    if not text:
        return None
    value = text.strip().lower().split(";")[0].strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?", value)
    if m:
        speed = float(m.group(1)) * (1.609344 if m.group(2) == "mph" else 1.0)
        return speed if speed > 0 else None
    named = value.split(":")[-1]
    return _NAMED_SPEEDS.get(named)


def way_speed_kmh(tags: dict[str, str]) -> float | None:
    """The driving speed of a way, or None when cars may not drive it."""
    highway = tags.get("highway", "")
    if highway not in DEFAULT_SPEED_KMH or tags.get("area") == "yes":
        return None
    for key in ("motorcar", "motor_vehicle", "vehicle", "access"):
        if key in tags:
            if tags[key] in _NO_ACCESS:
                return None
            break
    return parse_maxspeed(tags.get("maxspeed")) or DEFAULT_SPEED_KMH[highway]


def way_directions(tags: dict[str, str]) -> tuple[bool, bool]:
    """(forward, backward): which way along the node order cars may drive."""
    oneway = tags.get("oneway", "").strip().lower()
    if oneway in ("yes", "true", "1"):
        return True, False
    if oneway in ("-1", "reverse"):
        return False, True
    if oneway in ("no", "false", "0"):
        return True, True
    if tags.get("junction") in ("roundabout", "circular") or tags.get("highway") in _IMPLIED_ONEWAY:
        return True, False
    return True, True


def haversine_m(lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike) -> FloatArray:
    """Great-circle metres (spherical Earth), element-wise."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0))), dtype=np.float64)


@dataclass(frozen=True)
class RoadData:
    """The drivable roads of an extract as flat arrays (what the cache stores).

    Nodes: every OSM node on a drivable way (`lat`, `lon`). Chains: a piece of one way between two
    intersections, its nodes `geometry[start[c]:start[c + 1]]` in the way's order, `length_m`, `speed_mps`,
    and whether cars may drive it `forward` (in node order) and `backward`.
    """

    lat: FloatArray
    lon: FloatArray
    geometry: IntArray
    start: IntArray
    length_m: FloatArray
    speed_mps: FloatArray
    forward: npt.NDArray[np.bool_]
    backward: npt.NDArray[np.bool_]

    @property
    def chains(self) -> int:
        return int(self.length_m.size)

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def read_pbf(path: str | Path) -> RoadData:
    """The drivable road graph of an .osm.pbf (or any file pyosmium reads)."""
    import osmium

    ids: dict[int, int] = {}
    lats: list[float] = []
    lons: list[float] = []
    ways: list[tuple[list[int], float, bool, bool]] = []
    uses: list[int] = []  # how many way positions each node takes (an intersection is used twice or more)
    processor = (osmium.FileProcessor(str(path)).with_locations()
                 .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
                 .with_filter(osmium.filter.KeyFilter("highway")))
    for way in processor:
        assert isinstance(way, osmium.osm.Way)  # the filters pass ways only
        tags = {t.k: t.v for t in way.tags}
        kmh = way_speed_kmh(tags)
        if kmh is None:
            continue
        fwd, bwd = way_directions(tags)
        run: list[int] = []
        # a way clipped by the extract has nodes without a location: its pieces inside are kept apart
        for n in [*way.nodes, None]:
            if n is not None and n.location.valid():
                ix = ids.get(n.ref)
                if ix is None:
                    ix = ids[n.ref] = len(lats)
                    lats.append(n.location.lat)
                    lons.append(n.location.lon)
                    uses.append(0)
                run.append(ix)
                continue
            if len(run) >= 2:
                ways.append((run, kmh / 3.6, fwd, bwd))
                for i in run:
                    uses[i] += 1
                uses[run[0]] += 1  # a way's ends are vertices even where no other way meets them
                uses[run[-1]] += 1
            run = []
    lat = np.asarray(lats, dtype=np.float64)
    lon = np.asarray(lons, dtype=np.float64)
    vertex = np.asarray(uses, dtype=np.int64) >= 2
    geometry: list[int] = []
    start: list[int] = []
    speed: list[float] = []
    forward: list[bool] = []
    backward: list[bool] = []
    for nodes, mps, fwd, bwd in ways:
        piece = [nodes[0]]
        for ix in nodes[1:]:
            piece.append(ix)
            if vertex[ix]:
                start.append(len(geometry))
                geometry.extend(piece)
                speed.append(mps)
                forward.append(fwd)
                backward.append(bwd)
                piece = [ix]
    start.append(len(geometry))
    geom = np.asarray(geometry, dtype=np.int64)
    starts = np.asarray(start, dtype=np.int64)
    seg = haversine_m(lat[geom[:-1]], lon[geom[:-1]], lat[geom[1:]], lon[geom[1:]]) if geom.size > 1 \
        else np.zeros(0)
    # a segment joining the last node of one chain to the first of the next is not a road: mask it out
    inside = np.ones(max(geom.size - 1, 0), dtype=bool)
    inside[starts[1:-1] - 1] = False
    cum = np.concatenate([[0.0], np.cumsum(np.where(inside, seg, 0.0))]) if geom.size else np.zeros(1)
    length = cum[starts[1:] - 1] - cum[starts[:-1]]
    return RoadData(lat=lat, lon=lon, geometry=geom, start=starts, length_m=np.asarray(length, dtype=np.float64),
                    speed_mps=np.asarray(speed, dtype=np.float64), forward=np.asarray(forward, dtype=bool),
                    backward=np.asarray(backward, dtype=bool))


def local_xy(lat: npt.ArrayLike, lon: npt.ArrayLike, lat0: float) -> tuple[FloatArray, FloatArray]:
    """Metres east and north on a plane tangent at latitude `lat0` (good to a fraction of a percent across a
    city, which is all snapping needs)."""
    k = math.pi / 180 * EARTH_RADIUS_M
    return (np.asarray(lon, dtype=np.float64) * k * math.cos(math.radians(lat0)),
            np.asarray(lat, dtype=np.float64) * k)
