"""A policy as two tables a planner edits like a spreadsheet: `priorities` (one row per priority: response
deadline and costs) and `settings` (per-km cost, workload balance, travel model, solver limits and seed).

The setting `travel` says where travel times come from, as `dispatch solve --travel` does: `geodesic` (the
straight line, with road_factor and speed_kmh) or `osm:FILE.osm.pbf`, the roads of that OpenStreetMap extract
(locations at most max_snap_m from a road). A plan made on roads records the extract's hash itself."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dispatch.domain import PRIORITIES
from dispatch.policy import GEODESIC, OSM, Policy, SlaPolicy, TravelModel, Weights

PRIORITY_ROWS = tuple(p.value for p in PRIORITIES)
# column -> the part of the policy each cell of it sets (the Policy checks the value, nothing here does)
PRIORITY_COLUMNS: Mapping[str, Callable[[str, Any], dict[str, Any]]] = {
    # response deadline, hours from created_at to the start of service
    "sla_hours": lambda p, v: {"sla": {p: v}},
    # cost of leaving one order of the priority unserved
    "unserved_cost": lambda p, v: {"weights": {"unserved": {p: v}}},
    # cost of each minute past the response deadline
    "late_cost_per_minute": lambda p, v: {"weights": {"late_per_minute": {p: v}}},
}
# setting -> the part of the policy it sets
SETTINGS: Mapping[str, Callable[[Any], dict[str, Any]]] = {
    "per_km": lambda v: {"weights": {"per_km": v}},  # cost of each road km
    # cost per minute of spread in workload; 0 = off
    "balance_per_minute": lambda v: {"weights": {"balance_per_minute": v}},
    "road_factor": lambda v: {"travel": {"road_factor": v}},  # road km per geodesic km
    "speed_kmh": lambda v: {"travel": {"speed_kmh": v}},
    "travel": lambda v: {"travel": _travel_fields(v)},  # geodesic, or osm:FILE.osm.pbf
    "max_snap_m": lambda v: {"travel": {"max_snap_m": v}},  # the furthest a location may lie from a road
    "time_limit": lambda v: {"time_limit": v},  # seconds per solve
    "solution_limit": lambda v: {"solution_limit": v},  # None: no limit
    "seed": lambda v: {"seed": v},
}
_INTEGER = {"solution_limit", "seed"}
_OPTIONAL = {"solution_limit"}
_TEXT = {"travel"}
# any other plain field of Policy (e.g. one added later) is a setting too, passed through and checked by Policy
_MORE_SETTINGS = tuple(f.name for f in fields(Policy) if f.name not in {"sla", "weights", "travel", *SETTINGS})


def _travel_fields(spec: str) -> dict[str, Any]:
    """The TravelModel fields of a travel setting (checked by `_checked_travel`)."""
    if spec == GEODESIC:
        return {"source": GEODESIC, "file": "", "sha256": ""}
    return {"source": OSM, "file": spec[len(OSM) + 1:].strip(), "sha256": ""}


def _travel_spec(model: TravelModel) -> str:
    """The travel setting of a model: `geodesic`, `osm:FILE`, or the name of another source (which the tables
    then refuse: a plan made on a caller's own matrices cannot be made again from its policy alone)."""
    return f"{OSM}:{model.file}" if model.source == OSM else model.source


def _checked_travel(where: str, value: Any) -> str:
    """`geodesic` or `osm:FILE` naming an existing file, or a ValueError `<where> <value>: ...`."""
    text = value.strip() if isinstance(value, str) else None
    if text == GEODESIC:
        return text
    if text is None or not text.startswith(f"{OSM}:") or not text[len(OSM) + 1:].strip():
        raise ValueError(f"{where} {_shown(value)}: must be {GEODESIC!r} or 'osm:FILE.osm.pbf'")
    file = Path(text[len(OSM) + 1:].strip())
    if not file.is_file():
        raise ValueError(f"{where} {_shown(value)}: the OSM extract {file} is not found")
    return f"{OSM}:{file}"


def _builtin(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def policy_tables(policy: Policy) -> tuple[pd.DataFrame, dict[str, Any]]:
    """`policy` as a per-priority DataFrame (index P1..P4, the PRIORITY_COLUMNS) and a settings dict."""
    w = policy.weights
    priorities = pd.DataFrame(
        {"sla_hours": [float(policy.sla.hours[p]) for p in PRIORITIES],
         "unserved_cost": [float(w.unserved[p]) for p in PRIORITIES],
         "late_cost_per_minute": [float(w.late_per_minute[p]) for p in PRIORITIES]},
        index=pd.Index(PRIORITY_ROWS, name="priority"))
    settings = {"per_km": float(w.per_km), "balance_per_minute": float(w.balance_per_minute),
                "road_factor": float(policy.travel.road_factor), "speed_kmh": float(policy.travel.speed_kmh),
                "travel": _travel_spec(policy.travel), "max_snap_m": float(policy.travel.max_snap_m),
                "time_limit": float(policy.time_limit), "solution_limit": policy.solution_limit,
                "seed": int(policy.seed)}
    settings |= {name: getattr(policy, name) for name in _MORE_SETTINGS}
    return priorities, settings


def _shown(value: Any) -> str:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)
    return repr(value)


def _checked_number(where: str, value: Any, *, integer: bool = False, optional: bool = False) -> float | int | None:
    """`value` as a builtin float (or int), or a ValueError `<where> <value>: must be a number`."""
    if optional and (value is None or (not isinstance(value, str) and pd.isna(value))):
        return None
    need = "an integer" if integer else "a number"
    if isinstance(value, bool):
        raise ValueError(f"{where} {_shown(value)}: must be {need}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where} {_shown(value)}: must be {need}") from None
    if not math.isfinite(number) or (integer and not number.is_integer()):
        raise ValueError(f"{where} {_shown(value)}: must be {need}")
    return int(number) if integer else number


def _checked_by_policy(where: str, value: Any, change: dict[str, Any]) -> None:
    """The Policy's own check of one cell, reported at that cell: `<where> <value>: must be ...`."""
    try:
        Policy().updated(**change)
    except ValueError as e:
        text = str(e)
        raise ValueError(f"{where} {_shown(value)}: {text[text.find('must be'):] if 'must be' in text else text}") \
            from None


def _checked_tables(priorities: Any, settings: Any, scenario: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Canonical copies of the two tables (rows P1..P4 in order, float cells, every setting present, builtin
    numbers); a ValueError names the scenario, the row or setting, the field and the value."""
    who = f"scenario {scenario!r}"
    if not isinstance(priorities, pd.DataFrame):
        raise ValueError(f"{who}: priorities must be a DataFrame, not {type(priorities).__name__}")
    rows = [str(i) for i in priorities.index]
    for row in rows:
        if row not in PRIORITY_ROWS:
            raise ValueError(f"{who}: priorities row {row!r} is not a priority; rows are {', '.join(PRIORITY_ROWS)}")
        if rows.count(row) > 1:
            raise ValueError(f"{who}: priorities row {row} appears twice")
    missing_row = next((r for r in PRIORITY_ROWS if r not in rows), None)
    if missing_row is not None:
        raise ValueError(f"{who}: priorities has no row {missing_row}")
    columns = [str(c) for c in priorities.columns]
    unknown = next((c for c in columns if c not in PRIORITY_COLUMNS), None)
    if unknown is not None:
        raise ValueError(f"{who}: priorities column {unknown!r} is unknown; columns are {', '.join(PRIORITY_COLUMNS)}")
    missing_col = next((c for c in PRIORITY_COLUMNS if c not in columns), None)
    if missing_col is not None:
        raise ValueError(f"{who}: priorities has no column {missing_col!r}")
    table = priorities.set_axis(rows, axis=0).set_axis(columns, axis=1)
    cells: dict[str, list[float]] = {c: [] for c in PRIORITY_COLUMNS}
    for row in PRIORITY_ROWS:
        for col, change in PRIORITY_COLUMNS.items():
            where = f"{who}: priorities row {row}, {col}"
            number = _checked_number(where, table.at[row, col])
            _checked_by_policy(where, number, change(row, number))
            cells[col].append(float(number))  # type: ignore[arg-type]  # not optional, so never None
    canonical = pd.DataFrame(cells, index=pd.Index(PRIORITY_ROWS, name="priority"))

    if not isinstance(settings, (Mapping, pd.Series)):
        raise ValueError(f"{who}: settings must be a mapping, not {type(settings).__name__}")
    given = {str(k): v for k, v in dict(settings).items()}
    unknown = next((k for k in given if k not in SETTINGS and k not in _MORE_SETTINGS), None)
    if unknown is not None:
        raise ValueError(f"{who}: settings {unknown!r} is unknown; settings are "
                         f"{', '.join([*SETTINGS, *_MORE_SETTINGS])}")
    defaults = policy_tables(Policy())[1]  # a setting left out means "no change" from the default policy
    checked: dict[str, Any] = {}
    for key, setting in SETTINGS.items():
        where = f"{who}: settings {key}"
        if key in _TEXT:
            checked[key] = _checked_travel(where, given.get(key, defaults[key]))
            continue
        checked[key] = _checked_number(where, given.get(key, defaults[key]), integer=key in _INTEGER,
                                       optional=key in _OPTIONAL)
        _checked_by_policy(where, checked[key], setting(checked[key]))
    checked |= {key: _builtin(given.get(key, defaults[key])) for key in _MORE_SETTINGS}
    return canonical, checked


def policy_from_tables(priorities: pd.DataFrame, settings: Mapping[str, Any] | pd.Series, *,
                       scenario: str = "?") -> Policy:
    """The Policy of the two tables (the inverse of `policy_tables`), checked; errors name `scenario`."""
    table, st = _checked_tables(priorities, settings, scenario)
    try:
        return Policy(
            sla=SlaPolicy(dict(table["sla_hours"])),
            weights=Weights(unserved=dict(table["unserved_cost"]), late_per_minute=dict(table["late_cost_per_minute"]),
                            per_km=st["per_km"], balance_per_minute=st["balance_per_minute"]),
            travel=TravelModel(road_factor=st["road_factor"], speed_kmh=st["speed_kmh"],
                               max_snap_m=st["max_snap_m"], **_travel_fields(st["travel"])),
            seed=st["seed"], time_limit=st["time_limit"], solution_limit=st["solution_limit"],
            **{name: st[name] for name in _MORE_SETTINGS})
    except (ValueError, TypeError) as e:  # the tables check all but the settings only Policy knows
        where = "settings " if str(e).startswith(_MORE_SETTINGS) else ""
        raise ValueError(f"scenario {scenario!r}: {where}{e}") from e


def _default_priorities() -> pd.DataFrame:
    return policy_tables(Policy())[0]


def _default_settings() -> dict[str, Any]:
    return policy_tables(Policy())[1]
