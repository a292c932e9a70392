"""The authenticated caller of one MCP request, as the bearer verifier established it.

Set by the bearer middleware (auth.py) for the duration of one HTTP request; read by credential
resolution (caller.py). Nothing from the JSON-RPC body can change it. The per-request
:class:`RequestOutcome` lets credential resolution ask the transport to answer 401.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from app.oauth.resource import Caller as Caller


def acting_athlete(caller: Caller) -> str:
    """The Intervals.icu athlete a tool call acts for, resolved on the server from the caller's
    verified identity, never from tool arguments. Today always the caller themself; coach
    access (athletes who shared their data with the caller) will choose from a roster here."""
    return caller.intervals_id


@dataclass
class RequestOutcome:
    """Filled in while a request runs; ``reauth_required`` turns the response into a 401."""

    reauth_required: bool = False


current_caller: ContextVar[Caller | None] = ContextVar("mcp_caller", default=None)
current_outcome: ContextVar[RequestOutcome | None] = ContextVar("mcp_outcome", default=None)
