"""The official ``twilio`` REST client, configured from settings (``TWILIO_API_BASE``:
a fake Twilio on loopback, for tests and the benchmark only).
"""

from __future__ import annotations

import threading
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from amparo.lib import http

#: connect and read timeouts of every call to Twilio's API (amparo/lib/http.py)
TIMEOUT = http.DEFAULT_TIMEOUT
#: the largest answer accepted (a voicemail of VOICEMAIL_MAX_SECONDS is ~3 MB of MP3)
MAX_RESPONSE_BYTES = 20 * 1024 * 1024
API_VERSION = "2010-04-01"


class TwilioNotConfigured(RuntimeError):
    pass


class BinaryResponse(Response):
    """A twilio Response that also keeps the raw bytes (a recording is not text)."""

    def __init__(self, status_code: int, text: str, headers: Any, content: bytes) -> None:
        super().__init__(status_code, text, headers)
        self.content = content


class AmparoHttpClient(TwilioHttpClient):
    """TwilioHttpClient that sends through amparo/lib/http.py (timeouts, a size cap, no
    redirects unless asked), can send to another API base and keeps response bytes."""

    def __init__(self, api_base: str = "", timeout: http.Timeout = TIMEOUT) -> None:
        super().__init__(timeout=None)
        self.timeout: http.Timeout = timeout
        self.session = http.provider_session()
        self.api_base = api_base.rstrip("/")

    def rewrite(self, url: str) -> str:
        if not self.api_base:
            return url
        base = urlsplit(self.api_base)
        parts = urlsplit(url)
        path = base.path.rstrip("/") + parts.path
        return urlunsplit((base.scheme, base.netloc, path, parts.query, parts.fragment))

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        kwargs: dict[str, Any] = {
            "method": method.upper(),
            "url": self.rewrite(url),
            "params": params,
            "headers": headers,
            "auth": auth,
            "hooks": self.request_hooks,
        }
        if headers and headers.get("Content-Type") in ("application/json", "application/scim+json"):
            kwargs["json"] = data
        else:
            kwargs["data"] = data
        session = self.session or http.provider_session()
        prepared = session.prepare_request(http.Request(**kwargs))
        env = session.merge_environment_settings(str(prepared.url), self.proxy, None, None, None)
        env.pop("stream", None)
        env.pop("timeout", None)
        response = http.send(
            session,
            prepared,
            allow_redirects=allow_redirects,
            timeout=timeout if timeout is not None else self.timeout,
            max_bytes=MAX_RESPONSE_BYTES,
            **env,
        )
        content = response.content
        self.log_response(response.status_code, response)
        return BinaryResponse(
            int(response.status_code), content.decode("utf-8", "replace"), response.headers, content
        )


_clients = threading.local()


def twilio_client() -> Client:
    """This thread's client (one connection kept open to the API between sends)."""
    sid = settings.TWILIO_ACCOUNT_SID.strip()
    token = settings.TWILIO_AUTH_TOKEN.strip()
    if not sid or not token:
        raise TwilioNotConfigured("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are needed")
    key = (sid, token, settings.TWILIO_API_BASE)
    if getattr(_clients, "key", None) != key:
        _clients.key = key
        _clients.client = Client(sid, token, http_client=AmparoHttpClient(key[2]))
    return cast(Client, _clients.client)


def recording_download(client: Client, recording_sid: str) -> bytes:
    """The recording's audio (MP3), following Twilio's redirect to its media store."""
    uri = f"{client.api.base_url}/{API_VERSION}/Accounts/{client.account_sid}/Recordings/{recording_sid}.mp3"
    response = client.request("GET", uri, allow_redirects=True)
    if not 200 <= response.status_code < 300:
        raise RecordingError(f"download-http-{response.status_code}")
    content = getattr(response, "content", b"")
    if not content:
        raise RecordingError("download-empty")
    return bytes(content)


def recording_delete(client: Client, recording_sid: str) -> None:
    client.recordings(recording_sid).delete()


class RecordingError(RuntimeError):
    """A short code, safe to store (no personal data)."""
