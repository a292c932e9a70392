"""``intervals-gateway stdio``: the local single-user mode for Claude Desktop.

Configured by environment, like the original server: ``INTERVALS_API_KEY`` (or ``API_KEY``),
``INTERVALS_ATHLETE_ID`` (or ``ATHLETE_ID``; optional, default: the key's owner) and
``INTERVALS_API_BASE_URL``. No database, no OAuth: the same tools, on stdin/stdout, with the key
from the environment. The athlete's id and timezone come from their profile, fetched once:
first the key's owner (``GET /athlete/0``), which tells a wrong ``INTERVALS_API_KEY`` apart from
an ``INTERVALS_ATHLETE_ID`` the key cannot read; then, when another athlete is named (a coach's
key reading an athlete who shares with them), that athlete's profile (``GET /athlete/{id}``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from app.clock import utc_now
from app.intervals import errors as upstream
from app.intervals.client import IntervalsClient
from app.intervals.credentials import ApiKey
from app.intervals.ids import InvalidId, athlete_id
from app.intervals.models import Athlete
from app.mcp.tools.context import AthleteContext, Clock, zone_or_utc
from app.mcp.tools.errors import EXPECTED_ERRORS, CredentialFailed, ToolFailure, describe
from app.mcp.tools.limits import AnswerLimits
from app.mcp.tools.spec import ToolSpec
from app.writes.memory import MemoryJournal

KEY_VARIABLES = ("INTERVALS_API_KEY", "API_KEY")
ATHLETE_VARIABLES = ("INTERVALS_ATHLETE_ID", "ATHLETE_ID")
BASE_URL_VARIABLE = "INTERVALS_API_BASE_URL"
REJECTED = (
    "Intervals.icu rejected the API key from INTERVALS_API_KEY; copy it again from "
    "intervals.icu Settings > Developer Settings into your MCP client configuration."
)


def unreachable_athlete(athlete: str, owner: Athlete) -> str:
    """The message for an ``INTERVALS_ATHLETE_ID`` that the (working) key cannot read."""
    return (
        f"INTERVALS_ATHLETE_ID is {athlete}, but the API key from INTERVALS_API_KEY belongs to "
        f"{owner.name or owner.id} ({owner.id}) and cannot read athlete {athlete} on "
        f"Intervals.icu. Set INTERVALS_ATHLETE_ID to {owner.id}, or remove it to use the key's "
        "owner."
    )


class StdioConfigError(Exception):
    """The environment does not configure stdio mode; the message says what to set."""


@dataclass(frozen=True)
class StdioConfig:
    """Single-user settings read from the environment."""

    api_key: str = field(repr=False)
    athlete_id: str
    base_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str], default_base_url: str) -> StdioConfig:
        """Read the original server's variable names as well as the ``INTERVALS_`` ones."""
        key = next((env[name].strip() for name in KEY_VARIABLES if env.get(name, "").strip()), "")
        if not key:
            raise StdioConfigError("set INTERVALS_API_KEY (your Intervals.icu API key)")
        raw_athlete = next(
            (env[name].strip() for name in ATHLETE_VARIABLES if env.get(name, "").strip()), "0"
        )
        try:
            athlete = athlete_id(raw_athlete)
        except InvalidId as error:
            raise StdioConfigError(f"INTERVALS_ATHLETE_ID: {error}") from None
        base_url = (env.get(BASE_URL_VARIABLE) or default_base_url).strip().rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise StdioConfigError(f"{BASE_URL_VARIABLE} must be an http(s) URL")
        return cls(api_key=key, athlete_id=athlete, base_url=base_url)


@dataclass
class SingleAthlete:
    """The :class:`AthleteProvider` of stdio mode: one key, one athlete."""

    client: IntervalsClient
    credential: ApiKey
    athlete_id: str = "0"
    clock: Clock = field(default=utc_now)
    journal: MemoryJournal = field(default_factory=MemoryJournal)
    """Write previews and the journal of this process (no database in stdio mode)."""
    _identity: tuple[str, str, str] | None = None

    async def _profile(self) -> tuple[str, str, str]:
        """The athlete's real id, timezone and the key owner's id (looked up once)."""
        if self._identity is None:
            owner = await self._owner()
            athlete = await self._named_athlete(owner)
            self._identity = (athlete.id, athlete.timezone or "UTC", owner.id)
        return self._identity

    async def _owner(self) -> Athlete:
        """The key's owner (``GET /athlete/0``): a refusal here is the key's fault."""
        try:
            owner = await self.client.session(self.credential, "0").get_athlete()
        except (upstream.CredentialRejected, upstream.AccessDenied, upstream.NotFound):
            raise CredentialFailed(REJECTED) from None
        except EXPECTED_ERRORS as error:
            raise describe(error, "your athlete profile") from None
        return owner

    async def _named_athlete(self, owner: Athlete) -> Athlete:
        """The athlete INTERVALS_ATHLETE_ID names (``GET /athlete/{id}``; a refusal here is the
        athlete id's fault), or the owner when it names nobody else."""
        if self.athlete_id in ("0", owner.id):
            return owner
        session = self.client.session(self.credential, self.athlete_id, owner_id=owner.id)
        try:
            return await session.get_athlete()
        except (upstream.AccessDenied, upstream.NotFound):
            raise ToolFailure(unreachable_athlete(self.athlete_id, owner)) from None
        except EXPECTED_ERRORS as error:
            raise describe(error, "the athlete profile") from None

    @asynccontextmanager
    async def open(self) -> AsyncIterator[AthleteContext]:
        try:
            real_id, timezone, owner_id = await self._profile()
            session = self.client.session(self.credential, real_id, owner_id=owner_id)
            yield AthleteContext(
                api=session,
                athlete_id=real_id,
                timezone=zone_or_utc(timezone),
                now=self.clock,
                writes=self.journal.store_for(real_id),
            )
        except CredentialFailed:
            raise ToolFailure(REJECTED) from None


async def serve_stdio(
    config: StdioConfig,
    specs: Sequence[ToolSpec] | None = None,
    limits: AnswerLimits | None = None,
) -> None:
    """Serve the tools (``specs``, default all) on stdin/stdout until the client closes the
    pipe, answers held to ``limits``. The one local user holds the key, so no scope filtering
    applies."""
    from app.mcp.server import build_server

    async with IntervalsClient(config.base_url) as client:
        provider = SingleAthlete(client, ApiKey(config.api_key), config.athlete_id)
        await build_server(provider, specs, limits=limits).run_stdio_async()
