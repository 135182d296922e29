"""Address ranges: Google's well-known ranges and the CIDR rules every site range must follow.

Pure functions, no Pulumi import: the site config, the firewall rule builder and the tests share them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

RESTRICTED_GOOGLE_APIS = "199.36.153.4/30"
"""``restricted.googleapis.com``: Google APIs that honour VPC Service Controls, reachable privately."""
RESTRICTED_GOOGLE_APIS_ADDRESSES = ("199.36.153.4", "199.36.153.5", "199.36.153.6", "199.36.153.7")
LOAD_BALANCER_RANGES = ("130.211.0.0/22", "35.191.0.0/16")
"""Where Google's load balancers and health checks connect from."""
IAP_RANGE = "35.235.240.0/20"
"""Where Identity-Aware Proxy TCP forwarding connects from."""
ANYWHERE = "0.0.0.0/0"


def parse_cidr(text: str) -> ipaddress.IPv4Network:
    """An IPv4 network in CIDR form, or a ``ValueError`` that says what is wrong with ``text``."""
    if not isinstance(text, str) or "/" not in text:
        try:
            address = ipaddress.IPv4Address(text)
        except ValueError:
            raise ValueError(f"{text!r} is not in CIDR form (like 10.20.0.0/24)") from None
        raise ValueError(f"{text!r} is a single address; write it as {address}/32")
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(f"{text!r} is not a valid IPv4 CIDR range (like 10.20.0.0/24)") from None
    if network.version != 4:
        raise ValueError(f"{text!r} is IPv6; site ranges are IPv4")
    if network.prefixlen == 0:
        raise ValueError(f"{text!r} means the whole internet; name the hospital's own ranges")
    if str(network) != text:
        raise ValueError(f"{text!r} has host bits set; did you mean {network}?")
    return network


NON_PUBLIC_RANGES = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
)
"""Ranges that never reach Google's edge as a client's source address: RFC 1918 private ranges,
carrier-grade NAT (RFC 6598), loopback and link-local. (The documentation ranges of RFC 5737 are
accepted: the examples use them.)"""


WIDEST_ALLOWLIST_PREFIX = 16
"""An allowlist entry (a source that may reach the site, a destination the viewer may reach) is at most a
/16: one hospital's or one system's range, never a slice of the internet."""


def parse_allowlist_cidr(text: str) -> ipaddress.IPv4Network:
    """:func:`parse_cidr`, at most a /16 (:data:`WIDEST_ALLOWLIST_PREFIX`)."""
    network = parse_cidr(text)
    if network.prefixlen < WIDEST_ALLOWLIST_PREFIX:
        raise ValueError(
            f"{text!r} spans {network.num_addresses:,} addresses, wider than a /{WIDEST_ALLOWLIST_PREFIX}; "
            "name the hospital's or the system's own ranges"
        )
    return network


def parse_public_cidr(text: str) -> ipaddress.IPv4Network:
    """:func:`parse_allowlist_cidr`, and a range a client's traffic can come from over the internet: a
    bucket IP filter or an edge allowlist sees the public address after NAT, never a private one."""
    network = parse_cidr(text)
    for private in NON_PUBLIC_RANGES:
        private_network = ipaddress.IPv4Network(private)
        if network.overlaps(private_network):
            relation = "contains" if network.prefixlen < private_network.prefixlen else "is in"
            raise ValueError(
                f"{text!r} {relation} the private range {private}; name the public (NAT egress) range traffic "
                "comes from"
            )
    return parse_allowlist_cidr(text)


PRIVATE_SUBNET_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
"""Where a site subnet's range may lie: RFC 1918 and RFC 6598 (shared address space). Google also accepts
public ranges used privately; a site never needs one, and it would shadow those internet addresses."""


def parse_private_cidr(text: str) -> ipaddress.IPv4Network:
    """:func:`parse_cidr`, and inside one of :data:`PRIVATE_SUBNET_RANGES`."""
    network = parse_cidr(text)
    if not any(network.subnet_of(ipaddress.IPv4Network(private)) for private in PRIVATE_SUBNET_RANGES):
        raise ValueError(
            f"{text!r} is not inside a private range ({', '.join(PRIVATE_SUBNET_RANGES)}); a subnet with public "
            "addresses would shadow those addresses on the internet. Use a private range"
        )
    return network


def overlaps(a: str, b: str) -> bool:
    """Whether two valid CIDR ranges share an address."""
    return ipaddress.ip_network(a).overlaps(ipaddress.ip_network(b))


def within(inner: str, outers: Iterable[str]) -> bool:
    """Whether ``inner`` lies entirely inside one of ``outers``."""
    network = ipaddress.ip_network(inner)
    return any(network.subnet_of(ipaddress.ip_network(outer)) for outer in outers)  # type: ignore[arg-type]
