"""Local calendar days as spans of time: the event-time windows of the streaming job.

A local day in a time zone with daylight saving lasts 23, 24 or 25 hours; its bounds come from
converting local midnights, never from adding 24 hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local_date(epoch_s: float, *, tz: str) -> date:
    """The local calendar day in `tz` of an instant given in seconds since the epoch."""
    return datetime.fromtimestamp(epoch_s, UTC).astimezone(ZoneInfo(tz)).date()


def day_bounds(day: date, *, tz: str) -> tuple[float, float]:
    """`(start, end)` of local day `day` in `tz`, in seconds since the epoch; end is exclusive
    (the next day's start)."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    return start.timestamp(), end.timestamp()
