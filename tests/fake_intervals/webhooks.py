"""The fake's OAuth-app webhooks (shared/docs/intervals-api.md §3.7), as Intervals.icu sends them.

Configured like "Manage App" on intervals.icu/settings: a target URL and a secret
(``fake.webhooks.configure(url, secret, client=...)``). When the fake's data changes, through
its API (wellness, calendar events, sport settings) or through what a device sync does
(``fake.upload_activity``, ``fake.sync_wellness``), the event is queued; the fake POSTs
``{"secret": ..., "events": [...]}`` for each, after its own answer is built (API writes) or
when the test calls ``await fake.webhooks.deliver()``. Test controls: ``duplicate=True`` sends
every delivery twice (Intervals.icu does that), ``resend_last()`` repeats the last one, and
``send_forged(event)`` posts one with a wrong secret.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

ClientFactory = Callable[[], httpx.AsyncClient]

SCOPE_EVENTS = {
    "WELLNESS": "WELLNESS_UPDATED",
    "CALENDAR": "CALENDAR_UPDATED",
    "SETTINGS": "SPORT_SETTINGS_UPDATED",
}
"""The webhook an API write of each OAuth area causes (LIBRARY and CHATS have none; an
activity edit sends none in the sources found)."""


@dataclass
class Sent:
    """One POST the fake made: the body and the receiver's status (None: unreachable)."""

    body: dict[str, Any]
    status: int | None


@dataclass
class FakeWebhooks:
    """The webhook settings of the fake's OAuth app and its outgoing deliveries."""

    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    url: str | None = None
    secret: str = ""
    client: ClientFactory = httpx.AsyncClient
    duplicate: bool = False
    """Send every delivery twice, as Intervals.icu sometimes does."""
    pending: list[dict[str, Any]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)

    def configure(
        self,
        url: str,
        secret: str,
        *,
        client: ClientFactory | None = None,
        duplicate: bool = False,
    ) -> None:
        """Turn webhooks on toward ``url`` (``client``: e.g. one over the gateway's ASGI app)."""
        self.url, self.secret, self.duplicate = url, secret, duplicate
        if client is not None:
            self.client = client

    @property
    def enabled(self) -> bool:
        return self.url is not None

    def emit(self, athlete: str, kind: str, **extra: Any) -> None:
        """Queue one event for ``athlete`` (nothing when webhooks are off)."""
        if not self.enabled:
            return
        stamp = self.now().astimezone(UTC).isoformat(timespec="milliseconds")
        self.pending.append({"athlete_id": athlete, "type": kind, "timestamp": stamp, **extra})

    async def deliver(self) -> list[int | None]:
        """POST every queued event (one delivery each), twice when ``duplicate``; the
        receiver's statuses."""
        events, self.pending = self.pending, []
        statuses: list[int | None] = []
        for one in events:
            body = {"secret": self.secret, "events": [one]}
            for _ in range(2 if self.duplicate else 1):
                statuses.append(await self.post(body))
        return statuses

    async def resend_last(self) -> int | None:
        """Repeat the last delivery, byte for byte."""
        return await self.post(self.sent[-1].body)

    async def send_forged(
        self, event: dict[str, Any], secret: str = "not-the-secret"
    ) -> int | None:
        """POST ``event`` with a wrong secret, as someone who guessed the URL would."""
        return await self.post({"secret": secret, "events": [event]})

    async def post(self, body: dict[str, Any]) -> int | None:
        assert self.url is not None, "webhooks are not configured"
        try:
            async with self.client() as http:
                response = await http.post(self.url, json=body, timeout=10)
            status: int | None = response.status_code
        except httpx.HTTPError:
            status = None
        self.sent.append(Sent(body, status))
        return status


def api_write_event(
    scope: str | None, method: str, path: dict[str, str], result: Any
) -> tuple[str, dict[str, Any]] | None:
    """The webhook (type and extra fields) a successful API write in OAuth area ``scope``
    causes, or None. Calendar events name the changed events, or the deleted one."""
    kind = SCOPE_EVENTS.get(scope or "")
    if kind is None or method == "GET":
        return None
    if kind != "CALENDAR_UPDATED":
        return kind, {}
    if method == "DELETE" and path.get("eventId"):
        return kind, {"events": [], "deleted_events": [_number(path["eventId"])]}
    items = result if isinstance(result, list) else [result]
    changed = [{"id": item["id"]} for item in items if isinstance(item, dict) and "id" in item]
    return kind, {"events": changed, "deleted_events": []}


def _number(value: str) -> int | str:
    return int(value) if value.isdigit() else value
