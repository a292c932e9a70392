"""Rounding in answers: the shortcut for whole numbers gives exactly what ``round`` gives (the
same value, type and spelling in the answer's JSON and text)."""

from __future__ import annotations

import math

import pytest
from pydantic_core import to_json

from app.mcp.tools.numbers import rounded, whole

VALUES = [0.0, -0.0, 397.0, -5.0, 11835.4, 0.05, 0.15, 2.675, 1e16, 2.0**60, 1e300, 3, -7]


@pytest.mark.parametrize("digits", [0, 1, 2])
@pytest.mark.parametrize("value", VALUES)
def test_rounded_is_round_of_the_float(value: float, digits: int) -> None:
    expected = round(float(value), digits)
    got = rounded(value, digits)
    assert type(got) is float and repr(got) == repr(expected)
    assert to_json(got) == to_json(expected)


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_rounded_keeps_non_finite_numbers(value: float) -> None:
    assert repr(rounded(value)) == repr(value)


def test_none_stays_none() -> None:
    assert rounded(None) is None and whole(None) is None
