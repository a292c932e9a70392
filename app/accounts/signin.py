"""Sign-in rules as plain functions: finding out whose API key this is, the sign-in attempt
limits, and the safe post-sign-in redirect.

Signing in proves ownership, not read access: the account is always the key's owner, the
athlete Intervals.icu returns for ``GET /api/v1/athlete/0`` ("the athlete for the API key or
bearer token used to make the call"). A coach's or follower's key can read other athletes, but
it never signs in as them. A typed athlete id is only a check: if it is not the owner's id the
attempt fails and says whose key it is. Intervals.icu answers a wrong key with 401 or 403
"Access denied".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from app.accounts.upstream import AthleteProfile, ProfileLookup
from app.attempts import AttemptCounter
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
    NOT_THE_OWNER = "This API key belongs to a different athlete."
    UPSTREAM_UNAVAILABLE = "Intervals.icu could not be reached just now. Please try again."


class SigninFailed(Exception):
    """A sign-in attempt failed for a reason the user can act on (``str()`` is the message)."""

    def __init__(self, problem: SigninProblem, message: str = "") -> None:
        super().__init__(message or problem.value)
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


async def verify_api_key(lookup: ProfileLookup, claimed_id: str, secret: str) -> VerifiedKey:
    """The owner of ``secret`` (``GET /athlete/0``); refused if ``claimed_id`` names anyone
    else (``OWNER`` accepts whoever owns the key)."""
    api_key = ApiKey(secret)
    try:
        profile = await lookup(api_key, OWNER)
    except (CredentialRejected, AccessDenied, NotFound):
        raise SigninFailed(SigninProblem.KEY_REJECTED) from None
    except IntervalsError:
        raise SigninFailed(SigninProblem.UPSTREAM_UNAVAILABLE) from None
    require_owner(profile, claimed_id)
    return VerifiedKey(profile=profile, api_key=api_key, secret=secret)


def require_owner(owner: AthleteProfile, claimed_id: str) -> None:
    """Refuse a credential whose owner is not the athlete the user named (or the account it
    is meant for), saying whose credential it is."""
    if claimed_id in (OWNER, owner.intervals_id):
        return
    raise SigninFailed(
        SigninProblem.NOT_THE_OWNER,
        f"This API key belongs to {owner.name} ({owner.intervals_id}), not {claimed_id}. "
        "Every athlete signs in with their own key (Intervals.icu → Settings → Developer "
        "Settings); a coach's key only signs in as the coach.",
    )


# -- attempt limits ---------------------------------------------------------------------------


@dataclass
class SigninLimiters:
    """Sliding-window limit on sign-in attempts per client address (security review L2, L3).

    An attempt is reserved before Intervals.icu is asked and given back only when the key
    verifies, so failures of every kind count, including Intervals.icu being unreachable or
    the shared upstream budget running out (a flood of random keys cannot drain it). There is
    no per-athlete limit: API keys cannot be guessed, and a per-athlete limit would let anyone
    lock an athlete out by failing in their name.
    """

    per_address: AttemptCounter

    async def reserve(self, address_key: str) -> int | None:
        """Seconds to wait, or None when the attempt may go ahead (and now counts)."""
        return await self.per_address.reserve(_address_key(address_key))

    async def release(self, address_key: str) -> None:
        """The reserved attempt succeeded: it does not count against the address."""
        await self.per_address.release(_address_key(address_key))


def _address_key(address_key: str) -> str:
    return f"address:{address_key}"


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
