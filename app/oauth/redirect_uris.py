"""Redirect URI rules: exact match (OAuth 2.1 §4.1.1, RFC 9700 §4.1.3), with the loopback port
ignored for native clients (RFC 8252 §7.3); https everywhere else."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

LOOPBACK_REDIRECT_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})


def _netloc_host(netloc: str) -> str:
    host = netloc.rpartition("@")[2]
    if host.startswith("["):
        return host[: host.find("]") + 1].lower()
    return host.partition(":")[0].lower()


def is_loopback_redirect(uri: str) -> bool:
    """An `http://127.0.0.1`, `http://localhost` or `http://[::1]` redirect URI (any port)."""
    parts = urlsplit(uri)
    return parts.scheme == "http" and _netloc_host(parts.netloc) in LOOPBACK_REDIRECT_HOSTS


def _without_port(uri: str) -> str:
    parts = urlsplit(uri)
    return urlunsplit(parts._replace(netloc=_netloc_host(parts.netloc)))


# What an authority may contain so that the host shown on the consent page is the host a WHATWG
# URL parser (the browser) will reach: letters, digits, '.', '-', an optional port, or an IPv6
# literal. No userinfo ('@'), no percent-encoding, no backslash (a browser reads '\\' as '/').
_PLAIN_AUTHORITY = re.compile(
    r"(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?", re.IGNORECASE | re.ASCII
)


def plain_authority(netloc: str) -> bool:
    """True when `netloc` is a bare host (and port): the displayed host is the real host."""
    return _PLAIN_AUTHORITY.fullmatch(netloc) is not None


def redirect_uri_allowed(uri: str) -> bool:
    """A URI a client may register: absolute https, or http on a loopback host; no fragment,
    no userinfo and nothing in the authority a browser would parse differently (security
    review M5); ASCII host names only, so an IDN shows as its punycode."""
    try:
        parts = urlsplit(uri)
        _ = parts.port
    except ValueError:
        return False
    if parts.fragment or "#" in uri or not parts.netloc or any(c.isspace() for c in uri):
        return False
    if "\\" in uri or not plain_authority(parts.netloc):
        return False
    return (parts.scheme == "https" and bool(parts.hostname)) or is_loopback_redirect(uri)


def display_host(uri: str) -> str:
    """The host name a browser will be sent to (lower case, no port, no userinfo)."""
    return (urlsplit(uri).hostname or "").lower()


def redirect_uri_matches(registered: list[str], given: str) -> bool:
    """True when `given` equals a registered URI exactly, or differs only in a loopback port."""
    if given in registered:
        return True
    if not is_loopback_redirect(given):
        return False
    target = _without_port(given)
    return any(is_loopback_redirect(r) and _without_port(r) == target for r in registered)


def redirect_key(uri: str) -> str:
    """The URI with a loopback port removed: identifies an installation of a shared client."""
    return _without_port(uri) if is_loopback_redirect(uri) else uri
