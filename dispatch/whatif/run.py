"""Solving scenarios (in-process, or as dask futures through dispatch.parallel), checking every plan with
the independent checker, and comparing them: one tidy KPI row per scenario, differences against the
baseline, plots and maps."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from dispatch.analysis.checker import check_plan
from dispatch.analysis.kpis import TOTAL, compute_kpis
from dispatch.domain import PRIORITIES
from dispatch.parallel import DaskExecutor, run_all
from dispatch.plan import Kpis, Plan
from dispatch.planning import plan_day
from dispatch.policy import Policy
from dispatch.whatif.policy_tables import PRIORITY_COLUMNS, PRIORITY_ROWS
from dispatch.whatif.scenario import Scenario

if TYPE_CHECKING:
    import folium
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)


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


def kpi_row(name: str, kpis: Kpis, violations: Sequence[str], policy: Policy | None = None) -> dict[str, Any]:
    """One scenario's KPIs; with `policy`, also the response deadlines its on-time figures are counted against."""
    by = kpis.by_priority
    row: dict[str, Any] = {"scenario": name, "valid": not violations, "violations": len(violations),
                           "technicians": kpis.technicians, "orders": kpis.orders, "served": kpis.served,
                           "unserved": kpis.unassigned}
    row |= {f"unserved_{p.value}": by[p.value].unserved for p in PRIORITIES}
    # on time out of all orders of the priority: an unserved emergency is not answered on time
    row |= {f"on_time_{p}_pct": _pct(by[p].on_time, by[p].orders) for p in ("P1", "P2")}
    if policy is not None:
        row |= {f"sla_hours_{p.value}": float(policy.sla.hours[p]) for p in PRIORITIES[:2]}
    row |= {"late_minutes": kpis.total_late_minutes, "max_late_minutes": kpis.max_late_minutes,
            "km": kpis.travel_km, "utilization": kpis.mean_utilization, "cost": kpis.objective[TOTAL]}
    if kpis.workload is not None:
        # fairness among the technicians who work: busiest minus least busy, and busiest over the mean
        row |= {"workload_spread_min": round(kpis.workload.spread_minutes, 1),
                "workload_max_mean": round(kpis.workload.max_mean_minutes, 3)}
    return row


def solve_scenario(s: Scenario) -> ScenarioResult:
    """Plan one scenario and check the plan independently; runs in-process or on a dask worker."""
    day, policy = s.day(), s.policy
    plan = plan_day(day, policy)
    report = check_plan(day, plan)
    violations = tuple(str(v) for v in report.violations)
    if violations:
        log.warning("scenario %s: plan fails the check: %s", s.name, violations[0])
    kpis = plan.kpis if plan.kpis is not None else compute_kpis(day, plan, policy)
    return ScenarioResult(s, plan, kpi_row(s.name, kpis, violations, policy), violations)


def solve_scenarios(scenarios: Sequence[Scenario], *, executor: DaskExecutor | None = None,
                    on_done: Callable[[int], None] | None = None, progress: bool = False) -> list[ScenarioResult]:
    """Solve every scenario: as dask futures on `executor`, else where `dispatch.parallel.run_all` runs them
    (this process, or the cluster of the dask worker this runs on)."""
    names = [s.name for s in scenarios]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup is not None:
        raise ValueError(f"scenario name {dup!r} is used twice")
    for s in scenarios:
        # fail on bad input here, with the scenario's name, before anything is sent to workers
        s.day()
        _ = s.policy
    return run_all(solve_scenario, list(scenarios), executor=executor, on_done=on_done, progress=progress)


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
    from dispatch.analysis.mapping import plan_map  # folium is loaded only for a map

    return plan_map(result.scenario.day(), result.plan)
