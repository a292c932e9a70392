"""The client address that every per-address limit (sign-in, registration) is keyed on.

The address is the TCP peer of the connection, unless that peer is one of the operator's
trusted proxies (``GATEWAY_TRUSTED_PROXIES``): then uvicorn's proxy-headers middleware has
already replaced it with the client named in ``X-Forwarded-For`` (``app/cli.py`` passes the
setting to uvicorn as ``forwarded_allow_ips``). A header from any other peer is ignored, so
nobody can pick their own address by sending ``X-Forwarded-For``.

IPv6 clients are grouped by their /64 network: one end site usually receives a whole /64
(RFC 6177 §2, RFC 7421), so counting single addresses would let one client rotate through
2**64 of them.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

UNKNOWN = "unknown"
IPV6_GROUP_PREFIX = 64


def client_address(request: Request) -> str:
    """The client's IP address as the server saw it (after trusted-proxy handling)."""
    return request.client.host if request.client and request.client.host else UNKNOWN


def limiter_key(address: str) -> str:
    """The key an address is counted under: an IPv4 address as it is (IPv4-mapped IPv6 too),
    an IPv6 address as its /64 network; anything unparsable as given."""
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address[:100]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        network = ipaddress.IPv6Network((parsed, IPV6_GROUP_PREFIX), strict=False)
        return str(network)
    return str(parsed)


def client_limiter_key(request: Request) -> str:
    """``limiter_key(client_address(request))``: what every per-address limit counts."""
    return limiter_key(client_address(request))
