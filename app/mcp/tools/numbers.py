"""Rounding for compact answers: fewer digits than upstream sends, never a fake precision."""

from __future__ import annotations


def rounded(value: float | None, digits: int = 1) -> float | None:
    """``value`` rounded to ``digits`` decimals; None stays None."""
    return None if value is None else round(float(value), digits)


def whole(value: float | None) -> int | None:
    """``value`` as a whole number; None stays None."""
    return None if value is None else round(float(value))
