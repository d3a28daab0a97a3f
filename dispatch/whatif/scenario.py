"""A what-if `Scenario`: a roster and open orders (DataFrames of the CSV contract), a plan date and its policy
as tables, checked on creation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from dispatch.domain import Day
from dispatch.io import day_from_frames, day_to_frames, read_day
from dispatch.policy import Policy
from dispatch.whatif.policy_tables import (
    _checked_tables,
    _default_priorities,
    _default_settings,
    policy_from_tables,
    policy_tables,
)


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



def _with(s: Scenario, *, technicians: pd.DataFrame | None = None, orders: pd.DataFrame | None = None,
          priorities: pd.DataFrame | None = None, settings: Mapping[str, Any] | None = None) -> Scenario:
    return s.updated(technicians=technicians, orders=orders, priorities=priorities, settings=settings)
