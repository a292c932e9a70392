"""How the account page shows its facts: times in the athlete's own time zone (their
Intervals.icu profile's ``timezone``), and the access an application holds in plain words."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from app.oauth import scopes

ACCESS_WORDS = {
    scopes.READ: "Read your training data",
    scopes.WRITE: "Change your training data",
}


def local_time(moment: datetime | None, zone: ZoneInfo, *, date_only: bool = False) -> str:
    """``2026-11-30 15:32 NZDT`` in the athlete's zone (naive values are UTC); "never" for None."""
    if moment is None:
        return "never"
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    local = aware.astimezone(zone)
    return local.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M %Z")


def access_words(scope: str) -> str:
    """``mcp.read mcp.write`` -> "Read your training data, change your training data"."""
    words = [ACCESS_WORDS[s] for s in scopes.SUPPORTED if s in scope.split()]
    if not words:
        return "No access to your data"
    return ", ".join([words[0], *(w[0].lower() + w[1:] for w in words[1:])])
