"""Intervals.icu OAuth-app webhooks as plain protocol rules: what a delivery looks like, how
its secret is checked, which :class:`~app.intervals.freshness.Area` each event type changes, and
what makes two events the same (shared/docs/intervals-api.md §3.7).

A delivery is one JSON object ``{"secret": "...", "events": [{"athlete_id": "...",
"type": "...", "timestamp": "...", ...}]}`` POSTed to the URL configured in the app's
"Manage App" page. Intervals.icu retries a delivery it did not see answered with 200 (a 204
counts as failed), and sends duplicates (repeated ``CALENDAR_UPDATED`` for the same events are
common), so a receiver answers 200 quickly and drops events it has already seen.

No HTTP here: the endpoint (app/web/webhooks.py) reads the body and calls these functions.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.digests import sha256_hex
from app.intervals.freshness import Area

__all__ = [
    "AREAS_BY_TYPE",
    "MAX_EVENTS",
    "Delivery",
    "MalformedDelivery",
    "WebhookEvent",
    "areas_for",
    "parse_delivery",
    "secret_matches",
]

MAX_EVENTS = 500
"""Events accepted in one delivery; a delivery with more is malformed (the body limit of
app/web/body_limit.py bounds the bytes first)."""

MAX_FIELD_CHARS = 200
"""Longest ``athlete_id``, ``type`` or ``timestamp`` accepted."""

AREAS_BY_TYPE: Mapping[str, frozenset[Area]] = {
    # fires before analysis (icu_ fields provisional); a new activity also adds load and may
    # pair with a planned workout on the calendar
    "ACTIVITY_UPLOADED": frozenset({Area.ACTIVITIES, Area.FITNESS, Area.CALENDAR}),
    # the icu_ fields are final: load, zones, intervals, curves
    "ACTIVITY_ANALYZED": frozenset({Area.ACTIVITIES, Area.FITNESS, Area.CALENDAR}),
    # best efforts and records; a new best may move the estimated FTP in the sport settings
    "ACTIVITY_ACHIEVEMENTS": frozenset({Area.ACTIVITIES, Area.SETTINGS, Area.PROFILE}),
    # CTL/ATL live in the fitness chart and in each day's wellness record
    "FITNESS_UPDATED": frozenset({Area.FITNESS, Area.WELLNESS}),
    "WELLNESS_UPDATED": frozenset({Area.WELLNESS}),
    # sport settings are part of GET /athlete/{id} too
    "SPORT_SETTINGS_UPDATED": frozenset({Area.SETTINGS, Area.PROFILE}),
    "CALENDAR_UPDATED": frozenset({Area.CALENDAR}),
}
"""The areas of an athlete's data each event type says have changed."""

ALL_AREAS = frozenset(Area)


class MalformedDelivery(ValueError):
    """The body is not a webhook delivery; the message says what is wrong (safe to return)."""


@dataclass(frozen=True)
class WebhookEvent:
    """One event of a delivery, reduced to what the gateway acts on."""

    athlete_id: str
    type: str
    timestamp: str
    activity_ids: tuple[str, ...] = ()
    """Activities the event names (``ACTIVITY_*``), their cached details are dropped too."""
    object_ids: tuple[str, ...] = ()
    """Every id the event names (activities, calendar events, deleted events): part of
    :meth:`dedup_key`, so two changes of different objects at one instant both count."""

    def dedup_key(self) -> str:
        """A digest naming this event: athlete, type, timestamp and ids (sorted), so the same
        event delivered twice has the same key."""
        canonical = json.dumps(
            [self.athlete_id, self.type, self.timestamp, sorted(self.object_ids)],
            separators=(",", ":"),
        )
        return sha256_hex(canonical)


@dataclass(frozen=True)
class Delivery:
    """A parsed delivery; ``secret`` is compared with :func:`secret_matches`, never logged."""

    secret: str
    events: tuple[WebhookEvent, ...]


def secret_matches(given: str, expected: str) -> bool:
    """Whether the delivery's secret is the app's webhook secret, in constant time: the
    SHA-256 digests of both (equal length whatever the input) are compared with
    :func:`hmac.compare_digest`. An empty expected secret matches nothing."""
    if not expected:
        return False
    given_digest = hashlib.sha256(given.encode()).digest()
    expected_digest = hashlib.sha256(expected.encode()).digest()
    return hmac.compare_digest(given_digest, expected_digest)


def parse_delivery(body: bytes) -> Delivery:
    """The delivery in ``body``, or :class:`MalformedDelivery` naming the problem."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedDelivery("the body is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedDelivery("the body must be a JSON object")
    secret = data.get("secret")
    if not isinstance(secret, str):
        raise MalformedDelivery("'secret' must be a string")
    events = data.get("events")
    if not isinstance(events, list):
        raise MalformedDelivery("'events' must be a list")
    if len(events) > MAX_EVENTS:
        raise MalformedDelivery(f"at most {MAX_EVENTS} events per delivery")
    return Delivery(secret, tuple(parse_event(item, n) for n, item in enumerate(events)))


def parse_event(item: Any, index: int) -> WebhookEvent:
    """One element of ``events``: an object with string ``athlete_id``, ``type`` and
    ``timestamp``; the ids it names are collected leniently (unknown keys are ignored)."""
    if not isinstance(item, dict):
        raise MalformedDelivery(f"events[{index}] must be an object")
    fields = {name: _text(item, name, index) for name in ("athlete_id", "type", "timestamp")}
    activity_ids = _ids([item.get("activity_id")], [item.get("activity")], item.get("activities"))
    object_ids = activity_ids + _ids(
        [item.get("event_id"), item.get("id")], item.get("events"), item.get("deleted_events")
    )
    return WebhookEvent(
        athlete_id=fields["athlete_id"],
        type=fields["type"].upper(),
        timestamp=fields["timestamp"],
        activity_ids=activity_ids,
        object_ids=tuple(dict.fromkeys(object_ids)),
    )


def areas_for(event_type: str) -> frozenset[Area]:
    """The areas an event type changes. A type the gateway does not know yet changes every
    area: forgetting too much costs a few upstream requests, serving stale data costs trust."""
    return AREAS_BY_TYPE.get(event_type.upper(), ALL_AREAS)


def _text(item: Mapping[str, Any], name: str, index: int) -> str:
    value = item.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise MalformedDelivery(f"events[{index}].{name} must be a non-empty string")
    if len(value) > MAX_FIELD_CHARS:
        raise MalformedDelivery(f"events[{index}].{name} is too long")
    return value.strip()


def _ids(*groups: Any) -> tuple[str, ...]:
    """Ids from lists of ids or of objects with an ``id``; anything else is skipped."""
    found: list[str] = []
    for group in groups:
        for entry in group if isinstance(group, list) else ():
            value = entry.get("id") if isinstance(entry, dict) else entry
            if isinstance(value, bool):
                continue
            if isinstance(value, int | str) and str(value).strip():
                found.append(str(value).strip()[:MAX_FIELD_CHARS])
    return tuple(dict.fromkeys(found))


def describe(events: Iterable[WebhookEvent]) -> str:
    """A short log line naming event types only (no secret, no athlete)."""
    types = sorted({event.type for event in events})
    return ", ".join(types) or "no events"
