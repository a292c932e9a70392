"""Per-call Intervals.icu credentials.

Intervals.icu accepts a personal API key as HTTP Basic ``API_KEY:<key>`` and an OAuth access
token as ``Bearer <token>`` (intervals-api.md §3.1, §3.3). A credential object only knows how to
build its ``Authorization`` header; its repr and str never show the secret, so it can travel
through logs, tracebacks and exception text safely.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import ClassVar, NoReturn

__all__ = ["ApiKey", "BearerToken", "Credential"]

_UNSENDABLE = re.compile(r"[\s\x00-\x1f\x7f]")
"""Whitespace (Unicode, as ``str.isspace``) and control characters: never in a secret."""


class Credential:
    """Base class: a secret plus the way it is presented to Intervals.icu."""

    __slots__ = ("_secret",)
    kind: ClassVar[str] = "credential"

    def __init__(self, secret: str) -> None:
        if not isinstance(secret, str) or not secret.strip():
            raise ValueError(f"{type(self).__name__} needs a non-empty secret")
        if _UNSENDABLE.search(secret):
            raise ValueError(f"{type(self).__name__} secret contains whitespace or control chars")
        self._secret = secret

    def authorization_header(self) -> str:
        """The ``Authorization`` header value for one request."""
        raise NotImplementedError

    @property
    def fingerprint(self) -> str:
        """A short, non-reversible tag (safe to log) that tells two credentials apart."""
        digest = hashlib.sha256(f"{self.kind}:{self._secret}".encode()).hexdigest()
        return digest[:12]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<redacted {self.fingerprint}>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Credential)
        return hmac.compare_digest(self._secret.encode(), other._secret.encode())

    def __hash__(self) -> int:
        return hash((self.kind, self.fingerprint))

    def __reduce__(self) -> NoReturn:
        raise TypeError(f"{type(self).__name__} cannot be pickled")


class ApiKey(Credential):
    """A personal API key: HTTP Basic with the literal user name ``API_KEY``."""

    __slots__ = ()
    kind: ClassVar[str] = "api_key"

    def authorization_header(self) -> str:
        token = base64.b64encode(f"API_KEY:{self._secret}".encode()).decode("ascii")
        return f"Basic {token}"


class BearerToken(Credential):
    """An Intervals.icu OAuth access token (``Authorization: Bearer``). ``scope`` is what
    Intervals.icu granted (``AREA:LEVEL,...``) when known: the athlete may untick areas."""

    __slots__ = ("scope",)
    kind: ClassVar[str] = "bearer"

    def __init__(self, secret: str, scope: str | None = None) -> None:
        super().__init__(secret)
        self.scope = scope

    def grants(self, area: str, *, write: bool = False) -> bool | None:
        """Whether the granted scope covers ``area`` (``ACTIVITY``, ``WELLNESS`` ...) for
        reading, or with ``write`` for writing (``AREA:WRITE`` implies read); None when the
        scope is unknown."""
        if self.scope is None:
            return None
        levels = {}
        for item in self.scope.split(","):
            name, _, level = item.strip().upper().partition(":")
            levels[name] = level
        if area not in levels:
            return False
        return levels[area] == "WRITE" if write else True

    def authorization_header(self) -> str:
        return f"Bearer {self._secret}"
