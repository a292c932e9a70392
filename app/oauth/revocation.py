"""Token revocation (RFC 7009 §2): access or refresh tokens, only by the client they were
issued to; revoking a refresh token ends the grant and every token issued under it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Grant, OAuthClient, Token
from app.oauth.grants import end_grant, forget_verified
from app.oauth.tokens import REFRESH, hash_token


async def revoke_token(db: AsyncSession, client: OAuthClient, value: str, now: datetime) -> None:
    """Revoke `value` if it is one of `client`'s tokens; unknown or foreign tokens are ignored
    (the endpoint answers 200 either way, §2.2)."""
    if not value:
        return
    token = await db.scalar(select(Token).where(Token.token_hash == hash_token(value)))
    if token is None:
        return
    grant = await db.get(Grant, token.grant_id)
    if grant is None or grant.client_pk != client.id:
        return
    if token.kind == REFRESH:
        await end_grant(db, grant.id, now)
    elif token.revoked_at is None:
        token.revoked_at = now
        forget_verified(db, grant_id=grant.id)
    await db.flush()
