"""Guardrails with hand-computed fixtures: each fires past its limit and stays quiet below it."""

from __future__ import annotations

from datetime import date

import pytest

from app.training.guardrails import (
    Limits,
    acute_chronic,
    hard_before_a_race,
    paired_event,
    parse_refuse,
    project,
    refusal,
    threshold_change,
    weekly_ramp,
)

LIMITS = Limits()


def test_projection_is_the_42_and_7_day_model() -> None:
    # One day of load 92 from CTL 50 / ATL 50: CTL 50 + 42/42 = 51, ATL 50 + 42/7 = 56.
    assert project(50, 50, [92]) == pytest.approx((51.0, 56.0))
    # A rest day from CTL 42 / ATL 70: 42 - 1 = 41, 70 - 10 = 60.
    assert project(42, 70, [0]) == pytest.approx((41.0, 60.0))


def test_weekly_ramp_warns_only_past_its_limit() -> None:
    # From CTL 0, seven days of load 42 give 42 * (1 - (41/42)**7) = 6.52 (below 8);
    # adding 100 on the last day adds 100/42 = 2.38 -> 8.90 (above 8).
    easy = project(0, 0, [42.0] * 7)[0]
    hard = project(0, 0, [42.0] * 6 + [142.0])[0]
    assert (round(easy, 2), round(hard, 2)) == (6.52, 8.90)
    assert weekly_ramp(0, easy, easy, LIMITS) is None
    found = weekly_ramp(0, easy, hard, LIMITS)
    assert found is not None and found.rule == "weekly_ramp" and not found.refuses
    assert "rise 8.9 in 7 days (was 6.5)" in found.message
    # A change that lowers the ramp never warns, even above the limit.
    assert weekly_ramp(0, hard, hard - 0.5, LIMITS) is None


def test_acute_chronic_warns_past_the_ratio() -> None:
    # CTL 42 / ATL 42 and one day of load 126: CTL 42 + 84/42 = 44, ATL 42 + 84/7 = 54 -> 1.23
    # (below 1.5); load 300: CTL 42 + 258/42 = 48.14, ATL 42 + 258/7 = 78.86 -> 1.64 (above);
    # without the session (a rest day): CTL 41, ATL 36 -> 0.88.
    rest = project(42, 42, [0])
    assert acute_chronic(rest, project(42, 42, [126]), LIMITS) is None
    found = acute_chronic(rest, project(42, 42, [300]), LIMITS)
    assert found is not None and found.rule == "acute_chronic"
    assert "1.64 times fitness (ATL 79 / CTL 48; was 0.88)" in found.message


def test_a_hard_session_the_day_before_an_a_race() -> None:
    races = [(date(2026, 8, 9), "Ötztaler")]
    found = hard_before_a_race(date(2026, 8, 8), 88.0, 70.0, races, LIMITS)
    assert found is not None and found.rule == "hard_before_a_race"
    assert "(intensity 88%) on 2026-08-08 is the day before the A race 'Ötztaler'" in found.message
    assert hard_before_a_race(date(2026, 8, 8), 60.0, 50.0, races, LIMITS) is None  # easy
    assert hard_before_a_race(date(2026, 8, 7), 95.0, 50.0, races, LIMITS) is None  # 2 days
    by_load = hard_before_a_race(date(2026, 8, 8), None, 120.0, races, LIMITS)
    assert by_load is not None and "(load 120)" in by_load.message


def test_deleting_a_paired_event() -> None:
    activities = [("i1", None, "Commute"), ("i2", 77, "Threshold 3x12")]
    found = paired_event(77, activities, LIMITS)
    assert found is not None and "paired with activity i2 ('Threshold 3x12')" in found.message
    assert paired_event(78, activities, LIMITS) is None


def test_threshold_change_by_percentage() -> None:
    # 250 -> 280 W is +12 %; 250 -> 270 W is +8 %; pace 4.0 -> 3.5 m/s is -12.5 %.
    found = threshold_change("FTP", 250, 280, LIMITS)
    assert found is not None and "FTP would change +12.0% (250 -> 280)" in found.message
    assert threshold_change("FTP", 250, 270, LIMITS) is None
    pace = threshold_change("threshold pace", 4.0, 3.5, LIMITS)
    assert pace is not None and "-12.5%" in pace.message
    assert threshold_change("LTHR", None, 170, LIMITS) is None  # nothing to compare with


def test_operator_can_make_a_rule_refuse() -> None:
    strict = Limits(refuse=parse_refuse("threshold_change, paired_event"))
    warned = threshold_change("FTP", 250, 280, LIMITS)
    refused = threshold_change("FTP", 250, 280, strict)
    assert warned is not None and not warned.refuses and refusal([warned, None]) is None
    assert refused is not None and refused.refuses
    message = refusal([refused, weekly_ramp(0, 1, 20, strict)])
    assert message is not None and message.startswith("This gateway's operator does not allow")
    assert "FTP would change" in message and "Fitness" not in message
    assert parse_refuse("all") == frozenset(
        {"weekly_ramp", "acute_chronic", "hard_before_a_race", "paired_event", "threshold_change"}
    )
    with pytest.raises(ValueError, match="unknown guardrail 'ramp'"):
        parse_refuse("ramp")
