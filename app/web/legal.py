"""The operator's privacy policy and terms of service: fixed paths ``/privacy`` and ``/terms``
that redirect to the configured documents (``GATEWAY_PRIVACY_POLICY_URL``,
``GATEWAY_TERMS_URL``), and the links the sign-in and consent pages show.

The app directories ask for a privacy policy reachable from the app; a fixed path lets the
operator move the document without re-submitting the listing. The same URLs are published in
the authorization server metadata (RFC 8414 §2 ``op_policy_uri``, ``op_tos_uri``) and the
protected resource metadata (RFC 9728 §2 ``resource_policy_uri``, ``resource_tos_uri``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from app.services import Services, services
from app.settings import Settings
from app.web.templates import templates

PRIVACY_PATH = "/privacy"
TERMS_PATH = "/terms"

router = APIRouter(include_in_schema=False)


def legal_links(settings: Settings) -> dict[str, str]:
    """``privacy_url`` and ``terms_url`` for a page's template (empty when not configured)."""
    return {"privacy_url": settings.privacy_policy_url, "terms_url": settings.terms_url}


def _document(request: Request, url: str, what: str) -> Response:
    """A temporary redirect to the document (the operator may move it), or a 404 page that
    says no document is configured."""
    if url:
        return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-cache"})
    return templates.TemplateResponse(
        request,
        "accounts_message.html",
        {
            "title": f"No {what} here",
            "message": f"The operator of this gateway has not published a {what}. Ask them "
            "for it before you connect your Intervals.icu account.",
        },
        status_code=404,
    )


@router.get(PRIVACY_PATH)
async def privacy_policy(request: Request, svc: Annotated[Services, Depends(services)]) -> Response:
    """The operator's privacy policy (``GATEWAY_PRIVACY_POLICY_URL``)."""
    return _document(request, svc.settings.privacy_policy_url, "privacy policy")


@router.get(TERMS_PATH)
async def terms_of_service(
    request: Request, svc: Annotated[Services, Depends(services)]
) -> Response:
    """The operator's terms of service (``GATEWAY_TERMS_URL``)."""
    return _document(request, svc.settings.terms_url, "terms of service")
