"""HTTP routes of the service standards: supervisor alerts, follow-up calls, daily KPIs. Staff only; thin.
Times are the service clock's (NowDep), which tests set."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from api.complaints import service as complaints
from api.deps import NowDep, SessionDep, SessionRoute, SettingsDep, Staff, Supervising
from api.standards import service
from api.standards.models import FollowUp
from api.standards.schemas import AlertKind, AlertRead, DailyKpis, FollowUpComplete, FollowUpRead
from api.technicians.schemas import RowId

router = APIRouter(route_class=SessionRoute, tags=["standards"])

Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/alerts", response_model=list[AlertRead])
def list_alerts(session: SessionDep, _user: Staff, now: NowDep, open_only: bool = True,
                kind: AlertKind | None = None, limit: Limit = 100) -> list[AlertRead]:
    """Supervisor alerts (a customer score below 3, a deadline at risk or missed, a complaint's response or
    resolution overdue), newest first; open ones (not closed) unless `open_only=false`."""
    complaints.check_clocks(session, now=now)  # a complaint clock that ran out since the watch's last round
    rows = service.list_alerts(session, open_only=open_only, kind=kind, limit=limit)
    return [AlertRead.model_validate(a) for a in rows]


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertRead)
def acknowledge_alert(session: SessionDep, _user: Supervising, now: NowDep, alert_id: RowId) -> AlertRead:
    return AlertRead.model_validate(service.acknowledge(session, alert_id=alert_id, now=now))


@router.post("/alerts/{alert_id}/close", response_model=AlertRead)
def close_alert(session: SessionDep, _user: Supervising, now: NowDep, alert_id: RowId) -> AlertRead:
    """Dealt with: the alert leaves the open list."""
    return AlertRead.model_validate(service.close(session, alert_id=alert_id, now=now))


def _call(row: FollowUp, today: dt.date) -> FollowUpRead:
    fields = {name: getattr(row, name) for name in FollowUpRead.model_fields if name != "missed"}
    return FollowUpRead.model_validate(fields | {"missed": service.is_missed(row, today=today)})


@router.get("/follow-ups", response_model=list[FollowUpRead])
def list_follow_ups(session: SessionDep, _user: Staff, now: NowDep, due_from: dt.date | None = None,
                    due_to: dt.date | None = None, open_only: bool = True,
                    missed: Annotated[bool | None, Query(
                        description="true: only the calls due before today not completed; false: the others")] = None,
                    limit: Limit = 100) -> list[FollowUpRead]:
    """Follow-up calls after major repairs (3 and 7 days), by due date."""
    rows = service.list_follow_ups(session, due_from=due_from, due_to=due_to, open_only=open_only, limit=limit,
                                   missed=missed, today=now.date())
    return [_call(f, now.date()) for f in rows]


@router.post("/follow-ups/{follow_up_id}/complete", response_model=FollowUpRead)
def complete_follow_up(session: SessionDep, _user: Supervising, now: NowDep, follow_up_id: RowId,
                       body: FollowUpComplete) -> FollowUpRead:
    """The call was made: how it went (satisfied, not_satisfied, no_answer) and a note."""
    return _call(service.complete_follow_up(session, follow_up_id=follow_up_id, outcome=body.outcome,
                                            note=body.note, now=now), now.date())


@router.get("/kpis/daily", response_model=DailyKpis)
def daily_kpis(session: SessionDep, settings: SettingsDep, _user: Staff,
               date: Annotated[dt.date, Query(description="the day")]) -> DailyKpis:
    """SLA compliance per priority, first-time fix, resolution, utilization, travel and parts cost of a day."""
    return DailyKpis.model_validate(service.daily_kpis(session, day=date, policy=settings.policy()))
