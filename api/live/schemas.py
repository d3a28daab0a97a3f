"""Bodies of the live day: the status of a day at a moment (contract C of issue 12)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from api.timefields import LocalDateTime

TechnicianState = Literal["not_started", "en_route", "on_site", "in_service", "on_break", "idle", "absent",
                          "finished"]
OrderState = Literal["planned", "en_route", "on_site", "in_service", "done", "unresolved", "unassigned",
                     "cancelled"]


class TechnicianStatus(BaseModel):
    technician_id: str
    name: str
    state: TechnicianState
    order_id: str | None = Field(description="the order under way (en route, on site, in service)")
    delay_minutes: int = Field(description="predicted minus planned start of the current or next stop: "
                                           ">0 behind plan, <0 ahead")
    next_order_id: str | None
    next_eta: LocalDateTime | None = Field(description="predicted start of service at the next order")


class OrderLiveStatus(BaseModel):
    order_id: str
    technician_id: str | None
    status: OrderState
    planned_start: LocalDateTime | None = Field(description="the published plan's start; null if it left it out")
    predicted_start: LocalDateTime | None = Field(description="actual when begun; null when nobody is to visit")
    deadline: LocalDateTime
    late_minutes: int = Field(description="minutes the (predicted) start of service is past the deadline")
    at_risk: bool = Field(description="service not begun and its predicted start passes the deadline minus the "
                                      "margin")


class DayStatus(BaseModel):
    date: dt.date
    at: LocalDateTime
    plan_id: str | None = Field(description="the published plan of the date, null if none")
    version: int | None
    technicians: list[TechnicianStatus]
    orders: list[OrderLiveStatus]
    at_risk: list[str] = Field(description="order ids whose predicted start passes their deadline minus the margin")
