"""The per-athlete cache of Intervals.icu GET answers, and what tells the tools how fresh an
answer is ("as of").

Intervals.icu has no ETag / If-Modified-Since support (intervals-api.md §3.7), so a repeated
question costs a full upstream request unless the gateway keeps the answer. This module keeps
the raw JSON of GET answers (before model validation) for one athlete, read with one
credential:

- **Key**: the athlete whose data it is, a digest of the acting identity (the credential's
  owner, a SHA-256 digest of the credential itself and its granted OAuth scope) and the request
  (method, path, parameters). A coach reading a roster athlete with the coach's own key, the
  athlete with their own token, and a token without the WELLNESS scope all get separate
  entries. No credential ever appears in a key: only the digest does.
- **Areas**: every cached request belongs to one or more :class:`~app.intervals.freshness.Area`
  of its athlete (and, under ``/activity/{id}``, to that activity). Each (athlete, area) and
  (athlete, activity) has a *generation*, a random token that is part of the entry key:
  :meth:`AnswerCache.invalidate` (webhooks, the gateway's own writes) replaces the generation,
  so every entry of that area is unreachable at once, on every instance, without scanning.
- **Lifetimes**: ``GATEWAY_ANSWER_CACHE_TTL_SECONDS`` for everything (the fallback when no
  webhook says what changed); with webhooks configured, ``GATEWAY_ANSWER_CACHE_WEBHOOK_TTL_SECONDS``
  for the areas webhooks report (:data:`WEBHOOK_AREAS`);
  ``GATEWAY_ANSWER_CACHE_ANALYZED_TTL_SECONDS`` for an analyzed activity's streams, intervals,
  curves, best efforts and histograms, which do not change once analyzed (only that
  activity's own invalidation drops them).
- **Stores**: :class:`MemoryStore` (one process, bounded in bytes, oldest first out) or
  :class:`RedisStore` (shared by every instance; values sealed with AES-GCM under the vault's
  key ring, bound to their key, so Redis never holds readable health data). A store that fails
  (Redis down) makes the call go upstream; it never fails the call.

:class:`FetchLedger` records, for one tool call, when each upstream answer it used was fetched
(now for a fresh request, the entry's time for a cached one): the tool answer's ``as_of``.
"""

from __future__ import annotations

import logging
import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic_core import from_json, to_json

from app.clock import utc_now
from app.digests import sha256_hex
from app.intervals.credentials import BearerToken, Credential
from app.intervals.freshness import Area
from app.observe import observer
from app.redis_state import RedisState, SharedStateUnavailable

if TYPE_CHECKING:
    from app.settings import Settings

__all__ = [
    "WEBHOOK_AREAS",
    "AnswerCache",
    "CachedAnswer",
    "FetchLedger",
    "MemoryStore",
    "RedisStore",
    "RequestAreas",
    "Sealer",
    "Store",
    "answer_cache_from_settings",
    "answer_cache_worker_env",
    "areas_of",
    "fetch_ledger",
    "read_identity",
    "recording_fetches",
    "webhooks_on",
    "written_areas",
]

log = logging.getLogger(__name__)

CacheMode = Literal["auto", "memory", "redis", "off"]

ACTIVITY_DETAILS = frozenset(
    {
        "intervals",
        "streams",
        "best-efforts",
        "power-curve",
        "power-curves",
        "pace-curve",
        "hr-curve",
        "power-vs-hr",
        "power-histogram",
        "hr-histogram",
        "pace-histogram",
        "gap-histogram",
        "time-at-hr",
    }
)
"""Sections under ``/activity/{id}/`` computed from the recording: fixed once analyzed."""

_ATHLETE_SECTIONS: tuple[tuple[str, tuple[Area, ...]], ...] = (
    ("athlete-summary", (Area.FITNESS, Area.ACTIVITIES)),
    ("activity-tags", (Area.ACTIVITIES,)),
    ("activities", (Area.ACTIVITIES,)),
    ("activity-", (Area.ACTIVITIES,)),  # activity-power-curves, activity-hr-curves ...
    ("power-curves", (Area.ACTIVITIES,)),
    ("hr-curves", (Area.ACTIVITIES,)),
    ("pace-curves", (Area.ACTIVITIES,)),
    ("power-hr-curve", (Area.ACTIVITIES,)),
    ("mmp-model", (Area.ACTIVITIES, Area.SETTINGS)),
    ("wellness", (Area.WELLNESS, Area.FITNESS)),
    ("events", (Area.CALENDAR,)),
    ("duplicate-events", (Area.CALENDAR,)),
    ("folders", (Area.LIBRARY,)),
    ("workouts", (Area.LIBRARY,)),
    ("training-plan", (Area.LIBRARY, Area.CALENDAR)),
    ("sport-settings", (Area.SETTINGS, Area.PROFILE)),
    ("gear", (Area.SETTINGS,)),
    ("custom-item", (Area.SETTINGS, Area.PROFILE)),
)
"""``/athlete/{id}/<section>`` -> its areas (first matching prefix wins)."""

WEBHOOK_AREAS = frozenset(
    {Area.ACTIVITIES, Area.WELLNESS, Area.FITNESS, Area.CALENDAR, Area.SETTINGS}
)
"""The areas Intervals.icu webhooks report changes in (``ACTIVITY_*``, ``WELLNESS_UPDATED``,
``FITNESS_UPDATED``, ``CALENDAR_UPDATED``, ``SPORT_SETTINGS_UPDATED``; intervals-api.md
§3.7): with webhooks on, their entries may live longer. The library and the profile have no
webhook and keep the fallback TTL."""

_WRITE_ALSO: dict[Area, tuple[Area, ...]] = {
    Area.ACTIVITIES: (Area.FITNESS, Area.WELLNESS),  # load feeds CTL/ATL, kept on wellness days
    Area.CALENDAR: (),
    Area.WELLNESS: (Area.FITNESS,),
    Area.SETTINGS: (Area.PROFILE,),
    Area.PROFILE: (Area.SETTINGS,),
    Area.LIBRARY: (),
    Area.FITNESS: (),
}
"""A write in one area changes what is derived from it in others."""


@dataclass(frozen=True)
class RequestAreas:
    """What a request reads or changes: the athlete's areas, the one activity it is about
    (under ``/activity/{id}``), and whether it is an activity detail (long-lived once
    analyzed)."""

    areas: tuple[Area, ...]
    activity_id: str | None = None
    detail: bool = False
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # worked out once: the generation names are remembered by it on every lookup, and
        # hashing the areas anew calls each Area's (Python) __hash__
        object.__setattr__(self, "_hash", hash((self.areas, self.activity_id, self.detail)))

    def __hash__(self) -> int:
        return self._hash


PATHS_REMEMBERED = 4096
"""How many recent paths :func:`areas_of` and athletes' generation names are remembered for
(each is a pure function of its arguments, asked on every cached request)."""


@lru_cache(maxsize=PATHS_REMEMBERED)
def areas_of(path: str) -> RequestAreas | None:
    """The areas of an Intervals.icu path (under ``/api/v1``), None when unknown (never
    cached). ``/activity/{id}/messages`` are comments, which change without any webhook: not
    cached either. Remembered per path (the answer is immutable)."""
    parts = path.strip("/").split("/")
    if parts[0] == "activity" and len(parts) >= 2:
        if len(parts) == 2:
            return RequestAreas((Area.ACTIVITIES,), parts[1])
        section = parts[2].split(".")[0]
        if section == "messages":
            return None
        return RequestAreas((Area.ACTIVITIES,), parts[1], detail=section in ACTIVITY_DETAILS)
    if parts[0] != "athlete" or len(parts) < 2:
        return None
    if len(parts) == 2:
        return RequestAreas((Area.PROFILE, Area.SETTINGS))
    section = parts[2].split(".")[0]
    for prefix, areas in _ATHLETE_SECTIONS:
        if section.startswith(prefix):
            if section.startswith("events") and len(parts) >= 5 and parts[4] == "mark-done":
                return RequestAreas((Area.CALENDAR, Area.ACTIVITIES))
            return RequestAreas(areas)
    return None


def written_areas(path: str) -> RequestAreas | None:
    """What a write to ``path`` changes: its own areas and those derived from them. Revoking
    the gateway's Intervals.icu access (``DELETE /disconnect-app``) forgets everything."""
    if path.strip("/") == "disconnect-app":
        return RequestAreas(tuple(Area))
    found = areas_of(path)
    if found is None:
        parts = path.strip("/").split("/")
        if parts[0] == "activity" and len(parts) >= 2:  # e.g. a comment: the activity only
            return RequestAreas((Area.ACTIVITIES,), parts[1])
        return None
    areas = list(found.areas)
    for area in found.areas:
        areas += [extra for extra in _WRITE_ALSO[area] if extra not in areas]
    return RequestAreas(tuple(areas), found.activity_id)


def read_identity(credential: Credential, owner_id: str | None) -> str:
    """Who reads: the credential's owner (when known), a SHA-256 digest of the credential (its
    ``Authorization`` header, never stored) and, for an OAuth token, its granted scope. Two
    callers share cached answers only when all three agree."""
    secret_digest = sha256_hex(credential.authorization_header())
    scope = credential.scope if isinstance(credential, BearerToken) else None
    return f"{owner_id or '-'}|{credential.kind}|{secret_digest}|{scope or '*'}"


def bare_athlete(athlete_id: str) -> str:
    """``i100002`` and ``100002`` name the same athlete in keys."""
    return athlete_id.removeprefix("i")


# -- "as of" ------------------------------------------------------------------------------


class FetchLedger:
    """One tool call's record of its upstream answers: the oldest fetch time (``as_of``) and
    the activities seen analyzed (whose details may be kept longer). Used as the context
    manager of :func:`recording_fetches`: inside the block it is the :func:`fetch_ledger` of
    the call (a plain class rather than a ``contextmanager`` generator: entered once per tool
    call)."""

    __slots__ = ("_token", "analyzed", "now", "oldest", "started")

    def __init__(self, now: Callable[[], datetime] = utc_now) -> None:
        self.now = now
        self.oldest: datetime | None = None
        self.analyzed: set[str] = set()
        self.started: datetime = now()
        self._token: Token[FetchLedger | None] | None = None

    def __enter__(self) -> FetchLedger:
        self._token = _ledger.set(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _ledger.reset(self._token)
            self._token = None

    def fetched(self, when: datetime | None = None) -> None:
        """An upstream answer was used, fetched at ``when`` (None: just now)."""
        moment = when or self.now()
        if self.oldest is None or moment < self.oldest:
            self.oldest = moment

    def saw(self, data: Any) -> None:
        """Note the activities in an answer (one, or a list) that Intervals.icu has analyzed.
        Decoded JSON holds plain dicts only, so ``type(item) is dict`` and a key test stand in
        for ``isinstance`` and ``dict.get`` (a list of activities is scanned on every call)."""
        for item in data if type(data) is list else (data,):
            if (
                type(item) is dict
                and "analyzed" in item
                and item["analyzed"]
                and item.get("id") is not None
            ):
                self.analyzed.add(str(item["id"]))

    def as_of(self) -> str | None:
        """When the oldest answer used was fetched, as UTC ISO 8601 to the second
        (``2026-11-30T07:20:15Z``): the call's own time when every answer was fetched during
        the call (live data); None when the call read nothing from Intervals.icu."""
        if self.oldest is None:
            return None
        return self.oldest.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def cached(self) -> bool:
        """Whether an answer used came from the answer cache (fetched before the call began)."""
        return self.oldest is not None and self.oldest < self.started


_ledger: ContextVar[FetchLedger | None] = ContextVar("fetch_ledger", default=None)


def fetch_ledger() -> FetchLedger | None:
    """The ledger of the tool call running in this context, if any."""
    return _ledger.get()


def recording_fetches(now: Callable[[], datetime] = utc_now) -> FetchLedger:
    """Record the upstream answers used inside the ``with`` block (one tool call)."""
    return FetchLedger(now)


# -- stores -------------------------------------------------------------------------------


class Store(Protocol):
    """Where entries and generations live. Every method may raise what
    :data:`SharedStateUnavailable` names; the cache then goes upstream."""

    async def get(self, key: str) -> bytes | None: ...

    async def put(self, key: str, value: bytes, ttl: float) -> None: ...

    async def generations(self, names: list[str], ttl: float) -> list[str]:
        """The current generation of each name, creating a fresh one where none is set."""
        ...

    async def renew(self, names: list[str], ttl: float) -> None:
        """Give each name a fresh generation (what was cached under the old one is gone)."""
        ...


def _fresh_generation() -> str:
    return secrets.token_hex(8)


ENTRY_OVERHEAD = 200
"""Bytes an in-memory entry costs besides its key and value (dict slot, tuple, float)."""


@dataclass
class MemoryStore:
    """One process's entries, at most ``max_bytes`` of keys, values and overhead (oldest
    written first out); generations live as long as the longest entry could."""

    clock: Callable[[], float]
    max_bytes: int = 64 * 1024 * 1024
    _entries: OrderedDict[str, tuple[float, bytes]] = field(default_factory=OrderedDict)
    _generations: dict[str, tuple[float, str]] = field(default_factory=dict)
    _bytes: int = 0

    async def get(self, key: str) -> bytes | None:
        return self.entry(key, self.clock())

    def entry(self, key: str, now: float) -> bytes | None:
        """The value under ``key`` unless it expired by ``now`` (:meth:`get` without the
        await, for :meth:`AnswerCache.lookup`)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= now:
            self._drop(key)
            return None
        return entry[1]

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        self.keep(key, value, ttl, self.clock())

    def keep(self, key: str, value: bytes, ttl: float, now: float) -> None:
        """:meth:`put` at ``now``, without the await (:meth:`AnswerCache.keep`)."""
        cost = _cost(key, value)
        if cost > self.max_bytes:
            return
        self._drop(key)
        while self._entries and self._bytes + cost > self.max_bytes:
            self._drop(next(iter(self._entries)))
        self._entries[key] = (now + ttl, value)
        self._bytes += cost

    async def generations(self, names: list[str], ttl: float) -> list[str]:
        return self.current_generations(names, ttl, self.clock())

    def current_generations(self, names: Iterable[str], ttl: float, now: float) -> list[str]:
        """:meth:`generations` at ``now``, without the await (:meth:`AnswerCache.lookup`)."""
        found = []
        for name in names:
            current = self._generations.get(name)
            if current is None or current[0] <= now:
                self._sweep_generations(now)
                current = (now + ttl, _fresh_generation())
                self._generations[name] = current
            found.append(current[1])
        return found

    async def renew(self, names: list[str], ttl: float) -> None:
        now = self.clock()
        for name in names:
            self._generations[name] = (now + ttl, _fresh_generation())

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= _cost(key, entry[1])

    def _sweep_generations(self, now: float) -> None:
        if len(self._generations) > 100_000:
            for name in [n for n, (until, _) in self._generations.items() if until <= now]:
                del self._generations[name]


def _cost(key: str, value: bytes) -> int:
    return len(key) + len(value) + ENTRY_OVERHEAD


class Sealer(Protocol):
    """Authenticated encryption of a cached value bound to its key (the vault's key ring)."""

    def seal(self, plaintext: bytes, bound_to: str) -> bytes: ...

    def open(self, sealed: bytes, bound_to: str) -> bytes | None:
        """The plaintext, or None when it cannot be authenticated (other key, other entry)."""
        ...


@dataclass
class RedisStore:
    """Entries and generations in Redis under ``<prefix>answers:``, each with its TTL; values
    sealed (see :class:`Sealer`)."""

    redis: RedisState
    sealer: Sealer

    async def get(self, key: str) -> bytes | None:
        sealed: bytes | str | None = await self.redis.client.get(self.redis.key("answers", key))
        if sealed is None:
            return None
        return self.sealer.open(sealed if isinstance(sealed, bytes) else sealed.encode(), key)

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        sealed = self.sealer.seal(value, key)
        await self.redis.client.set(self.redis.key("answers", key), sealed, px=_ms(ttl))

    async def generations(self, names: list[str], ttl: float) -> list[str]:
        keys = [self.redis.key("answers", "gen", name) for name in names]
        found: list[Any] = await self.redis.client.mget(keys)
        result = []
        for key, value in zip(keys, found, strict=True):
            if value is None:
                await self.redis.client.set(key, _fresh_generation(), px=_ms(ttl), nx=True)
                value = await self.redis.client.get(key)
            result.append(value.decode() if isinstance(value, bytes) else str(value))
        return result

    async def renew(self, names: list[str], ttl: float) -> None:
        async with self.redis.client.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.set(self.redis.key("answers", "gen", name), _fresh_generation(), px=_ms(ttl))
            await pipe.execute()


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


# -- the cache ----------------------------------------------------------------------------


RECENT_ENTRIES = 128
RECENT_MAX_BYTES = 16 * 1024


@dataclass(frozen=True)
class CachedAnswer:
    """An upstream answer as used: its JSON and when it was fetched."""

    data: Any
    fetched_at: datetime


@dataclass
class AnswerCache:
    """The :class:`~app.intervals.freshness.Invalidator` of a gateway that caches answers."""

    store: Store
    ttl: float = 60.0
    analyzed_ttl: float = 86_400.0
    now: Callable[[], datetime] = utc_now
    backend: str = "memory"
    webhook_ttl: float | None = None
    """With Intervals.icu webhooks configured: the lifetime of entries whose areas all are in
    :data:`WEBHOOK_AREAS` (a webhook invalidates them at once); None: webhooks are off."""
    _recent: OrderedDict[str, tuple[bytes, CachedAnswer]] = field(
        default_factory=OrderedDict, repr=False
    )
    """The last small entries decoded, by key, with the stored bytes they were decoded from:
    a repeated hit (the athlete profile behind every pace) skips the JSON decoding."""

    @property
    def generation_ttl(self) -> float:
        """How long a generation lives: at least as long as any entry under it."""
        return max(self.ttl, self.analyzed_ttl, self.webhook_ttl or 0.0)

    def ttl_of(self, areas: RequestAreas, *, analyzed: bool) -> float:
        """How long an answer is kept: an analyzed activity's details the long TTL; with
        webhooks on, answers in areas webhooks report the webhook TTL; else the fallback."""
        if areas.detail and analyzed:
            return self.analyzed_ttl
        if self.webhook_ttl is not None and set(areas.areas) <= WEBHOOK_AREAS:
            return self.webhook_ttl
        return self.ttl

    async def lookup(
        self, athlete_id: str, identity: str, path: str, params: Mapping[str, Any] | None
    ) -> tuple[CachedAnswer | None, str | None, RequestAreas | None]:
        """The cached answer of ``GET path`` for ``athlete_id`` read by ``identity`` (None on a
        miss), the entry key to store a fresh answer under (None: not cacheable), and the
        request's areas."""
        areas = areas_of(path)
        if areas is None:
            return None, None, None
        store = self.store
        try:
            if type(store) is MemoryStore:  # in this process: no awaits, one clock reading
                now = store.clock()
                generations = store.current_generations(
                    _remembered_generation_names(athlete_id, areas), self.generation_ttl, now
                )
                key = _entry_key(athlete_id, identity, path, params, generations)
                raw = store.entry(key, now)
            else:
                generations = await store.generations(
                    _generation_names(athlete_id, areas), self.generation_ttl
                )
                key = _entry_key(athlete_id, identity, path, params, generations)
                raw = await store.get(key)
        except SharedStateUnavailable as error:
            log.warning("answer cache unavailable (%s); asking Intervals.icu", type(error).__name__)
            observer().answer_cache_lookup("error")
            return None, None, areas
        found = self._decoded_once(key, raw)
        observer().answer_cache_lookup("miss" if found is None else "hit")
        return found, key, areas

    def _decoded_once(self, key: str, raw: bytes | None) -> CachedAnswer | None:
        """The entry decoded, reusing the last decoding of the same stored bytes (the same
        object in memory; equal bytes from Redis): answers are shared, never mutated (every
        session method validates them into new models). Only entries of at most
        :data:`RECENT_MAX_BYTES` are kept, :data:`RECENT_ENTRIES` of them."""
        if raw is None:
            return None
        recent = self._recent.get(key)
        if recent is not None and (recent[0] is raw or recent[0] == raw):
            return recent[1]
        found = _decoded(raw)
        if found is not None and len(raw) <= RECENT_MAX_BYTES:
            self._recent[key] = (raw, found)
            if len(self._recent) > RECENT_ENTRIES:
                self._recent.popitem(last=False)
        return found

    async def keep(
        self,
        key: str,
        areas: RequestAreas,
        data: Any,
        *,
        analyzed: bool,
        body: bytes | None = None,
    ) -> datetime:
        """Store a fresh answer under ``key``; returns its fetch time. Activity details of an
        analyzed activity are kept for the long TTL. ``body``: the JSON text pydantic-core
        parsed ``data`` from, stored as it came rather than encoded again (:func:`entry_bytes`)."""
        fetched = self.now()
        ttl = self.ttl_of(areas, analyzed=analyzed)
        at = fetched.timestamp()
        value = to_json({"t": at, "d": data}) if body is None else entry_bytes(at, body)
        store = self.store
        if type(store) is MemoryStore:  # in this process: no await
            store.keep(key, value, ttl, store.clock())
            return fetched
        try:
            await store.put(key, value, ttl)
        except SharedStateUnavailable as error:
            log.warning("answer not cached (%s)", type(error).__name__)
        return fetched

    async def invalidate(
        self, athlete_id: str, areas: Iterable[Area], *, activity_ids: Iterable[str] = ()
    ) -> None:
        """Forget ``athlete_id``'s answers in ``areas`` and everything cached about the named
        activities (app/intervals/freshness.py :class:`Invalidator`); every area at once
        (``list(Area)``) forgets all of the athlete's answers, long-lived details included."""
        areas = {Area(area) for area in areas}
        names = [_area_generation(athlete_id, area) for area in sorted(areas)]
        names += [_activity_generation(athlete_id, str(aid)) for aid in activity_ids]
        if areas == set(Area):  # everything: the long-lived activity details too
            names.append(_athlete_generation(athlete_id))
        if not names:
            return
        try:
            await self.store.renew(names, self.generation_ttl)
        except SharedStateUnavailable as error:
            # entries live at most the TTL: say so loudly, the data may be stale until then
            log.error("answer cache not invalidated (%s)", type(error).__name__)


def entry_bytes(at: float, body: bytes) -> bytes:
    """The stored entry of an answer fetched at ``at`` (POSIX seconds) whose JSON
    pydantic-core parsed from ``body``: ``to_json({"t": at, "d": data})`` but for the body's
    own spelling (spaces, number forms), which :func:`_decoded` reads as the same values. The
    upstream text is put in place as it came, not encoded a second time from the decoded
    answer (issue 20: a cache miss encoded every answer it had just decoded)."""
    return b'{"t":' + to_json(at) + b',"d":' + body + b"}"


def _decoded(raw: bytes | None) -> CachedAnswer | None:
    """A stored entry (``{"t": fetched at, POSIX seconds, "d": the JSON}``), None if absent
    or unreadable."""
    if raw is None:
        return None
    try:
        stored = from_json(raw)
        return CachedAnswer(stored["d"], datetime.fromtimestamp(float(stored["t"]), UTC))
    except (ValueError, KeyError, TypeError):
        return None


def _athlete_generation(athlete_id: str) -> str:
    return f"{bare_athlete(athlete_id)}:all"


def _area_generation(athlete_id: str, area: Area) -> str:
    return f"{bare_athlete(athlete_id)}:{area.value}"


def _activity_generation(athlete_id: str, activity_id: str) -> str:
    return f"{bare_athlete(athlete_id)}:activity:{activity_id}"


def _generation_names(athlete_id: str, areas: RequestAreas) -> list[str]:
    """The generations an entry depends on. An activity's details depend on that activity
    only (a new upload does not drop another activity's streams); everything else on its
    areas, and on its activity when it names one."""
    return list(_remembered_generation_names(athlete_id, areas))


@lru_cache(maxsize=PATHS_REMEMBERED)
def _remembered_generation_names(athlete_id: str, areas: RequestAreas) -> tuple[str, ...]:
    names = [_athlete_generation(athlete_id)]
    if not areas.detail:
        names += [_area_generation(athlete_id, a) for a in areas.areas]
    if areas.activity_id is not None:
        names.append(_activity_generation(athlete_id, areas.activity_id))
    return tuple(names)


def _entry_key(
    athlete_id: str,
    identity: str,
    path: str,
    params: Mapping[str, Any] | None,
    generations: list[str],
) -> str:
    """``<athlete>:<sha256 of identity, request and generations>``: no credential, no query.
    Remembered (:data:`KEYS_REMEMBERED`) when every parameter is None or of the types
    :func:`_string_params` names, each as the text it is sent as, which tells requests apart
    exactly (``1``, ``True`` and ``1.0`` are equal as a memo's key but not as parameters, so
    any other value is worked out anew each time)."""
    remembered = _string_params(params)
    if remembered is None:
        return _computed_entry_key(athlete_id, identity, path, params, generations)
    return _remembered_entry_key(athlete_id, identity, path, remembered, tuple(generations))


KEYS_REMEMBERED = 4096
"""How many recent entry keys :func:`_entry_key` remembers (each costs some 300 bytes)."""


@lru_cache(maxsize=KEYS_REMEMBERED)
def _remembered_entry_key(
    athlete_id: str,
    identity: str,
    path: str,
    params: tuple[tuple[str, str], ...],
    generations: tuple[str, ...],
) -> str:
    return _computed_entry_key(athlete_id, identity, path, dict(params), list(generations))


def _string_params(params: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...] | None:
    """The parameters set, as a memo's key, when all are strings, integers or lists (tuples)
    of strings, an integer or list as the text :func:`_canonical` makes of it; else None."""
    if not params:
        return ()
    found: tuple[tuple[str, str], ...] = ()
    for name, value in params.items():
        if value is None:
            continue
        if type(name) is not str:
            return None
        if type(value) is str:
            found += ((name, value),)
        elif type(value) is int:  # exactly int (not bool): its text is what _canonical sends
            found += ((name, str(value)),)
        elif type(value) is list or type(value) is tuple:
            try:
                found += ((name, ",".join(value)),)
            except TypeError:  # an item that is not a string
                return None
        else:
            return None
    return found


def _computed_entry_key(
    athlete_id: str,
    identity: str,
    path: str,
    params: Mapping[str, Any] | None,
    generations: list[str],
) -> str:
    request = to_json([identity, "GET", path, _canonical(params), generations]).decode()
    return f"{bare_athlete(athlete_id)}:{sha256_hex(request)}"


def _canonical(params: Mapping[str, Any] | None) -> list[list[str]]:
    out = []
    for name, value in sorted((params or {}).items()):
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            value = ",".join(map(str, value))
        out.append([name, str(value)])
    return out


def answer_cache_from_settings(
    settings: Settings,
    *,
    now: Callable[[], datetime],
    redis: RedisState | None,
    sealer: Sealer | None,
) -> AnswerCache | None:
    """The cache ``GATEWAY_ANSWER_CACHE`` asks for (``auto``: Redis with the Redis shared
    state, else memory), or None when off."""
    mode: CacheMode = settings.answer_cache
    if mode == "off":
        return None
    if mode == "auto":
        mode = "redis" if redis is not None else "memory"
    store: Store
    if mode == "redis":
        if redis is None or sealer is None:
            raise ValueError("GATEWAY_ANSWER_CACHE=redis needs GATEWAY_SHARED_STATE_BACKEND=redis")
        store = RedisStore(redis, sealer)
    else:
        store = MemoryStore(
            clock=lambda: now().timestamp(),
            max_bytes=settings.answer_cache_memory_mb * 1024 * 1024,
        )
    return AnswerCache(
        store,
        ttl=settings.answer_cache_ttl_seconds,
        analyzed_ttl=settings.answer_cache_analyzed_ttl_seconds,
        now=now,
        backend=mode,
        webhook_ttl=settings.answer_cache_webhook_ttl_seconds if webhooks_on(settings) else None,
    )


def webhooks_on(settings: Settings) -> bool:
    """Whether Intervals.icu webhooks reach this gateway (the webhook secret is set: the
    webhook endpoint, app/web/webhooks.py, is served only then)."""
    return bool(settings.intervals_webhook_secret)


def answer_cache_worker_env(settings: Settings, workers: int) -> dict[str, str]:
    """Settings overrides for ``serve --workers N``: in-memory caches are per process, and a
    write or webhook reaches one worker only, so the others would serve what it invalidated.
    ``auto`` without Redis therefore turns the cache off there (a change is seen at once); an
    explicit ``memory`` is kept as asked (docs/operations.md says what it costs)."""
    if workers <= 1 or settings.answer_cache != "auto" or settings.shared_state_backend == "redis":
        return {}
    log.warning(
        "answer cache off: %d workers without GATEWAY_SHARED_STATE_BACKEND=redis would each "
        "keep their own, and a write or webhook would reach one of them only",
        workers,
    )
    return {"GATEWAY_ANSWER_CACHE": "off"}
