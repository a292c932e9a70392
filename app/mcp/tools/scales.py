"""Subjective scales (wellness, feel, RPE) stated the same way everywhere, with their direction.

Intervals.icu stores these as small integers whose good end differs between scales (a "1" is
best for mood, a "10" is hardest for RPE); intervals-api.md §3.6 and §2.2: wellness
``soreness/fatigue/stress/mood/motivation/injury`` and ``sleepQuality`` are 1-4 with 1 the good
end, activity ``feel`` 1-5 with 1 strong, ``icu_rpe`` 1-10 with 10 maximal. A value is never
rendered as a bare "N/4": always ``mood 1 (great) on 1-4, 1 best``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """A 1..N scale: the label of every value and which end is the good (or high) one."""

    label: str
    names: tuple[str, ...]
    direction: str

    @property
    def top(self) -> int:
        return len(self.names)

    def legend(self) -> str:
        """``1-4, 1 best: 1 great, 2 good, 3 average, 4 grumpy``."""
        values = ", ".join(f"{i} {name}" for i, name in enumerate(self.names, start=1))
        return f"1-{self.top}, {self.direction}: {values}"

    def describe(self, value: int | None) -> str | None:
        """``mood 1 (great) on 1-4, 1 best``; None stays None; an unknown value keeps its number."""
        if value is None:
            return None
        name = self.names[value - 1] if 1 <= value <= self.top else "?"
        return f"{self.label} {value} ({name}) on 1-{self.top}, {self.direction}"


BEST_FIRST = "1 best"

SCALES: dict[str, Scale] = {
    "feel": Scale("feel", ("strong", "good", "normal", "poor", "weak"), BEST_FIRST),
    "rpe": Scale(
        "RPE",
        (
            "very easy",
            "easy",
            "moderate",
            "somewhat hard",
            "hard",
            "hard",
            "very hard",
            "very hard",
            "extremely hard",
            "maximal",
        ),
        "10 hardest",
    ),
    "sleep_quality": Scale("sleep quality", ("great", "good", "average", "poor"), BEST_FIRST),
    "soreness": Scale("soreness", ("low", "average", "high", "extreme"), BEST_FIRST),
    "fatigue": Scale("fatigue", ("low", "average", "high", "extreme"), BEST_FIRST),
    "stress": Scale("stress", ("low", "average", "high", "extreme"), BEST_FIRST),
    "mood": Scale("mood", ("great", "good", "OK", "grumpy"), BEST_FIRST),
    "motivation": Scale("motivation", ("extreme", "high", "average", "low"), BEST_FIRST),
    "injury": Scale("injury", ("none", "niggle", "poor", "injured"), BEST_FIRST),
}


def legends(keys: set[str]) -> dict[str, str] | None:
    """The legend of each scale used in an answer (sorted by name), or None when none is."""
    return {key: SCALES[key].legend() for key in sorted(keys)} or None


def describe(key: str, value: int | None) -> str | None:
    """One scaled value in words (see :meth:`Scale.describe`)."""
    return SCALES[key].describe(value)
