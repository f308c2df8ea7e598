"""The only way out to the internet: every outbound HTTP request goes through here.

- :func:`request` (:func:`get`, :func:`post`, :func:`provider_session`) for the providers
  an operator configured (Telegram, Signal, Twilio): default timeouts, no redirects
  unless asked, a capped response size, no cookies kept; their base URLs come from
  settings, so no address is refused.
- :func:`fetch_user_url` for a URL a *person* typed: ``http``/``https`` on default ports
  (unless the caller names others), no credentials in it, and only public addresses —
  never loopback, private, link-local (cloud metadata), multicast, reserved,
  unspecified or CGNAT, in IPv4 or IPv6, IPv4 wrapped in IPv6 included (``::ffff:…``,
  NAT64, 6to4, Teredo). Checked on the name's addresses before connecting, on the
  socket's peer after (DNS rebinding), and on every redirect. A redirect to another
  origin drops the credentials (``SENSITIVE_HEADERS`` and ``sensitive_headers``) for
  every later hop; 301/302 after a POST, and 303, go on as a GET without the body.

Errors are :class:`HttpError` with a short ``kind``, never the URL (it may hold a token
or a person's data). A test fails if any other module imports an HTTP client."""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0
DEFAULT_TIMEOUT = (CONNECT_TIMEOUT, READ_TIMEOUT)
#: A response larger than this is refused (callers may pass another cap).
MAX_RESPONSE_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 3
CHUNK = 16 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}
USER_AGENT = "Amparo"

Timeout = float | tuple[float, float]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

Request = requests.Request  # for clients that build their own requests (twilio)


class HttpError(Exception):
    """Any failure of an outbound request. ``kind`` is safe to store and log."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(message or kind)
        self.kind = kind


class BlockedAddress(HttpError):
    """A user-supplied URL points somewhere Amparo does not go."""

    def __init__(self, reason: str) -> None:
        super().__init__("BlockedAddress", reason)
        self.reason = reason


class ResponseTooLarge(HttpError):
    def __init__(self) -> None:
        super().__init__("ResponseTooLarge")


class TimedOut(HttpError):
    def __init__(self, kind: str = "Timeout") -> None:
        super().__init__(kind)


@dataclass
class Response:
    """What came back: status, headers and the (size-capped) body."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes
    url: str = ""
    redirects: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        import json

        return json.loads(self.content.decode("utf-8"))

    @property
    def is_redirect(self) -> bool:
        return self.status_code in (301, 302, 303, 307, 308) and "location" in {
            k.lower() for k in self.headers
        }


# --- the address check ------------------------------------------------------------------

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def address_refused(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Why ``address`` may not be contacted for a user-supplied URL ("" when it may)."""
    try:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])
    except ValueError:
        return "not an address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: ipaddress.IPv4Address | None = None
        if ip.ipv4_mapped is not None:
            embedded = ip.ipv4_mapped
        elif ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.sixtofour is not None:
            embedded = ip.sixtofour
        elif ip.teredo is not None:
            embedded = ip.teredo[1]
        if embedded is not None:
            inner = address_refused(embedded)
            return f"{inner} (inside IPv6)" if inner else ""
        if ip in _NAT64_LOCAL:
            return "private"
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("site-local", isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local),
        ("not global", not ip.is_global),
    )
    for reason, hit in checks:
        if hit:
            return reason
    return ""


def _allowed(address: str, trusted: tuple[Network, ...]) -> str:
    """``address_refused`` unless the address is in ``trusted`` (tests only)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an address"
    if any(ip.version == net.version and ip in net for net in trusted):
        return ""
    return address_refused(ip)


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise HttpError("NameNotResolved") from None
    return sorted({str(info[4][0]) for info in infos})


# --- a connection that checks its peer ---------------------------------------------------


class _CheckedHTTPConnection(HTTPConnection):
    amparo_trusted: tuple[Network, ...] = ()

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        reason = _allowed(str(sock.getpeername()[0]), self.amparo_trusted)
        if reason:
            sock.close()
            raise BlockedAddress(f"connected address is {reason}")
        return sock


class _CheckedHTTPSConnection(_CheckedHTTPConnection, HTTPSConnection):
    """The same check before TLS (HTTPSConnection's ``connect`` calls ``_new_conn`` too)."""


def _checked_adapter(trusted: tuple[Network, ...]) -> HTTPAdapter:
    http_conn = type("Conn", (_CheckedHTTPConnection,), {"amparo_trusted": trusted})
    https_conn = type("Conn", (_CheckedHTTPSConnection,), {"amparo_trusted": trusted})
    http_pool = type("Pool", (HTTPConnectionPool,), {"ConnectionCls": http_conn})
    https_pool = type("Pool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn})

    class CheckedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": http_pool, "https": https_pool}

        def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
            raise BlockedAddress("proxies are not used for user URLs")

    return CheckedAdapter(max_retries=0)


# --- sessions ------------------------------------------------------------------------


class _DefaultsSession(requests.Session):
    """A requests session whose calls time out and do not follow redirects unless told."""

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, url, *args, **kwargs)


def provider_session() -> requests.Session:
    """A session for a configured provider's API: connection reuse, :func:`request`'s defaults."""
    session = _DefaultsSession()
    session.max_redirects = MAX_REDIRECTS
    session.headers["User-Agent"] = USER_AGENT
    return session


def _read_capped(
    response: requests.Response, max_bytes: int, deadline: float, redirects: list[str]
) -> Response:
    try:
        declared = int(response.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes:
        response.close()
        raise ResponseTooLarge()
    body = bytearray()
    try:
        while True:
            if time.monotonic() > deadline:
                raise TimedOut("TotalTimeout")
            # read1: whatever has arrived (so the deadline is checked between reads of a
            # slow sender), decompressed (so the cap holds for a compressed bomb too)
            chunk = response.raw.read1(CHUNK, decode_content=True)
            if not chunk:
                break
            body.extend(chunk)
            if len(body) > max_bytes:
                raise ResponseTooLarge()
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise _wrap(exc) from None
    finally:
        response.close()
    return Response(
        status_code=int(response.status_code),
        headers=dict(response.headers),
        content=bytes(body),
        url=str(response.url),
        redirects=redirects,
    )


def _wrap(exc: BaseException) -> HttpError:
    if isinstance(exc, HttpError):
        return exc
    if isinstance(exc, requests.Timeout | urllib3.exceptions.TimeoutError | socket.timeout):
        return TimedOut(type(exc).__name__)
    return HttpError(type(exc).__name__)


def _total(timeout: Timeout) -> float:
    if isinstance(timeout, tuple):
        return float(timeout[0]) + float(timeout[1])
    return float(timeout) * 2


def send(
    session: requests.Session,
    prepared: requests.PreparedRequest,
    *,
    timeout: Timeout = DEFAULT_TIMEOUT,
    allow_redirects: bool = False,
    max_bytes: int = MAX_RESPONSE_BYTES,
    **env: Any,
) -> Response:
    """Send a prepared request (for clients that prepare their own, like twilio's)."""
    hops = 1 + (MAX_REDIRECTS if allow_redirects else 0)
    deadline = time.monotonic() + _total(timeout) * hops
    try:
        response = session.send(
            prepared, stream=True, timeout=timeout, allow_redirects=allow_redirects, **env
        )
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise _wrap(exc) from None
    return _read_capped(response, max_bytes, deadline, [str(r.url) for r in response.history])


def request(
    method: str,
    url: str,
    *,
    timeout: Timeout = DEFAULT_TIMEOUT,
    allow_redirects: bool = False,
    max_bytes: int = MAX_RESPONSE_BYTES,
    session: requests.Session | None = None,
    **kwargs: Any,
) -> Response:
    """One request to a configured provider (keyword arguments as in requests)."""
    own = session is None
    session = session or provider_session()
    try:
        prepared = session.prepare_request(requests.Request(method.upper(), url, **kwargs))
        return send(
            session, prepared, timeout=timeout, allow_redirects=allow_redirects, max_bytes=max_bytes
        )
    except HttpError:
        raise
    except (requests.RequestException, ValueError) as exc:  # a malformed URL
        raise _wrap(exc) from None
    finally:
        if own:
            session.close()


def get(url: str, **kwargs: Any) -> Response:
    return request("GET", url, **kwargs)


def post(url: str, **kwargs: Any) -> Response:
    return request("POST", url, **kwargs)


# --- user-supplied URLs -------------------------------------------------------------------


def check_user_url(
    url: str, *, ports: Iterable[int] = (), _trusted: tuple[Network, ...] = ()
) -> None:
    """Raise BlockedAddress unless ``url`` may be fetched (scheme, port, credentials, addresses)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BlockedAddress("malformed URL") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise BlockedAddress("only http and https")
    if parts.username is not None or parts.password is not None:
        raise BlockedAddress("credentials in the URL")
    host = parts.hostname or ""
    if not host:
        raise BlockedAddress("no host")
    port = port or DEFAULT_PORTS[scheme]
    if port != DEFAULT_PORTS[scheme] and port not in set(ports):
        raise BlockedAddress("port not allowed")
    for address in resolve(host, port):
        reason = _allowed(address, _trusted)
        if reason:
            raise BlockedAddress(f"address is {reason}")


#: Headers that carry a credential: never sent on to another origin by a redirect.
SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
#: Headers that describe a body: dropped with the body when a redirect turns into a GET.
_BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding"})


def _origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port); a malformed URL is refused by ``check_user_url`` anyway."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        return ("", "", -1)
    return (scheme, (parts.hostname or "").lower(), port)


def _redirect_method(status: int, method: str) -> str:
    """The next hop's method (RFC 9110 §15.4): 303 is GET (HEAD stays HEAD), 301/302 turn a
    POST into GET, 307/308 keep the method."""
    if status == 303 and method != "HEAD":
        return "GET"
    if status in (301, 302) and method == "POST":
        return "GET"
    return method


def fetch_user_url(
    url: str,
    *,
    method: str = "GET",
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_bytes: int = MAX_RESPONSE_BYTES,
    max_redirects: int = MAX_REDIRECTS,
    ports: Iterable[int] = (),
    headers: Mapping[str, str] | None = None,
    data: bytes | str | Mapping[str, Any] | None = None,
    json: Any = None,
    sensitive_headers: Iterable[str] = (),
    _trusted: Iterable[str] = (),
) -> Response:
    """Fetch a URL a person supplied, refusing private destinations (module docstring),
    following at most ``max_redirects`` redirects, each checked again; ``_trusted`` is for
    tests only (a loopback server standing in for a public site)."""
    trusted = tuple(ipaddress.ip_network(net) for net in _trusted)
    allowed_ports = tuple(ports)
    secret = SENSITIVE_HEADERS | {name.lower() for name in sensitive_headers}
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: the peer must be the host
    session.headers["User-Agent"] = USER_AGENT
    adapter = _checked_adapter(trusted)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    redirects: list[str] = []
    current = url
    first_origin = _origin(url)
    method = method.upper()
    sent_headers = dict(headers or {})
    body: dict[str, Any] = {"data": data, "json": json}
    try:
        for _hop in range(max_redirects + 1):
            check_user_url(current, ports=allowed_ports, _trusted=trusted)
            if _origin(current) != first_origin:
                sent_headers = {k: v for k, v in sent_headers.items() if k.lower() not in secret}
            prepared = session.prepare_request(
                requests.Request(method, current, headers=sent_headers, **body)
            )
            response = send(
                session, prepared, timeout=timeout, allow_redirects=False, max_bytes=max_bytes
            )
            if not response.is_redirect:
                response.redirects = redirects
                return response
            location = next(v for k, v in response.headers.items() if k.lower() == "location")
            redirects.append(current)
            current = urljoin(current, location)
            next_method = _redirect_method(response.status_code, method)
            if next_method != method:
                body = {"data": None, "json": None}
                sent_headers = {
                    k: v for k, v in sent_headers.items() if k.lower() not in _BODY_HEADERS
                }
            method = next_method
        raise HttpError("TooManyRedirects")
    except (requests.RequestException, ValueError) as exc:  # a body requests cannot encode
        raise _wrap(exc) from None
    finally:
        session.close()
