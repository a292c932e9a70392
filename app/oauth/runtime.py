"""Per-app OAuth state: the metadata document cache and the registration limiter."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from app.attempts import AttemptLimiter
from app.oauth.client_documents import ClientDocumentResolver
from app.settings import Settings

HOUR = 3600.0


@dataclass
class OAuthRuntime:
    """Created by `install_oauth`; reached from a request as `request.app.state.oauth`."""

    settings: Settings
    documents: ClientDocumentResolver
    register_limiter: AttemptLimiter

    @classmethod
    def create(cls, settings: Settings) -> OAuthRuntime:
        return cls(
            settings=settings,
            documents=ClientDocumentResolver(settings),
            register_limiter=AttemptLimiter(settings.oauth_register_per_address_per_hour, HOUR),
        )


def oauth_runtime(request: Request) -> OAuthRuntime:
    runtime: OAuthRuntime = request.app.state.oauth
    return runtime
