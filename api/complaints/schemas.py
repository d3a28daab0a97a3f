"""Complaint bodies: intake, assignment, first response, resolution, read."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.complaints.models import Channel, Outcome
from api.technicians.schemas import Id, RowId
from api.timefields import LocalDateTime

Status = Literal["open", "responded", "resolved"]
StatusFilter = Literal["open", "responded", "resolved", "overdue"]


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Id
    order_id: Id | None = Field(default=None, description="an order of that customer the complaint is about")
    channel: Channel
    text: str = Field(min_length=1, max_length=4000)
    received_at: LocalDateTime | None = Field(
        default=None, description="when the complaint came in (local time; one with an offset is converted); "
                                  "default now. Both clocks start here")
    assigned_to: RowId | None = Field(default=None, description="the user (a dispatcher or a supervisor) who "
                                                               "handles it")


class ComplaintAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: RowId = Field(description="an active dispatcher or supervisor")


class ComplaintRespond(BaseModel):
    model_config = ConfigDict(extra="forbid")

    response: str = Field(min_length=1, max_length=4000, description="what the customer was told first")


class ComplaintResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    resolution: str = Field(min_length=1, max_length=4000, description="the remedy, or why it is not upheld")


class ComplaintRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: str
    order_id: str | None
    technician_id: str | None = Field(description="the technician of the order's last visit at intake")
    channel: Channel
    text: str
    received_at: LocalDateTime
    recorded_by: int | None
    assigned_to: int | None
    assigned_at: LocalDateTime | None
    response_due: LocalDateTime = Field(description="received_at + the response hours (24 by default)")
    resolution_due: LocalDateTime = Field(
        description="received_at + the resolution working days (3 by default, Monday to Friday); a complaint "
                    "received on a weekend counts from the next Monday 00:00")
    responded_at: LocalDateTime | None = Field(description="the first response; a resolution without one sets it")
    response: str | None
    resolved_at: LocalDateTime | None
    outcome: Outcome | None
    resolution: str | None
    status: Status
    response_overdue: bool = Field(description="its response clock ran out before a first response (judged at "
                                               "the service clock while it runs): a late answer stays marked")
    resolution_overdue: bool = Field(description="its resolution clock ran out before the resolution (judged at "
                                                 "the service clock while it runs)")
