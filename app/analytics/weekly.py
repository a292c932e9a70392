"""A week's review: volume and load by sport, intensity mix, key sessions, compliance with the
plan, wellness against the athlete's baseline, and the fitness change.

Definitions (docs/analytics.md "Weekly review"):

- Intensity of a session: Intervals.icu's intensity (``icu_intensity``, IF x 100 where IF =
  normalised power / FTP, or the pace / HR equivalent; Allen & Coggan, *Training and Racing
  with a Power Meter*, 3rd ed., IF levels). Easy below 85 (recovery and endurance, IF < 0.85),
  moderate 85 to below 95 (tempo, sweet spot), hard 95 and above (threshold and above).
- Key sessions: races first, then the highest training loads (at most three).
- Compliance (Intervals.icu's own pairing): a planned workout is done when an activity is
  paired with it (``paired_event_id``), else when an activity of the same sport is on the same
  local day; completion = done / planned; load compliance = load done / load planned
  (TrainingPeaks' compliance definition).
- Wellness trend: the week's mean against the mean of the 60 days before its first day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import fmean
from typing import Literal

from app.analytics.baselines import Baseline, baseline

EASY_BELOW = 85.0
HARD_FROM = 95.0
KEY_SESSIONS = 3
BASELINE_DAYS = 60

Band = Literal["easy", "moderate", "hard", "unknown"]


@dataclass(frozen=True)
class Session:
    """One activity as the review needs it."""

    id: str
    day: date
    sport: str
    name: str | None = None
    moving_s: int = 0
    distance_m: float = 0.0
    load: float = 0.0
    intensity: float | None = None
    race: bool = False
    event_id: int | None = None


@dataclass(frozen=True)
class PlannedSession:
    """One planned workout."""

    id: int
    day: date
    sport: str | None
    name: str | None = None
    moving_s: int | None = None
    load: float | None = None


@dataclass
class SportVolume:
    """Totals of one sport."""

    sport: str
    count: int = 0
    moving_s: int = 0
    distance_m: float = 0.0
    load: float = 0.0


@dataclass
class IntensityMix:
    """Sessions and moving time per intensity band."""

    sessions: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, int] = field(default_factory=dict)

    def share_pct(self, band: str) -> float | None:
        """The band's share of the moving time, in percent."""
        total = sum(self.seconds.values())
        return None if total == 0 else round(100.0 * self.seconds.get(band, 0) / total, 1)


@dataclass(frozen=True)
class Compliance:
    """Planned against done."""

    planned: int
    done: int
    planned_load: float
    done_load: float
    missed: list[PlannedSession]
    unplanned: list[Session]

    @property
    def completion_pct(self) -> float | None:
        return None if self.planned == 0 else round(100.0 * self.done / self.planned, 1)

    @property
    def load_pct(self) -> float | None:
        if self.planned_load <= 0:
            return None
        return round(100.0 * self.done_load / self.planned_load, 1)


@dataclass(frozen=True)
class Trend:
    """A wellness measure's week mean against its baseline before the week."""

    week_mean: float | None
    baseline: Baseline | None

    @property
    def change_pct(self) -> float | None:
        if self.week_mean is None or self.baseline is None:
            return None
        return self.baseline.pct(self.week_mean)


def band(intensity: float | None) -> Band:
    """Easy / moderate / hard from the session's intensity (IF x 100, Allen & Coggan)."""
    if intensity is None:
        return "unknown"
    if intensity < EASY_BELOW:
        return "easy"
    return "moderate" if intensity < HARD_FROM else "hard"


def volume_by_sport(sessions: list[Session]) -> list[SportVolume]:
    """Totals per sport, the longest moving time first."""
    sports: dict[str, SportVolume] = {}
    for s in sessions:
        into = sports.setdefault(s.sport, SportVolume(s.sport))
        into.count += 1
        into.moving_s += s.moving_s
        into.distance_m += s.distance_m
        into.load += s.load
    return sorted(sports.values(), key=lambda v: (-v.moving_s, v.sport))


def intensity_mix(sessions: list[Session]) -> IntensityMix:
    """Session count and moving time per intensity band."""
    mix = IntensityMix()
    for s in sessions:
        b = band(s.intensity)
        mix.sessions[b] = mix.sessions.get(b, 0) + 1
        mix.seconds[b] = mix.seconds.get(b, 0) + s.moving_s
    return mix


def key_sessions(sessions: list[Session], count: int = KEY_SESSIONS) -> list[Session]:
    """Races first, then the highest loads."""
    ranked = sorted(sessions, key=lambda s: (not s.race, -s.load, s.day))
    return ranked[:count]


def compliance(planned: list[PlannedSession], sessions: list[Session]) -> Compliance:
    """Planned workouts matched to activities: by pairing, else same day and sport."""
    by_pairing = {s.event_id: s for s in sessions if s.event_id is not None}
    used: set[str] = set()
    done: list[tuple[PlannedSession, Session]] = []
    missed: list[PlannedSession] = []
    for p in sorted(planned, key=lambda p: (p.day, p.id)):
        match = by_pairing.get(p.id)
        if match is None:
            match = next(
                (
                    s
                    for s in sessions
                    if s.id not in used
                    and s.event_id is None
                    and s.day == p.day
                    and s.sport == p.sport
                ),
                None,
            )
        if match is None or match.id in used:
            missed.append(p)
        else:
            used.add(match.id)
            done.append((p, match))
    return Compliance(
        planned=len(planned),
        done=len(done),
        planned_load=sum(p.load or 0.0 for p in planned),
        done_load=sum(s.load for _, s in done),
        missed=missed,
        unplanned=[s for s in sessions if s.id not in used],
    )


def trend(values: Mapping[date, float], first: date, last: date) -> Trend:
    """The mean over ``first``..``last`` against the 60 days before ``first``."""
    days = (last - first).days + 1
    week = [v for i in range(days) if (v := values.get(first + timedelta(days=i))) is not None]
    return Trend(
        week_mean=fmean(week) if week else None,
        baseline=baseline(values, first, BASELINE_DAYS),
    )


def review_week(today: date, week_of: date | None) -> tuple[date, date]:
    """Monday..Sunday of ``week_of``'s week; by default the last full week, or this week when
    today is Sunday. The end never passes today."""
    if week_of is None:
        week_of = today if today.weekday() == 6 else today - timedelta(days=7)
    monday = week_of - timedelta(days=week_of.weekday())
    return monday, min(monday + timedelta(days=6), today)
