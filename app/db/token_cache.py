"""The verified-token cache, and how revocations reach it in this process and in the others.

Every MCP request verifies its bearer token (app/oauth/resource.py ``resolve_bearer``). The
answer (the caller, with the credential still sealed: never plaintext) is kept here for
``GATEWAY_TOKEN_CACHE_SECONDS`` at most, never past the token's own expiry, in a bounded LRU
(``GATEWAY_TOKEN_CACHE_SIZE``; cachetools' ``TLRUCache``), keyed by the token's SHA-256 digest
(never the token).

Whatever ends a token, a grant or a credential notes it on its database session
(app/db/revocation.py ``forget_verified``); once the transaction commits, :class:`Revocations`
drops the matching entries of this process at once and, with
``GATEWAY_SHARED_STATE_BACKEND=redis``, publishes the same notice on a Redis channel that every
other instance follows (:meth:`Revocations.follow`). While an instance is not subscribed (at
start, during a Redis outage) it does not trust its cache: every request reads the database.
When it subscribes again it empties the cache, since notices sent meanwhile are lost.

A notice names a scope, never a secret: ``athlete:<row id>``, ``grant:<row id>`` or ``all``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from cachetools import TLRUCache

from app.observe import observer
from app.redis_state import RedisState, SharedStateUnavailable

if TYPE_CHECKING:
    from app.settings import Settings

log = logging.getLogger(__name__)

V = TypeVar("V")

CHANNEL = "token-revocations"
EVERYTHING = "all"
RETRY_SECONDS = 1.0
"""Pause between two attempts to subscribe again after Redis went away."""


def athlete_scope(athlete_pk: int) -> str:
    return f"athlete:{athlete_pk}"


def grant_scope(grant_id: int) -> str:
    return f"grant:{grant_id}"


@dataclass(frozen=True)
class _Entry(Generic[V]):
    value: V
    athlete_pk: int
    grant_id: int
    expires: float
    """The token's own expiry, POSIX seconds on the cache's clock."""


class TokenCache(Generic[V]):
    """Verified tokens by digest: bounded, short-lived, forgotten by athlete, grant or all.

    ``generation`` changes with every forget, so a lookup that read the database before a
    revocation committed cannot store its (now stale) answer after the notice arrived."""

    def __init__(self, *, seconds: float, size: int, clock: Callable[[], float]) -> None:
        self.seconds = seconds
        self.generation = 0
        self.trusted = True
        """False while notices from other instances may be missed: the cache is bypassed."""
        self.size = max(1, size)
        self._entries: TLRUCache[str, _Entry[V]] = TLRUCache(
            maxsize=self.size, ttu=self._until, timer=clock
        )
        self._digests: dict[str, set[str]] = {}
        """Digests by scope (``athlete:<id>``, ``grant:<id>``), so forgetting one is not a scan.
        Entries the LRU evicted or expired may linger here until the next :meth:`_reindex`."""
        self._indexed = 0

    def _until(self, _digest: str, entry: _Entry[V], now: float) -> float:
        return min(now + self.seconds, entry.expires)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, digest: str) -> V | None:
        """The cached verification of a token digest, or None (counted as hit or miss)."""
        if not self.trusted:
            return None
        try:
            # ``TLRUCache.__getitem__``: one clock reading, an expired entry a KeyError; what
            # ``get`` does in twice the calls (a membership test, then the same item access)
            entry: _Entry[V] | None = self._entries[digest]
        except KeyError:
            entry = None
        observer().token_cache_lookup("miss" if entry is None else "hit")
        return None if entry is None else entry.value

    def put(
        self,
        digest: str,
        value: V,
        *,
        athlete_pk: int,
        grant_id: int,
        expires: float,
        generation: int,
    ) -> None:
        """Keep a verification read at ``generation`` unless something was forgotten since."""
        if not self.trusted or generation != self.generation:
            return
        self._entries[digest] = _Entry(value, athlete_pk, grant_id, expires)
        for scope in (athlete_scope(athlete_pk), grant_scope(grant_id)):
            self._digests.setdefault(scope, set()).add(digest)
        self._indexed += 1
        if self._indexed > 2 * self.size:
            self._reindex()

    def _reindex(self) -> None:
        """Rebuild the scope index from the live entries (amortised: once per ``size`` puts)."""
        self._digests = {}
        for digest, entry in list(self._entries.items()):
            for scope in (athlete_scope(entry.athlete_pk), grant_scope(entry.grant_id)):
                self._digests.setdefault(scope, set()).add(digest)
        self._indexed = len(self._entries)

    def forget(self, scopes: Iterable[str], origin: str) -> None:
        """Drop every entry of the named athletes, grants, or all of them."""
        wanted = frozenset(scopes)
        self.generation += 1
        if EVERYTHING in wanted:
            self._entries.clear()
            self._digests = {}
            self._indexed = 0
        else:
            for scope in wanted:
                for digest in self._digests.pop(scope, ()):
                    self._entries.pop(digest, None)
        observer().token_cache_invalidation(origin)


def parse_notice(message: str) -> frozenset[str]:
    """The scopes of a published notice; anything unreadable means "forget everything"."""
    scopes = frozenset(message.split())
    for scope in scopes:
        kind, _, number = scope.partition(":")
        if scope != EVERYTHING and (kind not in ("athlete", "grant") or not number.isdigit()):
            return frozenset({EVERYTHING})
    return scopes or frozenset({EVERYTHING})


class Revocations:
    """The sink app/db/revocation.py hands committed revocations to: this process's cache at
    once, the other instances through Redis (when configured)."""

    def __init__(self, cache: TokenCache[object] | None, redis: RedisState | None) -> None:
        self.cache = cache
        self.redis = redis
        self._sending: set[asyncio.Task[None]] = set()
        if cache is not None and redis is not None:
            cache.trusted = False  # until subscribed to the other instances' notices

    def ended(self, scopes: frozenset[str], *, everywhere: bool = True) -> None:
        """Called once a transaction that ended ``scopes`` committed."""
        if self.cache is not None:
            self.cache.forget(scopes, "local")
        if everywhere and self.redis is not None:
            task = asyncio.get_running_loop().create_task(self._publish(scopes))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _publish(self, scopes: frozenset[str]) -> None:
        assert self.redis is not None
        try:
            await self.redis.publish(CHANNEL, " ".join(sorted(scopes)))
        except SharedStateUnavailable as error:
            log.warning(
                "revocation notice not published (%s); other instances may accept the ended "
                "tokens until their cache entries expire (GATEWAY_TOKEN_CACHE_SECONDS)",
                type(error).__name__,
            )

    async def follow(self) -> None:
        """Apply the other instances' notices until cancelled; resubscribe after an outage,
        distrusting the cache meanwhile and emptying it once subscribed again."""
        if self.cache is None or self.redis is None:
            return
        cache = self.cache
        while True:
            try:
                async for message in self.redis.listen(CHANNEL, subscribed=self._subscribed):
                    cache.forget(parse_notice(message), "remote")
            except SharedStateUnavailable as error:
                log.warning(
                    "revocation notices unavailable (%s); the token cache is bypassed until "
                    "Redis answers again",
                    type(error).__name__,
                )
            cache.trusted = False
            await asyncio.sleep(RETRY_SECONDS)

    def _subscribed(self) -> None:
        assert self.cache is not None
        self.cache.forget([EVERYTHING], "reconnect")
        self.cache.trusted = True

    def start_following(self) -> asyncio.Task[None] | None:
        """The task running :meth:`follow`, or None when there is nothing to follow."""
        if self.cache is None or self.redis is None:
            return None
        return asyncio.get_running_loop().create_task(self.follow(), name="token-revocations")


class CollectedRevocations:
    """The sink of a command-line process: it has no cache of its own; what its transactions
    ended is published to the serving instances when the command is done (:func:`announce`)."""

    def __init__(self) -> None:
        self.scopes: set[str] = set()

    def ended(self, scopes: frozenset[str], *, everywhere: bool = True) -> None:
        if everywhere:
            self.scopes |= scopes


async def announce(settings: Settings, scopes: Iterable[str]) -> bool:
    """Publish ``scopes`` to the serving instances' caches (Redis backend only); False when
    Redis did not take the notice (the caller says what bound applies then)."""
    wanted = sorted(set(scopes))
    if not wanted or settings.shared_state_backend != "redis":
        return True
    redis = RedisState.from_settings(settings)
    try:
        await redis.publish(CHANNEL, " ".join(wanted))
    except SharedStateUnavailable as error:
        log.warning("revocation notice not published (%s)", type(error).__name__)
        return False
    finally:
        await redis.aclose()
    return True


async def announce_from_cli(settings: Settings, ended: CollectedRevocations) -> None:
    """:func:`announce` for a command: a failure is said on stderr with the bound that applies."""
    if await announce(settings, ended.scopes):
        return
    print(
        "intervals-gateway: saved, but Redis did not take the revocation notice; serving "
        "instances may accept the ended tokens for up to GATEWAY_TOKEN_CACHE_SECONDS",
        file=sys.stderr,
    )
