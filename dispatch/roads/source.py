"""The OSM travel source: an extract read once, cached on disk by its SHA-256, matrices on its roads.

`OsmTravel(path)` is a `TravelSource` (dispatch.travel): the plan records it as travel model `osm` with the
file's name and hash (`TravelModel.file`, `.sha256`), and anything that re-reads a plan (the checker, the map)
finds the same roads again through `network_for`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dispatch.policy import OSM, TravelModel
from dispatch.roads.network import DEFAULT_MAX_SNAP_M, RoadNetwork
from dispatch.roads.osm import RoadData, read_pbf

log = logging.getLogger(__name__)

# Bumped whenever reading or the road table changes what a prepared graph holds, so old caches are not reused.
FORMAT_VERSION = 1
CACHE_ENV = "DISPATCH_ROADS_CACHE"

_lock = threading.Lock()
_loaded: dict[str, RoadNetwork] = {}  # sha256 -> network, this process's copy
_hashes: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) -> sha256
_sources: dict[tuple[str, float], OsmTravel] = {}  # (sha256, snap limit) -> the source plans share


def cache_dir() -> Path:
    """Where prepared extracts are kept: $DISPATCH_ROADS_CACHE, else the user's cache folder."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    import platformdirs

    return Path(platformdirs.user_cache_dir("dispatch")) / "roads"


def file_sha256(path: str | Path) -> str:
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _hashes:
        with p.open("rb") as f:
            _hashes[key] = hashlib.file_digest(f, "sha256").hexdigest()
    return _hashes[key]


def cache_path(sha256: str, directory: Path | None = None) -> Path:
    return (directory or cache_dir()) / f"{sha256}.v{FORMAT_VERSION}.npz"


def prepare(path: str | Path, *, directory: Path | None = None, sha256: str | None = None) -> RoadNetwork:
    """The road network of an extract: this process's copy, else the prepared graph cached on disk, else the
    extract read now (and cached for the next time). `sha256`, when given, must be the file's."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"OSM extract {p} not found")
    digest = file_sha256(p)
    if sha256 and digest != sha256:
        raise ValueError(f"OSM extract {p} has SHA-256 {digest[:12]}…, not the {sha256[:12]}… the plan was made "
                         "with")
    with _lock:
        if digest in _loaded:
            return _loaded[digest]
        cached = cache_path(digest, directory)
        if cached.is_file():
            with np.load(cached) as z:
                data = RoadData(**{k: z[k] for k in RoadData.__dataclass_fields__})
        else:
            log.info("preparing the roads of %s (once; cached in %s)", p, cached.parent)
            data = read_pbf(p)
            cached.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=cached.parent, prefix=".roads-", suffix=".npz")
            try:
                with os.fdopen(fd, "wb") as f:
                    np.savez(f, **data.arrays())  # type: ignore[arg-type]
                os.replace(tmp, cached)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        network = RoadNetwork(data, name=p.name)
        if len(_loaded) >= 2:  # one or two regions at a time; an old one goes
            _loaded.pop(next(iter(_loaded)))
        _loaded[digest] = network
        return network


def forget() -> None:
    """Drop this process's copies (the disk cache stays)."""
    with _lock:
        _loaded.clear()
        _sources.clear()


class OsmTravel:
    """Travel on the roads of an OpenStreetMap extract (a `TravelSource`)."""

    name = OSM

    def __init__(self, path: str | Path, *, max_snap_m: float = DEFAULT_MAX_SNAP_M, sha256: str | None = None,
                 directory: Path | None = None) -> None:
        self.path = Path(path)
        self.network = prepare(self.path, directory=directory, sha256=sha256)
        self.model = TravelModel(source=OSM, file=str(self.path.resolve()), sha256=file_sha256(self.path),
                                 max_snap_m=max_snap_m)
        self._recent: dict[tuple[bytes, bytes], tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = {}
        self._lock = threading.Lock()

    def matrices(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        # a plan asks again for the same places (its fixes, a region's border pass): answer from the last ones
        la = np.ascontiguousarray(lats, dtype=np.float64).ravel()
        lo = np.ascontiguousarray(lons, dtype=np.float64).ravel()
        key = (la.tobytes(), lo.tobytes())
        with self._lock:
            if key in self._recent:
                dist, dur = self._recent[key]
                return dist.copy(), dur.copy()
        dist, dur = self.network.matrices(la, lo, max_snap_m=self.model.max_snap_m)
        with self._lock:
            self._recent[key] = (dist, dur)
            while len(self._recent) > 2:
                self._recent.pop(next(iter(self._recent)))
        return dist.copy(), dur.copy()

    def __getstate__(self) -> dict[str, object]:
        # to another process (a dask worker) goes the file's name and hash; the worker loads the prepared graph
        return {"path": str(self.path), "max_snap_m": self.model.max_snap_m, "sha256": self.model.sha256}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(str(state["path"]), max_snap_m=float(state["max_snap_m"]),  # type: ignore[misc, arg-type]
                      sha256=str(state["sha256"]))

    def __repr__(self) -> str:
        return f"OsmTravel({self.path.name}, sha256={self.model.sha256[:12]})"


def network_for(model: TravelModel, file: str | Path | None = None) -> RoadNetwork:
    """The roads a plan's travel model names (`file` overrides where the extract is; its hash must match)."""
    if model.source != OSM:
        raise ValueError(f"travel model {model.source!r} has no road network")
    return prepare(file or model.file, sha256=model.sha256 or None)


def travel_for_model(model: TravelModel, file: str | Path | None = None) -> OsmTravel:
    """The OSM travel source a recorded model names (the same file, checked by its hash)."""
    if model.source != OSM:
        raise ValueError(f"travel model {model.source!r} is not {OSM!r}")
    path = Path(file or model.file)
    digest = file_sha256(path) if path.is_file() else ""
    key = (digest, model.max_snap_m)
    with _lock:
        known = _sources.get(key)
    if known is not None and (not model.sha256 or model.sha256 == digest):
        return known  # the same roads: its recent matrices are reused too
    travel = OsmTravel(path, max_snap_m=model.max_snap_m, sha256=model.sha256 or None)
    with _lock:
        _sources[key] = travel
        while len(_sources) > 4:
            _sources.pop(next(iter(_sources)))
    return travel
