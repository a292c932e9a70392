"""Which IP addresses a Client ID Metadata Document may be fetched from (SSRF defence).

An allow-list, independent of the Python version's idea of `is_global`:

- IPv4: globally routable unicast only; every special-purpose block of the IANA IPv4 registry
  (RFC 6890) is refused, including the deprecated 6to4 relay anycast 192.88.99.0/24 (RFC 7526).
- IPv6: global unicast 2000::/3 only (RFC 4291 §2.4), minus the special-purpose blocks inside it
  (documentation, IETF protocol assignments with Teredo and ORCHID, 6to4 2002::/16). That leaves
  out IPv4-compatible `::a.b.c.d`, site-local fec0::/10, unique-local, link-local and multicast.
- IPv6 forms that carry an IPv4 address are judged by that address: IPv4-mapped ::ffff:0:0/96
  and the NAT64 well-known prefix 64:ff9b::/96 (RFC 6052 §2.1: the IPv4 address is the last 32
  bits). The local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215) is refused: its embedding varies
  with the operator's prefix length and it points into the operator's own network.
"""

from __future__ import annotations

import ipaddress

IPv4Network = ipaddress.IPv4Network
IPv6Network = ipaddress.IPv6Network

REFUSED_IPV4 = tuple(
    IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network" (RFC 791)
        "10.0.0.0/8",  # private (RFC 1918)
        "100.64.0.0/10",  # shared address space, carrier-grade NAT (RFC 6598)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, cloud metadata services (RFC 3927)
        "172.16.0.0/12",  # private (RFC 1918)
        "192.0.0.0/24",  # IETF protocol assignments (RFC 6890)
        "192.0.2.0/24",  # documentation (RFC 5737)
        "192.88.99.0/24",  # 6to4 relay anycast (RFC 7526)
        "192.168.0.0/16",  # private (RFC 1918)
        "198.18.0.0/15",  # benchmarking (RFC 2544)
        "198.51.100.0/24",  # documentation (RFC 5737)
        "203.0.113.0/24",  # documentation (RFC 5737)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
    )
)

GLOBAL_UNICAST_IPV6 = IPv6Network("2000::/3")
REFUSED_IPV6 = tuple(
    IPv6Network(net)
    for net in (
        "2001::/23",  # IETF protocol assignments: Teredo 2001::/32, ORCHID, benchmarking
        "2001:db8::/32",  # documentation (RFC 3849)
        "2002::/16",  # 6to4 (RFC 3056), deprecated (RFC 7526)
        "3fff::/20",  # documentation (RFC 9637)
    )
)
NAT64_WELL_KNOWN = IPv6Network("64:ff9b::/96")


def public_ipv4(ip: ipaddress.IPv4Address) -> bool:
    """Globally routable unicast IPv4."""
    return ip.is_global and not any(ip in net for net in REFUSED_IPV4)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped or NAT64 well-known-prefix address stands for."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def public_ipv6(ip: ipaddress.IPv6Address) -> bool:
    """Global unicast IPv6 outside the special-purpose blocks (see the module docstring)."""
    embedded = embedded_ipv4(ip)
    if embedded is not None:
        return public_ipv4(embedded)
    return ip in GLOBAL_UNICAST_IPV6 and not any(ip in net for net in REFUSED_IPV6) and ip.is_global


def is_loopback_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """127.0.0.0/8, ::1, and IPv4-mapped loopback."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def address_allowed(address: str, allow_loopback: bool) -> bool:
    """Whether a metadata document may be fetched from `address` (a resolved IP literal, a
    zone index ignored); loopback too when the test-only setting allows it."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if allow_loopback and is_loopback_address(ip):
        return True
    if isinstance(ip, ipaddress.IPv4Address):
        return public_ipv4(ip)
    return public_ipv6(ip)
