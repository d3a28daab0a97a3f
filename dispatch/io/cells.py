"""Parsers and formatters for single cells of the CSV contract.

Each parser takes the stripped text of a non-empty cell and returns a value or raises `BadCellError` with a phrase
that reads after the column name ("lat" + " is outside -90..90"). Each formatter is the inverse of its parser:
parse(format(x)) == x for every value the parser can return, which the property tests check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

from dispatch.domain import MAX_LEVEL, MIN_LEVEL, WEEKDAYS, Priority
from dispatch.errors import BadCellError

# ASCII digits only: Python's int()/float() also take "1_000", "nan", "inf" and non-Latin digits.
_FLOAT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]*,[0-9]+")
_INT = re.compile(r"[+-]?[0-9]+(?:\.0*)?")  # "60.0" is accepted: spreadsheets export whole numbers that way
_QTY = re.compile(r"[+-]?[0-9]+")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?")
_DATE_PREFIX = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PRIORITIES = {p.value: p for p in Priority}
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_NAMES = {name: d for d, full in enumerate(_FULL_DAYS) for name in (full, WEEKDAYS[d].lower())}


def parse_float(text: str) -> float:
    if not _FLOAT.fullmatch(text):
        hint = " (use a dot as the decimal separator)" if _DECIMAL_COMMA.fullmatch(text) else ""
        raise BadCellError(f"is not a number{hint}")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise BadCellError("is too large")
    return value


def parse_int(text: str) -> int:
    if not _INT.fullmatch(text):
        raise BadCellError("is not a whole number")
    return int(text.split(".")[0])


def parse_latitude(text: str) -> float:
    value = parse_float(text)
    if not -90.0 <= value <= 90.0:
        raise BadCellError("is outside -90..90")
    return value


def parse_longitude(text: str) -> float:
    value = parse_float(text)
    if not -180.0 <= value <= 180.0:
        raise BadCellError("is outside -180..180")
    return value


def parse_priority(text: str) -> Priority:
    try:
        return _PRIORITIES[text.strip().upper()]
    except KeyError:
        raise BadCellError("is not one of P1, P2, P3, P4") from None


def format_priority(priority: Priority) -> str:
    return Priority(priority).value


# --- times of day and date-times ---------------------------------------------------------------------------

def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def parse_datetime(text: str) -> datetime:
    """ISO 8601 naive local date-time (a bare date means its midnight); offsets are refused, not converted."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadCellError("is not an ISO 8601 date-time like 2026-11-24T07:30") from None
    if value.tzinfo is not None:
        # Converting would need the plan area's time zone, which the contract does not carry.
        raise BadCellError("has a UTC offset or zone; give the naive local time of the plan's area, like 2026-11-24T07:30")
    return value


def format_datetime(value: datetime) -> str:
    if value.tzinfo is not None:
        raise ValueError(f"date-time {value.isoformat()} is not naive local time")
    return value.isoformat()


def parse_time(text: str, plan_date: date) -> datetime:
    """`HH:MM` or `HH:MM:SS` on the plan date, `24:00` for its end; a full ISO date-time on the plan date too."""
    midnight = _midnight(plan_date)
    m = _TIME.fullmatch(text)
    if m:
        h, mi, s = int(m[1]), int(m[2]), int(m[3] or 0)
        micro = int((m[4] or "0").ljust(6, "0"))
        if h == 24 and mi == 0 and s == 0 and micro == 0:
            return midnight + timedelta(days=1)
        if h > 23 or mi > 59 or s > 59:
            raise BadCellError("is not a time of day between 00:00 and 24:00")
        return datetime.combine(plan_date, time(h, mi, s, micro))
    if _DATE_PREFIX.match(text):  # a date-time, as pandas hands Timestamps over
        value = parse_datetime(text)
        if value.date() == plan_date or value == midnight + timedelta(days=1):
            return value
        raise BadCellError(f"is not on the plan date {plan_date.isoformat()}")
    raise BadCellError("is not a time like 08:30")


def format_time(value: datetime, plan_date: date) -> str:
    midnight = _midnight(plan_date)
    if value == midnight + timedelta(days=1):
        return "24:00"
    if value.date() != plan_date or value.tzinfo is not None:
        raise ValueError(f"time {value.isoformat()} is not on the plan date {plan_date.isoformat()}")
    text = f"{value:%H:%M}"
    if value.second or value.microsecond:
        text += f":{value:%S}"
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text


# --- tag and part lists ------------------------------------------------------------------------------------

def parse_tags(text: str) -> frozenset[str]:
    """`hvac; English;` -> {"hvac", "english"}: `;`-separated, trimmed, lower-cased, empty pieces skipped."""
    tags = set()
    for piece in text.split(";"):
        tag = piece.strip().lower()
        if not tag:
            continue
        if "," in tag:
            raise BadCellError(f"tag {tag!r} contains ','; separate tags with ';'")
        tags.add(tag)
    return frozenset(tags)


def format_tags(tags: frozenset[str] | set[str]) -> str:
    return ";".join(sorted(tags))


def parse_date(text: str) -> date:
    """`YYYY-MM-DD` (a date-time as pandas hands it over is read as its date)."""
    head = text[:10]
    if not _DATE_PREFIX.fullmatch(head) or (len(text) > 10 and text[10] not in "T "):
        raise BadCellError("is not a date like 2026-11-24")
    try:
        return date.fromisoformat(head)
    except ValueError:
        raise BadCellError("is not a date like 2026-11-24") from None


def parse_weekdays(text: str) -> frozenset[int]:
    """`Mon;Tue;Wed` -> {0, 1, 2}: `;`-separated English weekdays, abbreviated or in full (any case); empty:
    every day."""
    days = set()
    for piece in text.split(";"):
        name = piece.strip().lower()
        if not name:
            continue
        if name not in _WEEKDAY_NAMES:
            raise BadCellError(f"has {piece.strip()!r}, not a weekday; use Mon;Tue;Wed;Thu;Fri;Sat;Sun")
        days.add(_WEEKDAY_NAMES[name])
    return frozenset(days)


def format_weekdays(days: frozenset[int]) -> str:
    return ";".join(WEEKDAYS[d] for d in sorted(days))


def parse_ids(text: str) -> frozenset[str]:
    """`T04; T07` -> {"T04", "T07"}: `;`-separated ids, trimmed, case kept, empty pieces skipped."""
    ids = set()
    for piece in text.split(";"):
        one = piece.strip()
        if "," in one:
            raise BadCellError(f"id {one!r} contains ','; separate ids with ';'")
        if one:
            ids.add(one)
    return frozenset(ids)


def format_ids(ids: frozenset[str] | set[str]) -> str:
    return ";".join(sorted(ids))


def parse_skills(text: str) -> dict[str, int]:
    """`hvac:3; English` -> {"hvac": 3, "english": 1}: tags as `parse_tags`, each with an optional level
    1..5 after a colon (a plain tag is level 1); every problem of the cell is listed."""
    skills: dict[str, int] = {}
    problems: list[str] = []
    for piece in text.split(";"):
        entry = piece.strip().lower()
        if not entry:
            continue
        tag, sep, level_text = (x.strip() for x in entry.partition(":"))
        if "," in tag:
            problems.append(f"tag {tag!r} contains ','; separate tags with ';'")
            continue
        if not tag:
            problems.append(f"entry {entry!r} has no skill name")
            continue
        level = MIN_LEVEL
        if sep:
            if not _QTY.fullmatch(level_text) or not MIN_LEVEL <= int(level_text) <= MAX_LEVEL:
                problems.append(f"skill {tag!r}: level {level_text!r} is not a whole number {MIN_LEVEL}..{MAX_LEVEL}")
                continue
            level = int(level_text)
        if tag in skills:
            problems.append(f"skill {tag!r} is listed twice")
            continue
        skills[tag] = level
    if problems:
        raise BadCellError("; ".join(problems))
    return skills


def format_skills(skills: frozenset[str] | set[str], levels: Mapping[str, int]) -> str:
    """The inverse of `parse_skills`: a level is written only above 1."""
    return ";".join(s if levels.get(s, MIN_LEVEL) <= MIN_LEVEL else f"{s}:{levels[s]}" for s in sorted(skills))


def parse_parts(text: str, *, min_qty: int = 1) -> dict[str, int]:
    """`P-310:2; F-7:1` -> {"P-310": 2, "F-7": 1}; names keep their case; every problem of the cell is listed."""
    parts: dict[str, int] = {}
    problems: list[str] = []
    for piece in text.split(";"):
        entry = piece.strip()
        if not entry:
            continue
        name, sep, qty_text = entry.partition(":")
        name, qty_text = name.strip(), qty_text.strip()
        if not sep or ":" in qty_text:
            problems.append(f"entry {entry!r} is not PART:qty")
            continue
        if not name:
            problems.append(f"entry {entry!r} has no part name")
            continue
        if "," in name:
            problems.append(f"entry {entry!r} contains ','; separate parts with ';'")
            continue
        if not _QTY.fullmatch(qty_text):
            problems.append(f"entry {entry!r}: quantity {qty_text!r} is not a whole number")
            continue
        qty = int(qty_text)
        if qty < min_qty:
            problems.append(f"entry {entry!r}: quantity must be {'positive' if min_qty == 1 else f'>= {min_qty}'}")
            continue
        if name in parts:
            problems.append(f"part {name!r} is listed twice")
            continue
        parts[name] = qty
    if problems:
        raise BadCellError("; ".join(problems))
    return parts


def format_parts(parts: Mapping[str, int]) -> str:
    return ";".join(f"{name}:{qty}" for name, qty in sorted(parts.items()))
