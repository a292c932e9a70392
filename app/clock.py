"""The gateway's one clock: UTC wall time, which tests replace to move time without sleeping.

Every "now" of a request (browser sessions, OAuth codes and tokens, bearer acceptance, the
attempt limiters and the tools' "today" in the athlete's timezone) comes from the `Clock` on
the app's services (app/services.py). Durations inside the Intervals.icu client (retries,
budget refill) keep the monotonic clock, which tests drive with their own virtual time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current UTC wall time (timezone-aware)."""
    return datetime.now(UTC)


@dataclass
class Clock:
    """Wall time from ``source``; tests swap ``source`` (or use :meth:`set`) to move time."""

    source: Callable[[], datetime] = field(default=utc_now)

    def now(self) -> datetime:
        """The current moment, timezone-aware UTC."""
        return self.source()

    def seconds(self) -> float:
        """The current moment as POSIX seconds (what the attempt limiters count in)."""
        return self.now().timestamp()

    def set(self, moment: datetime) -> None:
        """Freeze the clock at ``moment`` (tests)."""
        self.source = lambda: moment
