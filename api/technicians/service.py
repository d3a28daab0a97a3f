"""Technicians: plain functions over a Session, keyword-only, no HTTP; a day's shift (the weekly pattern, or a
shift day that changes it for one date).

`scope` is the technician id a caller is limited to (a technician user sees only themself), None for staff.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from api.errors import ConflictError, InvalidInputError, NotFoundError, checked_again, field_error, taken
from api.idempotency import Outcome
from api.paging import PageParams, paginate
from api.parts import ledger
from api.parts import service as parts_service
from api.parts.models import LocationKind, StockLocation
from api.technicians.models import ShiftDay, Technician
from api.technicians.schemas import (
    ShiftDayRead,
    ShiftDaySet,
    TechnicianCreate,
    TechnicianUpdate,
    VanTransferCreate,
)
from dispatch import domain

# a fixed date to check a shift pattern against the domain's rules (they do not depend on the date)
_CHECK_DATE = date(2000, 1, 3)


def _on(day: date, t: time | None) -> datetime | None:
    return None if t is None else datetime.combine(day, t)


def shift_of(row: Technician, shift_day: ShiftDay | None) -> tuple[time, time]:
    """The shift's start and end on a date: the shift day's sides where it has them, else the weekly pattern's."""
    if shift_day is None:
        return row.shift_start, row.shift_end
    return shift_day.shift_start or row.shift_start, shift_day.shift_end or row.shift_end


def to_domain(row: Technician, *, day: date, van_stock: Mapping[str, int] | None = None,
              shift_day: ShiftDay | None = None) -> domain.Technician:
    """The technician's shift on `day` (the pattern's, or `shift_day`'s where it changes it) as the domain
    type the planner takes (raises ValueError if invalid)."""
    start, end = shift_of(row, shift_day)
    return domain.Technician(
        id=row.id, name=row.name, skills=frozenset(row.skills), skill_levels=dict(row.skill_levels or {}),
        home_lat=row.home_lat, home_lon=row.home_lon,
        shift_start=datetime.combine(day, start), shift_end=datetime.combine(day, end),
        break_start=_on(day, row.break_start), break_end=_on(day, row.break_end),
        break_minutes=row.break_minutes, max_orders=row.max_orders, van_stock=dict(van_stock or {}),
        territory=row.territory, work_days=frozenset(d - 1 for d in row.work_days or ()),  # ISO 1..7 -> 0..6
    )


def split_skills(entries: Sequence[str], *, field: str) -> tuple[list[str], dict[str, int]]:
    """`["hvac:3", "english"]` -> (["english", "hvac"], {"hvac": 3}): the tags, and the levels above 1 (a
    plain tag is level 1). The same tag at two levels is a 422 naming `field`."""
    levels: dict[str, int] = {}
    for entry in entries:
        tag, _, level = entry.partition(":")
        held = int(level) if level else domain.MIN_LEVEL
        if levels.setdefault(tag, held) != held:
            raise field_error(field, f"skill {tag!r} is given at two levels", ";".join(entries))
    return sorted(levels), {t: q for t, q in sorted(levels.items()) if q > domain.MIN_LEVEL}


def _validate(row: Technician) -> None:
    try:
        to_domain(row, day=_CHECK_DATE)
    except ValueError as e:
        raise InvalidInputError(str(e), errors=[{"loc": ["body"], "msg": str(e), "type": "value_error"}]) from None


def get(session: Session, *, technician_id: str, scope: str | None = None) -> Technician:
    row = session.get(Technician, technician_id)
    # another technician's id looks exactly like a missing one
    if row is None or (scope is not None and row.id != scope):
        raise NotFoundError(f"technician {technician_id!r} not found")
    return row


def query(*, scope: str | None = None, active: bool | None = None, q: str | None = None) -> Select[Technician]:
    stmt = select(Technician).order_by(Technician.id)
    if scope is not None:
        stmt = stmt.where(Technician.id == scope)
    if active is not None:
        stmt = stmt.where(Technician.active == active)
    if q:
        stmt = stmt.where(Technician.name.ilike(f"%{q}%") | Technician.id.ilike(f"{q}%"))
    return stmt


def list_page(session: Session, *, page: PageParams, scope: str | None = None, skill: str | None = None,
              active: bool | None = None, q: str | None = None) -> tuple[list[Technician], int]:
    stmt = query(scope=scope, active=active, q=q)
    if skill is None:
        return paginate(session, stmt, page)
    # skills are a JSON list; filtering in Python keeps the query portable (rosters are small)
    rows = [t for t in session.scalars(stmt) if skill.lower() in t.skills]
    return rows[page.offset: page.offset + page.limit], len(rows)


def _fields(data: TechnicianCreate | TechnicianUpdate, *, unset: bool) -> dict[str, Any]:
    values = data.model_dump(exclude_unset=unset)
    if values.get("skills") is not None:
        values["skills"], values["skill_levels"] = split_skills(values["skills"], field="skills")
    if values.get("work_days") is not None:
        values["work_days"] = sorted(set(values["work_days"]))
    return values


def new_row(data: TechnicianCreate) -> Technician:
    """A checked, not yet added row (raises InvalidInputError if the shift pattern breaks a domain rule)."""
    row = Technician(**_fields(data, unset=False))
    _validate(row)
    return row


@checked_again
def create(session: Session, *, data: TechnicianCreate) -> Technician:
    if session.get(Technician, data.id) is not None:
        raise taken("technician", data.id)
    row = new_row(data)
    session.add(row)
    session.flush()
    parts_service.ensure_van(session, technician_id=row.id, technician_name=row.name)
    session.commit()
    return row


def update(session: Session, *, technician_id: str, data: TechnicianUpdate) -> Technician:
    row = get(session, technician_id=technician_id)
    for name, value in _fields(data, unset=True).items():
        if value is None and name in ("name", "skills", "home_lat", "home_lon", "shift_start", "shift_end",
                                      "work_days", "active"):
            raise field_error(name, "may not be null")
        setattr(row, name, value)
    _validate(row)
    session.commit()
    return row


# --- a day's shift -----------------------------------------------------------------------------------------

def works_on(row: Technician, day: date) -> bool:
    return row.active and day.isoweekday() in row.work_days


def shift_days(session: Session, *, day: date, technician_ids: Collection[str]) -> dict[str, ShiftDay]:
    """Technician id -> their shift day of `day`, for those of `technician_ids` who have one."""
    if not technician_ids:
        return {}
    rows = session.scalars(select(ShiftDay).where(ShiftDay.date == day,
                                                  ShiftDay.technician_id.in_(list(technician_ids))))
    return {r.technician_id: r for r in rows}


def _day_read(row: Technician, day: date, shift_day: ShiftDay | None) -> ShiftDayRead:
    start, end = shift_of(row, shift_day)
    return ShiftDayRead(technician_id=row.id, date=day, works=works_on(row, day), shift_start=start,
                        shift_end=end, usual_shift_start=row.shift_start, usual_shift_end=row.shift_end,
                        changed=shift_day is not None)


def day_shift(session: Session, *, technician_id: str, day: date, scope: str | None = None) -> ShiftDayRead:
    """The technician's shift on `day`, as plans of that date take it."""
    row = get(session, technician_id=technician_id, scope=scope)
    return _day_read(row, day, session.get(ShiftDay, (technician_id, day)))


def changed_shifts(session: Session, *, day: date, scope: str | None = None) -> list[ShiftDayRead]:
    """The shifts of `day` that a shift day changes, in technician id order (a technician sees only theirs)."""
    stmt = (select(Technician, ShiftDay).join(ShiftDay, ShiftDay.technician_id == Technician.id)
            .where(ShiftDay.date == day).order_by(Technician.id))
    if scope is not None:
        stmt = stmt.where(Technician.id == scope)
    return [_day_read(row, day, shift_day) for row, shift_day in session.execute(stmt)]


def _hm(t: time) -> str:
    return t.strftime("%H:%M")


@checked_again  # two changes of one day at once: the later one stands, as one after the other
def set_day_shift(session: Session, *, technician_id: str, day: date, data: ShiftDaySet, user_id: int | None,
                  now: datetime) -> ShiftDayRead:
    """Change the technician's shift on `day` only (overtime agreed for that day): the next plan or re-plan of
    that date uses it. A side left out is the weekly pattern's."""
    row = get(session, technician_id=technician_id)
    if not works_on(row, day):
        why = "is no longer active" if not row.active else f"does not work on {day:%a} {day.isoformat()}"
        message = f"technician {technician_id} {why}: a shift day changes the hours of a working day"
        raise InvalidInputError(message, errors=[{"loc": ["path", "date"], "msg": message, "type": "value_error",
                                                  "input": day.isoformat()}])
    if data.shift_start is None and data.shift_end is None:
        raise field_error("shift_end", "give shift_start or shift_end (DELETE goes back to the weekly pattern)")
    asked = ShiftDay(technician_id=technician_id, date=day, shift_start=data.shift_start, shift_end=data.shift_end)
    start, end = shift_of(row, asked)
    if end < start:
        if data.shift_end is not None:
            raise field_error("shift_end", f"{_hm(end)} is before the shift start {_hm(start)}", _hm(end))
        raise field_error("shift_start", f"{_hm(start)} is after the shift end {_hm(end)}", _hm(start))
    try:
        to_domain(row, day=day, shift_day=asked)  # the break must still fit, as for the weekly pattern
    except ValueError as e:
        raise InvalidInputError(str(e), errors=[{"loc": ["body"], "msg": str(e), "type": "value_error"}]) from None
    shift_day = session.get(ShiftDay, (technician_id, day))
    if shift_day is None:
        shift_day = asked
        session.add(shift_day)
    shift_day.shift_start, shift_day.shift_end = data.shift_start, data.shift_end
    shift_day.set_by, shift_day.set_at = user_id, now
    session.commit()
    return _day_read(row, day, shift_day)


def clear_day_shift(session: Session, *, technician_id: str, day: date) -> ShiftDayRead:
    """Back to the weekly pattern on `day`."""
    row = get(session, technician_id=technician_id)
    shift_day = session.get(ShiftDay, (technician_id, day))
    if shift_day is not None:
        session.delete(shift_day)
        session.commit()
    return _day_read(row, day, None)


# --- parts for the van ------------------------------------------------------------------------------------

def stock_van(session: Session, *, technician_id: str, data: VanTransferCreate, user_id: int,
              idempotency_key: str | None = None) -> Outcome:
    """Parts from a central store into the technician's van: one ledger transfer (409 when the store holds too
    few). With an Idempotency-Key used before for the same request, the first answer is replayed."""
    get(session, technician_id=technician_id)
    van = session.scalar(select(StockLocation).where(StockLocation.technician_id == technician_id))
    if van is None:
        raise ConflictError(f"technician {technician_id!r} has no van")
    store = session.get(StockLocation, data.from_location_id)
    if store is None:
        raise field_error("from_location_id", f"stock location {data.from_location_id!r} does not exist",
                          data.from_location_id)
    if store.kind != LocationKind.central.value:
        raise field_error("from_location_id", f"stock location {store.id!r} is a {store.kind}, not a central "
                                              "store", store.id)
    return ledger.transfer(session, part_id=data.part_id, from_location_id=store.id, to_location_id=van.id,
                           quantity=data.quantity, user_id=user_id, reason=data.reason,
                           idempotency_key=idempotency_key)
