"""Rounding for compact answers: fewer digits than upstream sends, never a fake precision."""

from __future__ import annotations


def rounded(value: float | None, digits: int = 1) -> float | None:
    """``value`` rounded to ``digits`` decimals; None stays None. A whole number is already
    rounded to any ``digits`` from 0 on, and is returned as it is: ``round(x, digits)`` works
    through a decimal conversion (about eight times a whole-number check), and upstream sends
    many loads, climbs and times as whole numbers (issue 20)."""
    if value is None:
        return None
    number = float(value)
    return number if digits >= 0 and number.is_integer() else round(number, digits)


def whole(value: float | None) -> int | None:
    """``value`` as a whole number; None stays None."""
    return None if value is None else round(float(value))
