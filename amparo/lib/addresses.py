"""The client's address of a request, as the public forms' rate limits and the login
lockout count it: only ever hashed, never stored or logged.

Behind a reverse proxy set ``CLIENT_ADDRESS_HEADER`` (e.g. ``"HTTP_X_FORWARDED_FOR"``);
the last address in it, the one the proxy itself saw, is used. An IPv6 address is cut
to its /64 network (one household or phone gets a whole /64).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(*, request: HttpRequest) -> str:
    """The client's address as a string to hash (never to store or log)."""
    header = settings.CLIENT_ADDRESS_HEADER
    raw = ""
    if header:
        raw = request.META.get(header, "").split(",")[-1].strip()
    raw = raw or request.META.get("REMOTE_ADDR", "")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64]
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
