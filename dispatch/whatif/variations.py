"""Variations: small pure functions that return a new Scenario and change only what their name says."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from dispatch.domain import MAX_CREW, MAX_LEVEL, MIN_LEVEL
from dispatch.io.cells import format_parts, format_skills, format_tags, parse_parts, parse_skills, parse_tags
from dispatch.whatif.policy_tables import PRIORITY_ROWS
from dispatch.whatif.scenario import Scenario, _with

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


def set_travel(s: Scenario, *, road_factor: float | None = None, speed_kmh: float | None = None,
               travel: str | None = None, max_snap_m: float | None = None) -> Scenario:
    """The straight-line model's road factor (road km per geodesic km) and/or driving speed, or where travel
    times come from: `travel` is `geodesic` or `osm:FILE.osm.pbf` (the roads of that extract, locations at
    most `max_snap_m` from a road), as `dispatch solve --travel` takes it."""
    given = (("road_factor", road_factor), ("speed_kmh", speed_kmh), ("travel", travel), ("max_snap_m", max_snap_m))
    changed = {k: v for k, v in given if v is not None}
    if not changed:
        raise ValueError("set_travel: give road_factor, speed_kmh, travel or max_snap_m")
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


def _skills(cell: object) -> dict[str, int]:
    return parse_skills(str(cell))


def _skills_cell(skills: Mapping[str, int]) -> str:
    return format_skills(frozenset(skills), skills)


def add_skill(s: Scenario, skill: str, *, to: Sequence[str] | str | int) -> Scenario:
    """`skill` added (at level 1) to the given technicians, or (`to=n`) to the first n who lack it; the
    levels of the skills they hold are kept."""
    skill = skill.strip().lower()
    techs = s.technicians.copy()
    if isinstance(to, int):
        lacking = [tid for tid, tags in zip(techs["id"], techs["skills"], strict=True) if skill not in _skills(tags)]
        if to < 0 or to > len(lacking):
            raise ValueError(f"add_skill: to={to}, but only {len(lacking)} technicians lack {skill!r}")
        chosen = lacking[:to]
    else:
        chosen = _pick_ids(s, to, None, "add_skill")
    mask = techs["id"].isin(chosen)
    techs.loc[mask, "skills"] = [_skills_cell({skill: MIN_LEVEL} | _skills(t)) for t in techs.loc[mask, "skills"]]
    return _with(s, technicians=techs)


def _whole_number(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _seeded_share(what: str, share: float, count: int, seed: int) -> list[int]:
    """Positions of round(share x count) of `count` items, a seeded random choice kept in their order."""
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
        raise ValueError(f"{what}: share {share!r} must be between 0 and 1")
    rng = np.random.default_rng(seed)
    return sorted(int(k) for k in rng.choice(count, size=round(share * count), replace=False))


def raise_skill_level(s: Scenario, skill: str, level: int, *, to: Sequence[str] | str | int | None = None,
                      share: float | None = None, seed: int = 0) -> Scenario:
    """`skill` raised to `level` (2..5), e.g. hvac from 1 to 3, for technicians who hold it below that level:
    the given ids (`to=[...]`; one already at or above `level` keeps theirs), the first n of them on the
    roster (`to=n`), or a seeded random share of them (`share=0.5, seed=...`)."""
    what = "raise_skill_level"
    skill = skill.strip().lower()
    if not _whole_number(level) or not MIN_LEVEL < level <= MAX_LEVEL:
        raise ValueError(f"{what}: level {level!r} must be a whole number {MIN_LEVEL + 1}..{MAX_LEVEL}")
    if (to is None) == (share is None):
        raise ValueError(f"{what}: give to (ids or a number of technicians) or share, not {'both' if to is not None else 'neither'}")
    techs = s.technicians.copy()
    held = {tid: _skills(cell) for tid, cell in zip(techs["id"], techs["skills"], strict=True)}
    below = [tid for tid, skills in held.items() if skill in skills and skills[skill] < level]
    if share is not None:
        chosen = [below[k] for k in _seeded_share(what, share, len(below), seed)]
    elif isinstance(to, (int, np.integer)):
        if not _whole_number(to) or to < 0 or to > len(below):
            raise ValueError(f"{what}: to={to}, but only {len(below)} technicians hold {skill!r} below level {level}")
        chosen = below[:to]
    else:
        chosen = _pick_ids(s, to, None, what)
        lacking = next((tid for tid in chosen if skill not in held[tid]), None)
        if lacking is not None:
            raise ValueError(f"{what}: technician {lacking!r} does not hold {skill!r}; add_skill gives it")
    mask = techs["id"].isin([tid for tid in chosen if tid in below])
    techs.loc[mask, "skills"] = [_skills_cell(_skills(t) | {skill: level}) for t in techs.loc[mask, "skills"]]
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


def set_technicians_needed(s: Scenario, needed: int = 2, *, ids: Sequence[str] | str | None = None,
                           share: float | None = None, seed: int = 0) -> Scenario:
    """Crews: `needed` technicians (2: a two-person job) for the given orders, or for a seeded random share
    of all orders (`share=0.2, seed=...`); the other orders keep theirs."""
    what = "set_technicians_needed"
    if not _whole_number(needed) or not 1 <= needed <= MAX_CREW:
        raise ValueError(f"{what}: needed {needed!r} must be a whole number 1..{MAX_CREW}")
    if (ids is None) == (share is None):
        raise ValueError(f"{what}: give ids or share, not {'both' if ids is not None else 'neither'}")
    orders = s.orders.copy()
    known = list(orders["id"])
    if share is not None:
        chosen = [known[k] for k in _seeded_share(what, share, len(known), seed)]
    else:
        chosen = [ids] if isinstance(ids, str) else list(ids or ())
        unknown = next((i for i in chosen if i not in known), None)
        if unknown is not None:
            raise ValueError(f"{what}: order {unknown!r} is not in scenario {s.name!r}")
    if "technicians_needed" not in orders.columns:
        orders["technicians_needed"] = "1"
    orders.loc[orders["id"].isin(chosen), "technicians_needed"] = str(needed)
    return _with(s, orders=orders)


def set_horizon_days(s: Scenario, days: int) -> Scenario:
    """Days planned together: the plan date and the following working days, `days` in all (1: the plan date
    alone); compare 1 with 3 to see what a longer look ahead serves."""
    return _with(s, settings={"horizon_days": days})


VARIATIONS: dict[str, Callable[..., Scenario]] = {
    f.__name__: f for f in (add_technicians, remove_technicians, scale_demand, set_sla_hours, set_weights,
                            set_travel, set_solve_limits, shift_times, add_skill, close_part, scale_durations,
                            set_max_orders, raise_skill_level, set_technicians_needed, set_horizon_days)
}


def apply_variations(base: Scenario, name: str, steps: Iterable[tuple[str, Mapping[str, Any]]]) -> Scenario:
    """`base` with each (variation name, keyword arguments) applied in turn, named `name`."""
    s = base.named(name)  # so that an error names the scenario being built
    for fn_name, kwargs in steps:
        if fn_name not in VARIATIONS:
            raise ValueError(f"unknown variation {fn_name!r}; known: {', '.join(VARIATIONS)}")
        s = VARIATIONS[fn_name](s, **kwargs)
    return s
