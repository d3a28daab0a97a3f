"""Plain geometry on the WGS-84 ellipsoid's neighbourhood: great-circle km, local planar km and offsets.

Quick approximations for clustering and for drawing demo days; travel distances of plans come from
dispatch.travel, and the checker measures its own.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088
# km per degree of latitude and (at the equator) of longitude, for local planar coordinates
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON = 111.320
# one spherical degree, for offsets
KM_PER_DEG = 111.32


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle km on the mean Earth sphere."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def planar_km(lats: npt.ArrayLike, lons: npt.ArrayLike, lat0: float) -> np.ndarray:
    """(east, north) km of each point on a plane tangent at latitude `lat0`: good enough to cluster a
    metropolitan area, and what k-means needs (Euclidean)."""
    la, lo = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
    return np.column_stack([lo * KM_PER_DEG_LON * math.cos(math.radians(lat0)), la * KM_PER_DEG_LAT])


def offset(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    """The point `north_km` north and `east_km` east of (lat, lon)."""
    return lat + north_km / KM_PER_DEG, lon + east_km / (KM_PER_DEG * math.cos(math.radians(lat)))
