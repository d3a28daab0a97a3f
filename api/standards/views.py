"""HTTP routes of the service standards: supervisor alerts, follow-up calls, daily KPIs. Staff only; thin."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import SessionDep, SettingsDep, Staff, Supervising
from api.standards import service
from api.standards.schemas import AlertKind, AlertRead, DailyKpis, FollowUpComplete, FollowUpRead

router = APIRouter(tags=["standards"])

Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/alerts", response_model=list[AlertRead])
def list_alerts(session: SessionDep, _user: Staff, open_only: bool = True, kind: AlertKind | None = None,
                limit: Limit = 100) -> list[AlertRead]:
    """Supervisor alerts (a customer score below 3, a deadline at risk or missed), newest first; open ones
    (not closed) unless `open_only=false`."""
    rows = service.list_alerts(session, open_only=open_only, kind=kind, limit=limit)
    return [AlertRead.model_validate(a) for a in rows]


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertRead)
def acknowledge_alert(session: SessionDep, _user: Supervising, alert_id: int) -> AlertRead:
    now = dt.datetime.now().replace(microsecond=0)
    return AlertRead.model_validate(service.acknowledge(session, alert_id=alert_id, now=now))


@router.post("/alerts/{alert_id}/close", response_model=AlertRead)
def close_alert(session: SessionDep, _user: Supervising, alert_id: int) -> AlertRead:
    """Dealt with: the alert leaves the open list."""
    now = dt.datetime.now().replace(microsecond=0)
    return AlertRead.model_validate(service.close(session, alert_id=alert_id, now=now))


@router.get("/follow-ups", response_model=list[FollowUpRead])
def list_follow_ups(session: SessionDep, _user: Staff, due_from: dt.date | None = None,
                    due_to: dt.date | None = None, open_only: bool = True,
                    limit: Limit = 100) -> list[FollowUpRead]:
    """Follow-up calls after major repairs (3 and 7 days), by due date."""
    rows = service.list_follow_ups(session, due_from=due_from, due_to=due_to, open_only=open_only, limit=limit)
    return [FollowUpRead.model_validate(f) for f in rows]


@router.post("/follow-ups/{follow_up_id}/complete", response_model=FollowUpRead)
def complete_follow_up(session: SessionDep, _user: Supervising, follow_up_id: int, body: FollowUpComplete) -> FollowUpRead:
    """The call was made: how it went (satisfied, not_satisfied, no_answer) and a note."""
    now = dt.datetime.now().replace(microsecond=0)
    return FollowUpRead.model_validate(service.complete_follow_up(
        session, follow_up_id=follow_up_id, outcome=body.outcome, note=body.note, now=now))


@router.get("/kpis/daily", response_model=DailyKpis)
def daily_kpis(session: SessionDep, settings: SettingsDep, _user: Staff,
               date: Annotated[dt.date, Query(description="the day")]) -> DailyKpis:
    """SLA compliance per priority, first-time fix, resolution, utilization, travel and parts cost of a day."""
    return DailyKpis.model_validate(service.daily_kpis(session, day=date, policy=settings.policy()))
