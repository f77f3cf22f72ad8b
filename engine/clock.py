"""Time as an injected service. This is the only module that reads the wall clock (house rule 3).

Every instant the engine handles is timezone-aware. Deadlines and dates in the rules are local to
China (Asia/Shanghai); instants are stored in UTC.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to: for tests, simulations and `--now`."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> datetime:
        if instant.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = instant.astimezone(UTC)
        return self._now


def local_date(instant: datetime) -> date:
    """The calendar date in China at this instant."""
    return instant.astimezone(LOCAL_TZ).date()


def local_midnight(day: date) -> datetime:
    """The instant at which `day` begins in China (00:00 Asia/Shanghai), as UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).astimezone(UTC)


def monotonic() -> float:
    """Seconds from an arbitrary origin, for measuring durations (benchmarks, timeouts)."""
    return time.monotonic()
