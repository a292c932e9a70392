"""What changed upstream, for one athlete: the vocabulary shared by the per-athlete answer cache
and the things that learn of a change (Intervals.icu webhooks, the gateway's own writes).

Intervals.icu webhook event types (shared/docs/intervals-api.md §3.7: ``ACTIVITY_UPLOADED``,
``ACTIVITY_ANALYZED``, ``ACTIVITY_ACHIEVEMENTS``, ``FITNESS_UPDATED``, ``WELLNESS_UPDATED``,
``SPORT_SETTINGS_UPDATED``, ``CALENDAR_UPDATED``) and writes through the gateway both name
:class:`Area` values; the cache drops that athlete's cached answers in those areas.
:class:`NoFreshness` is the stand-in when no cache is configured.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Protocol

__all__ = ["Area", "Invalidator", "NoFreshness"]


class Area(StrEnum):
    """A part of one athlete's Intervals.icu data that changes together."""

    PROFILE = "profile"
    """``GET /athlete/{id}``: the athlete, their sport settings and custom items."""
    SETTINGS = "settings"
    """Sport settings (FTP, thresholds, zones) and gear."""
    ACTIVITIES = "activities"
    """Activity lists, searches, an activity and everything derived from it (intervals,
    streams, curves, best efforts, histograms, messages)."""
    WELLNESS = "wellness"
    """Daily wellness records (weight, HRV, sleep, resting HR, how the athlete felt)."""
    FITNESS = "fitness"
    """Fitness, fatigue and form (CTL/ATL), load and the athlete summary."""
    CALENDAR = "calendar"
    """Planned events: workouts, races, notes."""
    LIBRARY = "library"
    """The workout library: folders, plans and workouts."""


class Invalidator(Protocol):
    """Something that forgets cached answers when an athlete's data changes."""

    async def invalidate(
        self, athlete_id: str, areas: Iterable[Area], *, activity_ids: Iterable[str] = ()
    ) -> None:
        """Forget what is cached for ``athlete_id`` (a bare Intervals.icu id such as
        ``"i100002"``) in ``areas``; ``activity_ids`` names single activities whose cached
        details (kept longer, as they rarely change once analyzed) are dropped too."""
        ...


class NoFreshness:
    """The :class:`Invalidator` of a gateway that caches nothing."""

    async def invalidate(
        self, athlete_id: str, areas: Iterable[Area], *, activity_ids: Iterable[str] = ()
    ) -> None:
        """Nothing is cached, so nothing is forgotten."""
        return None
