"""The prepared road network: snapping points to roads, travel-time and distance matrices, and leg paths.

Shortest paths are searched on the graph of intersections: the matrices by Dial's algorithm over threads
(dispatch.roads.searches), a leg's path by scipy's Dijkstra (`scipy.sparse.csgraph`). One search gives
both matrices: an edge weighs its time and its length packed into one exact integer (time in centiseconds in
the high bits, length in decimetres in the low ones), so the search finds the fastest route, the shortest of
equally fast ones, and the sum still tells how long that route is. Each point enters the graph as two extra
vertices on the road it snaps to, one it leaves from and one it arrives at, so a point in the middle of a long
street starts and ends there, not at the nearest crossing, and a one-way street is driven its way.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from dispatch.roads.osm import FloatArray, IntArray, RoadData, haversine_m, local_xy
from dispatch.roads.searches import many_to_many

# The walk (or crawl) from a location to the road it snaps to, and back: its distance is driven at this speed.
SNAP_SPEED_KMH = 10.0
DEFAULT_MAX_SNAP_M = 1000.0
# One exact integer per edge: time in centiseconds above DIST_BITS bits of length in decimetres. float64 holds
# integers exactly up to 2**53, so routes up to 2**25 dm (3,355 km) and 2**28 cs (31 days) stay exact.
DIST_BITS = 25
_SHIFT = float(2 ** DIST_BITS)
_SAMPLE_M = 25.0  # the snapping index holds a point at least every this many metres along each road


class FarFromRoadError(ValueError):
    """A point further from every road than the limit; `index` is its position in the points given."""

    def __init__(self, index: int, lat: float, lon: float, distance_m: float, limit_m: float, where: str) -> None:
        self.index, self.lat, self.lon, self.distance_m, self.limit_m = index, lat, lon, distance_m, limit_m
        super().__init__(f"point {index} ({lat:.6f}, {lon:.6f}) is {distance_m:,.0f} m from the nearest road "
                         f"of {where} (limit {limit_m:,.0f} m)")


@dataclass(frozen=True)
class Snapped:
    """Where points meet the roads: the chain, metres along it from its first node, the metres from the point
    to the road, and the point on the road."""

    chain: IntArray
    offset_m: FloatArray
    distance_m: FloatArray
    lat: FloatArray
    lon: FloatArray


def _pack(seconds: npt.ArrayLike, metres: npt.ArrayLike) -> FloatArray:
    # every edge takes at least a centisecond: the searches' buckets rely on it (dispatch.roads.searches), and
    # a zero weight would be no edge to scipy
    t = np.maximum(np.rint(np.asarray(seconds, dtype=np.float64) * 100.0), 1.0)
    d = np.rint(np.asarray(metres, dtype=np.float64) * 10.0)
    return t * _SHIFT + d


def _unpack(packed: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(seconds, metres) of packed sums."""
    t = np.floor(packed / _SHIFT)
    return t / 100.0, (packed - t * _SHIFT) / 10.0


def _graph(u: IntArray, v: IntArray, w: FloatArray, n: int) -> sp.csr_matrix:
    """The n x n graph of directed edges u -> v, keeping the lightest of parallel edges (scipy would add them)."""
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(u.size, dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return sp.csr_matrix((w[first], (u[first], v[first])), shape=(n, n))


class RoadNetwork:
    """A drivable road graph ready to answer travel questions; built from `RoadData` (see dispatch.roads.osm)."""

    def __init__(self, data: RoadData, *, name: str = "roads") -> None:
        self.data = data
        self.name = name
        geom, start = data.geometry, data.start
        self.chain_a = geom[start[:-1]]
        self.chain_b = geom[start[1:] - 1]
        ends, inverse = np.unique(np.concatenate([self.chain_a, self.chain_b]), return_inverse=True)
        self.vertex_node = ends  # vertex -> OSM node index
        m = data.chains
        self.va, self.vb = inverse[:m].astype(np.int64), inverse[m:].astype(np.int64)
        self.vertices = int(ends.size)
        cost = _pack(data.length_m / data.speed_mps, data.length_m)
        f, b = data.forward, data.backward
        self.edge_u = np.concatenate([self.va[f], self.vb[b]])
        self.edge_v = np.concatenate([self.vb[f], self.va[b]])
        self.edge_w = np.concatenate([cost[f], cost[b]])
        self.edge_chain = np.concatenate([np.flatnonzero(f), np.flatnonzero(b)])
        self.edge_forward = np.concatenate([np.ones(int(f.sum()), bool), np.zeros(int(b.sum()), bool)])
        # points snap only to roads of the largest strongly connected part, so every trip has a route
        graph = _graph(self.edge_u, self.edge_v, self.edge_w, self.vertices)
        _, label = connected_components(graph, directed=True, connection="strong")
        big = np.argmax(np.bincount(label)) if label.size else 0
        self.usable = (label[self.va] == big) & (label[self.vb] == big) if label.size else np.zeros(0, bool)
        self._lat0 = float(np.mean(data.lat)) if data.lat.size else 0.0
        self._index()

    # --- snapping ---

    def _index(self) -> None:
        d = self.data
        geom, start = d.geometry, d.start
        chains = np.flatnonzero(self.usable)
        counts = start[chains + 1] - start[chains] - 1  # segments per chain
        seg_chain = np.repeat(chains, counts)
        first = np.repeat(start[chains], counts)
        seg_rank = np.arange(seg_chain.size) - np.repeat(np.cumsum(counts) - counts, counts)
        k = first + seg_rank  # the segment's first node position in geometry
        self.seg_chain = seg_chain
        self.seg_p, self.seg_q = geom[k], geom[k + 1]
        x, y = local_xy(d.lat, d.lon, self._lat0)
        self.node_x, self.node_y = x, y
        seg_len = haversine_m(d.lat[self.seg_p], d.lon[self.seg_p], d.lat[self.seg_q], d.lon[self.seg_q])
        # metres from the chain's first node to the segment's first node
        cum = np.cumsum(seg_len) - seg_len
        self.seg_offset = cum - cum[np.repeat(np.cumsum(counts) - counts, counts)]
        self.seg_len = seg_len
        # sample points along each segment for the nearest-road search
        pieces = np.maximum(1, np.ceil(seg_len / _SAMPLE_M)).astype(np.int64)
        owner = np.repeat(np.arange(seg_len.size), pieces + 1)
        frac = (np.arange(owner.size) - np.repeat(np.cumsum(pieces + 1) - (pieces + 1), pieces + 1)) \
            / np.repeat(pieces, pieces + 1)
        px = x[self.seg_p][owner] + frac * (x[self.seg_q] - x[self.seg_p])[owner]
        py = y[self.seg_p][owner] + frac * (y[self.seg_q] - y[self.seg_p])[owner]
        self.sample_segment = owner
        self.tree = cKDTree(np.column_stack([px, py])) if owner.size else None

    def snap(self, lats: npt.ArrayLike, lons: npt.ArrayLike, *, max_snap_m: float | None = DEFAULT_MAX_SNAP_M) -> Snapped:
        """The nearest point on a drivable road (of the connected network) for each point; a point further than
        `max_snap_m` raises FarFromRoadError naming the first such point (None: no limit)."""
        la = np.asarray(lats, dtype=np.float64).ravel()
        lo = np.asarray(lons, dtype=np.float64).ravel()
        if self.tree is None:
            raise ValueError(f"{self.name} has no drivable road")
        x, y = local_xy(la, lo, self._lat0)
        near, _ = self.tree.query(np.column_stack([x, y]))
        chain = np.empty(la.size, np.int64)
        offset = np.empty(la.size)
        dist = np.empty(la.size)
        plat, plon = np.empty(la.size), np.empty(la.size)
        d = self.data
        for i in range(la.size):
            # every segment with a sample within reach of the nearest sample plus half a sample spacing
            reach = float(near[i]) + _SAMPLE_M / 2 + 1.0
            segs = np.unique(self.sample_segment[self.tree.query_ball_point((x[i], y[i]), reach)])
            ax, ay = self.node_x[self.seg_p[segs]], self.node_y[self.seg_p[segs]]
            bx, by = self.node_x[self.seg_q[segs]], self.node_y[self.seg_q[segs]]
            dx, dy = bx - ax, by - ay
            span = dx * dx + dy * dy
            t = np.clip(((x[i] - ax) * dx + (y[i] - ay) * dy) / np.where(span > 0, span, 1.0), 0.0, 1.0)
            gap = np.hypot(ax + t * dx - x[i], ay + t * dy - y[i])
            best = int(np.argmin(gap))
            s, tt = segs[best], float(t[best])
            p, q = self.seg_p[s], self.seg_q[s]
            plat[i] = d.lat[p] + tt * (d.lat[q] - d.lat[p])
            plon[i] = d.lon[p] + tt * (d.lon[q] - d.lon[p])
            chain[i] = self.seg_chain[s]
            offset[i] = self.seg_offset[s] + tt * self.seg_len[s]
        dist = haversine_m(la, lo, plat, plon)
        if max_snap_m is not None:
            far = np.flatnonzero(dist > max_snap_m)
            if far.size:
                i = int(far[0])
                raise FarFromRoadError(i, float(la[i]), float(lo[i]), float(dist[i]), max_snap_m, self.name)
        # a chain's length is the sum of its segments: keep offsets inside it
        offset = np.clip(offset, 0.0, d.length_m[chain])
        return Snapped(chain=chain, offset_m=offset, distance_m=dist, lat=plat, lon=plon)

    # --- shortest paths ---

    def _with_points(self, snapped: Snapped) -> tuple[sp.csr_matrix, int]:
        """The graph with, for point i, a vertex V + i to leave from and V + n + i to arrive at."""
        d = self.data
        n, base = snapped.chain.size, self.vertices
        c, s = snapped.chain, snapped.offset_m
        length, speed = d.length_m[c], d.speed_mps[c]
        fwd, bwd = d.forward[c], d.backward[c]
        idx = np.arange(n)
        u = [self.edge_u, base + idx[fwd], base + idx[bwd], self.va[c][fwd], self.vb[c][bwd]]
        v = [self.edge_v, self.vb[c][fwd], self.va[c][bwd], base + n + idx[fwd], base + n + idx[bwd]]
        w = [self.edge_w, _pack((length - s)[fwd] / speed[fwd], (length - s)[fwd]),
             _pack(s[bwd] / speed[bwd], s[bwd]),
             _pack(s[fwd] / speed[fwd], s[fwd]), _pack((length - s)[bwd] / speed[bwd], (length - s)[bwd])]
        # two points on one chain: straight along it when its direction allows
        order = np.argsort(c, kind="stable")
        cs = c[order]
        bounds = np.flatnonzero(np.diff(cs)) + 1
        for group in np.split(order, bounds):
            if group.size < 2:
                continue
            gi = np.repeat(group, group.size)
            gj = np.tile(group, group.size)
            ahead = s[gj] - s[gi]
            ok = (gi != gj) & (((ahead >= 0) & fwd[gi]) | ((ahead <= 0) & bwd[gi]))
            gi, gj, ahead = gi[ok], gj[ok], np.abs(ahead[ok])
            u.append(base + gi)
            v.append(base + n + gj)
            w.append(_pack(ahead / speed[gi], ahead))
        total = base + 2 * n
        return _graph(np.concatenate(u), np.concatenate(v), np.concatenate(w), total), total

    def matrices(self, lats: npt.ArrayLike, lons: npt.ArrayLike, *,
                 max_snap_m: float | None = DEFAULT_MAX_SNAP_M) -> tuple[IntArray, IntArray]:
        """(metres, seconds), n x n int64: the fastest road route between each pair of points, each point's
        walk to and from its road included (at SNAP_SPEED_KMH). The diagonal is zero."""
        la = np.asarray(lats, dtype=np.float64).ravel()
        lo = np.asarray(lons, dtype=np.float64).ravel()
        # points at the same place (a depot, technicians sharing an address) are searched from once
        keys, first, back = np.unique(np.column_stack([la, lo]), axis=0, return_index=True, return_inverse=True)
        back = back.ravel()
        try:
            snapped = self.snap(keys[:, 0], keys[:, 1], max_snap_m=max_snap_m)
        except FarFromRoadError as e:
            raise FarFromRoadError(int(first[e.index]), e.lat, e.lon, e.distance_m, e.limit_m, self.name) from None
        seconds, metres = self._between(snapped)
        walk = snapped.distance_m
        metres = metres + walk[:, None] + walk[None, :]
        seconds = seconds + (walk[:, None] + walk[None, :]) / (SNAP_SPEED_KMH / 3.6)
        np.fill_diagonal(metres, 0.0)
        np.fill_diagonal(seconds, 0.0)
        dist = np.rint(metres).astype(np.int64)[np.ix_(back, back)]
        dur = np.rint(seconds).astype(np.int64)[np.ix_(back, back)]
        return dist, dur

    def _between(self, snapped: Snapped) -> tuple[FloatArray, FloatArray]:
        """(seconds, metres) on the roads between snapped points, n x n, without the walks."""
        graph, _ = self._with_points(snapped)
        n, base = snapped.chain.size, self.vertices
        packed = many_to_many(graph, base + np.arange(n), base + n + np.arange(n), shift=_SHIFT)
        if not np.all(np.isfinite(packed[~np.eye(n, dtype=bool)])):
            raise ValueError(f"{self.name}: some points have no route between them")  # the snap prevents it
        packed[~np.isfinite(packed)] = 0.0
        return _unpack(packed)

    def paths(self, legs: list[tuple[tuple[float, float], tuple[float, float]]]) -> list[list[tuple[float, float]]]:
        """The road geometry (lat, lon points) of each leg ((lat, lon) from, (lat, lon) to), from the point
        along its walk and the roads of its fastest route to the other point."""
        if not legs:
            return []
        points = sorted({p for leg in legs for p in leg})
        index = {p: i for i, p in enumerate(points)}
        la = np.array([p[0] for p in points])
        lo = np.array([p[1] for p in points])
        snapped = self.snap(la, lo, max_snap_m=None)
        graph, _ = self._with_points(snapped)
        n, base = len(points), self.vertices
        origins = sorted({index[a] for a, _ in legs})
        _, pred = dijkstra(graph, directed=True, indices=[base + i for i in origins], return_predecessors=True)
        row = {i: k for k, i in enumerate(origins)}
        out = []
        for a, b in legs:
            i, j = index[a], index[b]
            if i == j:
                out.append([a, b])
                continue
            chain = [base + n + j]
            while chain[-1] != base + i and chain[-1] >= 0:
                chain.append(int(pred[row[i], chain[-1]]))
            chain.reverse()
            out.append([a, *self._geometry(chain, snapped, i, j, base, n), b])
        return out

    def _along(self, c: int, s_from: float, s_to: float) -> list[tuple[float, float]]:
        """The nodes of chain c strictly between two offsets, in the order driven (from s_from to s_to)."""
        d = self.data
        nodes = d.geometry[d.start[c]:d.start[c + 1]]
        seg = haversine_m(d.lat[nodes[:-1]], d.lon[nodes[:-1]], d.lat[nodes[1:]], d.lon[nodes[1:]])
        at = np.concatenate([[0.0], np.cumsum(seg)])
        lo, hi = min(s_from, s_to), max(s_from, s_to)
        keep = nodes[(at > lo) & (at < hi)]
        if s_from > s_to:
            keep = keep[::-1]
        return [(float(d.lat[k]), float(d.lon[k])) for k in keep]

    def _geometry(self, walk: list[int], snapped: Snapped, i: int, j: int, base: int, n: int) -> list[tuple[float, float]]:
        d = self.data
        ci, cj = int(snapped.chain[i]), int(snapped.chain[j])
        si, sj = float(snapped.offset_m[i]), float(snapped.offset_m[j])
        pts: list[tuple[float, float]] = [(float(snapped.lat[i]), float(snapped.lon[i]))]
        inner = [x for x in walk if x < base]
        if not inner:  # along one chain
            pts += self._along(ci, si, sj)
        else:
            # from the point to the first intersection along its chain, whichever end that is
            first_at = 0.0 if inner[0] == self.va[ci] and not (inner[0] == self.vb[ci] and d.forward[ci]) \
                else float(d.length_m[ci])
            pts += self._along(ci, si, first_at)
            # each step between two intersections follows the lightest chain joining them
            for u, v in itertools.pairwise(inner):
                hit = np.flatnonzero((self.edge_u == u) & (self.edge_v == v))
                e = hit[np.argmin(self.edge_w[hit])]
                c = self.edge_chain[e]
                nodes = d.geometry[d.start[c]:d.start[c + 1]]
                if not self.edge_forward[e]:
                    nodes = nodes[::-1]
                pts += [(float(d.lat[k]), float(d.lon[k])) for k in nodes]
            last_at = 0.0 if inner[-1] == self.va[cj] and not (inner[-1] == self.vb[cj] and d.backward[cj]) \
                else float(d.length_m[cj])
            pts += self._along(cj, last_at, sj)
        pts.append((float(snapped.lat[j]), float(snapped.lon[j])))
        return pts
