"""Errors a tool reports to the model as an ``isError`` result: short, actionable, no secrets.

Every failure a tool can meet is turned into :class:`ToolFailure` with a message written here;
never a stack trace, never upstream text that could carry a credential.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType

from app.intervals import errors as upstream
from app.intervals.ids import InvalidId


class ToolFailure(Exception):
    """A tool call failed in a way the user can act on; ``str()`` is the whole message."""


API_KEYS_OFFERED: ContextVar[bool] = ContextVar("api_keys_offered", default=True)
"""Whether the gateway serving this call lets athletes connect with an API key
(``GATEWAY_SIGNIN_METHODS`` is not ``oauth``; stdio always uses a key). In OAuth-only mode no
tool answer may tell the user to paste a key: they reconnect with Intervals.icu instead."""

OAUTH_REAUTH = (
    "Intervals.icu no longer accepts this app's access to your account (it was disconnected "
    "or has expired). Reconnect this app to the gateway (sign in again) and continue with "
    "Intervals.icu to allow access again."
)


class ReauthRequired(ToolFailure):
    """The caller's Intervals.icu credential no longer works: they must sign in again. With
    ``api_keys`` False (OAuth-only sign-in) the message names Intervals.icu sign-in only."""

    def __init__(self, api_keys: bool = True) -> None:
        super().__init__(
            "Intervals.icu rejected the stored API key or token. Reconnect this app to the gateway "
            "(sign in again); the sign-in page will ask for a new key."
            if api_keys
            else OAUTH_REAUTH
        )


@contextmanager
def offering_api_keys(offered: bool) -> Iterator[None]:
    """Within the block, tool answers suggest API keys only if ``offered``
    (:data:`API_KEYS_OFFERED`)."""
    token = API_KEYS_OFFERED.set(offered)
    try:
        yield
    finally:
        API_KEYS_OFFERED.reset(token)


class UpstreamSlow(ToolFailure):
    """Intervals.icu did not answer within the tool call's time limit."""

    def __init__(self) -> None:
        super().__init__("Intervals.icu is slow to answer right now; try again in a minute.")


class CredentialUnreadable(ToolFailure):
    """The gateway cannot decrypt the caller's stored credential: a server fault (its key ring),
    temporary from the athlete's side; nothing is revoked and the same token works once fixed."""

    def __init__(self) -> None:
        super().__init__(
            "The gateway cannot open your stored Intervals.icu credential right now (a server "
            "key problem, not your key). Nothing was changed; try again later, and tell the "
            "gateway's operator if it persists."
        )


EXPECTED_ERRORS: tuple[type[Exception], ...] = (upstream.IntervalsError, ValueError)
"""What an upstream call may raise in normal operation (``InvalidId`` is a ``ValueError``)."""


class CredentialFailed(ToolFailure):
    """Intervals.icu refused the caller's own credential (401, or 403 on their own athlete).
    The provider that opened the call decides what happens next (re-authentication)."""


def not_found(what: str) -> ToolFailure:
    """The object does not exist, or belongs to another athlete (same answer either way)."""
    return ToolFailure(f"No {what} found for your athlete. Check the id (list tools show ids).")


def describe(error: Exception, what: str) -> ToolFailure:
    """Translate an Intervals.icu client error or a validation error into a tool failure."""
    if isinstance(error, ToolFailure):
        return error
    if isinstance(error, upstream.CredentialRejected):
        return CredentialFailed(error.message)
    if isinstance(error, upstream.NotFound):
        return not_found(what)
    if isinstance(error, upstream.MissingPermission):
        return ToolFailure(permission_message(error, what))
    if isinstance(error, upstream.AccessDenied):
        return ToolFailure(
            f"Your athlete has no access to {what} on Intervals.icu (it belongs to someone else "
            "or was not shared with you)."
        )
    if isinstance(error, upstream.GatewayBudgetExhausted):
        seconds = max(1, math.ceil(error.retry_after))
        return ToolFailure(
            "This gateway's share of the Intervals.icu request budget is used up; "
            f"try again in {seconds} s."
        )
    if isinstance(error, upstream.RateLimited):
        seconds = max(1, math.ceil(error.retry_after))
        return ToolFailure(f"Intervals.icu is busy (rate limited); try again in {seconds} s.")
    if isinstance(error, upstream.UpstreamTimeout):
        return UpstreamSlow()
    if isinstance(error, upstream.UpstreamUnavailable):
        return ToolFailure("Intervals.icu is not answering right now; try again in a minute.")
    if isinstance(error, upstream.ValidationFailed):
        detail = f": {error.upstream_message}" if error.upstream_message else ""
        return ToolFailure(f"Intervals.icu refused the request for {what}{detail}"[:300])
    if isinstance(error, upstream.UnexpectedPayload):
        return ToolFailure(f"Intervals.icu sent an answer for {what} that could not be read.")
    if isinstance(error, InvalidId | ValueError):
        return ToolFailure(str(error)[:300])
    return ToolFailure(f"Could not get {what}; try again.")


def permission_message(error: upstream.MissingPermission, what: str) -> str:
    """What the athlete can do about a missing permission. A permission the gateway cannot
    name (no OAuth scope area known) suggests an API key, unless the gateway offers none
    (OAuth-only sign-in): then reconnecting with Intervals.icu is the only way."""
    if error.area is None and not API_KEYS_OFFERED.get():
        return (
            f"Your Intervals.icu connection is not allowed to access {what}. Reconnect with "
            "Intervals.icu and allow the requested access."
        )
    return error.message


class upstream_errors:
    """``async with upstream_errors("activity i1"):`` around Intervals.icu calls: every
    expected failure leaves as a :class:`ToolFailure` that names ``what`` (raised from None:
    the upstream error is its context, not its cause); anything else leaves unchanged. A class
    rather than an ``asynccontextmanager`` generator: a tool call enters it once per upstream
    request (issue 20)."""

    __slots__ = ("what",)

    def __init__(self, what: str) -> None:
        self.what = what

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and isinstance(exc, EXPECTED_ERRORS):
            raise describe(exc, self.what) from None
