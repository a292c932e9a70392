"""Keep credentials out of access logs.

uvicorn's access log records each request's path with its query string. Some query strings
carry one-time credentials: the authorization code and state on an OAuth redirect (RFC 6749
§4.1.2), e.g. Intervals.icu's answer to "Continue with Intervals.icu". Their values are replaced
before the record is written; everything else in the line is kept.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode

SENSITIVE_PARAMS = frozenset(
    {
        "code",
        "state",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "code_verifier",
        "api_key",
        "key",
    }
)
REDACTED = "REDACTED"
ACCESS_LOGGER = "uvicorn.access"


def redact_query(path: str) -> str:
    """`path?query` with the values of SENSITIVE_PARAMS replaced (case-insensitive names)."""
    base, sep, query = path.partition("?")
    if not sep or not query:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(name.lower() in SENSITIVE_PARAMS for name, _ in pairs):
        return path
    cleaned = [(n, REDACTED if n.lower() in SENSITIVE_PARAMS else v) for n, v in pairs]
    return f"{base}?{urlencode(cleaned, safe='/:')}"


class RedactAccessLogSecrets(logging.Filter):
    """For uvicorn's access records: args are (client, method, path, http_version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def install_access_log_redaction() -> None:
    """Attach the filter to uvicorn's access logger once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactAccessLogSecrets) for f in logger.filters):
        logger.addFilter(RedactAccessLogSecrets())
