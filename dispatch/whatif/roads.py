"""Straight line against roads on one day: how wrong the straight-line estimate is leg by leg, and how the
plan changes when it is made on the roads of an OpenStreetMap extract (notebooks/road_travel.ipynb)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dispatch.analysis.checker import check_plan
from dispatch.domain import Day
from dispatch.plan import Plan
from dispatch.policy import TravelModel
from dispatch.roads import OsmTravel
from dispatch.travel import pair_km, pair_minutes

# The small extract the tests and the demo use: central Helsinki, © OpenStreetMap contributors (ODbL).
DEMO_EXTRACT = Path(__file__).resolve().parents[2] / "tests" / "data" / "osm" / "helsinki.osm.pbf"


def _places(day: Day, plan: Plan) -> list[tuple[str, str, tuple[float, float], tuple[float, float], float, float]]:
    """(technician, order, from, to, km, minutes) of each leg the plan reports, the drive to each stop."""
    homes = {t.id: (t.home_lat, t.home_lon) for t in day.technicians}
    where = {o.id: (o.lat, o.lon) for o in day.orders}
    legs = []
    for r in plan.routes:
        here = homes[r.technician_id]
        for s in r.stops:
            there = where[s.order_id]
            legs.append((r.technician_id, s.order_id, here, there, s.travel_km, s.travel_minutes))
            here = there
    return legs


def leg_errors(day: Day, plan: Plan, model: TravelModel | None = None) -> pd.DataFrame:
    """One row per leg of a plan made on roads (legs between two places at the same spot left out): its road
    km and minutes, the straight-line estimate (`model`, the default geodesic x 1.3 at 40 km/h) and the
    estimate's error in percent of the road figure (negative: the straight line promised too little)."""
    model = model or TravelModel()
    rows = []
    for tech, order, a, b, km, minutes in _places(day, plan):
        if a == b or km <= 0 or minutes <= 0:
            continue
        line_km, line_min = pair_km(*a, *b, model), pair_minutes(*a, *b, model)
        rows.append({"technician": tech, "to_order": order, "road_km": km, "road_min": minutes,
                     "straight_km": line_km, "straight_min": line_min,
                     "km_error_pct": 100 * (line_km - km) / km, "min_error_pct": 100 * (line_min - minutes) / minutes})
    return pd.DataFrame(rows)


def error_summary(errors: pd.DataFrame) -> pd.DataFrame:
    """Median and 90th percentile of the absolute error, in percent, for distance and time."""
    out = {}
    for col, label in (("km_error_pct", "distance"), ("min_error_pct", "time")):
        values = errors[col].abs().to_numpy()
        out[label] = {"legs": int(values.size), "median_abs_error_pct": float(np.median(values)),
                      "p90_abs_error_pct": float(np.percentile(values, 90)),
                      "mean_signed_error_pct": float(errors[col].mean())}
    return pd.DataFrame(out).T


def plan_changes(day: Day, straight: Plan, road: Plan, travel: OsmTravel) -> pd.DataFrame:
    """The two plans side by side: served, late, km and driving minutes as each plan states them, the
    straight-line plan's routes driven on the roads (`travel`), the orders the road plan gives another
    technician, and each plan's verdict from the independent checker."""
    homes = {t.id: (t.home_lat, t.home_lon) for t in day.technicians}
    where = {o.id: (o.lat, o.lon) for o in day.orders}

    def on_roads(plan: Plan) -> tuple[float, float]:
        km = minutes = 0.0
        for r in plan.routes:
            if not r.stops:
                continue
            path = [homes[r.technician_id], *(where[s.order_id] for s in r.stops), homes[r.technician_id]]
            lat = np.array([p[0] for p in path])
            lon = np.array([p[1] for p in path])
            metres, seconds = travel.matrices(lat, lon)
            steps = np.arange(len(path) - 1)
            km += float(metres[steps, steps + 1].sum()) / 1000
            minutes += float(seconds[steps, steps + 1].sum()) / 60
        return km, minutes

    def who(plan: Plan) -> dict[str, str]:
        return {s.order_id: r.technician_id for r in plan.routes for s in r.stops}

    rows = {}
    for name, plan in (("straight line", straight), ("roads", road)):
        k = plan.kpis
        assert k is not None
        driven = sum(s.travel_minutes for r in plan.routes for s in r.stops)
        km, minutes = on_roads(plan)
        rows[name] = {"served": len(plan.assigned_ids()), "unassigned": len(plan.unassigned),
                      "late_minutes": sum(s.late_minutes for r in plan.routes for s in r.stops),
                      "stated_km": sum(r.travel_km for r in plan.routes),
                      "stated_drive_min_to_stops": driven, "road_km": km, "road_drive_min": minutes,
                      "valid": check_plan(day, plan).ok}
    a, b = who(straight), who(road)
    moved = sum(1 for o in b if o in a and a[o] != b[o])
    frame = pd.DataFrame(rows).T
    numbers = [c for c in frame.columns if c != "valid"]
    frame = frame.astype({**dict.fromkeys(numbers, float), "valid": bool})
    frame["orders_with_another_technician"] = [np.nan, float(moved)]  # the road plan against the other
    return frame
