"""The authorization endpoint's request rules (RFC 6749 §4.1.1, OAuth 2.1 §4.1.1, RFC 7636,
RFC 8707, RFC 9207).

Validation happens in two stages so that the gateway never redirects to an unverified URI
(RFC 6749 §4.1.2.1): first the client and its redirect URI (failures show an error page),
then everything else (failures are redirected to the client with `error`, `state` and `iss`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Grant, OAuthClient
from app.oauth import scopes
from app.oauth.client_documents import (
    ClientDocument,
    ClientDocumentError,
    ClientDocumentResolver,
    DocumentClientsFull,
    FetchRateLimited,
    check_client_id_free,
    is_client_document_id,
    store_document_client,
    unsaved_client,
)
from app.oauth.clients import OPERATOR, find_client
from app.oauth.errors import OAuthError, invalid_request
from app.oauth.grants import grant_redirect_key
from app.oauth.metadata import resource_aliases
from app.oauth.pkce import challenge_problem
from app.oauth.redirect_uris import (
    is_loopback_redirect,
    redirect_uri_allowed,
    redirect_uri_matches,
)
from app.settings import Settings

# Parameters carried from the authorization request to the consent form and back.
PROTOCOL_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "resource",
)


class UnverifiedRedirectError(Exception):
    """The client or redirect URI cannot be trusted: show an error page, never redirect."""

    def __init__(
        self, message: str, status_code: int = 400, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after = retry_after


@dataclass(frozen=True)
class VerifiedTarget:
    """A known client and a redirect URI registered for it (stage one passed)."""

    client: OAuthClient
    redirect_uri: str
    state: str | None
    document: ClientDocument | None = None


@dataclass(frozen=True)
class AuthorizationRequest:
    """A fully valid request, ready for consent."""

    client: OAuthClient
    redirect_uri: str
    state: str | None
    scopes: list[str]
    code_challenge: str
    resource: str
    params: dict[str, str]
    document: ClientDocument | None = None
    """The metadata document of a CIMD client, whose row is stored only at approval."""

    @property
    def redirect_uri_given(self) -> bool:
        """Whether the request named its redirect URI (it may be left out when the client has a
        single registered one); the token request must then repeat it (OAuth 2.1 §4.1.3)."""
        return bool(self.params.get("redirect_uri"))


def single_params(items: Sequence[tuple[str, str]]) -> tuple[dict[str, str], set[str]]:
    """The protocol parameters, and the names that appeared more than once (RFC 6749 §3.1)."""
    params: dict[str, str] = {}
    repeated: set[str] = set()
    for key, value in items:
        if key not in PROTOCOL_PARAMS:
            continue
        if key in params:
            repeated.add(key)
        params[key] = value
    return params, repeated


async def fetch_client_document(
    documents: ClientDocumentResolver, client_id: str, requester: str
) -> ClientDocument | None:
    """The metadata document for an https `client_id` (CIMD), else None; a fetch is charged to
    `requester`, the address of the browser that sent the request.

    Called before any database work so that a slow document host never holds a connection.
    """
    if not is_client_document_id(client_id):
        return None
    try:
        return await documents.get(client_id, requester)
    except FetchRateLimited as error:
        raise UnverifiedRedirectError(str(error), 429, error.retry_after) from None
    except ClientDocumentError as error:
        raise UnverifiedRedirectError(
            f"The application's client metadata document cannot be used: {error}"
        ) from None


async def load_client(
    db: AsyncSession, client_id: str, document: ClientDocument | None, now: datetime
) -> OAuthClient:
    """The registered client, or the client described by its metadata document (CIMD; not
    stored before the athlete approves, see `stored_request`)."""
    if document is not None:
        try:
            await check_client_id_free(db, document.client_id)
        except ClientDocumentError as error:
            raise UnverifiedRedirectError(str(error)) from None
        return unsaved_client(document, now)
    client = await find_client(db, client_id)
    if client is None:
        raise UnverifiedRedirectError(
            "This application is not registered with this gateway (unknown client_id). "
            "If it registered itself earlier, it must register again."
        )
    return client


def choose_redirect_uri(client: OAuthClient, given: str | None) -> str:
    """The given URI if registered (loopback port ignored), else the only registered one; in
    both cases one whose shown host is the host a browser reaches (security review M5: also
    for clients stored before that rule)."""
    chosen = _registered_redirect_uri(client, given)
    if not redirect_uri_allowed(chosen):
        raise UnverifiedRedirectError(
            "This application's redirect URI is not allowed: its address hides the site it "
            "leads to."
        )
    return chosen


def _registered_redirect_uri(client: OAuthClient, given: str | None) -> str:
    if given:
        if not redirect_uri_matches(client.redirect_uris, given):
            raise UnverifiedRedirectError(
                "The redirect URI in this request is not registered for this application."
            )
        return given
    fixed = [u for u in client.redirect_uris if not is_loopback_redirect(u)]
    if len(client.redirect_uris) == 1 and fixed:
        return fixed[0]
    raise UnverifiedRedirectError("This request has no redirect_uri.")


async def error_redirect_trusted(
    db: AsyncSession, target: VerifiedTarget, athlete_id: int | None
) -> bool:
    """RFC 9700 §4.11.2: whether an error may be sent to the redirect URI automatically.

    An operator client's URIs were vetted by the operator. A self-registered (dynamic or
    metadata-document) client's URI is trusted only once the athlete in this browser approved
    that client (a live grant); before that, errors show the gateway's error page, so the
    authorization endpoint is no open redirect for whoever registers a client."""
    if target.client.origin == OPERATOR:
        return True
    if athlete_id is None:
        return False
    found = await db.scalar(
        select(Grant.id)
        .where(
            Grant.athlete_id == athlete_id,
            Grant.client_pk == target.client.id,
            Grant.redirect_key == grant_redirect_key(target.client, target.redirect_uri),
            Grant.revoked_at.is_(None),
        )
        .limit(1)
    )
    return found is not None


def check_identity_params(params: dict[str, str], repeated: set[str]) -> str:
    """The client_id, present once, and a redirect_uri given at most once."""
    if {"client_id", "redirect_uri"} & repeated:
        raise UnverifiedRedirectError("client_id or redirect_uri was given more than once.")
    client_id = params.get("client_id", "")
    if not client_id:
        raise UnverifiedRedirectError("This request has no client_id.")
    return client_id


async def verify_target(
    db: AsyncSession,
    params: dict[str, str],
    document: ClientDocument | None,
    now: datetime,
) -> VerifiedTarget:
    """Stage one: client and redirect URI. Raises UnverifiedRedirectError."""
    client = await load_client(db, params.get("client_id", ""), document, now)
    redirect_uri = choose_redirect_uri(client, params.get("redirect_uri"))
    return VerifiedTarget(client, redirect_uri, params.get("state"), document)


def resource_matches(given: str, canonical: str) -> bool:
    """RFC 8707 §2 with RFC 3986 §6.2.2.1 normalisation: scheme and host case-insensitive."""
    try:
        a, b = urlsplit(given), urlsplit(canonical)
    except ValueError:
        return False
    return (
        a.scheme.lower() == b.scheme.lower()
        and a.netloc.lower() == b.netloc.lower()
        and (a.path, a.query, a.fragment) == (b.path, b.query, b.fragment)
    )


def requested_scopes(client: OAuthClient, raw: str | None) -> list[str]:
    """The scopes to ask the athlete for: as requested, or the client's own when none are."""
    allowed = scopes.parse_scope(client.scope)
    asked = scopes.parse_scope(raw)
    unknown = scopes.unknown_scopes(asked)
    if unknown:
        raise OAuthError("invalid_scope", f"unknown scope: {' '.join(unknown)}")
    known = scopes.known_scopes(asked)
    if not known:
        return scopes.known_scopes(allowed) or [scopes.READ]
    beyond = [s for s in known if s not in allowed]
    if beyond:
        raise OAuthError("invalid_scope", f"scope not allowed for this client: {' '.join(beyond)}")
    return known


def validate_request(
    target: VerifiedTarget, params: dict[str, str], repeated: set[str], settings: Settings
) -> AuthorizationRequest:
    """Stage two: response type, PKCE, scope, resource. Raises OAuthError (redirectable)."""
    if repeated:
        raise invalid_request(f"repeated parameter: {', '.join(sorted(repeated))}")
    if params.get("response_type") != "code":
        raise OAuthError("unsupported_response_type", "only response_type=code is supported")
    problem = challenge_problem(params.get("code_challenge"), params.get("code_challenge_method"))
    if problem:
        raise invalid_request(problem)
    resource = params.get("resource") or settings.mcp_resource
    if not any(resource_matches(resource, r) for r in resource_aliases(settings.mcp_resource)):
        raise OAuthError("invalid_target", f"the only resource here is {settings.mcp_resource}")
    return AuthorizationRequest(
        client=target.client,
        redirect_uri=target.redirect_uri,
        state=target.state,
        scopes=requested_scopes(target.client, params.get("scope")),
        code_challenge=params["code_challenge"],
        resource=settings.mcp_resource,
        params=params,
        document=target.document,
    )


async def stored_request(
    db: AsyncSession, request: AuthorizationRequest, settings: Settings, now: datetime
) -> AuthorizationRequest:
    """At approval: the request with its client stored. A metadata-document client's row is
    created (within `GATEWAY_CIMD_CLIENTS_MAX`) or refreshed from the document just fetched;
    other clients are stored already. Raises OAuthError (redirectable: the athlete approved)."""
    if request.document is None:
        return request
    try:
        client = await store_document_client(db, request.document, now, settings.cimd_clients_max)
    except DocumentClientsFull as error:
        raise OAuthError("temporarily_unavailable", str(error)) from None
    except ClientDocumentError as error:
        raise invalid_request(str(error)) from None
    return replace(request, client=client)


def authorization_response_url(redirect_uri: str, values: dict[str, str | None]) -> str:
    """Append response parameters to the redirect URI's query (RFC 6749 §4.1.2, RFC 9207 §2)."""
    query = urlencode({k: v for k, v in values.items() if v is not None})
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return f"{redirect_uri}{separator}{query}"


def error_redirect_url(target: VerifiedTarget, error: OAuthError, issuer: str) -> str:
    """RFC 6749 §4.1.2.1 error response, with RFC 9207 `iss`."""
    return authorization_response_url(
        target.redirect_uri,
        {
            "error": error.error,
            "error_description": error.description or None,
            "state": target.state,
            "iss": issuer,
        },
    )


def success_redirect_url(target: VerifiedTarget, code: str, issuer: str) -> str:
    """RFC 6749 §4.1.2 success response, with RFC 9207 `iss`."""
    return authorization_response_url(
        target.redirect_uri, {"code": code, "state": target.state, "iss": issuer}
    )
