"""The attempt limiter behind sign-in and registration throttling."""

from __future__ import annotations

from app.attempts import AttemptLimiter


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
