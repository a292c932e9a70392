"""An https server on 127.0.0.1 serving Client ID Metadata Documents put there by a test."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

CHATGPT_CALLBACK = "https://chatgpt.com/connector_platform_oauth_redirect"


@dataclass
class DocumentHost:
    """An https server on 127.0.0.1 serving whatever documents a test puts in `routes`."""

    base: str = ""
    routes: dict[str, tuple[int, bytes, dict[str, str]]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def put(self, path: str, document: Any, status: int = 200, **headers: str) -> str:
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.routes[path] = (status, body, {"content-type": "application/json", **headers})
        return self.url(path)

    def document(self, path: str, **overrides: Any) -> str:
        """A valid ChatGPT-like document at `path`, with overrides."""
        doc = {
            "client_id": self.url(path),
            "client_name": "ChatGPT",
            "redirect_uris": [CHATGPT_CALLBACK],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            **overrides,
        }
        return self.put(path, {k: v for k, v in doc.items() if v is not None})

    async def serve(self, request: Request) -> Response:
        self.hits.append(request.url.path)
        status, body, headers = self.routes.get(request.url.path, (404, b"{}", {}))
        return Response(body, status_code=status, headers=headers)
