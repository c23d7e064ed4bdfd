"""The end user's IP address, for PingOne's risk and MFA policies (``pi.remoteIp`` in a request object).

Everything the app sends PingOne server-side comes from the server's address; the request object tells PingOne
whose request it really is. The address is ``REMOTE_ADDR`` unless that is one of the alias's
``TRUSTED_PROXIES`` (IPs or CIDR networks): then ``X-Forwarded-For`` is walked from the right, skipping trusted
proxies, and the first address no trusted proxy stands for is the user's. A header the browser can set is never
believed on its own: without trusted proxies it is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_FORWARDED_HOPS = 20


@lru_cache(maxsize=32)
def trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    """The ``TRUSTED_PROXIES`` as networks (an IP is a /32 or /128); ``ValueError`` for one that is not."""
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:443"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_ip(request: HttpRequest, trusted_proxies: Sequence[str] = ()) -> str | None:
    """The end user's IP address as text, or None when ``REMOTE_ADDR`` is not an address."""
    remote = _address(str(request.META.get("REMOTE_ADDR", "")))
    if remote is None:
        return None
    try:
        networks = trusted_networks(tuple(trusted_proxies))
    except ValueError:  # a broken setting (pingone.E091 says so): trust nobody
        networks = ()
    if not networks or not _trusted(remote, networks):
        return str(remote)
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    hops = [hop for hop in forwarded.split(",") if hop.strip()][-MAX_FORWARDED_HOPS:]
    client = remote
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage from further left was written by someone we do not trust
        client = address
        if not _trusted(address, networks):
            break
    return str(client)
