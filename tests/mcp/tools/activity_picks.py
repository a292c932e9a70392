"""Activities of the fake's demo athletes that the activity tool tests need."""

from __future__ import annotations

from typing import Any

from tests.fake_intervals.app import FakeIntervals


def newest(fake: FakeIntervals, athlete: str, *types: str, power: bool | None = None) -> Any:
    """The athlete's most recent recorded (non-Strava) activity of one of ``types``;
    ``power`` True/False: only ones with/without a power stream."""
    found = [
        a
        for a in fake.athletes[athlete].activities.values()
        if a.get("type") in types
        and a.get("source") != "STRAVA"
        and fake.athletes[athlete].segments.get(a["id"])
        and (power is None or ("watts" in (a.get("stream_types") or [])) == power)
    ]
    return max(found, key=lambda a: str(a["start_date_local"]))


def strava_stub(fake: FakeIntervals, athlete: str) -> Any:
    """One of the athlete's Strava imports (only ``id``, dates and a note upstream)."""
    return next(
        a for a in fake.athletes[athlete].activities.values() if a.get("source") == "STRAVA"
    )


def streams_of(fake: FakeIntervals, athlete: str, activity: Any) -> dict[str, list[Any]]:
    """The fake's 1 Hz streams of one activity."""
    return fake.streams(athlete, activity)
