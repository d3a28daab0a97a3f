"""Notification bodies: what staff read of the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.timefields import LocalDateTime


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="sent to the receiver, which drops copies with an id it has seen")
    kind: str = Field(description="visit_confirmed, visit_delayed, visit_done, part_missing or "
                                  "window_proposed")
    date: dt.date
    order_id: str
    customer_id: str
    eta: LocalDateTime | None = Field(description="the ETA it tells the customer (confirmations and delays)")
    payload: dict[str, Any] = Field(description="the rest of the body sent: customer, message, eta, ...")
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    next_attempt_at: LocalDateTime
    last_error: str | None
    delivered_at: LocalDateTime | None
    created_at: LocalDateTime
