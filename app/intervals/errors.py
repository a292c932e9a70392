"""Typed errors for Intervals.icu calls.

Each class says what went wrong and what the user can do; a tool turns one into a clear
message. No message ever contains a credential: messages are built from our own text, the
HTTP status and the upstream ``error`` string only.
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "CredentialRejected",
    "GatewayBudgetExhausted",
    "IntervalsError",
    "MissingPermission",
    "NotFound",
    "RateLimited",
    "UnexpectedPayload",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "ValidationFailed",
]


class IntervalsError(Exception):
    """Base class for every failure talking to Intervals.icu."""

    def __init__(
        self, message: str, *, status: int | None = None, upstream_message: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.upstream_message = upstream_message

    def __str__(self) -> str:
        return self.message


class CredentialRejected(IntervalsError):
    """401, or 403 "Access denied" on the credential's own athlete: the key or token is not valid
    (revoked, regenerated or mistyped). The user must reconnect Intervals.icu."""


class AccessDenied(IntervalsError):
    """403 on another athlete or on an object: the credential works but may not see this."""


class MissingPermission(AccessDenied):
    """The credential works, but the athlete did not grant this gateway the Intervals.icu
    permission (OAuth scope area, e.g. ``WELLNESS``) this request needs. Not a dead credential:
    the athlete stays connected and may reconnect granting the area."""

    def __init__(self, message: str, *, area: str | None, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.area = area


class NotFound(IntervalsError):
    """404: the athlete, activity, event or other object does not exist."""


class ValidationFailed(IntervalsError):
    """400 / 422: Intervals.icu rejected the request; ``upstream_message`` says why."""


class RateLimited(IntervalsError):
    """429 from Intervals.icu, or the gateway's shared budget is exhausted."""

    def __init__(self, message: str, *, retry_after: float, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class GatewayBudgetExhausted(RateLimited):
    """The gateway's own share of the Intervals.icu request budget is used up (no 429 was
    received): the refusal is the gateway's, not Intervals.icu's."""


class UpstreamUnavailable(IntervalsError):
    """5xx, timeout or connection failure: Intervals.icu is down or slow; try again later."""


class UpstreamTimeout(UpstreamUnavailable):
    """Intervals.icu did not answer in time (or every pooled connection was busy)."""


class UnexpectedPayload(IntervalsError):
    """Intervals.icu answered 2xx with a body we cannot parse or that has the wrong shape."""
