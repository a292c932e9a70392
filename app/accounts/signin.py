"""Sign-in rules as plain functions: checking an (athlete id, API key) pair with Intervals.icu,
the sign-in attempt limits, and the safe post-sign-in redirect.

A pair is valid when Intervals.icu returns the athlete profile for it (``GET /athlete/{id}``;
an empty athlete id means ``0``, the key's owner). Intervals.icu answers a wrong key with
401 or 403 "Access denied", and a good key used on an athlete it may not read with 403 too, so
a 403 on a named athlete is told apart by asking for the key owner's profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import NoReturn

from app.accounts.upstream import AthleteProfile, ProfileLookup
from app.attempts import AttemptLimiter
from app.intervals import ids
from app.intervals.credentials import ApiKey
from app.intervals.errors import (
    AccessDenied,
    CredentialRejected,
    IntervalsError,
    NotFound,
)

OWNER = "0"
MAX_KEY_LENGTH = 200


class SigninProblem(Enum):
    """Why a sign-in failed; each value is the message shown on the form."""

    INVALID_ATHLETE_ID = "The athlete id should look like i12345 (or leave it blank)."
    MISSING_KEY = "Enter your Intervals.icu API key."
    KEY_REJECTED = (
        "Intervals.icu rejected this API key. Copy it again from Intervals.icu → Settings → "
        "Developer Settings."
    )
    ATHLETE_NOT_ACCESSIBLE = (
        "This API key works, but it cannot read that athlete. Check the athlete id, or leave it "
        "blank to sign in as the key's owner."
    )
    UPSTREAM_UNAVAILABLE = "Intervals.icu could not be reached just now. Please try again."
    WRONG_ATHLETE = "This API key belongs to a different athlete than this account."


class SigninFailed(Exception):
    """A sign-in attempt failed for a reason the user can act on."""

    def __init__(self, problem: SigninProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class VerifiedKey:
    """An API key that Intervals.icu accepted for ``profile``. Holds the key in memory only."""

    profile: AthleteProfile
    api_key: ApiKey
    secret: str

    def __repr__(self) -> str:
        return f"VerifiedKey(profile={self.profile!r}, api_key={self.api_key!r})"


def parse_athlete_id(raw: str) -> str:
    """The athlete id from the form: blank means the key's owner (``0``)."""
    text = raw.strip()
    if not text:
        return OWNER
    try:
        return ids.athlete_id(text)
    except ids.InvalidId:
        raise SigninFailed(SigninProblem.INVALID_ATHLETE_ID) from None


def parse_api_key(raw: str) -> str:
    """The API key from the form, trimmed; refuses empty or malformed input before any call."""
    secret = raw.strip()
    if not secret or len(secret) > MAX_KEY_LENGTH:
        raise SigninFailed(SigninProblem.MISSING_KEY)
    try:
        ApiKey(secret)
    except ValueError:
        raise SigninFailed(SigninProblem.KEY_REJECTED) from None
    return secret


async def verify_api_key(lookup: ProfileLookup, athlete_id: str, secret: str) -> VerifiedKey:
    """Ask Intervals.icu whether ``secret`` may read ``athlete_id``; return the profile if so."""
    api_key = ApiKey(secret)
    try:
        profile = await lookup(api_key, athlete_id)
    except CredentialRejected:
        raise SigninFailed(SigninProblem.KEY_REJECTED) from None
    except (AccessDenied, NotFound):
        if athlete_id == OWNER:
            raise SigninFailed(SigninProblem.KEY_REJECTED) from None
        await _raise_for_other_athlete(lookup, api_key)
    except IntervalsError:
        raise SigninFailed(SigninProblem.UPSTREAM_UNAVAILABLE) from None
    return VerifiedKey(profile=profile, api_key=api_key, secret=secret)


async def _raise_for_other_athlete(lookup: ProfileLookup, api_key: ApiKey) -> NoReturn:
    """The named athlete was refused: if the key still reads its owner, the athlete is the
    problem, otherwise the key is."""
    try:
        await lookup(api_key, OWNER)
    except (CredentialRejected, AccessDenied, NotFound):
        raise SigninFailed(SigninProblem.KEY_REJECTED) from None
    except IntervalsError:
        raise SigninFailed(SigninProblem.UPSTREAM_UNAVAILABLE) from None
    raise SigninFailed(SigninProblem.ATHLETE_NOT_ACCESSIBLE)


# -- attempt limits ---------------------------------------------------------------------------


@dataclass
class SigninLimiters:
    """Sliding-window limits on sign-in attempts per athlete id and per client address."""

    per_athlete: AttemptLimiter
    per_address: AttemptLimiter

    def retry_after(self, athlete_id: str, address: str) -> int | None:
        """Seconds to wait before another attempt, or None when one is allowed now."""
        waits = [self.per_address.retry_after(_address_key(address))]
        if athlete_id != OWNER:
            waits.append(self.per_athlete.retry_after(_athlete_key(athlete_id)))
        blocked = [w for w in waits if w is not None]
        return max(blocked) if blocked else None

    def record_failure(self, athlete_id: str, address: str) -> None:
        self.per_address.record(_address_key(address))
        if athlete_id != OWNER:
            self.per_athlete.record(_athlete_key(athlete_id))

    def record_success(self, athlete_ids: tuple[str, ...]) -> None:
        for athlete_id in athlete_ids:
            self.per_athlete.reset(_athlete_key(athlete_id))


def _athlete_key(athlete_id: str) -> str:
    return f"athlete:{athlete_id}"


def _address_key(address: str) -> str:
    return f"address:{address}"


def rate_limited_message(seconds: int) -> str:
    return f"Too many sign-in attempts. Try again in {seconds} seconds."


# -- redirect after sign-in ----------------------------------------------------------------------


def safe_next_path(candidate: str | None, default: str = "/account") -> str:
    """A local path to go to after sign-in: must start with ``/`` but not ``//`` or ``/\\``
    (those are protocol-relative URLs that leave the site); anything else gives ``default``."""
    if not candidate or not candidate.startswith("/"):
        return default
    if candidate.startswith(("//", "/\\")) or any(ch in candidate for ch in "\r\n\t\\"):
        return default
    return candidate
