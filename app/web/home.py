"""The root page (``GET /``): what this server is and the one URL to paste into ChatGPT or
Claude; and the favicon (``/favicon.ico``, ``/favicon.svg``). No JavaScript, no sign-in needed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse

from app.services import Services, services
from app.web.legal import legal_links
from app.web.templates import templates

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
ICON_CACHE = "public, max-age=86400"

router = APIRouter()


@router.get("/", include_in_schema=False, response_class=HTMLResponse)
async def home(request: Request, svc: Annotated[Services, Depends(services)]) -> HTMLResponse:
    """The landing page; links to sign-in and the account page, and to the operator's docs."""
    settings = svc.settings
    context = {
        "mcp_url": settings.mcp_resource,
        "signin_url": "/signin?" + urlencode({"next": "/account"}),
        "docs_url": settings.docs_url,
        "api_key_enabled": settings.api_key_signin,
        **legal_links(settings),
    }
    return templates.TemplateResponse(request, "home.html", context)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon_ico() -> FileResponse:
    return FileResponse(
        STATIC_DIR / "favicon.ico", media_type="image/x-icon", headers={"cache-control": ICON_CACHE}
    )


@router.get("/favicon.svg", include_in_schema=False)
async def favicon_svg() -> FileResponse:
    return FileResponse(
        STATIC_DIR / "favicon.svg",
        media_type="image/svg+xml",
        headers={"cache-control": ICON_CACHE},
    )
