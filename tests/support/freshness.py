"""A stand-in for the answer cache behind ``services.freshness``: records what it is told."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from app.intervals.freshness import Area


class RecordingFreshness:
    """Records each invalidation; ``hold`` makes processing wait until the test releases it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, frozenset[Area], tuple[str, ...]]] = []
        self.hold: asyncio.Event | None = None
        self.started = asyncio.Event()

    async def invalidate(
        self, athlete_id: str, areas: Iterable[Area], *, activity_ids: Iterable[str] = ()
    ) -> None:
        self.started.set()
        if self.hold is not None:
            await self.hold.wait()
        self.calls.append((athlete_id, frozenset(areas), tuple(activity_ids)))
