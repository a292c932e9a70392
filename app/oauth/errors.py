"""OAuth error responses: RFC 6749 §5.2 (token), §4.1.2.1 (authorization), RFC 7591 §3.2.2
(registration), RFC 8707 §2 (`invalid_target`)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """A protocol error: `error` is the RFC error code, `description` is safe to show a client."""

    def __init__(
        self,
        error: str,
        description: str = "",
        status_code: int = 400,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.status_code = status_code
        self.retry_after = retry_after

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


def invalid_client(description: str = "client authentication failed") -> OAuthError:
    """RFC 6749 §5.2: unknown client, wrong secret or wrong authentication method (401)."""
    return OAuthError("invalid_client", description, 401)


def invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def json_no_store(body: dict[str, Any], status_code: int = 200) -> JSONResponse:
    """A JSON response that must not be cached (RFC 6749 §5.1)."""
    return JSONResponse(body, status_code=status_code, headers=dict(NO_STORE))


def error_response(error: OAuthError, basic_auth_attempted: bool = False) -> JSONResponse:
    """The JSON error body; a 401 after HTTP Basic carries `WWW-Authenticate: Basic` (§5.2)."""
    response = json_no_store(error.body(), error.status_code)
    if error.status_code == 401 and basic_auth_attempted:
        response.headers["WWW-Authenticate"] = 'Basic realm="token"'
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response
