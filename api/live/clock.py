"""The service's clock in the naive local time of its area, in which plans and events are written."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def local_now(zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.now(zone).replace(tzinfo=None, microsecond=0)

