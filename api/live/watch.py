"""The escalation watch: before an order misses its response deadline, and when it has, a supervisor hears.

`tick(session, now=...)` reads the status of today at `now` (api.live.status) and raises, once per order and
kind, "deadline at risk" when an order's predicted start of service passes its deadline minus the margin, and
"deadline missed" once its deadline has passed with service not begun; each round (`run_once`) also raises the
alerts of complaints whose clocks ran out (api.complaints.service.check_clocks). `WatchRunner` ticks every
WATCH_INTERVAL_SECONDS in the service; with several workers, a lease row in the database lets exactly one of
them tick (`take_lease`: one atomic UPDATE that succeeds only for the holder or once the lease has expired).
Time is always given (`now`): tests drive the watch with a clock of their own.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from api.complaints import service as complaints
from api.db import SessionFactory
from api.live.clock import local_now
from api.live.models import Lease
from api.live.status import DEFAULT_MARGIN_MINUTES, NOT_STARTED_YET, day_status, moments
from api.orders.models import Order
from api.standards import service as standards
from api.standards.models import ServiceAlert
from dispatch.policy import Policy

log = logging.getLogger(__name__)

AT_RISK = "deadline at risk"
MISSED = "deadline missed"
WATCH_LEASE = "escalation watch"
_NEVER = datetime(1970, 1, 1)


def take_lease(session: Session, *, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Whether `holder` holds lease `name` until now + ttl: taken when it expired, renewed when it is its own.
    The row is inserted (expired) if absent; two workers inserting at once conflict and one insert is dropped."""
    if session.get(Lease, name) is None:
        try:
            session.add(Lease(name=name, holder="", expires_at=_NEVER))
            session.commit()
        except IntegrityError:
            session.rollback()  # another worker inserted it first: fine, the UPDATE decides
    session.expire_all()
    try:
        taken = session.execute(
            update(Lease).where(Lease.name == name, or_(Lease.expires_at < now, Lease.holder == holder))
            .values(holder=holder, expires_at=now + ttl).execution_options(synchronize_session=False))
        won = bool(getattr(taken, "rowcount", 0) == 1)
        session.commit()
    except OperationalError:  # SQLite: another writer held the database past the busy timeout
        session.rollback()
        return False
    return won


def _message(kind: str, order: Order, row: dict[str, object], margin: int) -> str:
    deadline = datetime.fromisoformat(str(row["deadline"]))
    who = f"technician {row['technician_id']}" if row["technician_id"] else "nobody is to visit it"
    if kind == MISSED:
        return f"order {order.id} ({order.priority}): deadline {deadline:%H:%M} passed, service not started ({who})"
    start = row["predicted_start"]
    when = f"predicted start {datetime.fromisoformat(str(start)):%H:%M}" if start else "not planned"
    return (f"order {order.id} ({order.priority}): {when}, within {margin} min of its deadline "
            f"{deadline:%H:%M} ({who})")


def tick(session: Session, *, now: datetime, margin_minutes: int = DEFAULT_MARGIN_MINUTES,
         policy: Policy | None = None, day: date | None = None, at: datetime | None = None) -> list[ServiceAlert]:
    """Raise the deadline alerts today's status calls for at `now` (see the module docstring); the new
    alerts, in order id order. Idempotent: an order gets each kind of alert once. `day` and `at` (default
    today and `now`): another day, at the moment it stands (a day reported in recorded time)."""
    at = now if at is None else at
    now = at  # the alerts are raised at the day's moment
    status = day_status(session, day=at.date() if day is None else day, at=at, margin_minutes=margin_minutes,
                        policy=policy)
    wanted: list[tuple[str, dict[str, object]]] = []
    for row in status["orders"]:
        if row["status"] not in NOT_STARTED_YET:
            continue
        if now > datetime.fromisoformat(row["deadline"]):
            wanted.append((MISSED, row))
        elif row["at_risk"]:
            wanted.append((AT_RISK, row))
    if not wanted:
        return []
    ids = {str(row["order_id"]) for _, row in wanted}
    have = {(order_id, kind) for order_id, kind in session.execute(select(ServiceAlert.order_id, ServiceAlert.kind)
            .where(ServiceAlert.visit_id.is_(None), ServiceAlert.order_id.in_(ids)))}
    orders = {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(ids)))}
    raised = []
    for kind, row in wanted:
        order_id = str(row["order_id"])
        if (order_id, kind) in have or order_id not in orders:
            continue
        raised.append(ServiceAlert(kind=kind, visit_id=None, order_id=order_id, technician_id=row["technician_id"],
                                   message=_message(kind, orders[order_id], row, margin_minutes), created_at=now))
    return standards.raise_alerts(session, raised, what="escalation")


def run_once(sessions: SessionFactory, *, holder: str, now: datetime, ttl: timedelta,
             margin_minutes: int = DEFAULT_MARGIN_MINUTES, policy: Policy | None = None) -> bool:
    """One round of a worker's watch: tick if this worker holds the lease (taken or renewed); whether it did."""
    with sessions() as session:
        if not take_lease(session, name=WATCH_LEASE, holder=holder, now=now, ttl=ttl):
            return False
    with sessions() as session:
        days = moments(session, now=now)
    for day, at in days:
        with sessions() as session:
            tick(session, now=now, margin_minutes=margin_minutes, policy=policy, day=day, at=at)
    with sessions() as session:  # complaints whose response or resolution clock ran out
        complaints.check_clocks(session, now=now)
    return True


def holder_name() -> str:
    """This worker, as a lease names it: host, process and a random part (two apps in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class WatchRunner:
    """The watch of one service worker: a daemon thread running `run_once` every `interval` seconds on the
    service's clock (local time of `zone`); the lease lasts three intervals, so another worker takes over
    when this one stops."""

    def __init__(self, sessions: SessionFactory, *, interval: float, zone: ZoneInfo, margin_minutes: int,
                 policy: Policy) -> None:
        self.sessions, self.interval, self.zone = sessions, interval, zone
        self.margin_minutes, self.policy = margin_minutes, policy
        self.holder = holder_name()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="escalation-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        ttl = timedelta(seconds=3 * self.interval)
        while not self._stop.is_set():
            try:
                run_once(self.sessions, holder=self.holder, now=local_now(self.zone), ttl=ttl,
                         margin_minutes=self.margin_minutes, policy=self.policy)
            except Exception:  # one failed round (the database away) must not end the watch
                log.exception("escalation watch: the round failed")
            self._stop.wait(self.interval)
