"""HTTP routes of notifications: staff read the outbox; a dispatcher resends one. Thin."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from api.deps import Dispatcher, SessionDep, SessionRoute, SettingsDep, Staff
from api.live.clock import local_now
from api.notify import service
from api.notify.schemas import NotificationRead

router = APIRouter(route_class=SessionRoute, prefix="/notifications", tags=["notifications"])

NotificationId = Annotated[str, Path(max_length=36, pattern=r"^[0-9a-f-]+$")]


@router.get("", response_model=list[NotificationRead])
def list_notifications(session: SessionDep, _user: Staff, date: dt.date | None = None,
                       status: Literal["pending", "delivered", "failed"] | None = None,
                       order_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")] = None,
                       limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[NotificationRead]:
    """The customer notifications, oldest first: what was (or is to be) sent, and how delivery went."""
    rows = service.list_for(session, day=date, status=status, order_id=order_id, limit=limit)
    return [NotificationRead.model_validate(r) for r in rows]


@router.post("/{notification_id}/resend", response_model=NotificationRead)
def resend_notification(session: SessionDep, settings: SettingsDep, _user: Dispatcher,
                        notification_id: NotificationId) -> NotificationRead:
    """Send it again, under the same id: back to pending, due now (409 when no webhook is configured)."""
    row = service.resend(session, notification_id=notification_id, now=local_now(settings.zone),
                         webhook=settings.notify_webhook_url)
    return NotificationRead.model_validate(row)
