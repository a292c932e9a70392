"""The process-wide Intervals.icu client: one pooled connection to Intervals.icu (a
:class:`~app.intervals.transport.Transport`, aiohttp or httpx), the shared rate budget, retries
with backoff, and error mapping. Credentials are passed per call and turned into
an ``Authorization`` header per request; nothing secret is stored on the client or logged.

Get a per-athlete view with :meth:`IntervalsClient.session`; tools receive that session.
"""

from __future__ import annotations

import asyncio
import email.utils
import json as jsonlib
import logging
import math
import random
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from pydantic_core import from_json

from app.intervals.credentials import BearerToken, Credential
from app.intervals.errors import (
    AccessDenied,
    CredentialRejected,
    IntervalsError,
    MissingPermission,
    NotFound,
    RateLimited,
    UnexpectedPayload,
    UpstreamTimeout,
    UpstreamUnavailable,
    ValidationFailed,
)
from app.intervals.ratelimit import Budget, Clock, RateBudget, Sleep, budget_from_settings
from app.intervals.transport import (
    KEEPALIVE_SECONDS,
    USER_AGENT,
    Timeouts,
    Transport,
    TransportFailure,
    TransportResponse,
    TransportTimeout,
    UpstreamClient,
    open_transport,
)
from app.observe import observer
from app.redis_state import RedisState

if TYPE_CHECKING:
    import httpx

    from app.intervals.answer_cache import AnswerCache
    from app.intervals.session import AthleteSession
    from app.settings import Settings

__all__ = [
    "DEFAULT_BASE_URL",
    "KEEPALIVE_SECONDS",
    "USER_AGENT",
    "IntervalsClient",
    "RetryPolicy",
    "Timeouts",
    "parse_retry_after",
]

DEFAULT_BASE_URL = "https://intervals.icu/api/v1"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})

Method = Literal["GET", "POST", "PUT", "DELETE"]
ForbiddenMeaning = Literal["credential", "athlete", "object"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Retries with exponential backoff and jitter, only where repeating a request is safe:
    idempotent methods (GET, PUT, DELETE) on 429 / 502 / 503 / 504 / timeouts / connection
    errors, and POST only on 429 (the request was refused, not executed)."""

    max_attempts: int = 4
    max_total_seconds: float = 30.0
    base_delay: float = 0.5
    max_delay: float = 8.0

    def backoff(self, attempt: int, jitter: float) -> float:
        """Delay before attempt ``attempt + 1``: ``base * 2^(attempt-1)``, capped, with "equal
        jitter" (half fixed, half random) so concurrent callers spread out."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return float(ceiling / 2 + ceiling / 2 * jitter)

    def may_retry(self, method: str, status: int | None) -> bool:
        """``status`` None means a timeout or connection error."""
        if status == 429:
            return True
        if method not in IDEMPOTENT_METHODS:
            return False
        return status is None or status in RETRY_STATUSES


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class _Target:
    """What a request is about, to phrase errors (a 403 means different things per path)."""

    description: str
    forbidden: ForbiddenMeaning


class IntervalsClient:
    """One per process. Construct with the base URL (or :meth:`from_settings`), optionally an
    ``httpx.AsyncClient`` (tests inject one with ``httpx.ASGITransport``) and a budget. Without
    one it sends with ``upstream_client``: httpx (the default here) or aiohttp (the production
    default, ``GATEWAY_UPSTREAM_CLIENT``)."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        http: httpx.AsyncClient | None = None,
        budget: Budget | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
        max_connections: int = 100,
        upstream_client: UpstreamClient = "httpx",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self.budget: Budget = budget or RateBudget(clock=clock, sleep=sleep)
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self.answers: AnswerCache | None = None
        """The per-athlete answer cache the sessions use (app/intervals/answer_cache.py), set
        by open_services; None caches nothing."""
        self._http = http
        """The injected httpx client (its owner closes it), else None."""
        self.transport: Transport = open_transport(
            upstream_client, http, self.timeouts, max_connections
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        http: httpx.AsyncClient | None = None,
        redis: RedisState | None = None,
    ) -> IntervalsClient:
        """The production client: base URL, budget and timeouts from settings."""
        timeouts = Timeouts(
            connect=settings.upstream_connect_timeout_seconds,
            read=settings.upstream_read_timeout_seconds,
            total=settings.upstream_total_timeout_seconds,
            pool=settings.upstream_pool_timeout_seconds,
        )
        return cls(
            settings.intervals_api_base_url,
            http=http,
            budget=budget_from_settings(settings, redis),
            timeouts=timeouts,
            max_connections=settings.upstream_max_connections,
            upstream_client=settings.upstream_client,
        )

    async def aclose(self) -> None:
        await self.transport.aclose()  # an injected httpx client stays open: its owner closes it

    async def __aenter__(self) -> IntervalsClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def session(
        self,
        credential: Credential,
        athlete_id: str | int = "0",
        *,
        owner_id: str | None = None,
        rate_key: str | None = None,
    ) -> AthleteSession:
        """A short-lived view bound to one credential and one athlete (``0`` = the credential's
        owner). ``owner_id`` (the owner's real id, when known) lets a 403 on the owner's own
        athlete be reported as a rejected credential rather than a sharing problem."""
        from app.intervals.session import AthleteSession

        return AthleteSession(self, credential, athlete_id, owner_id=owner_id, rate_key=rate_key)

    # -- transport --------------------------------------------------------------------------

    async def request(
        self,
        method: Method,
        path: str,
        *,
        credential: Credential,
        rate_key: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        what: str = "",
        forbidden: ForbiddenMeaning = "object",
        with_body: bool = False,
    ) -> Any:
        """Send one logical request (with retries) and return the decoded JSON body (or None
        for an empty body); ``with_body``: an :class:`Answered` (the JSON and the body it was
        parsed from). Raises an :class:`IntervalsError` subclass."""
        description = what or path
        area = scope_area(path)
        write = method != "GET"
        if isinstance(credential, BearerToken) and _known_to_lack(credential, area, write=write):
            raise missing_permission(area, description, write=write)
        url = self.base_url + path
        query = _encode_params(params)
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            status: int | None = None
            retry_after: float | None = None
            try:
                async with self.budget.slot(rate_key):
                    response = await self._send(method, url, query, json, credential)
            except RateLimited:
                raise  # the shared budget already made the caller wait
            except TransportTimeout as exc:
                error: IntervalsError = _timed_out(exc.kind)
            except TimeoutError as exc:  # the attempt's total limit
                error = _timed_out(type(exc).__name__)
            except TransportFailure as exc:
                error = UpstreamUnavailable(
                    f"Could not reach Intervals.icu ({exc.kind}); try again in a moment."
                )
            else:
                status = response.status
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("intervals %s %s -> %s (attempt %d)", method, path, status, attempt)
                if 200 <= status < 300:
                    if with_body:
                        return _answered(response, description)
                    return _decode(response, description)
                target = _Target(description, forbidden)  # what the error is about
                error = _map_error(response, target)
                if status == 403:
                    own_profile = (
                        method == "GET" and _is_profile(path) and forbidden == "credential"
                    )
                    probe = 403 if own_profile else None  # that request was the probe itself
                    error = await self._explain_forbidden(
                        error, target, area, credential, rate_key, probe, write=write
                    )
                if isinstance(error, RateLimited):
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
                    if retry_after is not None:
                        await self.budget.pause(retry_after)
            if attempt >= self.retry.max_attempts or not self.retry.may_retry(method, status):
                raise error
            delay = self.retry.backoff(attempt, self._jitter())
            if retry_after is not None:
                delay = max(delay, retry_after)
            elapsed = self._clock() - started
            if elapsed + delay > self.retry.max_total_seconds:
                raise error
            log.info(
                "intervals %s %s failed (%s), retry %d in %.2f s",
                method,
                path,
                status or type(error).__name__,
                attempt,
                delay,
            )
            await self._sleep(delay)

    async def _explain_forbidden(
        self,
        error: IntervalsError,
        target: _Target,
        area: str | None,
        credential: Credential,
        rate_key: str,
        probe: int | None = None,
        *,
        write: bool = False,
    ) -> IntervalsError:
        """A 403 alone does not say whether the credential is dead (revoked key), lacks a
        permission (an OAuth token without this scope area) or may not see someone else's
        object. Ask ``GET /athlete/0`` with the same credential: refused there too means the
        credential is dead; answered means it works, so the 403 is about this request."""
        if probe is None:
            probe = await self._probe_owner(credential, rate_key)
        if probe in (401, 403):
            # An OAuth token may lack SETTINGS, which the probe itself needs: unless its scope
            # is known to include SETTINGS, a 403 there does not prove the token dead.
            unsure = isinstance(credential, BearerToken) and (
                credential.grants(PROFILE_AREA) is not True
            )
            if probe == 401 or not unsure:
                return _credential_rejected(403, error.upstream_message)
            return missing_permission(area, target.description, write=write)
        if probe is None:
            return UpstreamUnavailable(
                f"Intervals.icu refused {target.description} and could not be asked why; "
                "try again in a moment.",
                status=403,
            )
        if target.forbidden == "credential":
            return missing_permission(area, target.description, write=write)
        return error  # the credential works and covers the area: a sharing problem

    async def _probe_owner(self, credential: Credential, rate_key: str) -> int | None:
        """Status of ``GET /athlete/0`` (the credential's owner), or None if it failed."""
        try:
            async with self.budget.slot(rate_key):
                response = await self._send(
                    "GET", f"{self.base_url}/athlete/0", [], None, credential
                )
        except (IntervalsError, TransportFailure, TimeoutError):
            return None
        return response.status if response.status < 500 else None

    async def _send(
        self,
        method: str,
        url: str,
        query: list[tuple[str, str | int | float | bool | None]],
        json: Any,
        credential: Credential,
    ) -> TransportResponse:
        """One attempt; reports its status (or timeout / unreachable) and time to the observer
        (app/observe.py), never the URL or the credential."""
        headers = {"Authorization": credential.authorization_header()}
        target = with_query(url, query)
        started = time.perf_counter()
        outcome = "unreachable"
        try:
            async with asyncio.timeout(self.timeouts.total):
                response = await self.transport.send(method, target, headers, json)
            outcome = str(response.status)
            return response
        except (TransportTimeout, TimeoutError):
            outcome = "timeout"
            raise
        finally:
            observer().upstream_request(outcome, time.perf_counter() - started)


def _encode_params(
    params: Mapping[str, Any] | None,
) -> list[tuple[str, str | int | float | bool | None]]:
    """Drop ``None``; booleans as ``true``/``false``; lists as comma-separated values."""
    encoded: list[tuple[str, str | int | float | bool | None]] = []
    for key, value in (params or {}).items():
        if value is None:
            continue
        if type(value) is str:  # the usual case (dates, times), checked first
            text = value
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list | tuple | set | frozenset):
            text = ",".join(map(str, value))
        else:
            text = str(value)
        encoded += ((key, text),)
    return encoded


def with_query(url: str, query: list[tuple[str, str | int | float | bool | None]]) -> str:
    """``url`` with ``query`` form-encoded onto it: the same bytes httpx sends for
    ``params=query``, built here instead of by httpx's parse-and-merge of the parameters, a
    sixth of its CPU per request (bench/upstream_clients.py, issue 20). Each name and value is
    encoded as ``urllib.parse.urlencode`` does (:func:`form_encoded`)."""
    if not query:
        return url
    text = "&".join([f"{k}={v}" for k, v in query])
    if (
        _PLAIN_QUERY_TEXT.fullmatch(text)
        and text.count("=") == len(query)
        and text.count("&") == len(query) - 1
    ):  # every name and value plain: the whole query encoded at once
        return f"{url}?{text.replace(',', '%2C').replace(':', '%3A')}"
    return f"{url}?{'&'.join([f'{form_encoded(str(k))}={form_encoded(str(v))}' for k, v in query])}"


_PLAIN_FORM_TEXT = re.compile(r"[A-Za-z0-9_.~,:-]*")
"""Text whose form encoding only escapes ``,`` and ``:``: dates, times, numbers, field lists."""

_PLAIN_QUERY_TEXT = re.compile(r"[A-Za-z0-9_.~,:=&-]*")
"""A query of plain names and values (:data:`_PLAIN_FORM_TEXT`) joined by ``=`` and ``&``:
when it holds exactly one ``=`` per pair and one ``&`` between pairs, no name or value
contains either, so each is plain and the whole query is encoded with two replacements."""


def form_encoded(text: str) -> str:
    """``text`` as ``application/x-www-form-urlencoded`` (``urllib.parse.quote_plus``: all but
    letters, digits and ``_.-~`` escaped, space as ``+``). The query's usual values (dates,
    times, limits, field lists) are done with two replacements instead of quoting byte by
    byte, about a tenth of the time."""
    if _PLAIN_FORM_TEXT.fullmatch(text):
        return text.replace(",", "%2C").replace(":", "%3A")
    return urllib.parse.quote_plus(text)


def _timed_out(kind: str) -> UpstreamTimeout:
    return UpstreamTimeout(f"Intervals.icu did not answer in time ({kind}); try again in a moment.")


@dataclass(frozen=True, slots=True)
class Answered:
    """A successful answer's JSON (``data``, as :func:`_decode` gives it) and, when
    pydantic-core parsed it, the ``body`` it was parsed from (None otherwise): what the answer
    cache stores, instead of encoding ``data`` again (app/intervals/answer_cache.py)."""

    data: Any
    body: bytes | None


def _answered(response: TransportResponse, description: str) -> Answered:
    """:func:`_decode` of the answer, with the body when pydantic-core read it (a body only
    ``json.loads`` reads, or an empty one, comes without: its bytes are not stored as they are)."""
    if response.body:
        try:
            return Answered(from_json(response.body), bytes(response.body))
        except ValueError:
            pass
    return Answered(_decode(response, description), None)


def _decode(response: TransportResponse, description: str) -> Any:
    """The JSON body (RFC 8259), or None for an empty one. Parsed by pydantic-core's parser,
    which reads a 15 kB activity list in ~60 % of ``json.loads``'s time; what it refuses
    (a byte order mark, UTF-16, a lone surrogate escape) goes to ``json.loads``, so exactly
    the bodies ``json.loads`` reads are accepted, with the same values."""
    if not response.body:
        return None
    try:
        return from_json(response.body)
    except ValueError:
        pass
    try:
        return jsonlib.loads(response.body)
    except ValueError:
        raise UnexpectedPayload(
            f"Intervals.icu sent a response for {description} that is not valid JSON.",
            status=response.status,
        ) from None


def _upstream_message(response: TransportResponse) -> str | None:
    try:
        body = jsonlib.loads(response.body)
    except ValueError:
        text = _text(response).strip()
        return text[:200] or None
    if isinstance(body, dict):
        message = body.get("error") or body.get("message")
        return str(message)[:300] if message else None
    if isinstance(body, list) and body and isinstance(body[0], dict):
        message = body[0].get("error")
        return str(message)[:300] if message else None
    return None


def _text(response: TransportResponse) -> str:
    """The body as text in the charset its ``Content-Type`` names (else UTF-8), undecodable
    bytes replaced, as httpx's ``Response.text``."""
    charset = _charset(response.headers.get("Content-Type", "")) or "utf-8"
    try:
        return response.body.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return response.body.decode("utf-8", errors="replace")


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


PROFILE_AREA = "SETTINGS"
_ATHLETE_AREAS = (
    ("activities", "ACTIVITY"),
    ("power-curves", "ACTIVITY"),
    ("hr-curves", "ACTIVITY"),
    ("pace-curves", "ACTIVITY"),
    ("wellness", "WELLNESS"),
    ("events", "CALENDAR"),
    ("duplicate-events", "CALENDAR"),
    ("folders", "LIBRARY"),
    ("workouts", "LIBRARY"),
    ("sport-settings", "SETTINGS"),
    ("gear", "SETTINGS"),
    ("custom-item", "SETTINGS"),
)


SCOPE_AREAS_REMEMBERED = 4096


@lru_cache(maxsize=SCOPE_AREAS_REMEMBERED)
def scope_area(path: str) -> str | None:
    """The Intervals.icu OAuth scope area a path needs (intervals-api.md §3.3: activities,
    streams, curves: ACTIVITY; wellness: WELLNESS; events: CALENDAR; folders, workouts:
    LIBRARY; profile, sport settings, gear: SETTINGS; messages: CHATS), or None if unknown.
    Remembered per path (a pure function of it; a tool call asks it twice, from the session
    and the client), for the :data:`SCOPE_AREAS_REMEMBERED` latest paths."""
    parts = path.strip("/").split("/")
    if parts[0] == "activity":
        return "CHATS" if "messages" in parts[2:] else "ACTIVITY"
    if parts[0] != "athlete" or len(parts) < 2:
        return None
    if len(parts) == 2:
        return PROFILE_AREA
    section = parts[2].split(".")[0]
    return next((area for prefix, area in _ATHLETE_AREAS if section.startswith(prefix)), None)


def _known_to_lack(credential: Credential, area: str | None, *, write: bool) -> bool:
    """True when the stored scope of an OAuth token shows it lacks ``area`` (never for API
    keys, which have full access, nor when the scope is unknown)."""
    if not isinstance(credential, BearerToken) or area is None:
        return False
    return credential.grants(area, write=write) is False


def _is_profile(path: str) -> bool:
    parts = path.strip("/").split("/")
    return len(parts) == 2 and parts[0] == "athlete"


def missing_permission(area: str | None, what: str, *, write: bool = False) -> MissingPermission:
    """The athlete's Intervals.icu connection lacks the permission for ``what`` (named as the
    OAuth scope, ``AREA`` to read or ``AREA:WRITE`` to change)."""
    if area is not None and write:
        area = f"{area}:WRITE"
    if area is None:
        message = (
            f"Your Intervals.icu connection is not allowed to access {what}. Connect with an "
            "API key, or reconnect and allow the requested access."
        )
    else:
        message = (
            f"Your Intervals.icu connection does not include the {area} permission needed "
            f"for {what}. Reconnect with Intervals.icu and allow {area} access to use it."
        )
    return MissingPermission(message, area=area, status=403)


def _credential_rejected(status: int, upstream: str | None) -> CredentialRejected:
    return CredentialRejected(
        "Intervals.icu rejected the stored credential (it was revoked, regenerated or is "
        "wrong). Reconnect your Intervals.icu account to the gateway.",
        status=status,
        upstream_message=upstream,
    )


def _map_error(response: TransportResponse, target: _Target) -> IntervalsError:
    """The error for a non-2xx answer; a 403 is refined by ``_explain_forbidden``."""
    status = response.status
    upstream = _upstream_message(response)
    what = target.description
    if status == 401:
        return _credential_rejected(status, upstream)
    if status == 403:
        if target.forbidden == "athlete":
            message = (
                f"Intervals.icu denied access to {what}: that athlete has not shared their data "
                "with your account."
            )
        else:
            message = (
                f"Intervals.icu denied access to {what}: it belongs to an athlete who has not "
                "shared it with you."
            )
        return AccessDenied(message, status=status, upstream_message=upstream)
    if status == 404:
        return NotFound(f"Intervals.icu has no {what}.", status=status, upstream_message=upstream)
    if status in (400, 422):
        detail = f": {upstream}" if upstream else ""
        return ValidationFailed(
            f"Intervals.icu rejected the request for {what}{detail}",
            status=status,
            upstream_message=upstream,
        )
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        seconds = max(1, math.ceil(retry_after)) if retry_after is not None else 10
        return RateLimited(
            f"Intervals.icu is rate limiting requests; try again in {seconds} s.",
            retry_after=float(seconds),
            status=status,
        )
    if status >= 500:
        return UpstreamUnavailable(
            f"Intervals.icu had a problem answering (HTTP {status}); try again later.",
            status=status,
            upstream_message=upstream,
        )
    return UnexpectedPayload(
        f"Intervals.icu answered HTTP {status} for {what}.",
        status=status,
        upstream_message=upstream,
    )
