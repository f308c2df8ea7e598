"""The client's address, for the public forms' rate limits and the login lockout."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(*, request: HttpRequest) -> str:
    """The client's address as a string to hash (never to store or log): behind a proxy
    the last one in ``CLIENT_ADDRESS_HEADER``; an IPv6 address cut to its /64."""
    header = settings.CLIENT_ADDRESS_HEADER
    forwarded = request.META.get(header, "") if header else ""
    return address_key(forwarded=forwarded, peer=request.META.get("REMOTE_ADDR", ""))


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
