"""Bodies of the service standards: alerts, follow-up calls, the daily KPIs."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    visit_id: int
    order_id: str
    technician_id: str
    message: str
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None


class FollowUpRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    visit_id: int
    order_id: str
    customer_id: str
    days_after: int
    due_date: dt.date
    done_at: dt.datetime | None


class SlaRead(BaseModel):
    visits: int
    on_time: int
    compliance: float | None = Field(description="on_time / visits; null without visits")


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
