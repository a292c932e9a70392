"""Per-app OAuth state: the metadata document cache, the registration limiter and the limiter
of failed client authentications (all on the app's clock, so tests can move time)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import Request

from app.attempts import AttemptLimiter
from app.oauth.client_documents import ClientDocumentResolver
from app.oauth.registration_capacity import GENERAL, VENDOR, CapWarning
from app.settings import Settings

HOUR = 3600.0


@dataclass
class OAuthRuntime:
    """Created by `install_oauth`; reached from a request as `request.app.state.oauth`."""

    settings: Settings
    documents: ClientDocumentResolver
    register_limiters: dict[str, AttemptLimiter]
    client_auth_limiter: AttemptLimiter
    register_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    cap_warning: CapWarning = field(default_factory=CapWarning)

    @classmethod
    def create(cls, settings: Settings, clock: Callable[[], float] = time.time) -> OAuthRuntime:
        return cls(
            settings=settings,
            documents=ClientDocumentResolver(settings),
            register_limiters={
                GENERAL: AttemptLimiter(settings.oauth_register_per_address_per_hour, HOUR, clock),
                VENDOR: AttemptLimiter(
                    settings.oauth_vendor_register_per_address_per_hour, HOUR, clock
                ),
            },
            client_auth_limiter=AttemptLimiter(
                settings.oauth_client_auth_failures_per_address,
                settings.oauth_client_auth_window_seconds,
                clock,
            ),
        )


def oauth_runtime(request: Request) -> OAuthRuntime:
    runtime: OAuthRuntime = request.app.state.oauth
    return runtime
