"""What-if scenarios for planners, on pandas frames in the CSV contract.

A `Scenario` (scenario.py) is a roster and open orders (DataFrames of the CSV contract, so a planner can edit
them like a spreadsheet), a plan date and its policy as tables (policy_tables.py): `priorities` (one row per
priority P1..P4: response deadline and costs) and `settings` (per-km cost, workload balance, travel model,
solver limits and seed). Variations (variations.py) are small pure functions that return a new Scenario and
change only what their name says. `run_scenarios` (run.py) solves a set of them, checks every plan with the
independent checker and returns one tidy KPI row per scenario; `compare` adds differences against the
baseline; `policy_frame` puts the policies of a study side by side. Study files (study.py) describe a set of
scenarios in YAML. A plan's fixes (fixes.py) are grouped by the change they stand for, with how many more orders
each change would serve; `apply_change` makes one in a scenario, to re-plan it.
"""

from dispatch.errors import StudyError
from dispatch.whatif.fixes import apply_change, change_of, fix_groups, fix_sentences, fixes_frame
from dispatch.whatif.policy_tables import PRIORITY_COLUMNS, SETTINGS, policy_from_tables, policy_tables
from dispatch.whatif.run import (
    ScenarioResult,
    compare,
    kpi_frame,
    kpi_row,
    plot_kpis,
    policy_frame,
    run_scenarios,
    scenario_map,
    solve_scenario,
    solve_scenarios,
)
from dispatch.whatif.scenario import Scenario
from dispatch.whatif.study import load_study, read_study
from dispatch.whatif.variations import (
    VARIATIONS,
    add_skill,
    add_technicians,
    apply_variations,
    close_part,
    raise_skill_level,
    remove_technicians,
    scale_demand,
    scale_durations,
    set_horizon_days,
    set_max_orders,
    set_sla_hours,
    set_solve_limits,
    set_technicians_needed,
    set_travel,
    set_weights,
    shift_times,
)

__all__ = [
    "PRIORITY_COLUMNS",
    "SETTINGS",
    "VARIATIONS",
    "Scenario",
    "ScenarioResult",
    "StudyError",
    "add_skill",
    "add_technicians",
    "apply_change",
    "apply_variations",
    "change_of",
    "close_part",
    "compare",
    "fix_groups",
    "fix_sentences",
    "fixes_frame",
    "kpi_frame",
    "kpi_row",
    "load_study",
    "plot_kpis",
    "policy_frame",
    "policy_from_tables",
    "policy_tables",
    "raise_skill_level",
    "read_study",
    "remove_technicians",
    "run_scenarios",
    "scale_demand",
    "scale_durations",
    "scenario_map",
    "set_horizon_days",
    "set_max_orders",
    "set_sla_hours",
    "set_solve_limits",
    "set_technicians_needed",
    "set_travel",
    "set_weights",
    "shift_times",
    "solve_scenario",
    "solve_scenarios",
]
