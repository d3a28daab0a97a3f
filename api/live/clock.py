"""The service's clock in the naive local time of its area, in which plans and events are written."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def local_now(zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.now(zone).replace(tzinfo=None, microsecond=0)


def local_time(value: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """`value` as a naive local time of `zone` (a time with an offset is converted; a naive one is taken as is)."""
    if value.tzinfo is not None:
        value = value.astimezone(zone).replace(tzinfo=None)
    return value
