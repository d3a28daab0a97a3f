"""Road travel from an OpenStreetMap extract, in this process: the drivable graph, snapping, matrices, paths.

`OsmTravel` is the travel source (dispatch.travel), `network_for` finds the roads a plan was made on again
(the checker and the map use it), `prepare` reads an extract once and caches it by its SHA-256.
"""

from dispatch.roads.network import DEFAULT_MAX_SNAP_M, SNAP_SPEED_KMH, FarFromRoadError, RoadNetwork, Snapped
from dispatch.roads.osm import DEFAULT_SPEED_KMH, RoadData, parse_maxspeed, read_pbf
from dispatch.roads.source import (
    CACHE_ENV,
    OsmTravel,
    cache_dir,
    cache_path,
    file_sha256,
    forget,
    network_for,
    prepare,
    travel_for_model,
)

__all__ = ["CACHE_ENV", "DEFAULT_MAX_SNAP_M", "DEFAULT_SPEED_KMH", "SNAP_SPEED_KMH", "FarFromRoadError", "OsmTravel",
           "RoadData", "RoadNetwork", "Snapped", "cache_dir", "cache_path", "file_sha256", "forget", "network_for",
           "parse_maxspeed", "prepare", "read_pbf", "travel_for_model"]
