"""The demo's past: about a month of working days lived through the service, so the supervisor's report, the
customer histories and the complaint list have something to show on a fresh `dispatch serve --demo`.

Each working day (Monday to Friday) of the `days` calendar days before `today`, in date order:

- the morning: the day's new calls (a seeded `generate_day` of the demo's city, 62-72 orders that the demo's
  technicians can serve: with the second visits about three quarters of what they can do, so a working service
  that meets most deadlines and misses a few; each created since the last morning plan, see `_called_at`) are
  imported as the API imports orders.csv; orders still open from earlier days come back (an appointment missed
  is re-booked on the day);
- the plan: `build_day` of the service (its technicians with the shift of that date and the van stock the
  ledger gives them), planned with `plan_day` (aiming MARGIN minutes before deadlines) under a solution limit
  (fast, and independent of the machine's load), stored as a done plan job and published with the service's
  `publish`, so the published routes carry their travel km and minutes;
- the day: executed by the day simulator (dispatch.simulation) with that day's noise, 15 % of the visits left
  unresolved; its events go in through the phones' `recording.report` (arrivals, a start later than the
  arrival, finishes, breaks, in the dispatcher's name: departures only matter to the live board), each finish
  with the customer's score, an unresolved visit's reason and the parts used out of the van (the ledger); a few long repairs are marked
  major (follow-up calls after 3 and 7 days); a few unresolved orders are cancelled by the customer that evening;
- the evening: the storekeeper tops each van up to its level from the depot (ledger transfers), and the depot
  gets a supplier delivery on the first working day of each week.

Then the office's side: follow-up calls due before today are made (all but a couple, which show as missed),
older low-score alerts are closed, and a few complaints are written (rows of api.complaints.models, clocks from
api.complaints.clocks with the settings' defaults): most answered and resolved, the newest still open, one past
its resolution deadline. The opening stock the scenario imported is dated the evening before the first day, so
the ledger read in time order never goes below zero. Everything is drawn from `seed`: the same seed and dates
give the same history.
"""

from __future__ import annotations

import logging
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api.complaints import service as complaints_service
from api.complaints.clocks import due_dates
from api.complaints.models import Channel, Outcome
from api.complaints.schemas import ComplaintCreate
from api.config import Settings
from api.orders import service as orders_service
from api.orders.importer import import_orders
from api.orders.models import Order, OrderStatus
from api.orders.schemas import OrderUpdate
from api.parts import ledger
from api.parts.demo import CATALOGUE, DEPOT_ID
from api.parts.models import LocationKind, StockBalance, StockLocation, StockMovement
from api.plans import service as plans_service
from api.plans.days import build_day
from api.plans.models import JobStatus, PlanJob
from api.standards import service as standards
from api.standards.models import FollowUp, ServiceAlert
from api.technicians.models import Technician
from api.visits import recording
from api.visits import service as visits_service
from api.visits.models import Visit
from api.visits.schemas import EventCreate, PartUse, VisitUpdate
from dispatch.demo_days import generate_day
from dispatch.domain import Day, Priority
from dispatch.domain import Order as DomainOrder
from dispatch.events import EventKind
from dispatch.io import orders_to_frame
from dispatch.plan import Plan
from dispatch.planning import plan_day
from dispatch.policy import Policy
from dispatch.simulation import Execution, Noise, SimConfig

log = logging.getLogger(__name__)

PREFIX = "H"  # history order ids: H<yymmdd>-<nnn>, apart from the scenario's own
# new calls by ISO weekday (Mondays are busiest): with their second visits about 70 % of what the 20 technicians
# can serve in a day, so the service keeps up and meets most deadlines
ORDERS_PER_DAY = {1: 72, 2: 68, 3: 66, 4: 64, 5: 62}
FRIDAY_P3 = 0.10  # Monday's P3 calls that came in on Friday afternoon or Saturday
POOL = 150  # generate_day's day size: its durations fill the crew's shifts, so a subset leaves room for travel
# the morning plan's ruin-and-recreate budget: at 5 the search is mostly its first construction and the month
# misses about 14 % of P2 deadlines; at 20 it misses about 3 %, which is what the engine gives a dispatcher
SOLUTION_LIMIT = 20
MARGIN = 45  # the plan aims each start this many minutes before its deadline: the day runs a little late
UNRESOLVED_SHARE = 0.15  # first-time fix about 85 %
PLAN_AT = time(6, 30)  # the morning plan: every order it plans was created by then
MAJOR_MINUTES, MAJOR_CHANCE = 100, 0.15  # a long repair is sometimes a major one (follow-up calls)
CANCEL_CHANCE = 0.10  # an unresolved order the customer cancels that evening instead of a second visit
# the phones' reasons for an unresolved visit, with how often and what the technician writes
REASONS = (("part_missing", 0.40, "the part is not in the van; ordered from the depot"),
           ("customer_absent", 0.25, "nobody on site to let me in"),
           ("second_technician", 0.15, "needs a second technician to lift the unit"),
           ("other", 0.20, "fault is intermittent; monitoring fitted, come back"))
SCORES = (1, 2, 3, 4, 5)
SCORE_DONE = (0.02, 0.03, 0.08, 0.30, 0.57)
SCORE_UNRESOLVED = (0.07, 0.13, 0.30, 0.35, 0.15)
NO_SCORE = 0.12  # customers who give no score
COMPLAINT_TEXTS = ("The technician came two hours after the time we were given.",
                   "The fault is back the day after the repair.",
                   "We were charged for a part that was not replaced.",
                   "Nobody called to say the second visit was moved.",
                   "The technician left the plant room dirty.")
RESOLUTIONS = {Outcome.upheld: "apology and a free return visit", Outcome.partly_upheld: "labour of the return "
               "visit waived", Outcome.not_upheld: "the visit report shows the work done as agreed",
               Outcome.withdrawn: "the customer withdrew it after the return visit"}


@dataclass(frozen=True)
class HistorySeed:
    days: int  # working days seeded
    first: date | None
    last: date | None
    orders: int
    visits: int
    complaints: int


def _rng(seed: int, *key: str) -> np.random.Generator:
    return np.random.default_rng([seed, *(zlib.crc32(k.encode()) for k in key)])


def _draw(rng: np.random.Generator, values: tuple[Any, ...], p: tuple[float, ...]) -> Any:
    return values[int(rng.choice(len(values), p=np.asarray(p) / sum(p)))]


@contextmanager
def _quick_commits(session: Session) -> Iterator[Session]:
    """A session of its own on one connection whose commits do not each wait for the disk: the history is
    thousands of small transactions (one per phone event, as the service records them). SQLite syncs at
    checkpoints only (synchronous=NORMAL, safe in WAL mode); PostgreSQL commits asynchronously (a crash may lose
    the last moments, never consistency). The connection's setting is put back afterwards."""
    engine = session.get_bind().engine  # a session bound to a connection gives that connection's engine
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        before = conn.exec_driver_sql("PRAGMA synchronous").scalar() if sqlite else None
        conn.exec_driver_sql("PRAGMA synchronous=NORMAL" if sqlite else "SET synchronous_commit = off")
        conn.commit()
        try:
            with Session(bind=conn, expire_on_commit=False, autoflush=False) as quick:
                yield quick
        finally:
            conn.rollback()
            conn.exec_driver_sql(f"PRAGMA synchronous={int(before or 2)}" if sqlite else "RESET synchronous_commit")
            conn.commit()


def seed_history(session: Session, *, today: date, days: int = 30, seed: int = 7, dispatcher_id: int,
                 storekeeper_id: int, supervisor_id: int, city: str = "lyon") -> HistorySeed:
    """Seed the working days of the `days` days before `today` (see the module); commits as it goes."""
    quiet = logging.getLogger(standards.__name__)  # the past's low scores are no news to the console
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with _quick_commits(session) as quick:
            return _seed(quick, today=today, days=days, seed=seed, dispatcher_id=dispatcher_id,
                         storekeeper_id=storekeeper_id, supervisor_id=supervisor_id, city=city)
    finally:
        quiet.setLevel(level)


def _seed(session: Session, *, today: date, days: int, seed: int, dispatcher_id: int, storekeeper_id: int,
          supervisor_id: int, city: str) -> HistorySeed:
    dates = [today - timedelta(days=k) for k in range(days, 0, -1)]
    work = [d for d in dates if d.isoweekday() <= 5]
    if not work:
        return HistorySeed(0, None, None, 0, 0, 0)
    _date_the_setup(session, before=work[0])
    _hourly_costs(session, seed=seed)
    levels = _van_levels(session)
    orders = 0
    for i, d in enumerate(work):
        if i == 0 or d.isocalendar().week != work[i - 1].isocalendar().week:
            _supplier_delivery(session, day=d, user_id=storekeeper_id)
        _rebook(session, day=d)
        orders += _import_calls(session, day=d, seed=seed, city=city)
        plan_id, day, plan = _plan_and_publish(session, day=d, seed=seed, user_id=dispatcher_id)
        ex = _live(day, plan, seed=seed)
        cancels = _record(session, ex=ex, day=day, seed=seed, user_id=dispatcher_id)
        _cancel(session, order_ids=cancels, at=datetime.combine(d, time(18, 30)), user_id=dispatcher_id)
        _restock(session, day=d, levels=levels, user_id=storekeeper_id)
        log.info("demo history %s: plan %s, %d visits", d, plan_id, len(ex.visits))
    now = datetime.combine(today, time())
    _follow_up_calls(session, before=today, seed=seed)
    _close_old_alerts(session, before=today - timedelta(days=3))
    complaints = _complaints(session, now=now, seed=seed, dispatcher_id=dispatcher_id, supervisor_id=supervisor_id)
    _date_the_records(session)
    visits = session.scalar(select(func.count()).select_from(Visit)) or 0
    return HistorySeed(len(work), work[0], work[-1], orders, visits, complaints)


# --- the set-up ---------------------------------------------------------------------------------------------

def _date_the_setup(session: Session, *, before: date) -> None:
    """The scenario's opening stock (van imports, the depot's receipts) was there before the first day."""
    session.execute(update(StockMovement).values(at=datetime.combine(before - timedelta(days=1), time(17, 0))))
    session.commit()


def _hourly_costs(session: Session, *, seed: int) -> None:
    """Most technicians have an hourly cost (38-55 an hour) so labour cost shows; a few have none set."""
    from api.technicians import service as technicians_service
    from api.technicians.schemas import TechnicianUpdate

    rng = _rng(seed, "hourly cost")
    for tech_id in list(session.scalars(select(Technician.id).order_by(Technician.id))):
        cost = float(rng.uniform(38, 55))
        if rng.random() < 0.8:
            technicians_service.update(session, technician_id=tech_id, data=TechnicianUpdate(
                hourly_cost=Decimal(str(round(cost * 2) / 2)).quantize(Decimal("0.01"))))


def _van_levels(session: Session) -> dict[str, dict[str, int]]:
    """Van location -> part -> the quantity the storekeeper keeps in it: what it held at the set-up."""
    out: dict[str, dict[str, int]] = {}
    for loc, part, qty in session.execute(
            select(StockBalance.location_id, StockBalance.part_id, StockBalance.quantity)
            .join(StockLocation, StockLocation.id == StockBalance.location_id)
            .where(StockLocation.kind == LocationKind.van.value).order_by(StockBalance.location_id,
                                                                          StockBalance.part_id)):
        out.setdefault(loc, {})[part] = qty
    return out


# --- the morning --------------------------------------------------------------------------------------------

def _supplier_delivery(session: Session, *, day: date, user_id: int) -> None:
    """The week's delivery brings the depot back to its opening stock."""
    at = datetime.combine(day, time(7, 0))
    for part_id, (_cost, units, _min, _van) in CATALOGUE.items():
        have = session.scalar(select(StockBalance.quantity).where(
            StockBalance.part_id == part_id, StockBalance.location_id == DEPOT_ID)) or 0
        if have < units:
            ledger.receive(session, part_id=part_id, location_id=DEPOT_ID, quantity=units - have, user_id=user_id,
                           reason="weekly supplier delivery", at=at)


def _cancel(session: Session, *, order_ids: list[str], at: datetime, user_id: int) -> None:
    for k, order_id in enumerate(order_ids):
        order = session.get(Order, order_id)
        if order is None or order.status != OrderStatus.open.value:
            continue
        recording.report(session, data=EventCreate(time=at + timedelta(minutes=7 * k), event="cancelled",
                                                   order_id=order_id, note="the customer had it repaired elsewhere"),
                         scope=None, user_id=user_id, now=at + timedelta(minutes=7 * k))


def _rebook(session: Session, *, day: date) -> None:
    """An open order whose appointment fell on an earlier day gets the same hours on `day`."""
    start = datetime.combine(day, time())
    for o in session.scalars(select(Order).where(Order.id.startswith(PREFIX), Order.status == OrderStatus.open.value,
                                                 Order.window_start < start).order_by(Order.id)):
        assert o.window_start is not None
        assert o.window_end is not None
        shift = start - datetime.combine(o.window_start.date(), time())
        orders_service.update(session, order_id=o.id, data=OrderUpdate(
            window_start=o.window_start + shift, window_end=o.window_end + shift))


def _import_calls(session: Session, *, day: date, seed: int, city: str) -> int:
    """The day's new calls, imported as orders.csv is; (the number imported)."""
    from api.plans.days import working_technicians

    crew = working_technicians(session, day=day)
    pool = generate_day(orders=POOL, technicians=len(crew), seed=seed * 10_000 + day.toordinal() % 10_000,
                        plan_date=day, city=city)
    rng = _rng(seed, "calls", day.isoformat())

    def servable(o: DomainOrder) -> bool:
        return any(o.required_skills <= t.skills and all(t.van_stock.get(p, 0) >= q
                                                          for p, q in o.required_parts.items()) for t in crew)

    able = [o for o in pool.orders if servable(o)]
    picked = sorted(rng.permutation(len(able))[:ORDERS_PER_DAY[day.isoweekday()]])
    calls = []
    for n, i in enumerate(picked, start=1):
        o = able[int(i)]
        if o.priority in (Priority.P1, Priority.P2):  # urgent calls get no appointment, the first free slot
            o = replace(o, window_start=None, window_end=None)
        calls.append(replace(o, id=f"{PREFIX}{day:%y%m%d}-{n:03d}", pinned_technician=None,
                             created_at=_called_at(rng, day, o.priority, o.window_end)))
    content = orders_to_frame(calls, day).to_csv(index=False, lineterminator="\n").encode()
    ids, _ = import_orders(session, content=content, filename=f"calls-{day}.csv", plan_date=day,
                           max_rows=len(calls))
    from api.commands import add_demo_details  # addresses, phones and job descriptions, as the scenario's

    add_demo_details(session, day=Day(day, (), tuple(calls)), city=city)
    return len(ids)


def _called_at(rng: np.random.Generator, day: date, priority: Priority, window_end: datetime | None) -> datetime:
    """When a call planned on `day` came in: since the last morning plan, so that a day that serves its calls
    meets their deadlines. Emergencies (P1, 4 h) came in this morning just before the plan; urgent calls (P2,
    8 h) overnight; P3 (24 h) in yesterday's office hours, an appointment agreed then ending before its deadline;
    P4 (72 h) over the three days before (two with an appointment). Monday's P3 came in over the weekend, a few
    of them on Friday afternoon or Saturday, past their deadline by Monday: the misses a week without a Saturday
    crew has (FRIDAY_P3)."""
    plan_at = datetime.combine(day, PLAN_AT)
    if priority is Priority.P1:
        return plan_at - timedelta(minutes=int(rng.integers(5, 120)))
    if priority is Priority.P2:
        return plan_at - timedelta(minutes=int(rng.integers(5, 390)))
    if priority is Priority.P3:
        back, opens = 1, time(9)
        if day.isoweekday() == 1 and rng.random() < FRIDAY_P3:
            back = int(rng.choice((2, 3)))  # Saturday or Friday
        elif window_end is not None:
            opens = max(opens, (window_end + timedelta(minutes=15)).time())
        first = datetime.combine(day - timedelta(days=back), opens)
        last = datetime.combine(first.date(), time(18))
        return first + timedelta(minutes=int(rng.integers(0, max(1, (last - first).seconds // 60))))
    back = int(rng.integers(1, 3 if window_end is not None else 4))  # P4: up to three days before, from 10:00
    return datetime.combine(day - timedelta(days=back), time(10)) + timedelta(minutes=int(rng.integers(0, 480)))


def _plan_and_publish(session: Session, *, day: date, seed: int, user_id: int) -> tuple[str, Day, Plan]:
    """The morning plan of the history's open orders, stored as a done plan job and published."""
    full = build_day(session, day=day)
    the_day = replace(full, orders=tuple(o for o in full.orders if o.id.startswith(PREFIX)))
    policy = Policy(seed=seed, time_limit=10.0, solution_limit=SOLUTION_LIMIT, deadline_margin_minutes=MARGIN)
    plan = plan_day(the_day, policy)
    from dispatch.io.day_json import day_to_dict

    at = datetime.combine(day, PLAN_AT)
    job = PlanJob(id=str(uuid.UUID(int=int.from_bytes(_rng(seed, "plan", day.isoformat()).bytes(16), "big"),
                                    version=4)),
                  date=day, status=JobStatus.done.value, phase=JobStatus.done.value, policy=policy.to_dict(),
                  requested_by=user_id, pins={}, input=day_to_dict(the_day), plan=plan.to_dict(), created_at=at,
                  started_at=at, finished_at=at + timedelta(seconds=2), deadline_at=at + timedelta(minutes=30))
    session.add(job)
    session.commit()
    plans_service.publish(session, plan_id=job.id, user_id=user_id, now=at + timedelta(minutes=5))
    return job.id, the_day, plan


# --- the day ------------------------------------------------------------------------------------------------

def _live(day: Day, plan: Plan, *, seed: int) -> Execution:
    cfg = SimConfig(orders=len(day.orders), technicians=len(day.technicians),
                    seed=seed * 10_000 + day.date.toordinal() % 10_000, plan_date=day.date, absent_at=None,
                    unresolved_share=UNRESOLVED_SHARE)
    start = min(t.shift_start for t in day.technicians)
    return Execution(cfg, day, plan, start, Noise(cfg), None, None, lambda *_: []).run()


def _record(session: Session, *, ex: Execution, day: Day, seed: int, user_id: int) -> list[str]:
    """Every event of the day as the phones report it; (unresolved orders the customer cancels tonight)."""
    orders = {o.id: o for o in day.orders}
    rng = _rng(seed, "outcomes", day.date.isoformat())
    majors: list[tuple[str, str]] = []
    cancels: list[str] = []
    arrived: dict[str, datetime] = {}
    for e in ex.known_events():
        if e.kind is EventKind.DEPARTED:
            continue  # "on my way" matters to the live board only; the past is told by arrivals on
        if e.kind is EventKind.ARRIVED and e.order_id is not None:
            arrived[e.order_id] = e.time
        if e.kind is EventKind.STARTED and e.order_id is not None and arrived.get(e.order_id) == e.time:
            continue  # service began on arrival: the visit's own default, one phone event less
        extra: dict[str, Any] = {}
        if e.kind in (EventKind.DONE, EventKind.UNRESOLVED):
            assert e.order_id is not None
            order = orders[e.order_id]
            done = e.kind is EventKind.DONE
            if rng.random() >= NO_SCORE:
                extra["customer_score"] = _draw(rng, SCORES, SCORE_DONE if done else SCORE_UNRESOLVED)
            if done:
                extra["parts"] = [PartUse(part_id=p, quantity=q) for p, q in sorted(order.required_parts.items())]
                if order.duration_min >= MAJOR_MINUTES and rng.random() < MAJOR_CHANCE:
                    majors.append((order.id, e.technician_id or ""))
            else:
                reason, _p, note = REASONS[int(rng.choice(len(REASONS), p=[r[1] for r in REASONS]))]
                extra |= {"reason": reason, "note": note}
                if rng.random() < CANCEL_CHANCE:
                    cancels.append(order.id)
        # validated as the phone's JSON would be: the event's name and the reason are checked there
        data = EventCreate.model_validate({
            "time": e.time, "event": e.kind.value, "order_id": e.order_id, "technician_id": e.technician_id,
            **({"note": e.note} if e.note and "note" not in extra else {}), **extra})
        recording.report(session, data=data, scope=None, user_id=user_id,
                         now=e.time + timedelta(seconds=int(rng.integers(2, 40))))
    for order_id, _tech in majors:
        visit = session.scalar(select(Visit).where(Visit.order_id == order_id, Visit.date == day.date))
        if visit is not None:
            visits_service.update(session, visit_id=visit.id, scope=None, data=VisitUpdate(major_repair=True))
    return cancels


# --- the evening --------------------------------------------------------------------------------------------

def _restock(session: Session, *, day: date, levels: dict[str, dict[str, int]], user_id: int) -> None:
    """Each van back to its level from the depot, as far as the depot holds the parts."""
    at = datetime.combine(day, time(17, 30))
    held = {(loc, part): qty for loc, part, qty in session.execute(
        select(StockBalance.location_id, StockBalance.part_id, StockBalance.quantity))}
    for van, parts in levels.items():
        for part, level in parts.items():
            short = min(level - held.get((van, part), 0), held.get((DEPOT_ID, part), 0))
            if short > 0:
                ledger.transfer(session, part_id=part, from_location_id=DEPOT_ID, to_location_id=van,
                                quantity=short, user_id=user_id, reason="evening top-up", at=at)
                held[(DEPOT_ID, part)] -= short


# --- the office ---------------------------------------------------------------------------------------------

def _follow_up_calls(session: Session, *, before: date, seed: int) -> None:
    """The calls due before `before` are made on their day, except the two most recent of the last week."""
    rng = _rng(seed, "follow-ups")
    due = list(session.scalars(select(FollowUp).where(FollowUp.due_date < before, FollowUp.done_at.is_(None))
                               .order_by(FollowUp.due_date, FollowUp.id)))
    recent = [f for f in due if f.due_date >= before - timedelta(days=7)]
    missed = {f.id for f in recent[-2:]}
    for f in due:
        if f.id in missed:
            continue
        outcome = _draw(rng, ("satisfied", "not_satisfied", "no_answer"), (0.8, 0.08, 0.12))
        note = {"satisfied": "works fine since the repair", "not_satisfied": "noisy again; a visit is offered",
                "no_answer": "no answer; voicemail left"}[outcome]
        standards.complete_follow_up(session, follow_up_id=f.id, outcome=outcome, note=note,
                                     now=datetime.combine(f.due_date, time(10, 0))
                                     + timedelta(minutes=int(rng.integers(0, 360))))


def _close_old_alerts(session: Session, *, before: date) -> None:
    """A supervisor dealt with the low-score alerts of visits before `before` the next morning."""
    rows = session.execute(select(ServiceAlert.id, Visit.date).join(Visit, Visit.id == ServiceAlert.visit_id)
                           .where(Visit.date < before).order_by(ServiceAlert.id)).all()
    for alert_id, day in rows:
        standards.close(session, alert_id=alert_id, now=datetime.combine(day + timedelta(days=1), time(9, 15)))


def _office(at: datetime, rng: np.random.Generator) -> datetime:
    """`at`, or a moment of the next office morning (working days from 08:00, closed from 18:00), to the
    minute."""
    at = at.replace(second=0, microsecond=0)
    opening = at.hour >= 18 or at.hour < 8 or at.weekday() >= 5
    if at.hour >= 18:
        at = datetime.combine(at.date() + timedelta(days=1), time(8, 0))
    elif at.hour < 8:
        at = datetime.combine(at.date(), time(8, 0))
    while at.weekday() >= 5:
        at = datetime.combine(at.date() + timedelta(days=1), time(8, 0))
    return at + timedelta(minutes=int(rng.integers(0, 120))) if opening else at


@dataclass
class _Story:
    """One demo complaint: what it is about and when each step was taken (None: not yet)."""

    visit: Visit
    data: ComplaintCreate
    received: datetime
    assigned: datetime
    responded: datetime | None
    resolved: datetime | None
    outcome: Outcome


def _complaints(session: Session, *, now: datetime, seed: int, dispatcher_id: int, supervisor_id: int) -> int:
    """Complaints after some low-score and unresolved visits, taken through the complaints service step by
    step at the moments they happened: most answered and resolved, the newest still waiting for its first
    response, and the newest of those received over a week ago past its resolution deadline."""
    defaults = Settings.model_fields
    hours = int(defaults["complaint_response_hours"].default)
    working = int(defaults["complaint_resolution_working_days"].default)
    rng = _rng(seed, "complaints")
    visits = list(session.scalars(select(Visit).where(Visit.done_at.is_not(None)).order_by(Visit.done_at, Visit.id)))
    chosen = [v for v in visits if (v.customer_score is not None and v.customer_score < 3 and rng.random() < 0.12)
              or (v.unresolved and rng.random() < 0.01)]
    stories = []
    for v in chosen:
        assert v.done_at is not None
        order = session.get(Order, v.order_id)
        assert order is not None
        received = _office(v.done_at + timedelta(minutes=int(rng.integers(60, 1800))), rng)
        if received >= now:
            continue
        response_due, resolution_due = due_dates(received, response_hours=hours, resolution_working_days=working)
        data = ComplaintCreate(customer_id=order.customer_id, order_id=order.id,
                               channel=_draw(rng, tuple(Channel), (0.5, 0.3, 0.15, 0.03, 0.02)),
                               text=str(COMPLAINT_TEXTS[int(rng.integers(len(COMPLAINT_TEXTS)))]))
        assigned = _office(received + timedelta(minutes=int(rng.integers(10, 90))), rng)
        # most are answered within the day and resolved within the 3 working days; a few late
        late = rng.random() < 0.1
        responded = _office(received + timedelta(minutes=int(rng.integers(60, 1200))), rng)
        if late:
            responded = _office(response_due + timedelta(minutes=int(rng.integers(30, 600))), rng)
        resolved = _office(responded + timedelta(minutes=int(rng.integers(120, 2 * 24 * 60))), rng)
        if late:
            resolved = _office(resolution_due + timedelta(minutes=int(rng.integers(60, 24 * 60))), rng)
        outcome = _draw(rng, tuple(Outcome), (0.4, 0.25, 0.25, 0.1))
        stories.append(_Story(v, data, received, min(assigned, now), responded if responded < now else None,
                              resolved if resolved < now and responded < now else None, outcome))
    # a complaint comes up to 30 hours after its visit, so visit order is not the order they arrived in
    stories.sort(key=lambda st: (st.received, st.visit.id))
    if stories:
        newest = stories[-1]  # received last: nobody has answered it yet
        newest.responded = newest.resolved = None
        week_ago = [st for st in stories[:-1] if st.received < now - timedelta(days=7)]
        if week_ago:  # answered, but its resolution is overdue: the one on the supervisor's list
            week_ago[-1].resolved = None
    for st in stories:
        row = complaints_service.create(session, data=st.data, received_at=st.received, recorded_by=dispatcher_id,
                                        now=st.received, response_hours=hours, resolution_working_days=working)
        row.technician_id = st.visit.technician_id  # the visit it followed, whatever came after
        complaints_service.assign(session, complaint_id=row.id, user_id=supervisor_id, now=st.assigned)
        if st.responded is not None:
            complaints_service.respond(session, complaint_id=row.id, now=st.responded,
                                       response="We are sorry; a supervisor is looking into it and will call "
                                                "you back.")
        if st.resolved is not None:
            complaints_service.resolve(session, complaint_id=row.id, outcome=st.outcome.value, now=st.resolved,
                                       resolution=RESOLUTIONS[st.outcome])
        row.created_at = st.received
        row.updated_at = st.resolved or st.responded or st.assigned
    session.commit()
    return len(stories)


def _date_the_records(session: Session) -> None:
    """What the service stamps with its clock on insert (alerts, follow-up calls, visits) gets the moment it
    would have had: the visit's finish (or its first step)."""
    for alert in session.scalars(select(ServiceAlert).where(ServiceAlert.visit_id.is_not(None))):
        visit = session.get(Visit, alert.visit_id)
        if visit is not None and visit.done_at is not None:
            alert.created_at = visit.done_at
    for f in session.scalars(select(FollowUp)):
        visit = session.get(Visit, f.visit_id)
        if visit is not None and visit.done_at is not None:
            f.created_at = visit.done_at
    session.execute(update(Visit).values(created_at=Visit.arrived_at).where(Visit.arrived_at.is_not(None)))
    session.commit()
