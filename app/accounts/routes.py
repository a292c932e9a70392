"""Thin HTTP handlers for the account pages: sign-in (API key or Intervals.icu OAuth),
sign-out, the account page and its forms. Rules live in signin.py, sessions.py, policy.py,
service.py and the vault; these handlers read forms, call them and render templates.

Every state-changing form carries a CSRF token (app/web/csrf.py); every page gets
``X-Frame-Options: DENY`` and ``frame-ancestors 'none'`` from app/web/security.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import upstream_oauth
from app.accounts.display import access_words, local_time
from app.accounts.policy import check_access, find_athlete
from app.accounts.service import (
    connected_apps,
    credential_row,
    delete_account,
    disconnect_app,
    forget_intervals_connection,
    store_credential,
    upsert_athlete,
)
from app.accounts.sessions import (
    clear_session_cookie,
    current_athlete,
    end_session,
    set_session_cookie,
    start_session,
)
from app.accounts.sharing import (
    CATEGORY_LABELS,
    SharingRefused,
    coach_id_of,
    parse_choice,
    share_rows,
)
from app.accounts.signin import (
    OWNER,
    SigninFailed,
    SigninLimiters,
    SigninProblem,
    parse_api_key,
    parse_athlete_id,
    rate_limited_message,
    safe_next_path,
    verify_api_key,
)
from app.accounts.upstream import (
    AthleteProfile,
    ProfileLookup,
    UpstreamDisconnect,
    profile_lookup,
    withdraw_stored_access,
)
from app.after_answer import settled
from app.coach.store import share_with_coach, stop_sharing
from app.db.access_log import MODES, OUTCOMES, AccessFilter, access_csv, access_rows
from app.db.engine import checkpoint_sqlite_wal, transaction
from app.db.models import Athlete, utcnow
from app.intervals.credentials import BearerToken
from app.intervals.errors import AccessDenied, CredentialRejected, IntervalsError
from app.mcp.tools.context import zone_or_utc
from app.services import services
from app.settings import Settings
from app.vault.store import KIND_API_KEY, KIND_OAUTH_TOKEN, SealedCredential
from app.web.body_limit import read_small_form
from app.web.client_address import client_limiter_key
from app.web.cookies import cookie_policy
from app.web.csrf import CSRF_FIELD, csrf_token, csrf_valid, remember_csrf_token
from app.web.legal import legal_links
from app.web.templates import templates
from app.writes.account import undo_batch
from app.writes.display import JournalRow, journal_row, recent_changes

router = APIRouter(include_in_schema=False)

NOTICES = {
    "key": "Your Intervals.icu API key was replaced.",
    "revoked": "The application was disconnected; its access ended immediately.",
    "signed-out": "You are signed out.",
    "invited": "You have an invitation to this gateway's club: sign in to use it.",
}
API_KEY_NOTICES = frozenset({"key"})


def _notice(settings: Settings, done: str) -> str:
    """The notice a ``?done=`` names; in OAuth-only mode none that speaks of API keys."""
    if done in API_KEY_NOTICES and not settings.api_key_signin:
        return ""
    return NOTICES.get(done, "")


def install_accounts(app: FastAPI) -> None:
    """Mount the account pages and the club pages on the app (their state lives on the app's
    services)."""
    from app.accounts import club_routes  # it uses this module's helpers

    app.include_router(router)
    app.include_router(club_routes.router)


# -- request helpers ---------------------------------------------------------------------------


def _limiters(request: Request) -> SigninLimiters:
    return SigninLimiters(per_address=services(request).limiters.signin)


def _lookup(request: Request) -> ProfileLookup:
    return profile_lookup(services(request).intervals)


async def _form(request: Request) -> dict[str, str]:
    form = await read_small_form(request)
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _render(
    request: Request,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    settings = services(request).settings
    policy = cookie_policy(settings)
    context = {
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request, policy),
        **_signin_methods(settings),
        **context,
    }
    response = templates.TemplateResponse(
        request, template, context, status_code=status_code, headers=headers
    )
    remember_csrf_token(request, response, policy)
    return response


def _message(request: Request, title: str, message: str, status_code: int) -> Response:
    return _render(
        request, "accounts_message.html", {"title": title, "message": message}, status_code
    )


def _csrf_ok(request: Request, form: dict[str, str]) -> bool:
    return csrf_valid(request, form.get(CSRF_FIELD), cookie_policy(services(request).settings))


def _csrf_failed(request: Request) -> Response:
    return _message(
        request,
        "This form has expired",
        "For your safety the form could not be accepted. Go back, reload the page and try again.",
        403,
    )


async def checked_form(request: Request) -> dict[str, str] | Response:
    """The posted form if its CSRF token is the browser's (app/web/csrf.py, double-submit
    cookie: the hidden field equals the cookie); else the 403 "form has expired" page."""
    form = await _form(request)
    if not _csrf_ok(request, form):
        return _csrf_failed(request)
    return form


@dataclass(frozen=True)
class SignedInPost:
    """A form post that passed :func:`signed_in_post`: its fields, the open unit of work and
    the signed-in athlete (loaded in that unit of work)."""

    form: dict[str, str]
    db: AsyncSession
    athlete: Athlete


@asynccontextmanager
async def signed_in_post(request: Request, back: str) -> AsyncIterator[SignedInPost | Response]:
    """The checks every signed-in athlete's form post starts with, yielding the refusal to
    answer or the :class:`SignedInPost` to act on:

    1. the CSRF token (:func:`checked_form`): refused with the 403 "form has expired" page,
       before any database work;
    2. the browser session (app/web/signed_in.py, in a unit of work that stays open for the
       handler and commits when it ends): none live, and the browser is sent (303) to sign in
       and then back to the page ``back``.
    """
    form = await checked_form(request)
    if isinstance(form, Response):
        yield form
        return
    async with transaction(services(request).sessions) as db:
        athlete = await current_athlete(request, db)
        yield _to_signin(back) if athlete is None else SignedInPost(form, db, athlete)


def _signin_page(
    request: Request,
    next_path: str,
    *,
    error: str = "",
    notice: str = "",
    athlete_id: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    settings = services(request).settings
    context = {
        **gateway_identity(settings),
        "next_path": next_path,
        "error": error,
        "notice": notice,
        "athlete_id": athlete_id,
        **legal_links(settings),
    }
    return _render(request, "signin.html", context, status_code, headers)


def gateway_identity(settings: Settings) -> dict[str, str]:
    """How the sign-in page names this gateway, so it never passes for Intervals.icu's own
    sign-in: the operator's name when set, else the host of the public base URL."""
    host = urlsplit(settings.base_url).netloc
    operator = settings.operator_name.strip()
    return {"gateway_name": operator or host, "gateway_host": host, "operator_name": operator}


def _to_signin(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/signin?{urlencode({'next': next_path})}", status_code=303)


# -- sign-in -------------------------------------------------------------------------------------


@router.get("/signin")
async def signin_form(request: Request, next: str = "", done: str = "") -> Response:
    """The sign-in page: the API-key form (athlete id optional) and/or "Continue with
    Intervals.icu", as ``GATEWAY_SIGNIN_METHODS`` allows."""
    notice = _notice(services(request).settings, done)
    return _signin_page(request, safe_next_path(next), notice=notice)


@router.post("/signin")
async def signin_submit(request: Request) -> Response:
    """Check the pair with Intervals.icu, then create/update the account and a session."""
    if not services(request).settings.api_key_signin:
        return _oauth_only(request)
    form = await checked_form(request)
    if isinstance(form, Response):
        return form
    next_path = safe_next_path(form.get("next"))
    typed_id = form.get("athlete_id", "").strip()[:40]
    try:
        athlete_id = parse_athlete_id(typed_id)
        secret = parse_api_key(form.get("api_key", ""))
    except SigninFailed as failure:
        return _signin_page(
            request, next_path, error=str(failure), athlete_id=typed_id, status_code=400
        )
    limiters, address = _limiters(request), client_limiter_key(request)
    wait = await limiters.reserve(address)
    if wait is not None:
        return _signin_page(
            request,
            next_path,
            error=rate_limited_message(wait),
            athlete_id=typed_id,
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    try:
        verified = await verify_api_key(_lookup(request), athlete_id, secret)
    except SigninFailed as failure:
        return _signin_page(
            request,
            next_path,
            error=str(failure),
            athlete_id=typed_id,
            status_code=_failure_status(failure),
        )
    await limiters.release(address)
    return await _complete_signin(
        request, verified.profile, KIND_API_KEY, verified.secret, None, next_path
    )


def _oauth_only(request: Request) -> Response:
    """``GATEWAY_SIGNIN_METHODS=oauth``: the form posts of the other sign-in method are gone
    (404), with a page that points to the one way in."""
    return _message(
        request,
        "Sign in with Intervals.icu",
        "This gateway connects to Intervals.icu only through Intervals.icu's own sign-in: "
        "use Continue with Intervals.icu on the sign-in page.",
        404,
    )


def _failure_status(failure: SigninFailed) -> int:
    """The HTTP status of the re-shown form (every failure still counts toward the limit)."""
    return 503 if failure.problem is SigninProblem.UPSTREAM_UNAVAILABLE else 400


async def _complete_signin(
    request: Request,
    profile: AthleteProfile,
    kind: str,
    secret: str,
    upstream_scope: str | None,
    next_path: str,
) -> Response:
    """Apply the access policy to the credential's owner, then store account, credential
    (ending the athlete's other sessions if it replaces another) and a fresh browser session."""
    settings = services(request).settings
    now = services(request).clock.now()
    async with transaction(services(request).sessions) as db:
        decision = await check_access(db, settings, profile.intervals_id)
        if not decision.allowed:
            refusal = await _by_invitation(request, db, profile, decision.reason, now)
            if refusal is not None:
                return refusal
        athlete = await upsert_athlete(db, profile, now)
        await store_credential(
            db,
            services(request).vault,
            athlete.id,
            kind,
            secret,
            upstream_scope=upstream_scope,
            now=now,
        )
        await end_session(request, db)
        raw_session = await start_session(db, athlete.id, settings, now)
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, settings, raw_session)
    return response


async def _by_invitation(
    request: Request, db: AsyncSession, profile: AthleteProfile, reason: str, now: datetime
) -> Response | None:
    """For someone the access policy refused: the invitation this browser holds admits them
    (None: go on signing in), files their request for a club admin, or the refusal stands.
    A disabled account is never admitted."""
    from app.accounts import club, club_routes

    held = club_routes.invitation_token(request)
    existing = await find_athlete(db, profile.intervals_id)
    if not held or (existing is not None and existing.is_disabled):
        return _message(request, "You cannot sign in here", reason, 403)
    admission = await club.redeem_invitation(db, held, profile.intervals_id, profile.name, now)
    if admission is club.Admission.ADMITTED:
        return None
    if admission is club.Admission.PENDING:
        response = _message(
            request,
            "Your request to join is waiting",
            "Your invitation was received. A club admin approves it; then sign in again.",
            403,
        )
    else:
        response = _message(request, "You cannot sign in here", reason, 403)
    club_routes.forget_invitation(request, response)
    return response


@router.post("/signout")
async def signout(request: Request) -> Response:
    """End this browser's session."""
    refusal = await checked_form(request)
    if isinstance(refusal, Response):
        return refusal
    async with transaction(services(request).sessions) as db:
        await end_session(request, db)
    response = RedirectResponse("/signin?done=signed-out", status_code=303)
    clear_session_cookie(response, services(request).settings)
    return response


# -- Continue with Intervals.icu -----------------------------------------------------------------


@router.get("/signin/intervals")
async def upstream_oauth_start(request: Request, next: str = "") -> Response:
    """Send the browser to Intervals.icu's consent page (RFC 6749 §4.1.1)."""
    config = upstream_oauth.upstream_oauth_config(services(request).settings)
    if config is None:
        return _message(request, "Not available", "Sign in with your API key instead.", 404)
    state = upstream_oauth.new_state()
    response = RedirectResponse(upstream_oauth.authorization_url(config, state), status_code=303)
    cookie_policy(services(request).settings).set(
        response,
        upstream_oauth.STATE_COOKIE,
        upstream_oauth.state_cookie_value(state, safe_next_path(next)),
        max_age=upstream_oauth.STATE_MAX_AGE,
    )
    return response


@router.get("/signin/intervals/callback")
async def upstream_oauth_callback(
    request: Request, code: str = "", state: str = "", error: str = ""
) -> Response:
    """Intervals.icu's redirect back (RFC 6749 §4.1.2): check state, exchange the code,
    learn the athlete, then sign in like an API key would."""
    settings = services(request).settings
    config = upstream_oauth.upstream_oauth_config(settings)
    policy = cookie_policy(settings)
    saved = upstream_oauth.read_state_cookie(
        request.cookies.get(policy.name(upstream_oauth.STATE_COOKIE))
    )
    if config is None or saved is None or not upstream_oauth.state_matches(saved[0], state):
        response = _message(
            request,
            "Sign-in expired",
            "The sign-in with Intervals.icu could not be matched to this browser. Start again.",
            400,
        )
    else:
        response = await _finish_upstream_oauth(request, config, code, error, saved[1])
    policy.clear(response, upstream_oauth.STATE_COOKIE)
    return response


async def _finish_upstream_oauth(
    request: Request,
    config: upstream_oauth.UpstreamOAuthConfig,
    code: str,
    error: str,
    next_path: str,
) -> Response:
    if error or not code:
        message = "Intervals.icu did not grant access, so you are not signed in."
        return _signin_page(request, next_path, error=message, status_code=400)
    limiters, address = _limiters(request), client_limiter_key(request)
    wait = await limiters.reserve(address)  # the code exchange asks Intervals.icu, like a key check
    if wait is not None:
        return _signin_page(
            request,
            next_path,
            error=rate_limited_message(wait),
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    try:
        token = await upstream_oauth.exchange_code(
            config, code, services(request).http_client_factory
        )
        profile = await _upstream_profile(request, token)
    except upstream_oauth.UpstreamOAuthFailed as failure:
        return _signin_page(request, next_path, error=str(failure), status_code=502)
    await limiters.release(address)
    return await _complete_signin(
        request, profile, KIND_OAUTH_TOKEN, token.access_token, token.scope, next_path
    )


async def _upstream_profile(
    request: Request, token: upstream_oauth.UpstreamToken
) -> AthleteProfile:
    """The token's owner (``GET /athlete/0`` with the bearer token), which must be the athlete
    the token response named (its sample spells ids without the ``i``, so that is ignored);
    the token response's athlete if the granted scopes do not include reading the profile."""
    try:
        profile = await _lookup(request)(BearerToken(token.access_token), OWNER)
    except AccessDenied:
        return AthleteProfile(token.athlete_id, token.athlete_name[:200], "UTC")
    except CredentialRejected:
        raise upstream_oauth.UpstreamOAuthFailed(upstream_oauth.UNEXPECTED) from None
    except (IntervalsError, ValueError):
        raise upstream_oauth.UpstreamOAuthFailed(SigninProblem.UPSTREAM_UNAVAILABLE.value) from None
    if profile.intervals_id.removeprefix("i") != token.athlete_id.removeprefix("i"):
        raise upstream_oauth.UpstreamOAuthFailed(upstream_oauth.UNEXPECTED)
    return profile


# -- account page ------------------------------------------------------------------------------


@router.get("/account")
async def account_page(
    request: Request, done: str = "", tool: str = "", mode: str = "", outcome: str = ""
) -> Response:
    """Name and id, credential status, connected applications, the changes and access log
    (narrowed by ``tool``, ``mode``, ``outcome``), sign-out and delete."""
    wanted = AccessFilter.parse(tool, mode, outcome)
    await settled()  # this process's rows of answers already given (app/after_answer.py)
    async with transaction(services(request).sessions) as db:
        athlete = await current_athlete(request, db)
        if athlete is None:
            return _to_signin("/account")
        context = await _account_context(db, athlete, wanted)
    notice = _notice(services(request).settings, done)
    return _render(request, "account.html", {**context, "notice": notice})


def _signin_methods(settings: Settings) -> dict[str, bool]:
    """Which ways of connecting the account page offers (``GATEWAY_SIGNIN_METHODS``)."""
    return {
        "api_key_enabled": settings.api_key_signin,
        "oauth_enabled": upstream_oauth.upstream_oauth_config(settings) is not None,
    }


@router.get("/account/access.csv")
async def access_log_csv(
    request: Request, tool: str = "", mode: str = "", outcome: str = ""
) -> Response:
    """The signed-in athlete's whole kept access log (as filtered) as a CSV download."""
    wanted = AccessFilter.parse(tool, mode, outcome)
    await settled()  # this process's rows of answers already given (app/after_answer.py)
    async with transaction(services(request).sessions) as db:
        athlete = await current_athlete(request, db)
        if athlete is None:
            return _to_signin("/account")
        rows = await access_rows(db, athlete.id, wanted, limit=None)
    return Response(
        access_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="gateway-access-log.csv"',
            "Cache-Control": "no-store",
        },
    )


async def _account_context(
    db: AsyncSession, athlete: Athlete, wanted: AccessFilter | None = None
) -> dict[str, Any]:
    zone = zone_or_utc(athlete.timezone)
    wanted = wanted or AccessFilter()
    return {
        "shares": await share_rows(db, athlete.id, zone, utcnow()),
        "category_labels": CATEGORY_LABELS,
        "access": await access_rows(db, athlete.id, wanted),
        "access_filter": wanted,
        "access_modes": MODES,
        "access_outcomes": OUTCOMES,
        "athlete": athlete,
        "local_time": lambda moment, date_only=False: local_time(moment, zone, date_only=date_only),
        "access_words": access_words,
        "credential": await credential_row(db, athlete.id),
        "apps": await connected_apps(db, athlete.id),
        "changes": await journal_rows(db, athlete.id),
        "error": "",
    }


async def journal_rows(db: AsyncSession, athlete_pk: int) -> list[JournalRow]:
    """The latest changes made through the gateway, grouped by batch for the undo buttons."""
    return [journal_row(entry) for entry in await recent_changes(db, athlete_pk)]


@router.post("/account/changes/{batch_id}/undo")
async def undo_changes_page(request: Request, batch_id: str) -> Response:
    """Revert one batch of changes (the click is the confirmation); refuses, naming them, the
    changes whose values were edited on Intervals.icu since (app/writes/account.py)."""
    async with signed_in_post(request, "/account") as post:
        if isinstance(post, Response):
            return post
        athlete = post.athlete
        post.db.expunge(athlete)
    svc = services(request)
    outcome = await undo_batch(
        svc.sessions, svc.vault, svc.intervals, athlete, batch_id[:32], svc.clock.now()
    )
    async with transaction(svc.sessions) as db:
        context = await _account_context(db, athlete)
    return _render(request, "account.html", {**context, "notice": outcome.message})


@router.post("/account/sharing")
async def share_page(request: Request) -> Response:
    """Share with a coach, or change what stays hidden from them and until when
    (app/accounts/sharing.py parses the form; app/coach/store.py stores it)."""
    async with signed_in_post(request, "/account") as post:
        if isinstance(post, Response):
            return post
        db, athlete = post.db, post.athlete
        try:
            choice = parse_choice(post.form, athlete.intervals_id, zone_or_utc(athlete.timezone))
        except SharingRefused as refused:
            context = await _account_context(db, athlete)
            return _render(request, "account.html", {**context, "error": str(refused)}, 400)
        await share_with_coach(
            db,
            athlete.id,
            choice.coach_id,
            hidden=choice.hidden,
            hidden_until=choice.until,
            cache=services(request).rosters,
        )
        context = await _account_context(db, athlete)
    notice = f"Your sharing with {choice.coach_id} is saved."
    return _render(request, "account.html", {**context, "notice": notice})


@router.post("/account/sharing/{coach_id}/stop")
async def stop_sharing_page(request: Request, coach_id: str) -> Response:
    """Stop sharing with a coach: from the next tool call they cannot act for the athlete."""
    async with signed_in_post(request, "/account") as post:
        if isinstance(post, Response):
            return post
        db, athlete = post.db, post.athlete
        try:
            coach = coach_id_of(coach_id)
        except SharingRefused as refused:
            context = await _account_context(db, athlete)
            return _render(request, "account.html", {**context, "error": str(refused)}, 400)
        stopped = await stop_sharing(db, athlete.id, coach, cache=services(request).rosters)
        context = await _account_context(db, athlete)
    notice = f"You no longer share with {coach}." if stopped else f"You did not share with {coach}."
    return _render(request, "account.html", {**context, "notice": notice})


@router.post("/account/credential")
async def replace_key(request: Request) -> Response:
    """Replace the stored API key with a new one owned by this athlete (``GET /athlete/0``);
    the athlete's other browser sessions end."""
    if not services(request).settings.api_key_signin:
        return _oauth_only(request)
    async with signed_in_post(request, "/account") as post:
        if isinstance(post, Response):
            return post
        intervals_id, athlete_pk = post.athlete.intervals_id, post.athlete.id
        context = await _account_context(post.db, post.athlete)
    limiters, address = _limiters(request), client_limiter_key(request)
    try:
        secret = parse_api_key(post.form.get("api_key", ""))
        wait = await limiters.reserve(address)
        if wait is not None:
            return _render(
                request, "account.html", {**context, "error": rate_limited_message(wait)}, 429
            )
        verified = await verify_api_key(_lookup(request), intervals_id, secret)
    except SigninFailed as failure:
        return _render(
            request, "account.html", {**context, "error": str(failure)}, _failure_status(failure)
        )
    await limiters.release(address)
    settings, now = services(request).settings, services(request).clock.now()
    async with transaction(services(request).sessions) as db:
        replaced = await store_credential(
            db,
            services(request).vault,
            athlete_pk,
            KIND_API_KEY,
            verified.secret,
            upstream_scope=None,
            now=now,
        )
        raw_session = await start_session(db, athlete_pk, settings, now) if replaced else None
    response = RedirectResponse("/account?done=key", status_code=303)
    if raw_session is not None:
        set_session_cookie(response, settings, raw_session)
    return response


@router.post("/account/grants/{grant_id}/revoke")
async def revoke_app(request: Request, grant_id: int) -> Response:
    """Disconnect one application: its grant and every token issued under it end now."""
    async with signed_in_post(request, "/account") as post:
        if isinstance(post, Response):
            return post
        revoked = await disconnect_app(post.db, post.athlete.id, grant_id)
    if not revoked:
        return _message(request, "Not found", "That application is not connected.", 404)
    return RedirectResponse("/account?done=revoked", status_code=303)


# -- disconnect Intervals.icu --------------------------------------------------------------------

DISCONNECT_PATH = "/account/disconnect-intervals"

DISCONNECTED_WORDS = {
    UpstreamDisconnect.DISCONNECTED: "Intervals.icu confirmed that the gateway's access to your "
    "account has ended.",
    UpstreamDisconnect.ALREADY_ENDED: "Intervals.icu had already ended the gateway's access.",
    UpstreamDisconnect.NOT_TOLD: "Intervals.icu did not confirm (it could not be reached or "
    "refused), so it may still list this gateway among your connected apps: remove it there "
    "(Intervals.icu, Settings). The gateway no longer holds anything it could use on your "
    "behalf.",
    UpstreamDisconnect.NOTHING_UPSTREAM: "Your personal key itself stays valid on Intervals.icu "
    "until you generate a new one there (Settings, Developer Settings).",
}


@router.get(DISCONNECT_PATH)
async def disconnect_intervals_confirmation(request: Request) -> Response:
    """Ask for confirmation before withdrawing the gateway's Intervals.icu access, naming the
    applications that lose access."""
    async with transaction(services(request).sessions) as db:
        athlete = await current_athlete(request, db)
        if athlete is None:
            return _to_signin(DISCONNECT_PATH)
        context = {
            "athlete": athlete,
            "credential": await credential_row(db, athlete.id),
            "apps": await connected_apps(db, athlete.id),
            "error": "",
        }
    return _render(request, "account_disconnect.html", context)


@router.post(DISCONNECT_PATH)
async def disconnect_intervals(request: Request) -> Response:
    """Withdraw the gateway's access to Intervals.icu: tell Intervals.icu
    (``DELETE /api/v1/disconnect-app`` with the athlete's token), then, whatever it answered,
    delete the stored credential, end every application's access and every browser session
    (service.forget_intervals_connection). The page says what Intervals.icu answered."""
    svc = services(request)
    async with signed_in_post(request, DISCONNECT_PATH) as post:
        if isinstance(post, Response):
            return post
        db, athlete = post.db, post.athlete
        row = await credential_row(db, athlete.id)
        if post.form.get("confirm") != "yes":
            context = {
                "athlete": athlete,
                "credential": row,
                "apps": await connected_apps(db, athlete.id),
                "error": "Tick the box to confirm.",
            }
            return _render(request, "account_disconnect.html", context, 400)
        athlete_pk, intervals_id = athlete.id, athlete.intervals_id
        sealed = None if row is None else SealedCredential.of_row(row)
    told = await _withdraw_upstream(request, sealed, intervals_id)
    async with transaction(svc.sessions) as db:
        ended = await forget_intervals_connection(db, athlete_pk)
    await checkpoint_sqlite_wal(svc.engine)  # no ciphertext left in the WAL
    apps = f"{ended} application{'' if ended == 1 else 's'}"
    response = _message(
        request,
        "Intervals.icu disconnected",
        f"The gateway deleted its access to your Intervals.icu account and disconnected {apps}; "
        f"you are signed out.{told} Your data on Intervals.icu is not touched. Sign in again at "
        "any time to reconnect.",
        200,
    )
    clear_session_cookie(response, svc.settings)
    return response


async def _withdraw_upstream(
    request: Request, sealed: SealedCredential | None, intervals_id: str
) -> str:
    """Ask Intervals.icu to end the app's access with the stored credential; returns the
    sentence (with a leading space) that tells the athlete how that went, "" when nothing was
    stored."""
    svc = services(request)
    outcome = await withdraw_stored_access(svc.intervals, svc.vault, sealed, intervals_id)
    return "" if outcome is None else f" {DISCONNECTED_WORDS[outcome]}"


@router.get("/account/delete")
async def delete_confirmation(request: Request) -> Response:
    """Ask for confirmation before deleting the account."""
    async with transaction(services(request).sessions) as db:
        athlete = await current_athlete(request, db)
        if athlete is None:
            return _to_signin("/account/delete")
    return _render(request, "account_delete.html", {"athlete": athlete, "error": ""})


@router.post("/account/delete")
async def delete_submit(request: Request) -> Response:
    """Delete the account with its credential, sessions, grants and tokens."""
    async with signed_in_post(request, "/account/delete") as post:
        if isinstance(post, Response):
            return post
        db, athlete = post.db, post.athlete
        if post.form.get("confirm") != "yes":
            context = {"athlete": athlete, "error": "Tick the box to confirm."}
            return _render(request, "account_delete.html", context, 400)
        athlete_pk, intervals_id = athlete.id, athlete.intervals_id
        row = await credential_row(db, athlete_pk)
        sealed = None if row is None else SealedCredential.of_row(row)
    told = await _withdraw_upstream(request, sealed, intervals_id)  # the OAuth access ends too
    async with transaction(services(request).sessions) as db:
        await delete_account(db, athlete_pk)
    await checkpoint_sqlite_wal(services(request).engine)  # no ciphertext left in the WAL
    response = _message(
        request,
        "Account deleted",
        "Your account, your stored Intervals.icu credential and every connected application "
        f"were deleted.{told} You can sign in again at any time as a new account.",
        200,
    )
    clear_session_cookie(response, services(request).settings)
    return response
