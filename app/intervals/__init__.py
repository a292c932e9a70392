"""Intervals.icu API client: one pooled client per process, per-athlete sessions, typed models,
typed errors, a shared rate budget. See ``client.py`` for the transport and ``session.py`` for
the endpoint methods."""

from app.intervals.client import DEFAULT_BASE_URL, IntervalsClient, RetryPolicy, Timeouts
from app.intervals.credentials import ApiKey, BearerToken, Credential
from app.intervals.errors import (
    AccessDenied,
    CredentialRejected,
    IntervalsError,
    NotFound,
    RateLimited,
    UnexpectedPayload,
    UpstreamUnavailable,
    ValidationFailed,
)
from app.intervals.ids import InvalidId
from app.intervals.ratelimit import RateBudget
from app.intervals.session import AthleteSession

__all__ = [
    "DEFAULT_BASE_URL",
    "AccessDenied",
    "ApiKey",
    "AthleteSession",
    "BearerToken",
    "Credential",
    "CredentialRejected",
    "IntervalsClient",
    "IntervalsError",
    "InvalidId",
    "NotFound",
    "RateBudget",
    "RateLimited",
    "RetryPolicy",
    "Timeouts",
    "UnexpectedPayload",
    "UpstreamUnavailable",
    "ValidationFailed",
]
