"""Bodies of the service standards: alerts, follow-up calls, the daily KPIs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.timefields import LocalDateTime

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
    created_at: LocalDateTime
    acknowledged_at: LocalDateTime | None
    closed_at: LocalDateTime | None = Field(description="dealt with; a closed alert leaves the open list")


class FollowUpRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    visit_id: int
    order_id: str
    customer_id: str
    days_after: int
    due_date: dt.date
    done_at: LocalDateTime | None
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


# --- the standards over days (api/standards/history.py) -------------------------------------------------------

By = Literal["day", "week", "month", "technician", "customer"]
Money = Annotated[str, Field(description="decimal, to the cent", examples=["123.45"])]


class SlaFigures(BaseModel):
    started: int = Field(description="orders whose service first started in the period")
    on_time: int = Field(description="of those, started by the response deadline")
    overdue_unvisited: int = Field(description="orders never started whose deadline fell in the period: missed")
    share: float | None = Field(description="on_time / (started + overdue_unvisited)")
    response_median_min: float | None = Field(description="created to first start, minutes, over the started")
    response_p90_min: float | None = Field(description="90th percentile (linear interpolation)")


class FirstTimeFixFigures(BaseModel):
    first_visits_done: int
    fixed: int
    rate: float | None


class ResolutionFigures(BaseModel):
    orders: int = Field(description="orders judged in the period: solved in it within their window, or whose "
                                    "window closed in it unsolved")
    resolved: int = Field(description="solved within `within_days` of their creation")
    rate: float | None
    within_days: int


class ScoreFigures(BaseModel):
    count: int
    average: float | None
    low: int = Field(description="scores below 3")
    low_share: float | None


class ComplaintFigures(BaseModel):
    received: int
    rate: float | None = Field(description="received / visits_done")


class CostFigures(BaseModel):
    labour: Money = Field(description="hours worked (on site + travel) x the technician's hourly cost")
    travel: Money = Field(description="travel_km x travel_cost_per_km")
    parts: Money = Field(description="parts consumed on the period's visits")
    total: Money


class Figures(BaseModel):
    orders_created: int = Field(description="orders created in the period (not those cancelled before any visit)")
    orders_visited: int = Field(description="a period's count is the sum of its days' distinct orders")
    visits: int
    visits_done: int
    repeat_visits: int = Field(description="finished visits that were not the order's first")
    sla: dict[str, SlaFigures] = Field(description="per priority P1..P4; an order counts once")
    sla_share: float | None = Field(description="all priorities together")
    first_time_fix: FirstTimeFixFigures
    resolution: ResolutionFigures
    score: ScoreFigures
    low_score_alerts: int
    complaints: ComplaintFigures
    utilization: float | None = Field(description="on-site + travel minutes over available minutes "
                                                  "(shift minus break)")
    travel_km: float
    costs: CostFigures
    orders_solved: int = Field(description="orders a visit solved in the period")
    cost_per_solved: Money | None


class KpiRow(Figures):
    model_config = ConfigDict(populate_by_name=True)

    key: str = Field(description="the date, ISO week (2026-W48), month (2026-11), technician or customer id")
    label: str = Field(description="the key, or the technician's or customer's name")
    from_: dt.date | None = Field(alias="from", description="first day of the row; null per technician/customer")
    to: dt.date | None


class KpiTargets(BaseModel):
    sla: dict[str, float] = Field(description="per priority: the share started within the deadline, at least")
    first_time_fix: float
    resolution: float
    score: float
    low_score_share: float = Field(description="at most")
    complaint_rate: float = Field(description="at most")
    utilization: float
    cost_per_solved: float | None = Field(description="at most; null when no target is set")


class KpiReport(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: dt.date = Field(alias="from")
    to: dt.date
    by: By
    targets: KpiTargets
    total: Figures
    rows: list[KpiRow]


class DayLine(BaseModel):
    date: str = Field(description="YYYY-MM-DD, or 'total'")
    orders_created: int
    visits_done: int
    orders_solved: int
    labour_cost: Money
    travel_km: float
    travel_cost: Money
    parts_cost: Money
    total_cost: Money
    sla_share: float | None
    first_time_fix: float | None
    resolution: float | None
    average_score: float | None
    complaints: int


class MonthReport(BaseModel):
    month: str = Field(description="YYYY-MM")
    days: list[DayLine]
    total: DayLine = Field(description="counts, km and money: the sums of the days; rates: of the month")


class MonthlyReport(BaseModel):
    months: list[MonthReport]
    total: DayLine
