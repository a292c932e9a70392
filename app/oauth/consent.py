"""The athlete's decision on the consent page, and the authorization code it produces
(RFC 6749 §4.1.2; codes are single use, short-lived and bound to client, redirect URI, PKCE
challenge, resource, scopes and athlete)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuthorizationCode
from app.oauth import scopes
from app.oauth.authorize import AuthorizationRequest
from app.oauth.clients import OPERATOR
from app.oauth.grants import replace_grant
from app.oauth.redirect_uris import display_host
from app.oauth.tokens import CODE_PREFIX, hash_token, new_token
from app.settings import Settings

APPROVE = "approve"
SCOPE_FIELD = "approved_scope"


@dataclass(frozen=True)
class ScopeChoice:
    name: str
    description: str
    ticked: bool = True
    reaches: tuple[str, ...] = ()
    """The data categories the scope reaches, in plain words (scopes.DATA_CATEGORIES)."""


@dataclass(frozen=True)
class ConsentView:
    """What the consent page shows: who asks, where the athlete returns, and for what."""

    client_name: str
    verified: bool
    redirect_host: str
    redirect_uri: str
    scopes: list[ScopeChoice]
    params: dict[str, str]
    adding_write: bool = False
    """The app already holds a read grant and now asks to change data too (step-up)."""


def consent_view(
    request: AuthorizationRequest,
    in_use: Collection[str] | None = None,
    granted: Collection[str] | None = None,
) -> ConsentView:
    """The page's facts. The host is the host name a browser will reach (no userinfo, no port;
    registration refuses authorities that parse differently, and host names are ASCII, so an
    IDN shows as punycode). A name chosen by the client itself (dynamic registration or
    metadata document) is marked unverified (security review M5). ``in_use``: the scopes some
    served tool needs; a requested scope outside it (write access while no served tool writes)
    is shown unticked. None: every scope is in use. ``granted``: the scopes of the app's live
    grant, if any; asking for write access on top of them is a step-up the page explains
    (MCP 2025-11-25 "Scope challenge handling")."""
    return ConsentView(
        client_name=request.client.name or request.client.client_id,
        verified=request.client.origin == OPERATOR,
        redirect_host=display_host(request.redirect_uri),
        redirect_uri=request.redirect_uri,
        scopes=[
            ScopeChoice(
                s,
                scopes.DESCRIPTIONS[s],
                in_use is None or s in in_use,
                scopes.DATA_CATEGORIES.get(s, ()),
            )
            for s in request.scopes
        ],
        params=request.params,
        adding_write=granted is not None
        and scopes.WRITE in request.scopes
        and scopes.WRITE not in granted,
    )


def approved_scopes(request: AuthorizationRequest, ticked: Sequence[str]) -> list[str]:
    """The requested scopes the athlete left ticked (an athlete may approve fewer)."""
    return [s for s in request.scopes if s in ticked]


async def issue_code(
    db: AsyncSession,
    settings: Settings,
    request: AuthorizationRequest,
    athlete_id: int,
    granted: list[str],
    now: datetime,
) -> str:
    """Replace the athlete's grant for this client and store a new code; returns the code."""
    scope = scopes.format_scope(granted)
    grant = await replace_grant(
        db, athlete_id, request.client, request.redirect_uri, scope, request.resource, now
    )
    code = new_token(CODE_PREFIX)
    db.add(
        AuthorizationCode(
            code_hash=hash_token(code),
            grant_id=grant.id,
            redirect_uri=request.redirect_uri,
            redirect_uri_given=request.redirect_uri_given,
            code_challenge=request.code_challenge,
            scope=scope,
            resource=request.resource,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.oauth_code_seconds),
        )
    )
    await db.flush()
    return code
