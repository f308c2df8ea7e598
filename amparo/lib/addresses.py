"""The client's address, for the public forms' rate limits and the login lockout."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest


def client_address(*, request: HttpRequest) -> str:
    """The client's address as a string to hash (never to store or log): behind a proxy
    the last one in ``CLIENT_ADDRESS_HEADER``; an IPv6 address cut to its /64."""
    return address_of(
        peer=request.META.get("REMOTE_ADDR", ""),
        header=lambda name: str(request.META.get(name, "")),
    )


def address_of(*, peer: str, header: Callable[[str], str]) -> str:
    """The one rule (rate limits, the buffering front): ``CLIENT_ADDRESS_HEADER`` (``header``
    its value) is believed only from a peer in ``TRUSTED_PROXIES``, else the peer's address."""
    name = settings.CLIENT_ADDRESS_HEADER
    forwarded = ""
    if name.startswith("HTTP_") and trusted_proxy(peer):
        forwarded = header(name)
    return address_key(forwarded=forwarded, peer=peer)


def trusted_proxy(peer: str) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    for network in settings.TRUSTED_PROXIES:
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def address_key(*, forwarded: str, peer: str) -> str:
    """The same from the raw values: the proxy's header (or "") and the peer address."""
    raw = forwarded.split(",")[-1].strip() or peer
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64]
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
