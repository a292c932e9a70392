"""Per-app OAuth state that is not a shared service: the metadata document cache, the lock
that serialises registrations and the capacity warning. The attempt limiters (registration,
failed client authentication) are services (app/services.py, ``Limiters``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from starlette.requests import Request

from app.oauth.client_documents import ClientDocumentResolver
from app.oauth.registration_capacity import CapWarning
from app.settings import Settings


@dataclass
class OAuthRuntime:
    """Created by `install_oauth`; reached from a request as `request.app.state.oauth`."""

    settings: Settings
    documents: ClientDocumentResolver
    served_scopes: frozenset[str]
    """The scopes some served tool needs (the consent page pre-ticks only these)."""
    register_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    cap_warning: CapWarning = field(default_factory=CapWarning)

    @classmethod
    def create(cls, settings: Settings, served_scopes: frozenset[str]) -> OAuthRuntime:
        return cls(
            settings=settings,
            documents=ClientDocumentResolver(settings),
            served_scopes=served_scopes,
        )


def oauth_runtime(request: Request) -> OAuthRuntime:
    runtime: OAuthRuntime = request.app.state.oauth
    return runtime
