"""The default travel model: geodesic x road factor at a speed, as integer metres and seconds."""

from __future__ import annotations

import numpy as np
import pytest
from geopy.distance import geodesic

from dispatch.policy import TravelModel
from dispatch.travel import GeodesicTravel, TravelSource, geodesic_matrix_m, pair_km, pair_minutes


def points(n: int, seed: int = 0, spread: float = 0.2):
    rng = np.random.default_rng(seed)
    return rng.uniform(45.76 - spread, 45.76 + spread, n), rng.uniform(4.84 - spread, 4.84 + spread, n)


def test_geodesic_travel_is_a_travel_source():
    assert isinstance(GeodesicTravel(), TravelSource)


def test_matrices_are_int64_symmetric_with_zero_diagonal():
    lats, lons = points(60)
    dist, dur = GeodesicTravel().matrices(lats, lons)
    for m in (dist, dur):
        assert m.dtype == np.int64
        assert m.shape == (60, 60)
        assert (m == m.T).all()
        assert (np.diag(m) == 0).all()
        assert (m[~np.eye(60, dtype=bool)] > 0).all()


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_inputs(n):
    lats, lons = points(n)
    dist, dur = GeodesicTravel().matrices(lats, lons)
    assert dist.shape == dur.shape == (n, n)


@pytest.mark.parametrize("spread", [0.05, 2.0, 60.0])
def test_matches_geopy_geodesic_times_road_factor_within_a_tenth_of_a_percent(spread):
    rng = np.random.default_rng(42)
    lats = np.clip(rng.uniform(-spread, spread, 40) + 20, -89.9, 89.9)
    lons = rng.uniform(-spread, spread, 40) * 2
    model = TravelModel(road_factor=1.3, speed_kmh=40)
    dist, _ = GeodesicTravel(model).matrices(lats, lons)
    for i, j in rng.integers(0, 40, size=(60, 2)):
        expected_m = geodesic((lats[i], lons[i]), (lats[j], lons[j])).m * 1.3
        assert abs(dist[i, j] - expected_m) <= max(1.0, 0.001 * expected_m)
        assert dist[i, j] == pytest.approx(pair_km(lats[i], lons[i], lats[j], lons[j], model) * 1000, abs=1)


def test_speed_and_road_factor_conversion():
    # Two points 10 km apart along a meridian-ish line; at 36 km/h = 10 m/s and road factor 1.5,
    # 15 km of road take 1,500 s.
    lat1, lon1 = 45.0, 4.0
    lat2 = 45.0 + 10_000 / geodesic((45.0, 4.0), (46.0, 4.0)).m  # first-order: about 10 km north
    crow_m = geodesic((lat1, lon1), (lat2, lon1)).m
    dist, dur = GeodesicTravel(TravelModel(road_factor=1.5, speed_kmh=36)).matrices([lat1, lat2], [lon1, lon1])
    assert dist[0, 1] == round(crow_m * 1.5)
    assert dur[0, 1] == round(crow_m * 1.5 / 10)
    assert pair_minutes(lat1, lon1, lat2, lon1, TravelModel(road_factor=1.5, speed_kmh=36)) == pytest.approx(
        crow_m * 1.5 / 10 / 60)


def test_default_model_is_1_3_at_40_kmh():
    dist, dur = GeodesicTravel().matrices([45.0, 45.1], [4.0, 4.0])
    crow_m = geodesic((45.0, 4.0), (45.1, 4.0)).m
    assert dist[0, 1] == round(crow_m * 1.3)
    assert dur[0, 1] == round(crow_m * 1.3 / (40 / 3.6))


def test_chunking_and_threads_do_not_change_the_result():
    lats, lons = points(101, seed=5)
    whole = geodesic_matrix_m(lats, lons, chunk_pairs=1 << 20, workers=1)
    assert np.array_equal(whole, geodesic_matrix_m(lats, lons, chunk_pairs=7, workers=1))
    assert np.array_equal(whole, geodesic_matrix_m(lats, lons, chunk_pairs=300, workers=3))


def test_identical_points_are_zero_apart():
    dist, dur = GeodesicTravel().matrices([45.0, 45.0, 45.0], [4.0, 4.0, 4.1])
    assert dist[0, 1] == dur[0, 1] == 0
    assert dist[0, 2] > 0


def test_bad_points_are_refused():
    with pytest.raises(ValueError, match="differ in length"):
        GeodesicTravel().matrices([45.0, 46.0], [4.0])
    with pytest.raises(ValueError, match="-90..90"):
        GeodesicTravel().matrices([95.0], [4.0])
    with pytest.raises(ValueError, match="NaN"):
        GeodesicTravel().matrices([float("nan")], [4.0])
