"""Progression: repeated sessions of the same kind compared over time (docs/analytics.md
"Progression").

- Same kind: the same sport and either the same workout (activity name, which Intervals.icu
  takes from the planned workout) or the same structure (Intervals.icu's
  ``interval_summary``, e.g. ``3x 12m``), matched in that order.
- Efficiency factor (Coggan / Friel): EF = output / average HR, output = normalised power
  (else average power) for rides, average speed for runs and swims. A higher EF is more
  output at the same HR; the change is given in %.
- Output at the same HR: EF x the reference session's average HR, i.e. what an earlier
  session's efficiency yields at today's HR.
- Interval averages: mean output and HR of the work intervals.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Candidate:
    """What matching needs of one activity."""

    id: str
    sport: str | None
    name: str | None
    structure: str | None


def _norm(text: str | None) -> str:
    return " ".join((text or "").lower().split())


def match_kind(reference: Candidate, other: Candidate) -> str | None:
    """ "workout" (same sport and name), "structure" (same sport and interval summary), or
    None."""
    if other.id == reference.id or other.sport != reference.sport:
        return None
    if _norm(reference.name) and _norm(reference.name) == _norm(other.name):
        return "workout"
    if _norm(reference.structure) and _norm(reference.structure) == _norm(other.structure):
        return "structure"
    return None


def efficiency(output: float | None, heartrate: float | None) -> float | None:
    """EF = output / average HR (None without both)."""
    if not output or not heartrate:
        return None
    return output / heartrate


def change_pct(new: float | None, old: float | None) -> float | None:
    """(new - old) / old x 100."""
    if new is None or old is None or old == 0:
        return None
    return 100.0 * (new - old) / old


def at_heartrate(ef: float | None, heartrate: float | None) -> float | None:
    """Output an efficiency factor yields at ``heartrate``."""
    return None if ef is None or heartrate is None else ef * heartrate
