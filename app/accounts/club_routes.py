"""Thin handlers of the club admin page (``/club``) and invitation links (``/join/{token}``).

Only a signed-in club admin (app/accounts/club.py) sees or posts to ``/club``; every form
carries the CSRF token. The invitation link stores the token in a short-lived HttpOnly cookie
that the sign-in (routes.py ``_complete_signin``) redeems.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import club
from app.accounts.display import local_time
from app.accounts.routes import _message, _render, _to_signin, signed_in_post
from app.accounts.sessions import current_athlete
from app.accounts.sharing import SharingRefused, coach_id_of
from app.after_answer import settled
from app.coach.store import share_with_coach, stop_sharing
from app.db.engine import transaction
from app.db.models import Athlete
from app.mcp.tools.context import zone_or_utc
from app.services import services
from app.web.cookies import cookie_policy

router = APIRouter(include_in_schema=False)
INVITE_COOKIE = "gw_invite"
INVITE_COOKIE_SECONDS = 3600
NOT_ADMIN = "This page is for the club's admins. The gateway's operator makes club admins."


async def _admin(request: Request, db: AsyncSession) -> Athlete | Response:
    athlete = await current_athlete(request, db)
    if athlete is None:
        return _to_signin("/club")
    return await _not_admin(request, db, athlete) or athlete


async def _not_admin(request: Request, db: AsyncSession, athlete: Athlete) -> Response | None:
    """The 403 page for a signed-in athlete who is not a club admin (None for an admin)."""
    if not await club.is_club_admin(db, athlete.intervals_id):
        return _message(request, "Club admins only", NOT_ADMIN, 403)
    return None


async def _page(request: Request, db: AsyncSession, admin: Athlete, **extra: Any) -> dict[str, Any]:
    zone = zone_or_utc(admin.timezone)
    now = services(request).clock.now()
    return {
        "admin": admin,
        "local_time": lambda moment, date_only=False: local_time(moment, zone, date_only=date_only),
        "members": await club.members(db),
        "invitations": await club.open_invitations(db, now),
        "requests": await club.join_requests(db),
        "policy": services(request).settings.access_policy,
        "notice": "",
        "error": "",
        "new_link": "",
        **extra,
    }


@router.get("/club")
async def club_page(request: Request) -> Response:
    """Members (roles, coaches, usage), invitations and waiting requests."""
    await settled()  # this process's access-log rows of answers given (app/after_answer.py)
    async with transaction(services(request).sessions) as db:
        admin = await _admin(request, db)
        if isinstance(admin, Response):
            return admin
        context = await _page(request, db, admin)
    return _render(request, "club.html", context)


@router.post("/club/{action}")
async def club_action(request: Request, action: str) -> Response:
    """One admin action: ``invite``, ``revoke``, ``approve``, ``decline``, ``remove``,
    ``assign``, ``unassign`` (the form names its target)."""
    async with signed_in_post(request, "/club") as post:
        if isinstance(post, Response):
            return post
        db, admin = post.db, post.athlete
        refusal = await _not_admin(request, db, admin)
        if refusal is not None:
            return refusal
        now = services(request).clock.now()
        try:
            extra = await _apply(request, db, admin, action, post.form, now)
        except (club.ClubRefused, SharingRefused) as refused:
            context = await _page(request, db, admin, error=str(refused))
            return _render(request, "club.html", context, 400)
        context = await _page(request, db, admin, **extra)
    return _render(request, "club.html", context)


async def _apply(
    request: Request,
    db: AsyncSession,
    admin: Athlete,
    action: str,
    form: dict[str, str],
    now: Any,
) -> dict[str, str]:
    target = form.get("target", "").strip()[:40]
    if action == "invite":
        wanted = club.parse_invitation(
            form.get("label", ""),
            form.get("days", ""),
            form.get("uses", ""),
            form.get("preapproved") == "on",
        )
        raw = await club.create_invitation(db, admin.id, wanted, now)
        link = f"{services(request).settings.base_url.rstrip('/')}/join/{raw}"
        return {
            "notice": "Invitation created. Copy the link now: it is shown only once.",
            "new_link": link,
        }
    if action == "revoke":
        done = target.isdigit() and await club.revoke_invitation(db, int(target), now)
        return {"notice": "Invitation withdrawn." if done else "No such open invitation."}
    if action in ("approve", "decline"):
        done = await club.decide_request(db, target, approve=action == "approve")
        word = "approved" if action == "approve" else "declined"
        return {"notice": f"{target} {word}." if done else "No such request."}
    if action == "remove":
        done = await club.remove_member(db, target, services(request).rosters)
        return {"notice": f"{target} was removed from the club." if done else "No such member."}
    if action in ("assign", "unassign"):
        member = await db.get(Athlete, int(target)) if target.isdigit() else None
        if member is None:
            raise club.ClubRefused("No such member.")
        coach = coach_id_of(form.get("coach_id", ""))
        if coach == member.intervals_id:
            raise club.ClubRefused("An athlete cannot be their own coach.")
        if action == "assign":
            await share_with_coach(db, member.id, coach, cache=services(request).rosters)
            return {"notice": f"{coach} now coaches {member.name or member.intervals_id}."}
        done = await stop_sharing(db, member.id, coach, cache=services(request).rosters)
        return {
            "notice": f"{coach} no longer coaches {member.intervals_id}."
            if done
            else "That coach was not assigned."
        }
    raise club.ClubRefused("Unknown action.")


@router.get("/join/{token}")
async def join(request: Request, token: str) -> Response:
    """An invitation link: remember it for the sign-in that follows (one hour)."""
    async with transaction(services(request).sessions) as db:
        usable = await club.usable_invitation(db, token, services(request).clock.now())
    if usable is None:
        return _message(
            request,
            "This invitation cannot be used",
            "It has expired, been used up or been withdrawn. Ask your club admin for a new one.",
            404,
        )
    response = RedirectResponse("/signin?done=invited", status_code=303)
    policy = cookie_policy(services(request).settings)
    policy.set(response, INVITE_COOKIE, token, max_age=INVITE_COOKIE_SECONDS)
    return response


def invitation_token(request: Request) -> str:
    """The invitation this browser holds ("" if none)."""
    policy = cookie_policy(services(request).settings)
    return request.cookies.get(policy.name(INVITE_COOKIE), "")[:100]


def forget_invitation(request: Request, response: Response) -> None:
    cookie_policy(services(request).settings).clear(response, INVITE_COOKIE)
