"""HTTP endpoints of the authorization server. Handlers are thin: they parse the request, call
the protocol functions of their module and shape the response."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.engine import retry_when_busy, transaction
from app.db.models import Athlete, Grant, OAuthClient
from app.oauth import metadata
from app.oauth.authorize import (
    AuthorizationRequest,
    UnverifiedRedirectError,
    VerifiedTarget,
    check_identity_params,
    error_redirect_trusted,
    error_redirect_url,
    fetch_client_document,
    single_params,
    stored_request,
    success_redirect_url,
    validate_request,
    verify_target,
)
from app.oauth.clients import PresentedCredentials, authenticate_client, presented_credentials
from app.oauth.consent import APPROVE, SCOPE_FIELD, approved_scopes, consent_view, issue_code
from app.oauth.cors import OAuthCors
from app.oauth.errors import OAuthError, error_response, invalid_request, json_no_store
from app.oauth.grants import grant_redirect_key
from app.oauth.registration import Registration, parse_registration
from app.oauth.registration_capacity import (
    VENDOR,
    admit_registration,
    lock_registrations,
    registration_pool,
)
from app.oauth.revocation import revoke_token
from app.oauth.runtime import OAuthRuntime, oauth_runtime
from app.oauth.scopes import parse_scope
from app.oauth.token_endpoint import grant_tokens
from app.observe import observer
from app.services import services
from app.settings import Settings
from app.web.body_limit import FORM_TYPE, FormRejected, media_type, read_small_form
from app.web.client_address import client_limiter_key
from app.web.cookies import cookie_policy
from app.web.csrf import csrf_token, csrf_valid, remember_csrf_token
from app.web.legal import legal_links
from app.web.signed_in import current_athlete, request_clock
from app.web.templates import templates

router = APIRouter()


def install_oauth(app: FastAPI, settings: Settings, served_scopes: frozenset[str]) -> None:
    """Add the OAuth endpoints, their CORS policy and per-app state to `app`; ``served_scopes``
    are the scopes the served tools need (the MCP layer knows them, the consent page asks)."""
    app.state.oauth = OAuthRuntime.create(settings, served_scopes)
    app.add_middleware(OAuthCors)
    app.include_router(router)


# -- discovery (RFC 8414, RFC 9728) ------------------------------------------------------------


@router.get("/.well-known/oauth-authorization-server", include_in_schema=False)
@router.get("/.well-known/openid-configuration", include_in_schema=False)
async def authorization_server_metadata(request: Request) -> JSONResponse:
    return JSONResponse(metadata.authorization_server_metadata(services(request).settings))


@router.get("/.well-known/oauth-protected-resource/mcp", include_in_schema=False)
@router.get("/.well-known/oauth-protected-resource", include_in_schema=False)
async def protected_resource_metadata(request: Request) -> JSONResponse:
    return JSONResponse(metadata.protected_resource_metadata(services(request).settings))


@router.get("/.well-known/oauth-protected-resource/sse", include_in_schema=False)
async def sse_protected_resource_metadata(request: Request) -> JSONResponse:
    """RFC 9728 §3.1 document for the legacy SSE endpoint (see metadata.resource_aliases)."""
    settings = services(request).settings
    document = metadata.protected_resource_metadata(settings, metadata.sse_resource(settings))
    return JSONResponse(document)


# -- authorization endpoint (RFC 6749 §3.1, §4.1.1) -------------------------------------------


def error_page(request: Request, message: str, status_code: int = 400) -> Response:
    return templates.TemplateResponse(
        request, "oauth_error.html", {"message": message}, status_code=status_code
    )


def signin_redirect(params: Mapping[str, str]) -> RedirectResponse:
    """Send the athlete to sign in, then back to the same authorization request."""
    back = "/authorize?" + urlencode(dict(params))
    return RedirectResponse(f"/signin?next={quote(back, safe='')}", status_code=303)


async def _checked_request(
    request: Request, items: list[tuple[str, str]], redirect_status: int
) -> AuthorizationRequest | Response:
    """Stage one (error page on failure), then stage two (error redirect with `iss`, or the
    error page while the redirect URI is not trusted: RFC 9700 §4.11.2).

    A metadata document is fetched first, outside any database transaction.
    """
    params, repeated = single_params(items)
    settings: Settings = services(request).settings
    try:
        client_id = check_identity_params(params, repeated)
        document = await fetch_client_document(
            oauth_runtime(request).documents, client_id, client_limiter_key(request)
        )
        async with transaction(services(request).sessions) as db:
            target = await verify_target(db, params, document, request_clock(request)())
    except UnverifiedRedirectError as error:
        page = error_page(request, str(error), error.status_code)
        if error.retry_after is not None:
            page.headers["Retry-After"] = str(error.retry_after)
        return page
    try:
        return validate_request(target, params, repeated, settings)
    except OAuthError as error:
        async with transaction(services(request).sessions) as db:
            athlete = await current_athlete(request, db)
            trusted = await error_redirect_trusted(db, target, athlete.id if athlete else None)
        if not trusted:
            return error_page(request, f"The application's request is invalid ({error}).")
        return error_redirect(request, target, error, redirect_status)


def error_redirect(
    request: Request, target: VerifiedTarget, error: OAuthError, status: int
) -> RedirectResponse:
    url = error_redirect_url(target, error, services(request).settings.issuer)
    return RedirectResponse(url, status_code=status)


@router.get("/authorize", include_in_schema=False)
async def authorize(request: Request) -> Response:
    """Validate the request, make sure the athlete is signed in, show the consent page."""
    items = list(request.query_params.multi_items())
    checked = await _checked_request(request, items, redirect_status=302)
    if isinstance(checked, Response):
        return checked
    async with transaction(services(request).sessions) as db:
        athlete = await current_athlete(request, db)
        if athlete is None:
            return signin_redirect(checked.params)
        granted = await live_grant_scopes(db, athlete.id, checked)
        return render_consent(request, checked, athlete, granted)


async def live_grant_scopes(
    db: AsyncSession, athlete_id: int, auth: AuthorizationRequest
) -> list[str] | None:
    """The scopes of the athlete's live grant to this client (None: no grant yet)."""
    scope = await db.scalar(
        select(Grant.scope).where(
            Grant.athlete_id == athlete_id,
            Grant.client_pk == auth.client.id,
            Grant.redirect_key == grant_redirect_key(auth.client, auth.redirect_uri),
            Grant.revoked_at.is_(None),
        )
    )
    return None if scope is None else parse_scope(scope)


def render_consent(
    request: Request,
    auth: AuthorizationRequest,
    athlete: Athlete,
    granted: list[str] | None = None,
) -> Response:
    policy = cookie_policy(services(request).settings)
    response = templates.TemplateResponse(
        request,
        "consent.html",
        {
            "view": consent_view(auth, oauth_runtime(request).served_scopes, granted),
            "client_id": auth.client.client_id,
            "athlete_name": athlete.name or athlete.intervals_id,
            "csrf_token": csrf_token(request, policy),
            **legal_links(services(request).settings),
        },
    )
    remember_csrf_token(request, response, policy)
    return response


@router.post("/authorize", include_in_schema=False)
async def decide(request: Request) -> Response:
    """The consent form: approve (possibly fewer scopes) or deny; redirect back with `iss`."""
    form = await read_small_form(request)
    items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    settings: Settings = services(request).settings
    checked = await _checked_request(request, items, redirect_status=303)
    if isinstance(checked, Response):
        return checked
    async with transaction(services(request).sessions) as db:
        if not csrf_valid(request, str(form.get("csrf_token") or ""), cookie_policy(settings)):
            return error_page(request, "The form expired. Go back and try again.", 403)
        athlete = await current_athlete(request, db)
        if athlete is None:
            return signin_redirect(checked.params)
        granted = approved_scopes(checked, [v for k, v in items if k == SCOPE_FIELD])
        if form.get("decision") != APPROVE or not granted:
            denied = OAuthError("access_denied", "the athlete denied access")
            return error_redirect(request, _target_of(checked), denied, 303)
        now = request_clock(request)()
        try:
            approved = await stored_request(db, checked, settings, now)
        except OAuthError as error:
            return error_redirect(request, _target_of(checked), error, 303)
        code = await issue_code(db, settings, approved, athlete.id, granted, now)
    return RedirectResponse(
        success_redirect_url(_target_of(checked), code, settings.issuer), status_code=303
    )


def _target_of(auth: AuthorizationRequest) -> VerifiedTarget:
    return VerifiedTarget(auth.client, auth.redirect_uri, auth.state)


# -- token endpoint (RFC 6749 §3.2) ------------------------------------------------------------


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded body; repeated parameters are refused (RFC 6749 §3.2)."""
    if media_type(request.headers.get("content-type")) != FORM_TYPE:
        raise invalid_request(f"the body must be {FORM_TYPE}")
    try:
        form = await read_small_form(request)
    except FormRejected as error:
        raise invalid_request(str(error.detail)) from None
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if key in values:
            raise invalid_request(f"repeated parameter: {key}")
        if isinstance(value, str):
            values[key] = value
    return values


async def checked_client(
    request: Request, db: AsyncSession, presented: PresentedCredentials
) -> OAuthClient:
    """Client authentication (RFC 6749 §2.3), refused with 429 once a client_id has failed too
    often from one address, before any (possibly scrypt) secret check is made."""
    limiter = services(request).limiters.client_auth
    key = f"{presented.client_id[:128]}|{client_limiter_key(request)}"
    wait = await limiter.retry_after(key)
    if wait is not None:
        raise OAuthError(
            "slow_down", "too many failed client authentications; try later", 429, wait
        )
    try:
        return await authenticate_client(db, presented)
    except OAuthError as error:
        if error.error == "invalid_client":
            await limiter.record(key)
        raise


@router.post("/token", include_in_schema=False)
async def token(request: Request) -> Response:
    authorization = request.headers.get("authorization")
    try:
        form = await read_form(request)
    except OAuthError as bad:
        return error_response(bad)

    async def attempt() -> Response:
        async with transaction(services(request).sessions) as db:
            try:
                client = await checked_client(
                    request, db, presented_credentials(form, authorization)
                )
                issued = await grant_tokens(
                    db, services(request).settings, client, form, request_clock(request)()
                )
            except OAuthError as error:
                # leaving the block commits: replay and reuse detection revoke before answering
                return error_response(error, basic_auth_attempted=bool(authorization))
        observer().oauth_event("refresh" if form.get("grant_type") == "refresh_token" else "grant")
        return json_no_store(issued.response_body())

    # All or nothing, so safe to repeat when SQLite was busy; past that, 503
    # temporarily_unavailable (app/web/unavailable.py).
    return await retry_when_busy(attempt)


# -- revocation (RFC 7009 §2) ------------------------------------------------------------------


@router.post("/revoke", include_in_schema=False)
async def revoke(request: Request) -> Response:
    authorization = request.headers.get("authorization")
    try:
        form = await read_form(request)
        async with transaction(services(request).sessions) as db:
            client = await checked_client(request, db, presented_credentials(form, authorization))
            await revoke_token(db, client, form.get("token", ""), request_clock(request)())
    except OAuthError as error:
        return error_response(error, basic_auth_attempted=bool(authorization))
    observer().oauth_event("revocation")
    return json_no_store({})


# -- dynamic client registration (RFC 7591 §3) -------------------------------------------------


@router.post("/register", include_in_schema=False)
async def register(request: Request) -> Response:
    """RFC 7591 §3.1 with the capacity rules of app/oauth/registration_capacity.py."""
    runtime = oauth_runtime(request)
    try:
        registration = parse_registration(json.loads(await request.body() or b"null"))
    except (ValueError, RecursionError):
        return error_response(OAuthError("invalid_client_metadata", "the body must be JSON"))
    except OAuthError as error:
        return error_response(error)
    pool = registration_pool(registration.redirect_uris)
    limiters = services(request).limiters
    limiter = limiters.register_vendor if pool == VENDOR else limiters.register_general
    key = client_limiter_key(request)
    wait = await limiter.retry_after(key)
    if wait is not None:
        return error_response(OAuthError("slow_down", "too many registrations", 429, wait))
    await limiter.record(key)
    try:
        body = await _store_registration(request, runtime, registration, pool)
    except OAuthError as error:
        return error_response(error)
    observer().oauth_event("registration")
    return json_no_store(body, 201)


async def _store_registration(
    request: Request, runtime: OAuthRuntime, registration: Registration, pool: str
) -> dict[str, Any]:
    """Reuse an identical unused client, else insert one if the pool has room (atomically)."""
    cap = runtime.settings.oauth_dynamic_clients_max
    now = request_clock(request)()
    async with runtime.register_lock, transaction(services(request).sessions) as db:
        await lock_registrations(db)
        return await admit_registration(db, registration, pool, cap, now, runtime.cap_warning)
