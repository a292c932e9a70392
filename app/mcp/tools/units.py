"""Unit formatting for the text answers, keyed on the field-name suffix, and pace.

Answer fields carry their unit in their name (``_m`` metres, ``_s`` seconds, ``_w`` watts,
``_bpm``, ``_pct``, ...), so one function renders any of them. Pace follows the athlete's own
units (intervals-api.md §3.6: speeds are m/s; a sport's ``pace_units`` is ``MINS_KM``,
``MINS_MILE``, ``SECS_100M`` or ``SECS_100Y``; the profile's ``measurement_preference`` is
``meters`` or ``feet``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

Number = float | int

SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_mmhg", "mmHg"),
    ("_kcal", "kcal"),
    ("_bpm", "bpm"),
    ("_rpm", "rpm"),
    ("_mps", "m/s"),
    ("_pct", "%"),
    ("_kg", "kg"),
    ("_ms", "ms"),
    ("_km", "km"),
    ("_w", "W"),
    ("_m", "m"),
)

RUN_PACE_UNITS = {"MINS_KM": (1000.0, "/km"), "MINS_MILE": (1609.344, "/mi")}
SWIM_PACE_UNITS = {"SECS_100M": (100.0, "/100m"), "SECS_100Y": (91.44, "/100yd")}
SWIM_TYPES = frozenset({"Swim", "OpenWaterSwim"})
RUN_TYPES = frozenset({"Run", "TrailRun", "VirtualRun", "Walk", "Hike"})
PACE_TYPES = SWIM_TYPES | RUN_TYPES
"""The sports read as pace (:func:`has_pace`)."""


TWO_DIGITS: tuple[str, ...] = tuple(f"{n:02d}" for n in range(60))
"""``"00"`` to ``"59"``, the minutes and seconds of a duration, looked up: a ``:02d`` format
spec is parsed on every use, which took two thirds of a duration's time (every activity line
has one or two; issue 20)."""


def duration(seconds: Number | None) -> str | None:
    """``h:mm:ss`` (or ``m:ss`` under an hour)."""
    if seconds is None:
        return None
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)  # both 0-59: divmod by a positive number
    return (
        f"{hours}:{TWO_DIGITS[minutes]}:{TWO_DIGITS[secs]}"
        if hours
        else f"{minutes}:{TWO_DIGITS[secs]}"
    )


def number(value: Number) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@cache
def unit_of(field: str) -> str:
    """The unit a field's name ends in (``avg_power_w`` -> ``W``), looked up once per name."""
    return next((u for suffix, u in SUFFIXES if field.endswith(suffix)), "")


def with_unit(field: str, value: object, label: str = "") -> str | None:
    """``avg_power_w=202, "avg"`` -> ``202 W avg``; ``moving_time_s`` -> ``1:10:00``;
    ``distance_m`` -> kilometres. None (or a non-number) gives None."""
    return unit_formatter(field, label)(value)


Formatter = Callable[[object], str | None]


def _is_number(value: object) -> bool:
    """An int or float (a subclass too), not a bool: what :func:`with_unit` renders."""
    return not isinstance(value, bool) and isinstance(value, int | float)


FORMATTERS_KEPT = 1024
"""Distinct (field, label) pairs whose formatter is kept: the pairs are literals in the tools'
code, a few hundred at most."""


@lru_cache(maxsize=FORMATTERS_KEPT)
def unit_formatter(field: str, label: str = "") -> Formatter:
    """:func:`with_unit` for one field and label, its unit and suffix worked out once: the text
    of every answer line calls it for each field (a tenth of a ``get_activities`` call's
    Python function calls went to looking them up per value; issue 20)."""
    tail = f" {label}".rstrip()  # what ``f"{text} {label}".rstrip()`` adds to a text
    kilometres, seconds = field == "distance_m", field.endswith("_s")
    suffix = f" {unit_of(field)}".rstrip() + tail  # the unit, then the label

    def formatted(value: Any) -> str | None:
        if value is None:
            return None
        kind = type(value)
        if kind is not int and kind is not float and not _is_number(value):
            return None
        if kilometres:
            return f"{value / 1000:.1f} km{tail}"
        if seconds:
            return f"{duration(value)}{tail}"
        if kind is float:  # the usual values spelled here, not by a call to :func:`number`
            return f"{value:g}{suffix}"
        if kind is int:
            return f"{value}{suffix}"
        return number(value) + suffix  # a subclass: as :func:`number` spells it

    return formatted


@dataclass(frozen=True)
class PaceUnits:
    """How one athlete reads pace: per km or per mile on foot, per 100 m or 100 yd in water."""

    run: str = "MINS_KM"
    swim: str = "SECS_100M"

    @classmethod
    def from_profile(
        cls, measurement_preference: str | None, sports: list[tuple[list[str], str | None]]
    ) -> PaceUnits:
        """From ``GET /athlete/{id}``: each sport's ``pace_units`` win, else the profile's
        ``measurement_preference`` (``feet`` means miles and yards)."""
        imperial = (measurement_preference or "").lower() == "feet"
        run, swim = ("MINS_MILE", "SECS_100Y") if imperial else ("MINS_KM", "SECS_100M")
        for types, units in sports:
            if units in RUN_PACE_UNITS and RUN_TYPES & set(types):
                run = units
            if units in SWIM_PACE_UNITS and SWIM_TYPES & set(types):
                swim = units
        return cls(run=run, swim=swim)

    def pace(self, sport: str | None, speed_mps: float | None) -> str | None:
        """``4:35 /km`` for a run, ``1:52 /100m`` for a swim; None for other sports or no speed."""
        if not speed_mps or speed_mps <= 0:
            return None
        if sport in SWIM_TYPES:
            metres, suffix = SWIM_PACE_UNITS[self.swim]
        elif sport in RUN_TYPES:
            metres, suffix = RUN_PACE_UNITS[self.run]
        else:
            return None
        return f"{duration(round(metres / speed_mps))} {suffix}"


def has_pace(sport: str | None) -> bool:
    """Whether a sport is read as pace (runs, walks, swims) rather than speed."""
    return sport in PACE_TYPES


def any_pace(sports: Iterable[str | None]) -> bool:
    """Whether one of ``sports`` is read as pace: one set operation over a whole list (a
    list tool asks before reading the athlete's pace units), not a call per sport."""
    return not PACE_TYPES.isdisjoint(sports)
