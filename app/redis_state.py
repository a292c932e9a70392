"""State shared between gateway instances in Redis (``GATEWAY_SHARED_STATE_BACKEND=redis``).

One :class:`RedisState` per app holds the connection pool (redis-py asyncio) and the key prefix.
On it sit the shared pieces, each an atomic Lua script so concurrent instances cannot race:

- the sliding-window attempt limits (``RedisAttemptCounter`` in app/attempts.py: a sorted set
  of attempt times per key, timed by the Redis server's clock so every instance agrees);
- :class:`RedisTokenBucket`: the upstream token bucket toward Intervals.icu for one egress
  address (the Redis key prefix), with the pause Intervals.icu asks for on 429;
- :meth:`RedisState.hold_leadership`: a lock with expiry naming the one instance that runs the
  periodic purge;
- :meth:`RedisState.publish` / :meth:`RedisState.listen`: a small pub/sub helper (e.g. for
  revocation notices to other instances' caches).

When Redis does not answer within ``GATEWAY_REDIS_TIMEOUT_SECONDS`` the callers degrade as
docs/operations.md describes (account-protecting limits refuse, the rest fall back to the
process's own state) and pick Redis up again by themselves on the next call.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import math
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from types import ModuleType
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    from app.settings import Settings

__all__ = [
    "RedisError",
    "RedisState",
    "RedisTokenBucket",
    "SharedStateDown",
    "SharedStateUnavailable",
]

log = logging.getLogger(__name__)


def redis_exceptions() -> ModuleType:
    """redis-py's ``redis.exceptions`` without the rest of redis-py: the package's
    ``__init__`` imports its whole client (about 6 MB of an idle gateway's memory, with its
    observability and cluster modules), which a gateway without Redis never uses. The module
    imports only the standard library, so it is executed on its own under its own name; when
    the package is imported later (Redis configured), its ``from redis.exceptions import ...``
    finds this same module, so ``except RedisError`` here catches what the client raises."""
    loaded = sys.modules.get("redis.exceptions")
    if loaded is not None:
        return loaded
    package = importlib.util.find_spec("redis")
    locations = package.submodule_search_locations if package is not None else None
    if not locations:
        raise ModuleNotFoundError("redis-py is not installed", name="redis")
    spec = importlib.util.spec_from_file_location(
        "redis.exceptions", f"{next(iter(locations))}/exceptions.py"
    )
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError("redis.exceptions not found", name="redis.exceptions")
    module = importlib.util.module_from_spec(spec)
    sys.modules["redis.exceptions"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules["redis.exceptions"]
        raise
    return module


if not TYPE_CHECKING:
    RedisError = redis_exceptions().RedisError


def redis_client_class() -> type[Redis]:
    """redis-py's asyncio client, imported by the first app configured with Redis. The package
    gets its ``exceptions`` attribute, which an ordinary import of the submodule would have
    set (:func:`redis_exceptions` loaded it before the package)."""
    import redis
    from redis.asyncio import Redis

    if getattr(redis, "exceptions", None) is None:
        setattr(redis, "exceptions", redis_exceptions())  # noqa: B010
    return Redis


LISTEN_SILENCE_SECONDS = 3.0
"""A pub/sub connection on which Redis answered nothing (not even a ping) for this long is
taken as lost."""

SharedStateUnavailable = (RedisError, OSError, TimeoutError)
"""What a Redis call raises when Redis is down, slow or refusing."""


class SharedStateDown(Exception):
    """A limit that protects accounts could not be checked because Redis does not answer: the
    attempt is refused (fail closed). The web layer answers 503 with a "try again" message
    (app/web/unavailable.py)."""

    def __init__(self, limit: str) -> None:
        super().__init__(f"Redis unreachable: the {limit} limit cannot be checked")
        self.limit = limit


# KEYS[1] sorted set of attempt times (ms); ARGV: max attempts, window ms, mode ("check",
# "reserve", "record"). Returns -1 when an attempt is allowed (counted unless mode is "check"),
# else the milliseconds until the oldest attempt leaves the window.
_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if ARGV[3] ~= 'record' and count >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
if ARGV[3] ~= 'check' then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. redis.call('INCR', KEYS[1] .. ':seq'))
  redis.call('PEXPIRE', KEYS[1], window)
  redis.call('PEXPIRE', KEYS[1] .. ':seq', window)
end
return -1
"""

# KEYS[1] bucket hash (tokens, updated ms), KEYS[2] pause-until ms; ARGV: rate per second,
# burst. Returns 0 when a token was taken, else the milliseconds until one may be.
_BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1]) / 1000
local burst = tonumber(ARGV[2])
local resume = tonumber(redis.call('GET', KEYS[2]) or '0')
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or ARGV[2])
local updated = tonumber(redis.call('HGET', KEYS[1], 'updated') or now)
local start = math.max(updated, resume)
if now > start then tokens = math.min(burst, tokens + (now - start) * rate) end
updated = math.max(updated, now)
local wait = 0
if now < resume then
  wait = resume - now + math.max(0, 1 - tokens) / rate
elseif tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'updated', updated)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 60000)
return math.ceil(wait)
"""

# KEYS[1] pause-until ms, KEYS[2] bucket hash; ARGV: seconds. Empties the bucket.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + math.ceil(tonumber(ARGV[1]) * 1000)
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ms > current then redis.call('SET', KEYS[1], until_ms, 'PX', until_ms - now + 1000) end
redis.call('HSET', KEYS[2], 'tokens', 0, 'updated', now)
return until_ms
"""

# KEYS[1] lock; ARGV: holder id, ttl ms. Returns 1 when the holder has (or now takes) the lock.
_LEAD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""


class RedisState:
    """The app's Redis connection pool and key prefix (one per app, closed with it)."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.instance_id = uuid.uuid4().hex
        """Names this process as a lock holder (never a secret)."""
        self._window = client.register_script(_WINDOW)
        self._bucket = client.register_script(_BUCKET)
        self._pause = client.register_script(_PAUSE)
        self._lead = client.register_script(_LEAD)

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisState:
        if not settings.redis_url:
            raise ValueError("GATEWAY_REDIS_URL is not set")
        client = redis_client_class().from_url(
            settings.redis_url,
            socket_timeout=settings.redis_timeout_seconds,
            socket_connect_timeout=settings.redis_timeout_seconds,
            health_check_interval=30,
        )
        return cls(client, settings.redis_key_prefix)

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    async def problem(self) -> str | None:
        """None when Redis answers a PING, else a short reason (for /readyz; no URL, no secret)."""
        try:
            await self.client.ping()
        except SharedStateUnavailable as error:
            return f"redis unreachable: {type(error).__name__}"
        return None

    async def aclose(self) -> None:
        await self.client.aclose()

    async def window(self, key: str, max_attempts: int, window_ms: int, mode: str) -> int:
        result = await self._window(
            keys=[self.key("attempts", key)], args=[max_attempts, window_ms, mode]
        )
        return int(cast(int, result))

    async def take_token(self, bucket: str, rate: float, burst: int) -> int:
        """Take one token of the shared bucket: 0, or the milliseconds to wait for one."""
        keys = [self.key("budget", bucket), self.key("budget", bucket, "resume")]
        return int(cast(int, await self._bucket(keys=keys, args=[rate, burst])))

    async def pause_bucket(self, bucket: str, seconds: float) -> None:
        keys = [self.key("budget", bucket, "resume"), self.key("budget", bucket)]
        await self._pause(keys=keys, args=[seconds])

    async def hold_leadership(self, role: str, ttl_seconds: float) -> bool:
        """Take or renew the lock naming this instance as the one that runs ``role``; it
        expires after ``ttl_seconds`` unless renewed, so another instance takes over."""
        ttl_ms = max(1, math.ceil(ttl_seconds * 1000))
        held = await self._lead(keys=[self.key("leader", role)], args=[self.instance_id, ttl_ms])
        return bool(held)

    async def publish(self, channel: str, message: str) -> None:
        await self.client.publish(self.key("channel", channel), message)

    async def listen(
        self,
        channel: str,
        subscribed: Callable[[], None] | None = None,
        silence_seconds: float = LISTEN_SILENCE_SECONDS,
    ) -> AsyncIterator[str]:
        """Messages published on ``channel`` by any instance, as they come. ``subscribed`` is
        called each time Redis confirms the subscription (first, and after a reconnection:
        messages published in between were missed). A quiet channel is pinged every second;
        when Redis has said nothing for ``silence_seconds`` (a connection that died without
        closing) this raises ``ConnectionError`` instead of waiting forever."""
        pubsub = self.client.pubsub()
        await pubsub.subscribe(self.key("channel", channel))
        clock = asyncio.get_running_loop().time
        heard = clock()
        try:
            while True:
                message = await pubsub.get_message(timeout=1.0)
                if message is None:
                    if clock() - heard > silence_seconds:
                        raise ConnectionError("Redis did not answer on the pub/sub connection")
                    await pubsub.ping()
                    continue
                heard = clock()
                if message.get("type") == "subscribe" and subscribed is not None:
                    subscribed()
                elif message.get("type") == "message":
                    data = message["data"]
                    yield data.decode() if isinstance(data, bytes) else str(data)
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]


class RedisTokenBucket:
    """The upstream token bucket of one egress address, shared by every instance."""

    def __init__(self, state: RedisState, rate: float, burst: int, bucket: str = "upstream"):
        self.state = state
        self.rate = rate
        self.burst = burst
        self.bucket = bucket

    async def take(self) -> float:
        """Take one token: 0.0, or the seconds to wait before asking again."""
        return await self.state.take_token(self.bucket, self.rate, self.burst) / 1000

    async def pause(self, seconds: float) -> None:
        await self.state.pause_bucket(self.bucket, seconds)
