"""Validation of the identifiers and dates that go into Intervals.icu URL paths and queries.

Everything that ends up in a path is validated here, so a value from a tool argument can never
change which endpoint is called (no ``/``, ``..`` or query characters slip through).
"""

from __future__ import annotations

import re
from datetime import date, datetime

__all__ = [
    "InvalidId",
    "activity_id",
    "athlete_id",
    "curve_id",
    "curve_range",
    "gear_id",
    "local_date",
    "local_datetime",
    "numeric_id",
    "sport_settings_id",
]

_ATHLETE = re.compile(r"(?:0|i?[1-9][0-9]{0,15})")
_ACTIVITY = re.compile(r"i?[1-9][0-9]{0,19}")
_NUMERIC = re.compile(r"[1-9][0-9]{0,18}")
_SPORT_TYPE = re.compile(r"[A-Z][A-Za-z]{1,40}")
_GEAR = re.compile(r"[A-Za-z0-9_-]{1,40}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?")
_CURVE = re.compile(
    r"(?:[1-9][0-9]{0,3}[dy]|all|s[0-9]|r\.(\d{4}-\d{2}-\d{2})\.(\d{4}-\d{2}-\d{2}))(?:-kj[01])?"
)


class InvalidId(ValueError):
    """An identifier or date that Intervals.icu would not accept."""


def athlete_id(value: str | int) -> str:
    """``i123``, ``123`` or ``0`` (the credential's owner), returned as the path segment."""
    text = str(value).strip()
    if not _ATHLETE.fullmatch(text):
        raise InvalidId(f"athlete id must look like 'i123', '123' or '0', not {text[:40]!r}")
    return text


def activity_id(value: str | int) -> str:
    """An activity id: ``i170317118`` (Intervals.icu) or a bare number (Strava import)."""
    text = str(value).strip()
    if not _ACTIVITY.fullmatch(text):
        raise InvalidId(f"activity id must look like 'i12345' or '12345', not {text[:40]!r}")
    return text


def numeric_id(value: str | int, what: str = "id") -> int:
    """A positive integer id (events, folders, workouts, custom items, messages)."""
    if isinstance(value, bool):
        raise InvalidId(f"{what} must be a positive integer")
    text = str(value).strip()
    if not _NUMERIC.fullmatch(text):
        raise InvalidId(f"{what} must be a positive integer, not {text[:40]!r}")
    return int(text)


def sport_settings_id(value: str | int) -> str:
    """Sport settings are addressed by numeric id or by activity type (``Ride``, ``Run``)."""
    text = str(value).strip()
    if _NUMERIC.fullmatch(text) or _SPORT_TYPE.fullmatch(text):
        return text
    raise InvalidId(f"sport settings id must be a number or a sport like 'Ride', not {text[:40]!r}")


def gear_id(value: str) -> str:
    """A gear id such as ``b1234567`` or ``g42``."""
    text = str(value).strip()
    if not _GEAR.fullmatch(text):
        raise InvalidId(f"gear id must be letters, digits, '-' or '_', not {text[:40]!r}")
    return text


def local_date(value: date | str) -> str:
    """An athlete-local calendar day as ``YYYY-MM-DD`` (never converted to UTC)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if not _DATE.fullmatch(text):
        raise InvalidId(f"date must be YYYY-MM-DD, not {text[:40]!r}")
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidId(f"{text!r} is not a calendar date") from None


def local_datetime(value: date | datetime | str) -> str:
    """Athlete-local date or date-time, no zone: ``2026-07-29`` or ``2026-07-29T06:00:00``."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise InvalidId("local date-times must not carry a time zone (use athlete-local time)")
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if _DATE.fullmatch(text):
        return local_date(text)
    if not _DATETIME.fullmatch(text):
        raise InvalidId(f"date-time must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, not {text[:40]!r}")
    try:
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidId(f"{text!r} is not a valid date-time") from None


def curve_id(value: str) -> str:
    """One entry of the athlete curves' ``curves`` list: ``42d``, ``1y``, ``all``, a season
    (``s0`` current, ``s1`` previous ...), or a date range ``r.2026-01-01.2026-03-31``, with
    an optional ``-kj0`` / ``-kj1`` (fatigued) suffix."""
    text = str(value).strip()
    found = _CURVE.fullmatch(text)
    if not found:
        raise InvalidId(
            "a curve is like '42d', '1y', 'all', 's0' or 'r.2026-01-01.2026-03-31', "
            f"not {text[:40]!r}"
        )
    if found[1] is not None and local_date(found[1]) > local_date(found[2]):
        raise InvalidId(f"curve range {text!r} ends before it starts")
    return text


def curve_range(first: date | str, last: date | str) -> str:
    """The ``curves`` entry for the athlete-local days ``first`` .. ``last`` (both included)."""
    return curve_id(f"r.{local_date(first)}.{local_date(last)}")
