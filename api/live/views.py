"""HTTP routes of the live day: the status of a day at a moment. Staff only; thin."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from api.deps import SessionDep, SessionRoute, SettingsDep, Staff
from api.live import status
from api.live.clock import local_now
from api.live.schemas import DayStatus
from api.timefields import LocalDateTime

router = APIRouter(route_class=SessionRoute, tags=["live"])


@router.get("/days/{day}/status", response_model=DayStatus)
def day_status(session: SessionDep, settings: SettingsDep, _user: Staff, day: dt.date,
               at: LocalDateTime | None = None) -> DayStatus:
    """Each technician's state and delay against the published plan, each order's predicted start and the
    orders at risk of missing their response deadline, as the day stands at `at` (default: now)."""
    moment = local_now(settings.zone) if at is None else at
    return DayStatus.model_validate(status.day_status(
        session, day=day, at=moment, margin_minutes=settings.escalation_margin_minutes, policy=settings.policy()))
