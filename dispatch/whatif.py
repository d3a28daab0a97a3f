"""What-if scenarios for planners, on pandas frames in the CSV contract.

A `Scenario` is a roster and open orders (DataFrames of the CSV contract, so a planner can edit them like a
spreadsheet), a plan date and a `Policy`. Variations are small pure functions that return a new Scenario and
change only what their name says. `run_scenarios` solves a set of them (in-process, or as dask futures through
`dispatch.parallel`), checks every plan with the independent checker, and returns one tidy KPI row per
scenario; `compare` adds differences against the baseline.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dispatch.domain import PRIORITIES, Day, Policy, Priority, SlaPolicy
from dispatch.io import day_from_frames, day_to_frames, read_day
from dispatch.io.cells import format_parts, format_tags, parse_parts, parse_tags
from dispatch.plan import Plan

if TYPE_CHECKING:
    import folium
    from matplotlib.figure import Figure

    from dispatch.parallel import DaskExecutor

log = logging.getLogger(__name__)

__all__ = [
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
    "read_study",
    "remove_technicians",
    "run_scenarios",
    "scale_demand",
    "scenario_map",
    "set_sla_hours",
    "set_solve_limits",
    "shift_times",
    "solve_scenario",
    "solve_scenarios",
]


@dataclass(frozen=True, eq=False)  # eq=False: DataFrames have no single truth value
class Scenario:
    name: str
    technicians: pd.DataFrame
    orders: pd.DataFrame
    plan_date: date
    policy: Policy = field(default_factory=Policy)

    def day(self) -> Day:
        """The validated Day; a bad cell raises dispatch.errors.InputError naming the scenario."""
        return day_from_frames(self.technicians, self.orders, self.plan_date,
                               sources=(f"{self.name}: technicians", f"{self.name}: orders"))

    def named(self, name: str) -> Scenario:
        return replace(self, name=name)

    @classmethod
    def from_day(cls, day: Day, *, name: str = "baseline", policy: Policy | None = None) -> Scenario:
        techs, orders = day_to_frames(day)
        return cls(name, techs, orders, day.date, policy or Policy())

    @classmethod
    def from_csv(cls, technicians: str | Path, orders: str | Path, plan_date: date, *, name: str = "baseline",
                 policy: Policy | None = None) -> Scenario:
        return cls.from_day(read_day(technicians, orders, plan_date), name=name, policy=policy)


def _with(s: Scenario, *, technicians: pd.DataFrame | None = None, orders: pd.DataFrame | None = None,
          policy: Policy | None = None) -> Scenario:
    return replace(s, technicians=s.technicians.copy() if technicians is None else technicians.reset_index(drop=True),
                   orders=s.orders.copy() if orders is None else orders.reset_index(drop=True),
                   policy=s.policy if policy is None else policy)


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


def set_sla_hours(s: Scenario, **hours: float) -> Scenario:
    """Response deadlines changed for the priorities given, e.g. `set_sla_hours(s, P1=2)`."""
    merged = dict(s.policy.sla.hours)
    for key, value in hours.items():
        if key not in {p.value for p in PRIORITIES}:
            raise ValueError(f"set_sla_hours: unknown priority {key!r}")
        merged[Priority(key)] = float(value)
    return _with(s, policy=replace(s.policy, sla=SlaPolicy(merged)))


def set_solve_limits(s: Scenario, *, time_limit: float | None = None, solution_limit: int | None = None,
                     seed: int | None = None) -> Scenario:
    """The solver's time limit, solution limit or seed; everything else of the policy is kept."""
    p = s.policy
    return _with(s, policy=replace(p, time_limit=p.time_limit if time_limit is None else time_limit,
                                   solution_limit=p.solution_limit if solution_limit is None else solution_limit,
                                   seed=p.seed if seed is None else seed))


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


VARIATIONS: dict[str, Callable[..., Scenario]] = {
    f.__name__: f for f in (add_technicians, remove_technicians, scale_demand, set_sla_hours, set_solve_limits,
                            shift_times, add_skill, close_part)
}


def apply_variations(base: Scenario, name: str, steps: Iterable[tuple[str, Mapping[str, Any]]]) -> Scenario:
    """`base` with each (variation name, keyword arguments) applied in turn, named `name`."""
    s = base
    for fn_name, kwargs in steps:
        if fn_name not in VARIATIONS:
            raise ValueError(f"unknown variation {fn_name!r}; known: {', '.join(VARIATIONS)}")
        s = VARIATIONS[fn_name](s, **kwargs)
    return s.named(name)


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


def kpi_row(name: str, kpis: Mapping[str, Any], violations: Sequence[str]) -> dict[str, Any]:
    by = kpis["by_priority"]
    row: dict[str, Any] = {"scenario": name, "valid": not violations, "violations": len(violations),
                           "technicians": kpis["technicians"], "orders": kpis["orders"], "served": kpis["served"],
                           "unserved": kpis["unassigned"]}
    row |= {f"unserved_{p.value}": by[p.value]["unserved"] for p in PRIORITIES}
    # on time out of all orders of the priority: an unserved emergency is not answered on time
    row |= {f"on_time_{p}_pct": _pct(by[p]["on_time"], by[p]["orders"]) for p in ("P1", "P2")}
    row |= {"late_minutes": kpis["total_late_minutes"], "max_late_minutes": kpis["max_late_minutes"],
            "km": kpis["travel_km"], "utilization": kpis["mean_utilization"], "cost": kpis["objective"]["total"]}
    return row


def solve_scenario(s: Scenario) -> ScenarioResult:
    """Plan one scenario and check the plan independently; runs in-process or on a dask worker."""
    from dispatch.checker import check_plan
    from dispatch.kpis import compute_kpis
    from dispatch.planning import plan_day

    day = s.day()
    plan = plan_day(day, s.policy)
    report = check_plan(day, plan)
    violations = tuple(str(v) for v in report.violations)
    if violations:
        log.warning("scenario %s: plan fails the check: %s", s.name, violations[0])
    return ScenarioResult(s, plan, kpi_row(s.name, compute_kpis(day, plan, s.policy), violations), violations)


def solve_scenarios(scenarios: Sequence[Scenario], *, executor: DaskExecutor | None = None,
                    on_done: Callable[[int], None] | None = None, progress: bool = False) -> list[ScenarioResult]:
    """Solve every scenario: in this process without an executor, else as dask futures on it."""
    names = [s.name for s in scenarios]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise ValueError(f"scenario name {dup!r} is used twice")
    for s in scenarios:
        s.day()  # fail on bad input here, with the scenario's name, before anything is sent to workers
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


def compare(df: pd.DataFrame, baseline: str = "baseline") -> pd.DataFrame:
    """`df` with a `<kpi>_diff` column (scenario minus baseline) after every numeric KPI."""
    if baseline not in df.index:
        raise ValueError(f"baseline {baseline!r} is not a scenario; have {', '.join(map(str, df.index))}")
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
    known = {"scenario", "technicians", "orders", "date", "generate", "time_limit", "solution_limit", "seed"}
    unknown = sorted(set(map(str, spec)) - known)
    if unknown:
        raise StudyError(f"base: unknown key {unknown[0]!r}; known: {', '.join(sorted(known))}")
    try:
        plan_date = date.fromisoformat(str(spec["date"])) if "date" in spec else DEFAULT_DATE
        policy = Policy(time_limit=float(spec.get("time_limit", 10.0)), seed=int(spec.get("seed", 0)),
                        solution_limit=spec.get("solution_limit"))
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
    return Scenario.from_day(day, name="baseline", policy=policy)


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
