"""Times as people send them: the one rule for every time and datetime the API reads (README, "Times").

The API's times are wall-clock times of the plan area (the TIMEZONE setting), written without a UTC offset,
as plans, the CSV files and every answer write them. A date and time sent with an offset (`Z`, `+02:00`) names
an instant: it is converted to the plan area's local time, then taken as if sent so. A time of day sent with
one (`08:00Z`) is refused, 422 naming the field: a shift starting at 08:00 does so all year, while the area's
offset changes with summer time, so no one conversion would be right.

Every schema field and query parameter of time type is `LocalTime` or `LocalDateTime`. The plan area's zone
comes from the app (`install`), per request, so apps of different areas can share a process (tests do).
"""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import ValidatorFunctionWrapHandler, WrapValidator
from pydantic.json_schema import WithJsonSchema
from pydantic_core import PydanticCustomError
from starlette.types import ASGIApp, Receive, Scope, Send

_zone: ContextVar[ZoneInfo | None] = ContextVar("plan_area_zone", default=None)

NAIVE_TIME = r"^[0-2][0-9]:[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$"


def _local_time(value: Any, handler: ValidatorFunctionWrapHandler) -> dt.time:
    parsed: dt.time = handler(value)
    if parsed.tzinfo is not None:
        raise PydanticCustomError(
            "time_offset", "a time of day is the plan area's local time, without a UTC offset (e.g. 08:00): its "
                           "offset changes with summer time")
    return parsed


def to_local(value: dt.datetime, zone: ZoneInfo | None) -> dt.datetime:
    """`value` as a naive local time of `zone` (one with an offset is converted; a naive one is taken as is);
    ValueError when it cannot be (no zone known, or out of range once converted)."""
    if value.tzinfo is None:
        return value
    if zone is None:
        raise ValueError("a time with a UTC offset, and no plan area to convert it to")
    try:
        return value.astimezone(zone).replace(tzinfo=None)
    except OverflowError:  # an offset pushing year 1 (or 9999) out of range
        raise ValueError("is out of range once converted to the plan area's local time") from None


def _local_datetime(value: Any, handler: ValidatorFunctionWrapHandler) -> dt.datetime:
    parsed: dt.datetime = handler(value)
    try:
        return to_local(parsed, _zone.get())
    except ValueError as e:
        raise PydanticCustomError("datetime_offset", str(e)) from None


LocalTime = Annotated[
    dt.time, WrapValidator(_local_time),
    WithJsonSchema({"type": "string", "format": "time", "pattern": NAIVE_TIME,
                    "description": "local time of the plan area, without a UTC offset"}),
]
LocalDateTime = Annotated[dt.datetime, WrapValidator(_local_datetime)]


class PlanAreaZone:
    """ASGI middleware: requests of this app read their times in `zone` (see `LocalDateTime`)."""

    def __init__(self, app: ASGIApp, *, zone: ZoneInfo) -> None:
        self.app = app
        self.zone = zone

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _zone.set(self.zone)
        try:
            await self.app(scope, receive, send)
        finally:
            _zone.reset(token)
