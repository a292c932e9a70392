"""Operator-registered clients (the "custom client id / secret" of ChatGPT and Claude): create,
list, show, rotate the secret, remove. Synchronous, for the `intervals-gateway clients`
commands. Secrets are returned once and stored only as hashes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.db.models import AuthorizationCode, Grant, OAuthClient, utcnow
from app.db.revocation import forget_verified
from app.oauth import scopes
from app.oauth.client_documents import is_client_document_id
from app.oauth.clients import CONFIDENTIAL_METHODS, OPERATOR
from app.oauth.metadata import AUTH_METHODS, GRANT_TYPES
from app.oauth.redirect_uris import redirect_uri_allowed
from app.oauth.secrets_hashing import (
    MIN_SUPPLIED_SECRET_LENGTH,
    generate_client_secret,
    hash_generated_secret,
    hash_supplied_secret,
)

CLIENT_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")


class ClientCommandError(Exception):
    """The operator's input cannot be used; the message says why."""


@dataclass(frozen=True)
class ClientSummary:
    client: OAuthClient
    live_grants: int


def check_client_id(client_id: str) -> str:
    if is_client_document_id(client_id) or not client_id or len(client_id) > 200:
        raise ClientCommandError("client id must be 1-200 characters and not an https URL")
    if not set(client_id) <= CLIENT_ID_CHARS:
        raise ClientCommandError("client id may contain letters, digits and - . _ ~ only")
    return client_id


def check_redirect_uris(uris: list[str]) -> list[str]:
    if not uris:
        raise ClientCommandError("give at least one --redirect-uri")
    bad = [u for u in uris if not redirect_uri_allowed(u)]
    if bad:
        raise ClientCommandError(f"not an https (or loopback http) redirect URI: {', '.join(bad)}")
    return list(dict.fromkeys(uris))


def check_scope(scope: str) -> str:
    asked = scopes.parse_scope(scope)
    unknown = [s for s in asked if s not in scopes.SUPPORTED]
    if unknown or not asked:
        raise ClientCommandError(f"scope must be among: {' '.join(scopes.SUPPORTED)}")
    return scopes.format_scope(asked)


def secret_and_hash(method: str, supplied: str | None) -> tuple[str | None, str | None]:
    """(secret to print or None, stored hash) for a client's authentication method."""
    if method not in CONFIDENTIAL_METHODS:
        if supplied:
            raise ClientCommandError("a public client (auth method none) has no secret")
        return None, None
    if supplied is not None:
        if len(supplied) < MIN_SUPPLIED_SECRET_LENGTH:
            raise ClientCommandError(
                f"a supplied secret must be at least {MIN_SUPPLIED_SECRET_LENGTH} characters"
            )
        return None, hash_supplied_secret(supplied)
    secret = generate_client_secret()
    return secret, hash_generated_secret(secret)


def add_client(
    db: Session,
    name: str,
    client_id: str,
    auth_method: str,
    redirect_uris: list[str],
    scope: str = scopes.DEFAULT_CLIENT_SCOPE,
    supplied_secret: str | None = None,
) -> tuple[OAuthClient, str | None]:
    """Create an operator client; returns it and the generated secret (None if supplied/public)."""
    if auth_method not in AUTH_METHODS:
        raise ClientCommandError(f"--auth-method must be one of {', '.join(AUTH_METHODS)}")
    if not name.strip():
        raise ClientCommandError("--name must not be empty")
    check_client_id(client_id)
    if db.scalar(select(OAuthClient.id).where(OAuthClient.client_id == client_id)) is not None:
        raise ClientCommandError(f"a client with id {client_id!r} already exists")
    secret, secret_hash = secret_and_hash(auth_method, supplied_secret)
    client = OAuthClient(
        client_id=client_id,
        origin=OPERATOR,
        name=name.strip()[:200],
        secret_hash=secret_hash,
        token_endpoint_auth_method=auth_method,
        redirect_uris=check_redirect_uris(redirect_uris),
        grant_types=list(GRANT_TYPES),
        scope=check_scope(scope),
        client_metadata={},
        created_at=utcnow(),
        secret_rotated_at=utcnow() if secret_hash else None,
    )
    db.add(client)
    db.flush()
    return client, secret


def get_client(db: Session, client_id: str) -> OAuthClient:
    client = db.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
    if client is None:
        raise ClientCommandError(f"no client with id {client_id!r}")
    return client


def list_clients(db: Session, origin: str | None = None) -> list[ClientSummary]:
    live = (
        select(Grant.client_pk, func.count().label("n"))
        .where(Grant.revoked_at.is_(None))
        .group_by(Grant.client_pk)
        .subquery()
    )
    query = (
        select(OAuthClient, func.coalesce(live.c.n, 0))
        .outerjoin(live, live.c.client_pk == OAuthClient.id)
        .order_by(OAuthClient.origin, OAuthClient.created_at)
    )
    if origin:
        query = query.where(OAuthClient.origin == origin)
    return [ClientSummary(row[0], int(row[1])) for row in db.execute(query)]


def rotate_secret(db: Session, client_id: str, supplied_secret: str | None = None) -> str | None:
    """Replace an operator client's secret; the old one stops working at once."""
    client = get_client(db, client_id)
    if client.origin != OPERATOR or client.token_endpoint_auth_method not in CONFIDENTIAL_METHODS:
        raise ClientCommandError("only operator clients with a secret can rotate it")
    secret, secret_hash = secret_and_hash(client.token_endpoint_auth_method, supplied_secret)
    client.secret_hash = secret_hash
    client.secret_rotated_at = utcnow()
    db.flush()
    return secret


def remove_client(db: Session, client_id: str) -> int:
    """Delete a client with its grants and tokens; returns the number of grants removed."""
    client = get_client(db, client_id)
    grant_ids = db.scalars(select(Grant.id).where(Grant.client_pk == client.id)).all()
    db.execute(delete(OAuthClient).where(OAuthClient.id == client.id))
    for grant_id in grant_ids:
        forget_verified(db, grant_id=grant_id)
    return len(grant_ids)


def _editable_operator_client(db: Session, client_id: str) -> OAuthClient:
    client = get_client(db, client_id)
    if client.origin != OPERATOR:
        raise ClientCommandError(
            f"{client_id!r} is not an operator client (its redirect URIs come from its own "
            "registration)"
        )
    return client


def add_redirect_uri(db: Session, client_id: str, uri: str) -> list[str]:
    """Allow one more redirect URI for an operator client (e.g. ChatGPT's per-connector
    ``https://chatgpt.com/connector/oauth/<id>``); grants, tokens and the secret stay as they
    are. Returns the client's redirect URIs."""
    client = _editable_operator_client(db, client_id)
    (uri,) = check_redirect_uris([uri])
    if uri in client.redirect_uris:
        raise ClientCommandError(f"{uri} is already a redirect URI of {client_id!r}")
    client.redirect_uris = [*client.redirect_uris, uri]  # a new list: the JSON column is saved
    db.flush()
    return list(client.redirect_uris)


def remove_redirect_uri(db: Session, client_id: str, uri: str) -> list[str]:
    """Stop accepting one redirect URI of an operator client: /authorize refuses it from now on
    and unredeemed codes already sent there are deleted. Grants, tokens and the secret stay.
    Returns the client's remaining redirect URIs."""
    client = _editable_operator_client(db, client_id)
    if uri not in client.redirect_uris:
        raise ClientCommandError(
            f"{uri} is not a redirect URI of {client_id!r} (see `clients show {client_id}`)"
        )
    remaining = [u for u in client.redirect_uris if u != uri]
    if not remaining:
        raise ClientCommandError("a client needs at least one redirect URI: add the new one first")
    client.redirect_uris = remaining
    grant_ids = select(Grant.id).where(Grant.client_pk == client.id)
    db.execute(
        delete(AuthorizationCode).where(
            AuthorizationCode.grant_id.in_(grant_ids), AuthorizationCode.redirect_uri == uri
        )
    )
    db.flush()
    return remaining
