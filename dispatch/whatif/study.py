"""What-if study files (YAML): a base day and named scenarios, each a list of variations."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from dispatch.demo_days import DEFAULT_DATE, SCENARIOS, generate_day, scenario
from dispatch.errors import InputError, StudyError
from dispatch.io import read_day
from dispatch.policy import GEODESIC, OSM, POLICY_KEYS
from dispatch.roads import file_sha256
from dispatch.whatif.scenario import Scenario
from dispatch.whatif.variations import (
    apply_variations,
    set_sla_hours,
    set_solve_limits,
    set_travel,
    set_weights,
)


def _base_of(spec: Any, folder: Path) -> Scenario:
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
        base = _with_policy_spec(base, spec.get("policy") or {}, folder)
        limits = {k: spec[k] for k in ("time_limit", "solution_limit", "seed") if k in spec}
        return set_solve_limits(base, **limits) if limits else base
    except (ValueError, TypeError) as e:
        raise StudyError(f"base: {e}") from e


def _with_policy_spec(s: Scenario, spec: Any, folder: Path = Path(".")) -> Scenario:
    """`s` under a policy given as in a plan's JSON (any of `Policy.to_dict`'s keys), laid over the scenario's
    own policy; errors name the table cell or setting, as a planner editing the tables would see them. A road
    extract's path is relative to `folder`, the study file's folder."""
    if not isinstance(spec, Mapping):
        raise ValueError(f"policy: must be a mapping, not {spec!r}")
    unknown = next((str(k) for k in spec if k not in POLICY_KEYS), None)
    if unknown is not None:
        raise ValueError(f"policy: unknown key {unknown!r}; known: {', '.join(POLICY_KEYS)}")
    for key in ("sla_hours", "weights", "travel"):
        if key in spec and not isinstance(spec[key], Mapping):
            raise ValueError(f"policy: {key} must be a mapping, not {spec[key]!r}")
    if spec.get("sla_hours"):
        s = set_sla_hours(s, **{str(k): v for k, v in spec["sla_hours"].items()})
    if spec.get("weights"):
        s = set_weights(s, **{str(k): v for k, v in spec["weights"].items()})
    travel = {str(k): v for k, v in (spec.get("travel") or {}).items()}
    model = travel.pop("model", None)
    if model == OSM:
        # as a plan records it: the extract, and its hash when the plan was made (a changed file is refused)
        file, sha256 = str(folder / str(travel.pop("file", ""))), travel.pop("sha256", None)
        if sha256 and Path(file).is_file() and file_sha256(file) != sha256:
            raise ValueError(f"policy: travel file {file} has changed since the plan was made on it (SHA-256)")
        travel["travel"] = f"{OSM}:{file}"
    elif model is not None:
        if model != GEODESIC:
            raise ValueError(f"policy: travel model {model!r} must be {GEODESIC!r} or {OSM!r}")
        travel["travel"] = GEODESIC
    if travel:
        s = set_travel(s, **travel)
    plain = {str(k): v for k, v in spec.items() if k not in ("sla_hours", "weights", "travel")}
    return s.updated(settings=plain) if plain else s


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
