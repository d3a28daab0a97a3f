"""Delivering the outbox: JSON POSTs to the webhook, retried with back-off, at least once each.

Several service workers deliver at the same time. Each row is claimed before it is sent, by an UPDATE that
only succeeds while the row is pending, due and unclaimed (or its claim has lapsed), so two workers never send
the same row at the same moment; the database decides (the same statement on SQLite and PostgreSQL). A row is
marked delivered only after a 2xx answer: a worker that dies mid-send leaves its claim to lapse and another
worker sends the row again, under the same id, which the receiver uses to drop the copy.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import or_, select, update

from api.config import Settings
from api.db import SessionFactory
from api.live.clock import local_now
from api.live.status import moments
from api.notify import service
from api.notify.models import Notification, Status

log = logging.getLogger(__name__)

KEY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Retry:
    """Back-off after a failed attempt n (1, 2, ...): first_seconds * 2^(n-1), at most max_seconds; failed
    after max_attempts. A claim lasts lease_seconds, longer than one send may take."""

    first_seconds: int = 30
    max_seconds: int = 3600
    max_attempts: int = 10
    lease_seconds: int = 60

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.first_seconds * 2 ** min(attempts - 1, 30), self.max_seconds))

    @classmethod
    def from_settings(cls, settings: Settings) -> Retry:
        return cls(first_seconds=settings.notify_retry_seconds, max_seconds=settings.notify_retry_max_seconds,
                   max_attempts=settings.notify_max_attempts,
                   lease_seconds=int(settings.notify_timeout_seconds * 2) + 30)


@dataclass
class Report:
    """What one delivery round did, by notification id."""

    delivered: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def body(row: Notification) -> dict[str, Any]:
    """The JSON a receiver gets: id (to drop duplicates by), kind, date, order, customer, eta, message, ..."""
    return {"id": row.id, "kind": row.kind, "date": row.date.isoformat(), "order_id": row.order_id,
            "customer_id": row.customer_id} | row.payload | {"created_at": row.created_at.isoformat()}


def _due(now: datetime) -> Any:
    return (Notification.status == Status.pending.value) & (Notification.next_attempt_at <= now) & or_(
        Notification.claimed_until.is_(None), Notification.claimed_until <= now)


def _claim(sessions: SessionFactory, *, row_id: str, token: str, now: datetime,
           retry: Retry) -> dict[str, Any] | None:
    """The row's body if this caller now holds it; None when another worker got it first (or it is not due)."""
    with sessions() as session:
        done = session.execute(update(Notification).where(Notification.id == row_id, _due(now)).values(
            claim_token=token, claimed_until=now + timedelta(seconds=retry.lease_seconds)))
        session.commit()
        if getattr(done, "rowcount", 0) != 1:
            return None
        row = session.get(Notification, row_id)
        return None if row is None else body(row)


def _finish(sessions: SessionFactory, *, row_id: str, token: str, now: datetime, error: str | None,
            retry: Retry) -> str | None:
    """Record the attempt's outcome on a row this caller holds; the row's new status (None: claim lost)."""
    with sessions() as session:
        row = session.get(Notification, row_id)
        if row is None or row.claim_token != token:
            return None  # resent or taken over meanwhile: that round decides
        attempts = row.attempts + 1
        values: dict[str, Any] = {"attempts": attempts, "claim_token": None, "claimed_until": None}
        if error is None:
            values |= {"status": Status.delivered.value, "delivered_at": now, "last_error": None}
        elif attempts >= retry.max_attempts:
            values |= {"status": Status.failed.value, "last_error": error[:500]}
        else:
            values |= {"next_attempt_at": now + retry.delay(attempts), "last_error": error[:500]}
        done = session.execute(update(Notification).where(Notification.id == row_id,
                                                          Notification.claim_token == token).values(**values))
        session.commit()
        return values.get("status", Status.pending.value) if getattr(done, "rowcount", 0) == 1 else None


def _send(client: httpx.Client, url: str, payload: dict[str, Any]) -> str | None:
    """POST one notification; None on a 2xx answer, else what went wrong."""
    try:
        answer = client.post(url, json=payload, headers={KEY_HEADER: payload["id"]})
    except httpx.HTTPError as e:
        return f"{type(e).__name__}: {e}"
    if 200 <= answer.status_code < 300:
        return None
    return f"HTTP {answer.status_code}: {answer.text[:200]}"


def deliver_due(session_factory: SessionFactory, *, now: datetime, url: str | None, client: httpx.Client,
                retry: Retry = Retry(), limit: int = 100) -> Report:
    """Send the notifications due at `now` (oldest first, at most `limit`) that no other worker holds."""
    report = Report()
    if url is None:
        return report  # no webhook: nothing leaves the machine
    with session_factory() as session:
        due = list(session.scalars(select(Notification.id).where(_due(now))
                                   .order_by(Notification.next_attempt_at, Notification.id).limit(limit)))
    for row_id in due:
        token = str(uuid.uuid4())
        payload = _claim(session_factory, row_id=row_id, token=token, now=now, retry=retry)
        if payload is None:
            continue
        error = _send(client, url, payload)
        status = _finish(session_factory, row_id=row_id, token=token, now=now, error=error, retry=retry)
        if status == Status.delivered:
            report.delivered.append(row_id)
        elif status == Status.failed:
            report.failed.append(row_id)
            log.warning("notification %s failed for good: %s", row_id, error)
        elif status is not None:
            report.retrying.append(row_id)
            log.info("notification %s not delivered, retrying later: %s", row_id, error)
    return report


def run_once(session_factory: SessionFactory, *, settings: Settings, now: datetime,
             client: httpx.Client) -> Report:
    """One round of a worker: generate what the day calls for, then deliver what is due."""
    url = settings.notify_webhook_url
    if url is None:
        return Report()  # no webhook: nothing is generated either (a later webhook gets no stale backlog)
    rules = service.Rules(confirm_minutes=settings.notify_confirm_minutes,
                          delay_minutes=settings.notify_delay_minutes)
    with session_factory() as session:
        days = moments(session, now=now)
    for day, at in days:
        try:
            with session_factory() as session:
                service.generate(session, day=day, now=at, rules=rules, clock=now)
        except Exception:  # a day the scan cannot read must not hold up what is already in the outbox
            log.exception("notifications of %s not generated", day)
    return deliver_due(session_factory, now=now, url=url, client=client, retry=Retry.from_settings(settings))


def start_loop(settings: Settings, session_factory: SessionFactory,
               clock: Callable[[], datetime] | None = None) -> Callable[[], None]:
    """Run `run_once` every notify_interval_seconds on a thread of its own; returns what stops it.

    Off (a no-op) without a webhook or with an interval of 0.
    """
    if settings.notify_webhook_url is None or settings.notify_interval_seconds <= 0:
        return lambda: None
    stop = threading.Event()
    now = clock or (lambda: local_now(settings.zone))

    def loop() -> None:
        with httpx.Client(timeout=settings.notify_timeout_seconds) as client:
            while not stop.wait(settings.notify_interval_seconds):
                try:
                    run_once(session_factory, settings=settings, now=now(), client=client)
                except Exception:  # a bad round (database away) must not end the loop: the next one retries
                    log.exception("notification round failed")

    thread = threading.Thread(target=loop, name="notify", daemon=True)
    thread.start()
    log.info("notifications every %.1f s to %s", settings.notify_interval_seconds, settings.notify_webhook_url)

    def halt() -> None:
        stop.set()
        thread.join(timeout=settings.notify_timeout_seconds + 5)

    return halt
