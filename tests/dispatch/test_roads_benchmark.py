"""The road travel benchmark runner (benchmarks/roads.py) on a tiny run: both extracts, every plan checked."""

from __future__ import annotations

import json

from benchmarks import roads as bench


def test_the_runner_measures_both_extracts_and_checks_every_plan(tmp_path, monkeypatch):
    monkeypatch.setenv("DISPATCH_ROADS_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "roads.json"
    # a coarse grid (1.2 km blocks) still covers the seeded Lyon day
    assert bench.main(["--blocks", "20", "--block-m", "1200", "--points", "40", "--orders", "8",
                       "--technicians", "2", "--time-limit", "1", "--cli", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["command"].startswith("python -m benchmarks.roads")
    helsinki, grid = data["results"]
    assert grid["intersections"] == 400
    for r in (helsinki, grid):
        assert r["matrix_check"]
        assert r["plan_geodesic_valid"]
        assert r["plan_roads_valid"]
        assert r["solve_geodesic_valid"]  # dispatch solve as its own process
        assert r["solve_roads_valid"]
    assert 0 < data["peak_rss_mib"] < 2048
