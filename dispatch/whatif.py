"""What-if scenarios for planners, on pandas frames in the CSV contract.

A `Scenario` is a roster and open orders (DataFrames of the CSV contract, so a planner can edit them like a
spreadsheet), a plan date and its policy as tables: `priorities` (one row per priority P1..P4: response
deadline and costs) and `settings` (per-km cost, workload balance, travel model, solver limits and seed).
`Scenario.policy` is the resolved, checked `Policy`. Variations are small pure functions that return a new
Scenario and change only what their name says. `run_scenarios` solves a set of them (in-process, or as dask
futures through `dispatch.parallel`), checks every plan with the independent checker, and returns one tidy KPI
row per scenario; `compare` adds differences against the baseline; `policy_frame` puts the policies of a
study side by side.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dispatch.domain import PRIORITIES, Day, Policy, SlaPolicy, TravelModel, Weights
from dispatch.io import day_from_frames, day_to_frames, read_day
from dispatch.io.cells import format_parts, format_tags, parse_parts, parse_tags
from dispatch.plan import Plan

if TYPE_CHECKING:
    import folium
    from matplotlib.figure import Figure

    from dispatch.parallel import DaskExecutor

log = logging.getLogger(__name__)

__all__ = [
    "PRIORITY_COLUMNS",
    "SETTINGS",
    "VARIATIONS",
    "Scenario",
    "ScenarioResult",
    "StudyError",
    "add_skill",
    "add_technicians",
    "apply_variations",
    "close_part",
    "compare",
    "kpi_frame",
    "load_study",
    "plot_kpis",
    "policy_frame",
    "policy_from_tables",
    "policy_tables",
    "read_study",
    "remove_technicians",
    "run_scenarios",
    "scale_demand",
    "scale_durations",
    "scenario_map",
    "set_max_orders",
    "set_sla_hours",
    "set_solve_limits",
    "set_travel",
    "set_weights",
    "shift_times",
    "solve_scenario",
    "solve_scenarios",
]

# --- the policy as tables ---------------------------------------------------------------------------------

PRIORITY_ROWS = tuple(p.value for p in PRIORITIES)
# column -> (lowest value, whether the lowest itself is allowed); the same rules as dispatch.domain
PRIORITY_COLUMNS: Mapping[str, tuple[float, bool]] = {
    "sla_hours": (0.0, False),  # response deadline, hours from created_at to the start of service
    "unserved_cost": (0.0, True),  # cost of leaving one order of the priority unserved
    "late_cost_per_minute": (0.0, True),  # cost of each minute past the response deadline
}
# setting -> (lowest value, whether the lowest itself is allowed, integer?, may be None?)
SETTINGS: Mapping[str, tuple[float, bool, bool, bool]] = {
    "per_km": (0.0, True, False, False),  # cost of each road km
    "balance_per_minute": (0.0, True, False, False),  # cost per minute of spread in workload; 0 = off
    "road_factor": (1.0, True, False, False),  # road km per geodesic km
    "speed_kmh": (0.0, False, False, False),
    "time_limit": (0.0, False, False, False),  # seconds per solve
    "solution_limit": (1.0, True, True, True),  # None: no limit
    "seed": (0.0, True, True, False),
}
# any other plain field of Policy (e.g. one added later) is a setting too, passed through and checked by Policy
_MORE_SETTINGS = tuple(f.name for f in fields(Policy) if f.name not in {"sla", "weights", "travel", *SETTINGS})


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
                "time_limit": float(policy.time_limit), "solution_limit": policy.solution_limit,
                "seed": int(policy.seed)}
    settings |= {name: getattr(policy, name) for name in _MORE_SETTINGS}
    return priorities, settings


def _shown(value: Any) -> str:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)
    return repr(value)


def _checked_number(where: str, value: Any, *, lowest: float, inclusive: bool, integer: bool = False,
                    optional: bool = False) -> float | int | None:
    """`value` as a builtin float (or int), or a ValueError `<where> <value>: must be ...`."""
    if optional and (value is None or (not isinstance(value, str) and pd.isna(value))):
        return None
    bound = f"{'>=' if inclusive else '>'} {lowest:g}"
    need = f"an integer {bound}" if integer else f"a number {bound}"
    if isinstance(value, bool):
        raise ValueError(f"{where} {_shown(value)}: must be {need}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where} {_shown(value)}: must be {need}") from None
    if not math.isfinite(number) or (integer and not number.is_integer()):
        raise ValueError(f"{where} {_shown(value)}: must be {need}")
    if number < lowest or (number == lowest and not inclusive):
        raise ValueError(f"{where} {_shown(value)}: must be {bound}")
    return int(number) if integer else number


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
        for col, (lowest, inclusive) in PRIORITY_COLUMNS.items():
            number = _checked_number(f"{who}: priorities row {row}, {col}", table.at[row, col],
                                     lowest=lowest, inclusive=inclusive)
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
    for key, (lowest, inclusive, integer, optional) in SETTINGS.items():
        checked[key] = _checked_number(f"{who}: settings {key}", given.get(key, defaults[key]), lowest=lowest,
                                       inclusive=inclusive, integer=integer, optional=optional)
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
            travel=TravelModel(road_factor=st["road_factor"], speed_kmh=st["speed_kmh"]),
            seed=st["seed"], time_limit=st["time_limit"], solution_limit=st["solution_limit"],
            **{name: st[name] for name in _MORE_SETTINGS})
    except (ValueError, TypeError) as e:  # the tables check all but the settings only Policy knows
        where = "settings " if str(e).startswith(_MORE_SETTINGS) else ""
        raise ValueError(f"scenario {scenario!r}: {where}{e}") from e


def _default_priorities() -> pd.DataFrame:
    return policy_tables(Policy())[0]


def _default_settings() -> dict[str, Any]:
    return policy_tables(Policy())[1]


@dataclass(frozen=True, eq=False)  # eq=False: DataFrames have no single truth value
class Scenario:
    """A roster, open orders, a plan date and a policy, all editable as pandas.

    Edit a copy and build a new scenario from it; the new one is checked on creation:

        p = base.priorities.copy()
        p.loc["P1", "sla_hours"] = 2
        tight = base.updated(name="tight", priorities=p, settings={"speed_kmh": 30})
    """

    name: str
    technicians: pd.DataFrame
    orders: pd.DataFrame
    plan_date: date
    priorities: pd.DataFrame = field(default_factory=_default_priorities)
    settings: dict[str, Any] = field(default_factory=_default_settings)

    def __post_init__(self) -> None:
        priorities, settings = _checked_tables(self.priorities, self.settings, self.name)
        object.__setattr__(self, "priorities", priorities)
        object.__setattr__(self, "settings", settings)
        _ = self.policy  # settings that only Policy checks fail here too, when the scenario is made

    @property
    def policy(self) -> Policy:
        """The resolved Policy of the tables, checked again (a table may have been edited in place)."""
        return policy_from_tables(self.priorities, self.settings, scenario=self.name)

    def day(self) -> Day:
        """The validated Day; a bad cell raises dispatch.errors.InputError naming the scenario."""
        return day_from_frames(self.technicians, self.orders, self.plan_date,
                               sources=(f"{self.name}: technicians", f"{self.name}: orders"))

    def named(self, name: str) -> Scenario:
        return replace(self, name=name)

    def updated(self, *, name: str | None = None, technicians: pd.DataFrame | None = None,
                orders: pd.DataFrame | None = None, priorities: pd.DataFrame | None = None,
                settings: Mapping[str, Any] | pd.Series | None = None, policy: Policy | None = None) -> Scenario:
        """A new scenario with the given parts replaced (copies; row indexes reset) and the rest copied.

        `settings` may name only the settings that change; `policy` replaces both policy tables."""
        if policy is not None and (priorities is not None or settings is not None):
            raise ValueError("updated: give policy, or priorities and/or settings, not both")
        if policy is not None:
            priorities, settings = policy_tables(policy)
        merged = dict(self.settings) if settings is None else {**self.settings, **dict(settings)}
        return replace(
            self, name=self.name if name is None else name,
            technicians=self.technicians.copy() if technicians is None else technicians.reset_index(drop=True),
            orders=self.orders.copy() if orders is None else orders.reset_index(drop=True),
            priorities=self.priorities if priorities is None else priorities, settings=merged)

    @classmethod
    def from_frames(cls, technicians: pd.DataFrame, orders: pd.DataFrame, plan_date: date, *,
                    name: str = "baseline", policy: Policy | None = None) -> Scenario:
        priorities, settings = policy_tables(policy or Policy())
        return cls(name, technicians, orders, plan_date, priorities, settings)

    @classmethod
    def from_day(cls, day: Day, *, name: str = "baseline", policy: Policy | None = None) -> Scenario:
        techs, orders = day_to_frames(day)
        return cls.from_frames(techs, orders, day.date, name=name, policy=policy)

    @classmethod
    def from_csv(cls, technicians: str | Path, orders: str | Path, plan_date: date, *, name: str = "baseline",
                 policy: Policy | None = None) -> Scenario:
        return cls.from_day(read_day(technicians, orders, plan_date), name=name, policy=policy)


def _policy_row(s: Scenario) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for col in PRIORITY_COLUMNS:
        row |= {f"{col}_{p}": s.priorities.at[p, col] for p in PRIORITY_ROWS}
    return row | s.settings


def policy_frame(scenarios: Iterable[Scenario | ScenarioResult]) -> pd.DataFrame:
    """The policies side by side: one row per scenario (index: its name), a column per priority and field
    (`sla_hours_P1`, ..., `unserved_cost_P1`, ..., `late_cost_per_minute_P1`, ...) and per setting."""
    rows = []
    for item in scenarios:
        s = item.scenario if isinstance(item, ScenarioResult) else item
        rows.append({"scenario": s.name} | _policy_row(s))
    return pd.DataFrame(rows).set_index("scenario")


def _with(s: Scenario, *, technicians: pd.DataFrame | None = None, orders: pd.DataFrame | None = None,
          priorities: pd.DataFrame | None = None, settings: Mapping[str, Any] | None = None) -> Scenario:
    return s.updated(technicians=technicians, orders=orders, priorities=priorities, settings=settings)


# --- variations -------------------------------------------------------------------------------------------

def _tags(skills: str | Iterable[str]) -> str:
    return format_tags(parse_tags(skills) if isinstance(skills, str) else frozenset(skills))


def _pick_ids(s: Scenario, ids: Sequence[str] | str | None, n: int | None, what: str) -> list[str]:
    """Technician ids named explicitly, or the first n of the roster."""
    known = list(s.technicians["id"])
    if ids is not None:
        chosen = [ids] if isinstance(ids, str) else list(ids)
        unknown = [i for i in chosen if i not in known]
        if unknown:
            raise ValueError(f"{what}: technician {unknown[0]!r} is not in scenario {s.name!r}")
        return chosen
    if n is None or n < 0 or n > len(known):
        raise ValueError(f"{what}: give ids or n between 0 and {len(known)}, not {n!r}")
    return known[:n]


def add_technicians(s: Scenario, n: int, *, skills: str | Iterable[str] | None = None, like: str | None = None,
                    prefix: str = "X") -> Scenario:
    """n more technicians, copies of `like` (default: the first on the roster) with new ids and names,
    optionally with other `skills`."""
    if n < 0:
        raise ValueError(f"add_technicians: n {n} must be >= 0")
    if s.technicians.empty:
        raise ValueError("add_technicians: the roster is empty, nobody to copy")
    techs = s.technicians
    if like is not None and not (techs["id"] == like).any():
        raise ValueError(f"add_technicians: like {like!r} is not in scenario {s.name!r}")
    template = techs.iloc[0] if like is None else techs.loc[techs["id"] == like].iloc[0]
    existing = set(techs["id"])
    rows: list[pd.Series] = []
    k = 0
    while len(rows) < n:
        k += 1
        new_id = f"{prefix}{k:03d}"
        if new_id in existing:
            continue
        row = template.copy()
        row["id"], row["name"] = new_id, f"New technician {new_id}"
        if skills is not None:
            row["skills"] = _tags(skills)
        rows.append(row)
    return _with(s, technicians=pd.concat([techs, pd.DataFrame(rows)], ignore_index=True))


def remove_technicians(s: Scenario, ids: Sequence[str] | str | None = None, *, n: int | None = None) -> Scenario:
    """Technicians taken off the roster (by id, or the last n); their pinned orders become unpinned."""
    if ids is None and n is not None:
        if n < 0 or n > len(s.technicians):
            raise ValueError(f"remove_technicians: n {n} must be between 0 and {len(s.technicians)}")
        gone = list(s.technicians["id"])[len(s.technicians) - n:]
    else:
        gone = _pick_ids(s, ids, None, "remove_technicians")
    orders = s.orders.copy()
    # a pin to someone who is gone would make the day invalid; the order stays open for anyone else
    orders.loc[orders["pinned_technician"].isin(gone), "pinned_technician"] = ""
    return _with(s, technicians=s.technicians[~s.technicians["id"].isin(gone)], orders=orders)


def scale_demand(s: Scenario, factor: float, *, seed: int = 0) -> Scenario:
    """round(factor x orders): a seeded random subset when factor < 1, the orders plus seeded random
    replicates (new ids `<id>-R<k>`, unpinned) when factor > 1."""
    if not math.isfinite(factor) or factor < 0:
        raise ValueError(f"scale_demand: factor {factor} must be >= 0")
    orders = s.orders
    target = round(factor * len(orders))
    rng = np.random.default_rng(seed)
    if target <= len(orders):
        keep = np.sort(rng.choice(len(orders), size=target, replace=False))
        return _with(s, orders=orders.iloc[keep])
    if orders.empty:
        raise ValueError("scale_demand: there are no orders to replicate")
    picks = rng.choice(len(orders), size=target - len(orders), replace=True)
    copies = orders.iloc[picks].copy()
    taken = set(orders["id"])
    new_ids = []
    for base in copies["id"]:
        k = 1
        while f"{base}-R{k}" in taken:
            k += 1
        taken.add(f"{base}-R{k}")
        new_ids.append(f"{base}-R{k}")
    copies["id"] = new_ids
    copies["pinned_technician"] = ""  # a replicate is new work, not the dispatcher's pinned visit
    return _with(s, orders=pd.concat([orders, copies], ignore_index=True))


def _per_priority(what: str, values: Mapping[str, float]) -> dict[str, float]:
    unknown = next((str(k) for k in values if str(k) not in PRIORITY_ROWS), None)
    if unknown is not None:
        raise ValueError(f"{what}: unknown priority {unknown!r}; priorities are {', '.join(PRIORITY_ROWS)}")
    return {str(k): v for k, v in values.items()}


def _set_column(priorities: pd.DataFrame, column: str, values: Mapping[str, float]) -> pd.DataFrame:
    table = priorities.copy()
    table[column] = table[column].astype(object)  # the new value is checked (and made a float) by Scenario
    for row, value in values.items():
        table.loc[row, column] = value
    return table


def set_sla_hours(s: Scenario, **hours: float) -> Scenario:
    """Response deadlines changed for the priorities given, e.g. `set_sla_hours(s, P1=2)`."""
    return _with(s, priorities=_set_column(s.priorities, "sla_hours", _per_priority("set_sla_hours", hours)))


def set_weights(s: Scenario, *, unserved: Mapping[str, float] | None = None,
                late_per_minute: Mapping[str, float] | None = None, per_km: float | None = None,
                balance_per_minute: float | None = None) -> Scenario:
    """Objective weights changed where given: `unserved` and `late_per_minute` per priority
    (`{"P1": 200_000}`; the other priorities keep theirs), `per_km` and `balance_per_minute`."""
    if unserved is None and late_per_minute is None and per_km is None and balance_per_minute is None:
        raise ValueError("set_weights: give unserved, late_per_minute, per_km or balance_per_minute")
    table = s.priorities
    if unserved is not None:
        table = _set_column(table, "unserved_cost", _per_priority("set_weights: unserved", unserved))
    if late_per_minute is not None:
        table = _set_column(table, "late_cost_per_minute",
                            _per_priority("set_weights: late_per_minute", late_per_minute))
    changed = {k: v for k, v in (("per_km", per_km), ("balance_per_minute", balance_per_minute)) if v is not None}
    return _with(s, priorities=table, settings=changed)


def set_travel(s: Scenario, *, road_factor: float | None = None, speed_kmh: float | None = None) -> Scenario:
    """The travel model's road factor (road km per geodesic km) and/or driving speed."""
    if road_factor is None and speed_kmh is None:
        raise ValueError("set_travel: give road_factor, speed_kmh or both")
    changed = {k: v for k, v in (("road_factor", road_factor), ("speed_kmh", speed_kmh)) if v is not None}
    return _with(s, settings=changed)


def set_solve_limits(s: Scenario, *, time_limit: float | None = None, solution_limit: int | None = None,
                     seed: int | None = None) -> Scenario:
    """The solver's time limit, solution limit or seed; everything else of the policy is kept."""
    changed = {k: v for k, v in (("time_limit", time_limit), ("solution_limit", solution_limit), ("seed", seed))
               if v is not None}
    return _with(s, settings=changed)


def shift_times(s: Scenario, *, start: str | None = None, end: str | None = None,
                ids: Sequence[str] | str | None = None) -> Scenario:
    """Shift start and/or end (`HH:MM`) of the given technicians (default: everyone)."""
    if start is None and end is None:
        raise ValueError("shift_times: give start, end or both")
    techs = s.technicians.copy()
    chosen = list(techs["id"]) if ids is None else _pick_ids(s, ids, None, "shift_times")
    mask = techs["id"].isin(chosen)
    if start is not None:
        techs.loc[mask, "shift_start"] = start
    if end is not None:
        techs.loc[mask, "shift_end"] = end
    return _with(s, technicians=techs)


def add_skill(s: Scenario, skill: str, *, to: Sequence[str] | str | int) -> Scenario:
    """`skill` added to the given technicians, or (`to=n`) to the first n who lack it."""
    techs = s.technicians.copy()
    if isinstance(to, int):
        lacking = [tid for tid, tags in zip(techs["id"], techs["skills"], strict=True)
                   if skill not in parse_tags(str(tags))]
        if to < 0 or to > len(lacking):
            raise ValueError(f"add_skill: to={to}, but only {len(lacking)} technicians lack {skill!r}")
        chosen = lacking[:to]
    else:
        chosen = _pick_ids(s, to, None, "add_skill")
    mask = techs["id"].isin(chosen)
    techs.loc[mask, "skills"] = [format_tags(parse_tags(str(t)) | {skill}) for t in techs.loc[mask, "skills"]]
    return _with(s, technicians=techs)


def close_part(s: Scenario, part: str) -> Scenario:
    """`part` is no longer available: it is taken out of every van."""
    techs = s.technicians.copy()
    techs["van_stock"] = [
        format_parts({p: q for p, q in parse_parts(str(v), min_qty=0).items() if p != part})
        for v in techs["van_stock"]
    ]
    return _with(s, technicians=techs)


def scale_durations(s: Scenario, factor: float, *, skills: str | Iterable[str] | None = None) -> Scenario:
    """Service durations times `factor` (rounded to whole minutes) for every order, or only for orders that
    require any of `skills`; e.g. 1.25 for slower jobs."""
    if not math.isfinite(factor) or factor <= 0:
        raise ValueError(f"scale_durations: factor {factor} must be > 0")
    wanted = None if skills is None else parse_tags(_tags(skills))
    orders = s.orders.copy()
    scaled = []
    for oid, tags, minutes in zip(orders["id"], orders["required_skills"], orders["duration_min"], strict=True):
        if wanted is not None and not (parse_tags(str(tags)) & wanted):
            scaled.append(minutes)
            continue
        try:
            value = float(str(minutes).strip())
        except ValueError:
            raise ValueError(f"scale_durations: order {oid}: duration_min {minutes!r} is not a number") from None
        scaled.append(str(round(value * factor)))
    orders["duration_min"] = scaled
    return _with(s, orders=orders)


def set_max_orders(s: Scenario, n: int | None, *, ids: Sequence[str] | str | None = None) -> Scenario:
    """Workload cap of the given technicians (default: everyone): at most `n` orders each; None removes it."""
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
        raise ValueError(f"set_max_orders: n {n!r} must be an integer >= 0 or None")
    techs = s.technicians.copy()
    chosen = list(techs["id"]) if ids is None else _pick_ids(s, ids, None, "set_max_orders")
    techs.loc[techs["id"].isin(chosen), "max_orders"] = "" if n is None else str(n)
    return _with(s, technicians=techs)


VARIATIONS: dict[str, Callable[..., Scenario]] = {
    f.__name__: f for f in (add_technicians, remove_technicians, scale_demand, set_sla_hours, set_weights,
                            set_travel, set_solve_limits, shift_times, add_skill, close_part, scale_durations,
                            set_max_orders)
}


def apply_variations(base: Scenario, name: str, steps: Iterable[tuple[str, Mapping[str, Any]]]) -> Scenario:
    """`base` with each (variation name, keyword arguments) applied in turn, named `name`."""
    s = base.named(name)  # so that an error names the scenario being built
    for fn_name, kwargs in steps:
        if fn_name not in VARIATIONS:
            raise ValueError(f"unknown variation {fn_name!r}; known: {', '.join(VARIATIONS)}")
        s = VARIATIONS[fn_name](s, **kwargs)
    return s


@dataclass(frozen=True)
class ScenarioResult:
    """One solved scenario: its plan, its KPI row and the checker's verdict."""

    scenario: Scenario
    plan: Plan
    row: dict[str, Any]
    violations: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.violations


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else float("nan")


def kpi_row(name: str, kpis: Mapping[str, Any], violations: Sequence[str], policy: Policy | None = None) -> dict[str, Any]:
    """One scenario's KPIs; with `policy`, also the response deadlines its on-time figures are counted against."""
    by = kpis["by_priority"]
    row: dict[str, Any] = {"scenario": name, "valid": not violations, "violations": len(violations),
                           "technicians": kpis["technicians"], "orders": kpis["orders"], "served": kpis["served"],
                           "unserved": kpis["unassigned"]}
    row |= {f"unserved_{p.value}": by[p.value]["unserved"] for p in PRIORITIES}
    # on time out of all orders of the priority: an unserved emergency is not answered on time
    row |= {f"on_time_{p}_pct": _pct(by[p]["on_time"], by[p]["orders"]) for p in ("P1", "P2")}
    if policy is not None:
        row |= {f"sla_hours_{p.value}": float(policy.sla.hours[p]) for p in PRIORITIES[:2]}
    row |= {"late_minutes": kpis["total_late_minutes"], "max_late_minutes": kpis["max_late_minutes"],
            "km": kpis["travel_km"], "utilization": kpis["mean_utilization"], "cost": kpis["objective"]["total"]}
    return row


def solve_scenario(s: Scenario) -> ScenarioResult:
    """Plan one scenario and check the plan independently; runs in-process or on a dask worker."""
    from dispatch.checker import check_plan
    from dispatch.kpis import compute_kpis
    from dispatch.planning import plan_day

    day, policy = s.day(), s.policy
    plan = plan_day(day, policy)
    report = check_plan(day, plan)
    violations = tuple(str(v) for v in report.violations)
    if violations:
        log.warning("scenario %s: plan fails the check: %s", s.name, violations[0])
    return ScenarioResult(s, plan, kpi_row(s.name, compute_kpis(day, plan, policy), violations, policy), violations)


def solve_scenarios(scenarios: Sequence[Scenario], *, executor: DaskExecutor | None = None,
                    on_done: Callable[[int], None] | None = None, progress: bool = False) -> list[ScenarioResult]:
    """Solve every scenario: in this process without an executor, else as dask futures on it."""
    names = [s.name for s in scenarios]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise ValueError(f"scenario name {dup!r} is used twice")
    for s in scenarios:
        # fail on bad input here, with the scenario's name, before anything is sent to workers
        s.day()
        _ = s.policy
    if executor is None:
        results = []
        for i, s in enumerate(scenarios):
            results.append(solve_scenario(s))
            if on_done is not None:
                on_done(i)
        return results
    return executor.map(solve_scenario, list(scenarios), on_done=on_done, progress=progress)


def kpi_frame(results: Sequence[ScenarioResult]) -> pd.DataFrame:
    return pd.DataFrame([r.row for r in results]).set_index("scenario")


def run_scenarios(scenarios: Sequence[Scenario], *, executor: DaskExecutor | None = None,
                  progress: bool = False) -> pd.DataFrame:
    """One tidy row of KPIs per scenario (index: scenario name), with each plan's check verdict."""
    return kpi_frame(solve_scenarios(scenarios, executor=executor, progress=progress))


def compare(df: pd.DataFrame, baseline: str = "baseline", *, policy: pd.DataFrame | None = None) -> pd.DataFrame:
    """`df` with a `<kpi>_diff` column (scenario minus baseline) after every numeric KPI.

    With `policy` (a `policy_frame` of the same scenarios), its columns that `df` lacks are joined after the
    KPIs, with their differences too."""
    if baseline not in df.index:
        raise ValueError(f"baseline {baseline!r} is not a scenario; have {', '.join(map(str, df.index))}")
    if policy is not None:
        missing = next((n for n in df.index if n not in policy.index), None)
        if missing is not None:
            raise ValueError(f"compare: scenario {missing!r} has no row in the policy table")
        df = df.join(policy[[c for c in policy.columns if c not in df.columns]])
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
               and c != "violations"]
    diffs = df[numeric] - df.loc[baseline, numeric]
    parts = {}
    for col in df.columns:
        parts[col] = df[col]
        if col in numeric:
            # the baseline row is read as floats; counts stay counts
            parts[f"{col}_diff"] = diffs[col].astype(df[col].dtype)
    return pd.DataFrame(parts, index=df.index)


DEFAULT_PLOT_KPIS = ("served", "on_time_P1_pct", "on_time_P2_pct", "late_minutes", "km", "cost")


def plot_kpis(df: pd.DataFrame, kpis: Sequence[str] = DEFAULT_PLOT_KPIS) -> Figure:
    """One bar chart per KPI, a bar per scenario."""
    import matplotlib.pyplot as plt

    cols = min(3, len(kpis))
    rows = math.ceil(len(kpis) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        ax.bar([str(i) for i in df.index], df[kpi], color="#4c72b0")
        ax.set_title(kpi)
        ax.tick_params(axis="x", labelrotation=45)
    for ax in list(axes.flat)[len(kpis):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def scenario_map(result: ScenarioResult) -> folium.Map:
    """The plan of one solved scenario on a map."""
    from dispatch.mapping import plan_map

    return plan_map(result.scenario.day(), result.plan)


class StudyError(ValueError):
    """A what-if study file that cannot be run; the message names the entry."""


def _base_of(spec: Any, folder: Path) -> Scenario:
    from dispatch.errors import InputError
    from dispatch.scenarios import DEFAULT_DATE, SCENARIOS, generate_day, scenario

    if not isinstance(spec, Mapping):
        raise StudyError("base: must be a mapping with 'scenario' or 'technicians' and 'orders'")
    known = {"scenario", "technicians", "orders", "date", "generate", "policy", "time_limit", "solution_limit",
             "seed"}
    unknown = sorted(set(map(str, spec)) - known)
    if unknown:
        raise StudyError(f"base: unknown key {unknown[0]!r}; known: {', '.join(sorted(known))}")
    try:
        plan_date = date.fromisoformat(str(spec["date"])) if "date" in spec else DEFAULT_DATE
        if "scenario" in spec:
            if spec["scenario"] not in SCENARIOS:
                raise StudyError(f"base: scenario {spec['scenario']!r} is not one of {', '.join(SCENARIOS)}")
            day = scenario(str(spec["scenario"]), plan_date)
        elif "generate" in spec:
            day = generate_day(**dict(spec["generate"]), plan_date=plan_date)
        elif "technicians" in spec and "orders" in spec:
            day = read_day(folder / str(spec["technicians"]), folder / str(spec["orders"]), plan_date)
        else:
            raise StudyError("base: give 'scenario', 'generate', or 'technicians' and 'orders'")
    except StudyError:
        raise
    except (InputError, ValueError, TypeError, OSError) as e:
        raise StudyError(f"base: {e}") from e
    base = Scenario.from_day(day, name="baseline")
    try:
        base = _with_policy_spec(base, spec.get("policy") or {})
        limits = {k: spec[k] for k in ("time_limit", "solution_limit", "seed") if k in spec}
        return set_solve_limits(base, **limits) if limits else base
    except (ValueError, TypeError) as e:
        raise StudyError(f"base: {e}") from e


def _with_policy_spec(s: Scenario, spec: Any) -> Scenario:
    """`s` under a policy given as in a plan's JSON (`sla_hours`, `weights`, `travel`, `seed`, `time_limit`,
    `solution_limit`); anything left out keeps the default."""
    if not isinstance(spec, Mapping):
        raise ValueError(f"policy: must be a mapping, not {spec!r}")
    known = ("sla_hours", "weights", "travel", "seed", "time_limit", "solution_limit")
    unknown = next((str(k) for k in spec if k not in known), None)
    if unknown is not None:
        raise ValueError(f"policy: unknown key {unknown!r}; known: {', '.join(known)}")
    for key in ("sla_hours", "weights", "travel"):
        if key in spec and not isinstance(spec[key], Mapping):
            raise ValueError(f"policy: {key} must be a mapping, not {spec[key]!r}")
    if spec.get("sla_hours"):
        s = set_sla_hours(s, **{str(k): v for k, v in spec["sla_hours"].items()})
    if spec.get("weights"):
        s = set_weights(s, **{str(k): v for k, v in spec["weights"].items()})
    travel = {str(k): v for k, v in (spec.get("travel") or {}).items()}
    if travel.pop("model", "geodesic") != "geodesic":
        raise ValueError("policy: travel model must be 'geodesic'")
    if travel:
        s = set_travel(s, **travel)
    limits = {k: spec[k] for k in ("time_limit", "solution_limit", "seed") if k in spec}
    return set_solve_limits(s, **limits) if limits else s


def load_study(data: Any, folder: Path = Path(".")) -> list[Scenario]:
    """The baseline and its variations from a parsed study file (see notebooks/README.md for the format).

    Paths of CSV files are relative to `folder`, the study file's folder."""
    if not isinstance(data, Mapping) or "base" not in data:
        raise StudyError("study: must be a mapping with 'base' and 'scenarios'")
    base = _base_of(data["base"], folder)
    entries = data.get("scenarios") or []
    if not isinstance(entries, list):
        raise StudyError("scenarios: must be a list")
    out = [base]
    for i, entry in enumerate(entries):
        label = f"scenarios[{i}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise StudyError(f"{label}: must be a mapping with a 'name' and 'variations'")
        label = f"{label} {entry['name']!r}"
        steps = entry.get("variations") or []
        if not isinstance(steps, list):
            raise StudyError(f"{label}: variations must be a list")
        parsed: list[tuple[str, Mapping[str, Any]]] = []
        for step in steps:
            if not isinstance(step, Mapping) or len(step) != 1:
                raise StudyError(f"{label}: each variation is one 'function: {{keyword: value}}' item, not {step!r}")
            [(fn, kwargs)] = step.items()
            kwargs = {} if kwargs is None else kwargs
            if not isinstance(kwargs, Mapping):
                raise StudyError(f"{label}: arguments of {fn!r} must be a mapping, not {kwargs!r}")
            parsed.append((str(fn), dict(kwargs)))
        try:
            out.append(apply_variations(base, str(entry["name"]), parsed))
        except (ValueError, TypeError) as e:
            raise StudyError(f"{label}: {e}") from e
    names = [s.name for s in out]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise StudyError(f"scenarios: name {dup!r} is used twice (the base is called 'baseline')")
    return out


def read_study(path: str | Path) -> list[Scenario]:
    """Scenarios of a YAML study file."""
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise StudyError(f"{p.name}: not valid YAML: {e}") from e
    return load_study(data, p.parent)
