"""Bodies of the service standards: alerts, follow-up calls, the daily KPIs."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

AlertKind = Literal["low customer score", "deadline at risk", "deadline missed", "complaint response overdue",
                    "complaint resolution overdue"]
CallOutcome = Literal["satisfied", "not_satisfied", "no_answer"]


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: AlertKind
    visit_id: int | None = Field(description="the visit that raised it; null for a deadline or complaint alert")
    complaint_id: int | None = Field(description="the complaint whose clock ran out")
    order_id: str | None = Field(description="null for a complaint that names no order")
    technician_id: str | None = Field(description="null for an order nobody is to visit")
    message: str
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    closed_at: dt.datetime | None = Field(description="dealt with; a closed alert leaves the open list")


class FollowUpRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    visit_id: int
    order_id: str
    customer_id: str
    days_after: int
    due_date: dt.date
    done_at: dt.datetime | None
    outcome: CallOutcome | None
    note: str | None
    missed: bool = Field(description="due before today (the service clock) and not completed")


class FollowUpComplete(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: CallOutcome
    note: str | None = Field(default=None, max_length=2000)


class SlaRead(BaseModel):
    visits: int = Field(description="visits whose service started on the day")
    on_time: int
    overdue_unvisited: int = Field(description="orders overdue by the end of the day that nobody had visited: "
                                               "missed")
    compliance: float | None = Field(description="on_time / (visits + overdue_unvisited); null without either")


class FirstTimeFixRead(BaseModel):
    first_visits_done: int
    fixed: int
    rate: float | None


class ResolutionRead(BaseModel):
    orders_done: int
    resolved: int
    rate: float | None


class TravelRead(BaseModel):
    km: float
    minutes: float


class DailyKpis(BaseModel):
    date: dt.date
    visits: int
    visits_done: int
    sla_compliance: dict[str, SlaRead] = Field(description="per priority P1..P4")
    first_time_fix: FirstTimeFixRead
    resolution: ResolutionRead
    utilization: dict[str, float | None] = Field(description="per technician")
    mean_utilization: float | None
    travel: TravelRead
    parts_cost: str = Field(description="decimal, to the cent")
    alerts: int
