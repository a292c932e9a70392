"""Client lookup and client authentication at the token and revocation endpoints
(RFC 6749 §2.3.1: `client_secret_basic` and `client_secret_post`; `none` for public clients
with PKCE, OAuth 2.1 §2.4). Each client must use the method it registered with."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote_plus

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import OAuthClient
from app.oauth.errors import invalid_client, invalid_request
from app.oauth.secrets_hashing import is_slow_hash, verify_secret

NONE = "none"
POST = "client_secret_post"
BASIC = "client_secret_basic"
CONFIDENTIAL_METHODS = frozenset({POST, BASIC})

OPERATOR = "operator"
DYNAMIC = "dynamic"
CIMD = "cimd"


@dataclass(frozen=True)
class PresentedCredentials:
    """How the client identified itself on one request (RFC 6749 §2.3)."""

    client_id: str
    secret: str | None
    method: str

    @property
    def used_basic(self) -> bool:
        return self.method == BASIC


def parse_basic_header(authorization: str | None) -> tuple[str, str] | None:
    """RFC 6749 §2.3.1: `Basic base64(urlencode(id):urlencode(secret))`, or None if absent."""
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise invalid_client("malformed Basic credentials") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise invalid_client("malformed Basic credentials")
    return unquote_plus(client_id), unquote_plus(secret)


def presented_credentials(
    form: Mapping[str, str], authorization: str | None
) -> PresentedCredentials:
    """Which method the request used; more than one method at once is refused (§2.3)."""
    basic = parse_basic_header(authorization)
    form_id, form_secret = form.get("client_id") or "", form.get("client_secret")
    if basic is not None:
        if form_secret is not None:
            raise invalid_request("use only one client authentication method")
        if form_id and form_id != basic[0]:
            raise invalid_client("client_id does not match the Basic credentials")
        return PresentedCredentials(basic[0], basic[1], BASIC)
    if not form_id:
        raise invalid_client("client_id is required")
    if form_secret is not None:
        return PresentedCredentials(form_id, form_secret, POST)
    return PresentedCredentials(form_id, None, NONE)


async def find_client(db: AsyncSession, client_id: str) -> OAuthClient | None:
    if not client_id or len(client_id) > 512:
        return None
    return await db.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))


async def authenticate_client(db: AsyncSession, presented: PresentedCredentials) -> OAuthClient:
    """The client, if it exists and authenticated with its registered method and secret.

    Raises `invalid_client` (401) otherwise, with one fixed description for every reason
    (unknown client, wrong method, wrong secret) so a caller learns nothing about which clients
    exist or how they authenticate. A scrypt secret is verified in a worker thread so the event
    loop stays free (the routes throttle failures beforehand); a generated secret's single
    SHA-256 is verified inline, so no busy thread pool can delay it.
    """
    client = await find_client(db, presented.client_id)
    if client is None or presented.method != client.token_endpoint_auth_method:
        raise invalid_client()
    if presented.method in CONFIDENTIAL_METHODS:
        secret, stored = presented.secret or "", client.secret_hash
        if is_slow_hash(stored):
            ok = await asyncio.to_thread(verify_secret, secret, stored)
        else:
            ok = verify_secret(secret, stored)
        if not ok:
            raise invalid_client()
    return client
