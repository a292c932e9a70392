"""The attempt limiter behind sign-in and registration throttling."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.attempts import AttemptLimiter, MemoryAttemptCounter, attempt_counter
from app.intervals.ratelimit import RateBudget, budget_from_settings
from tests.conftest import make_settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allows_n_attempts_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = AttemptLimiter(max_attempts=3, window_seconds=60, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("ip:1") is None
        limiter.record("ip:1")
        clock.now += 1
    assert limiter.retry_after("ip:1") == 57
    assert limiter.retry_after("ip:2") is None
    clock.now += 57
    assert limiter.retry_after("ip:1") is None


def test_memory_is_bounded_by_evicting_idle_keys_first() -> None:
    clock = Clock()
    limiter = AttemptLimiter(max_attempts=1, window_seconds=10, clock=clock, max_keys=2)
    limiter.record("a")
    clock.now += 20
    limiter.record("b")
    limiter.record("c")
    assert limiter.retry_after("b") == 10 and limiter.retry_after("c") == 10
    assert limiter.retry_after("a") is None


async def test_the_settings_choose_the_shared_state_implementation(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, shared_state_backend="memory", upstream_burst=7)
    clock = Clock()
    counter = attempt_counter(settings, 1, 60, clock)
    assert isinstance(counter, MemoryAttemptCounter)
    assert await counter.reserve("a") is None
    assert await counter.reserve("a") == 60
    clock.now += 60
    assert await counter.retry_after("a") is None
    budget = budget_from_settings(settings)
    assert isinstance(budget, RateBudget) and budget.burst == 7


def test_an_unknown_shared_state_backend_is_refused_at_startup(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="shared_state_backend"):
        make_settings(tmp_path, shared_state_backend="memcached")
