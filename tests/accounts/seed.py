"""Rows a real athlete accumulates (credential, browser session, client grant, code, tokens),
written with a synchronous engine for tests that inspect the database afterwards."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.db.models import (
    Athlete,
    AuthorizationCode,
    BrowserSession,
    Credential,
    Grant,
    OAuthClient,
    Token,
    utcnow,
)
from app.vault.crypto import Vault

OWNED_TABLES = (Credential, BrowserSession, Grant, AuthorizationCode, Token)


def seed_athlete(engine: Engine, vault: Vault, intervals_id: str, secret: str) -> int:
    """An athlete with a credential, a browser session and a connected client with tokens."""
    now = utcnow()
    with Session(engine) as db, db.begin():
        athlete = Athlete(intervals_id=intervals_id, name=f"Athlete {intervals_id}")
        db.add(athlete)
        db.flush()
        key_id, blob = vault.encrypt(secret, athlete.id, "api_key")
        db.add(Credential(athlete_id=athlete.id, kind="api_key", key_id=key_id, ciphertext=blob))
        db.add(
            BrowserSession(
                session_hash=f"{athlete.id:064d}",
                athlete_id=athlete.id,
                expires_at=now + timedelta(days=1),
            )
        )
        client = OAuthClient(client_id=f"client-{intervals_id}", origin="dynamic", name="Claude")
        db.add(client)
        db.flush()
        grant = Grant(athlete_id=athlete.id, client_pk=client.id, scope="mcp.read", resource="r")
        db.add(grant)
        db.flush()
        code = AuthorizationCode(
            code_hash=f"c{athlete.id:063d}",
            grant_id=grant.id,
            redirect_uri="https://x/cb",
            code_challenge="x" * 43,
            scope="mcp.read",
            resource="r",
            expires_at=now,
        )
        db.add(code)
        db.flush()
        for kind in ("access", "refresh"):
            db.add(
                Token(
                    token_hash=f"{kind[0]}{athlete.id:063d}",
                    kind=kind,
                    grant_id=grant.id,
                    code_id=code.id,
                    scope="mcp.read",
                    resource="r",
                    expires_at=now + timedelta(hours=1),
                )
            )
        return athlete.id


def owned_row_counts(engine: Engine, athlete_pk: int) -> dict[str, int]:
    """How many rows of each athlete-owned table still belong to the athlete."""
    with Session(engine) as db:
        grant_ids = select(Grant.id).where(Grant.athlete_id == athlete_pk)
        counts = {
            "athletes": db.scalar(select(func.count()).where(Athlete.id == athlete_pk)),
            "credentials": db.scalar(
                select(func.count()).where(Credential.athlete_id == athlete_pk)
            ),
            "browser_sessions": db.scalar(
                select(func.count()).where(BrowserSession.athlete_id == athlete_pk)
            ),
            "grants": db.scalar(select(func.count()).where(Grant.athlete_id == athlete_pk)),
            "authorization_codes": db.scalar(
                select(func.count()).where(AuthorizationCode.grant_id.in_(grant_ids))
            ),
            "tokens": db.scalar(select(func.count()).where(Token.grant_id.in_(grant_ids))),
        }
        return {name: int(count or 0) for name, count in counts.items()}
