"""The one place where account code calls Intervals.icu: reading the athlete profile that proves
a credential works (``GET /api/v1/athlete/{id}``, id ``0`` = the credential's owner), and
withdrawing the gateway's OAuth access (``DELETE /api/v1/disconnect-app``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from app.intervals.client import IntervalsClient
from app.intervals.credentials import BearerToken, Credential
from app.intervals.errors import CredentialRejected, IntervalsError
from app.settings import EncryptionKey
from app.vault.crypto import Vault, VaultError
from app.vault.store import SealedCredential, unseal

DEFAULT_TIMEZONE = "UTC"
DISCONNECT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class AthleteProfile:
    """What the gateway keeps about an athlete: Intervals.icu id, display name, time zone."""

    intervals_id: str
    name: str
    timezone: str
    coaches: bool = False
    """Intervals.icu's ``icu_coach``: the athlete coaches others (coach access, issue 18)."""


ProfileLookup = Callable[[Credential, str], Awaitable[AthleteProfile]]
"""``(credential, athlete_id) -> profile``; raises app.intervals.errors exceptions."""


def profile_lookup(client: IntervalsClient) -> ProfileLookup:
    """A lookup backed by the process-wide Intervals.icu client."""

    async def lookup(credential: Credential, athlete_id: str) -> AthleteProfile:
        athlete = await client.session(credential, athlete_id).get_athlete()
        full_name = " ".join(p for p in (athlete.firstname, athlete.lastname) if p)
        return AthleteProfile(
            intervals_id=athlete.id,
            name=(athlete.name or full_name or athlete.id)[:200],
            timezone=(athlete.timezone or DEFAULT_TIMEZONE)[:64],
            coaches=bool(athlete.icu_coach),
        )

    return lookup


class UpstreamDisconnect(Enum):
    """What Intervals.icu said when the gateway withdrew its access for an athlete."""

    DISCONNECTED = "disconnected"
    """Intervals.icu ended the app's access (``DELETE /disconnect-app`` answered 2xx)."""
    ALREADY_ENDED = "already_ended"
    """Intervals.icu no longer accepted the token: the access had already ended there."""
    NOT_TOLD = "not_told"
    """Intervals.icu could not be reached or refused: its side may still list the gateway."""
    NOTHING_UPSTREAM = "nothing_upstream"
    """The stored credential is a personal key: there is no app access to withdraw."""


async def disconnect_upstream(
    client: IntervalsClient,
    credential: Credential,
    rate_key: str,
    give_up_after: float = DISCONNECT_TIMEOUT_SECONDS,
) -> UpstreamDisconnect:
    """``DELETE /api/v1/disconnect-app`` with the athlete's bearer token (intervals-api.md §3.3,
    §3.7: "Revocation by app"), which ends this app's access for the token's athlete.
    A personal API key has no app access to end (only the athlete can regenerate it).
    The athlete waits on the page for the answer: past ``give_up_after`` seconds (retries
    included) Intervals.icu counts as not told."""
    if not isinstance(credential, BearerToken):
        return UpstreamDisconnect.NOTHING_UPSTREAM
    try:
        async with asyncio.timeout(give_up_after):
            await client.request(
                "DELETE",
                "/disconnect-app",
                credential=credential,
                rate_key=rate_key,
                what="the gateway's access to your account",
                forbidden="credential",
            )
    except CredentialRejected:
        return UpstreamDisconnect.ALREADY_ENDED
    except (IntervalsError, TimeoutError):
        return UpstreamDisconnect.NOT_TOLD
    return UpstreamDisconnect.DISCONNECTED


async def withdraw_stored_access(
    client: IntervalsClient,
    keyring: Vault | Sequence[EncryptionKey],
    sealed: SealedCredential | None,
    rate_key: str,
) -> UpstreamDisconnect | None:
    """:func:`disconnect_upstream` with the athlete's stored credential; None when nothing is
    stored. A credential that no longer decrypts cannot be used to tell Intervals.icu."""
    if sealed is None:
        return None
    try:
        credential = unseal(keyring, sealed)
    except VaultError:
        return UpstreamDisconnect.NOT_TOLD
    return await disconnect_upstream(client, credential, rate_key=rate_key)
