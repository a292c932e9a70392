"""The shapes and rules of a write, free of the database and of HTTP (docs/writes.md).

A write is a list of :class:`PlannedChange`: one upstream object (``kind`` + ``key``), the
values of the fields concerned as read from Intervals.icu now (``before``; None: the object does
not exist) and as they will be (``after``; None: it will be deleted). Two digests bind a
confirmation handle to exactly one change: :func:`request_digest` (what is asked: objects and
new values) and :func:`state_digest` (the upstream state the preview showed). The handle itself
is random; only its SHA-256 is stored and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Protocol

from app.digests import sha256_hex

HANDLE_PREFIX = "chg_"
DEFAULT_CONFIRM_TTL = timedelta(minutes=10)
Fields = Mapping[str, Any]


@dataclass(frozen=True)
class PlannedChange:
    """One object's change: ``before`` -> ``after`` over the fields concerned (upstream names).

    ``key`` is None for an object still to be created (its id is known after apply);
    ``reverts`` is the journal entry an undo restores."""

    kind: str
    key: str | None
    label: str
    before: Fields | None
    after: Fields | None
    reverts: int | None = None

    @property
    def action(self) -> str:
        if self.before is None:
            return "create"
        if self.after is None:
            return "delete"
        return "update"

    def changed_fields(self) -> list[str]:
        """The fields whose value differs (all of them for a create or delete)."""
        before, after = self.before or {}, self.after or {}
        keys = list(dict.fromkeys([*after, *before]))
        return [k for k in keys if canonical(before.get(k)) != canonical(after.get(k))]


@dataclass(frozen=True)
class JournalEntry:
    """One applied change as the journal keeps it."""

    id: int
    batch_id: str
    client_id: str
    grant_id: int | None
    kind: str
    key: str | None
    label: str
    before: Fields | None
    after: Fields | None
    applied_at: datetime
    undone_at: datetime | None = None
    undone_by: str | None = None
    reverts: int | None = None
    coach: str | None = None
    """The coach who made the change for the athlete (name and Intervals.icu id), if one did."""


class ClaimStatus(Enum):
    """What a store says about an apply with a confirmation handle."""

    OK = "ok"
    UNKNOWN = "unknown"
    FOREIGN = "foreign"
    EXPIRED = "expired"
    DIFFERENT = "different"
    STALE = "stale"
    IN_PROGRESS = "in_progress"
    APPLIED = "applied"


REFUSALS: dict[ClaimStatus, str] = {
    ClaimStatus.UNKNOWN: "This confirmation handle is not known. Call the tool again without "
    "confirm to get a fresh preview and handle.",
    ClaimStatus.FOREIGN: "This confirmation handle was issued to another athlete or app "
    "connection; it cannot confirm a change here. Preview the change again.",
    ClaimStatus.EXPIRED: "This confirmation handle has expired. Preview the change again and "
    "confirm within the time shown.",
    ClaimStatus.DIFFERENT: "This confirmation handle was issued for a different change. Confirm "
    "with exactly the arguments of the preview, or preview this change first.",
    ClaimStatus.STALE: "The data on Intervals.icu changed since the preview, so nothing was "
    "written. Preview the change again to see the current state.",
    ClaimStatus.IN_PROGRESS: "This change is being applied right now; check list_changes in a "
    "few seconds.",
}


@dataclass(frozen=True)
class Claim:
    """A store's answer to an apply: go ahead (OK), the batch already applied, or a refusal."""

    status: ClaimStatus
    batch_id: str | None = None


class WriteStore(Protocol):
    """Confirmation handles and the journal of ONE caller (athlete + grant + client), bound by
    the MCP layer (app/mcp/caller.py); tools never name the athlete or the grant."""

    async def issue(
        self, request: str, state: str, summary: str, now: datetime
    ) -> tuple[str, datetime]:
        """A new confirmation handle for this change and when it expires."""
        ...

    async def claim(self, handle: str, request: str, state: str, now: datetime) -> Claim: ...

    async def release(self, handle: str) -> None: ...

    async def record(self, handle: str, applied: Sequence[PlannedChange], now: datetime) -> str: ...

    async def entries(
        self,
        *,
        change_ids: Sequence[int] = (),
        batch_id: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[JournalEntry]: ...


def canonical(value: Any) -> Any:
    """A value as compared and hashed: floats with a whole value become ints (Intervals.icu
    answers ``70.0`` for a weight set as ``70``), empty strings and lists become None."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == "" or value == []:
        return None
    if isinstance(value, Mapping):
        return {k: canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def _digest(payload: Any) -> str:
    text = json.dumps(canonical(payload), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def request_digest(changes: Sequence[PlannedChange]) -> str:
    """What is asked: each object and its new values (not the state they replace)."""
    return _digest([[c.kind, c.key, c.reverts, c.after] for c in changes])


def state_digest(changes: Sequence[PlannedChange]) -> str:
    """The upstream state the change replaces, as read for the preview."""
    return _digest([[c.kind, c.key, c.before] for c in changes])


def new_handle() -> str:
    """A fresh confirmation handle (128 random bits)."""
    return HANDLE_PREFIX + secrets.token_urlsafe(16)


def hash_handle(handle: str) -> str:
    """What the store keeps of a handle: its SHA-256, hex."""
    return sha256_hex(handle)


def same_digest(a: str, b: str) -> bool:
    """Constant-time comparison of two hex digests."""
    return hmac.compare_digest(a.encode(), b.encode())


def matches(current: Fields | None, expected: Fields | None) -> bool:
    """Whether the upstream object still holds ``expected`` (the fields it names)."""
    if current is None or expected is None:
        return current is None and expected is None
    return all(canonical(current.get(k)) == canonical(v) for k, v in expected.items())
