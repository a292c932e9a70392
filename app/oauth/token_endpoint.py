"""The token endpoint's grants (RFC 6749 §4.1.3 authorization_code, §6 refresh_token) with
PKCE (RFC 7636 §4.6), resource binding (RFC 8707 §2.2) and refresh token rotation with reuse
detection (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2).

The grant handlers are small async functions rather than Authlib's synchronous
`AuthorizationServer` machinery, so the event loop is never blocked by database work. A handler
that detects an attack (code replay, refresh token reuse) revokes the grant and then raises
`invalid_grant`; the route commits the revocation before answering.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Athlete, AuthorizationCode, Grant, OAuthClient, Token
from app.oauth import scopes
from app.oauth.authorize import resource_matches
from app.oauth.errors import OAuthError, invalid_grant, invalid_request
from app.oauth.grants import end_grant, forget_verified
from app.oauth.metadata import resource_aliases
from app.oauth.pkce import verifier_matches
from app.oauth.tokens import REFRESH, IssuedTokens, hash_token, issue_tokens
from app.observe import observer
from app.settings import Settings

# How long after its rotation a refresh token may still be retried (a lost response).
REFRESH_GRACE = timedelta(seconds=60)


async def live_grant_for(db: AsyncSession, grant_id: int, client: OAuthClient, what: str) -> Grant:
    """The grant behind a code or token, if it belongs to `client`, is not revoked and its
    athlete is not disabled."""
    grant = await db.get(Grant, grant_id)
    if grant is None or grant.client_pk != client.id:
        raise invalid_grant(f"{what} was not issued to this client")
    if grant.revoked_at is not None:
        raise invalid_grant(f"{what} belongs to a revoked authorization")
    athlete = await db.get(Athlete, grant.athlete_id)
    if athlete is None or athlete.is_disabled:
        raise invalid_grant("the athlete's account is disabled")
    return grant


def check_redirect_uri(form: Mapping[str, str], code: AuthorizationCode) -> None:
    """OAuth 2.1 §4.1.3 (draft-ietf-oauth-v2-1): `redirect_uri` is REQUIRED if the authorization
    request included it, and must then be identical; if the request left it out (a client with a
    single registered URI), a given one must still equal the URI the code was sent to."""
    given = form.get("redirect_uri")
    if given is None:
        if code.redirect_uri_given:
            raise invalid_grant("redirect_uri is required: the authorization request included it")
        return
    if given != code.redirect_uri:
        raise invalid_grant("redirect_uri does not match the authorization request")


def check_resource(form: Mapping[str, str], bound: str) -> None:
    """RFC 8707 §2.2: a `resource` at the token endpoint must be the one the grant is bound to."""
    given = form.get("resource")
    if given and not any(resource_matches(given, name) for name in resource_aliases(bound)):
        raise OAuthError("invalid_target", f"this grant is for {bound}")


async def _claim_once(
    db: AsyncSession, model: type[AuthorizationCode] | type[Token], row_id: int, now: datetime
) -> bool:
    """Set `used_at` only if still unused (atomic: two concurrent redemptions cannot both win)."""
    result = await db.execute(
        update(model).where(model.id == row_id, model.used_at.is_(None)).values(used_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


async def exchange_code(
    db: AsyncSession,
    settings: Settings,
    client: OAuthClient,
    form: Mapping[str, str],
    now: datetime,
) -> IssuedTokens:
    """RFC 6749 §4.1.3: code → tokens. A replayed code revokes the whole grant (§4.1.2)."""
    value = form.get("code")
    if not value:
        raise invalid_request("code is required")
    code = await db.scalar(
        select(AuthorizationCode).where(AuthorizationCode.code_hash == hash_token(value))
    )
    if code is None:
        raise invalid_grant("unknown authorization code")
    grant = await live_grant_for(db, code.grant_id, client, "the code")
    if code.used_at is not None or not await _claim_once(db, AuthorizationCode, code.id, now):
        await end_grant(db, grant.id, now)
        observer().oauth_event("code_replay")
        raise invalid_grant("the code was already used; everything issued from it is revoked")
    if code.expires_at <= now:
        raise invalid_grant("the authorization code has expired")
    check_redirect_uri(form, code)
    if not verifier_matches(form.get("code_verifier"), code.code_challenge):
        raise invalid_grant("code_verifier does not match the code_challenge (PKCE)")
    check_resource(form, code.resource)
    grant.last_used_at = now
    client.last_used_at = now
    return await issue_tokens(db, settings, grant, code.scope, now, code_id=code.id)


def narrowed_scope(form: Mapping[str, str], granted: str) -> str:
    """RFC 6749 §6: a refresh may ask for fewer scopes, never more."""
    asked = scopes.parse_scope(form.get("scope"))
    if not asked:
        return granted
    have = scopes.parse_scope(granted)
    extra = [s for s in asked if s not in have]
    if extra:
        raise OAuthError("invalid_scope", f"not granted: {' '.join(extra)}")
    return scopes.format_scope(asked)


async def _successor(db: AsyncSession, token: Token) -> Token | None:
    """The newest live refresh token rotated from `token` (earlier grace retries are revoked)."""
    return await db.scalar(
        select(Token)
        .where(Token.parent_id == token.id, Token.kind == REFRESH, Token.revoked_at.is_(None))
        .order_by(Token.id.desc())
        .limit(1)
    )


async def _grace_allows(db: AsyncSession, token: Token, now: datetime) -> bool:
    """One-step grace for a lost response: an already-rotated refresh token still works for
    REFRESH_GRACE after its rotation, while its successor has never been used; the unused
    successor pair is then revoked. Later it is reuse (RFC 9700 §4.14.2)."""
    # read afresh: a concurrent refresh may have rotated it after this request loaded it
    rotated_at = await db.scalar(select(Token.used_at).where(Token.id == token.id))
    if rotated_at is None or now - rotated_at > REFRESH_GRACE:
        return False
    successor = await _successor(db, token)
    if successor is None or successor.used_at is not None or successor.revoked_at is not None:
        return False
    await db.execute(
        update(Token)
        .where(Token.parent_id == token.id, Token.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    forget_verified(db, grant_id=token.grant_id)
    return True


async def refresh(
    db: AsyncSession,
    settings: Settings,
    client: OAuthClient,
    form: Mapping[str, str],
    now: datetime,
) -> IssuedTokens:
    """RFC 6749 §6 with rotation: every use returns a new refresh token; presenting a rotated
    (or revoked) one outside the grace revokes the whole grant family."""
    value = form.get("refresh_token")
    if not value:
        raise invalid_request("refresh_token is required")
    token = await db.scalar(
        select(Token).where(Token.token_hash == hash_token(value), Token.kind == REFRESH)
    )
    if token is None:
        raise invalid_grant("unknown refresh token")
    grant = await live_grant_for(db, token.grant_id, client, "the refresh token")
    if token.revoked_at is not None:
        await end_grant(db, grant.id, now)
        observer().oauth_event("refresh_reuse")
        raise invalid_grant("refresh token reuse detected; the authorization is revoked")
    if token.expires_at <= now:
        raise invalid_grant("the refresh token has expired")
    check_resource(form, token.resource)
    scope = narrowed_scope(form, token.scope)
    first_use = token.used_at is None and await _claim_once(db, Token, token.id, now)
    if not first_use and not await _grace_allows(db, token, now):
        await end_grant(db, grant.id, now)
        observer().oauth_event("refresh_reuse")
        raise invalid_grant("refresh token reuse detected; the authorization is revoked")
    grant.last_used_at = now
    client.last_used_at = now
    return await issue_tokens(db, settings, grant, scope, now, parent_id=token.id)


async def grant_tokens(
    db: AsyncSession,
    settings: Settings,
    client: OAuthClient,
    form: Mapping[str, str],
    now: datetime,
) -> IssuedTokens:
    """Dispatch on `grant_type` (RFC 6749 §4.1.3, §6); anything else is unsupported (§5.2)."""
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        return await exchange_code(db, settings, client, form, now)
    if grant_type == "refresh_token":
        return await refresh(db, settings, client, form, now)
    raise OAuthError("unsupported_grant_type", "use authorization_code or refresh_token")
