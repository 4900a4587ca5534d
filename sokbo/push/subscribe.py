"""The subscriber's requests to a WebSub hub (WebSub 5.1): subscribe and unsubscribe, each
one POST whose answer says only whether the hub will now verify it.

Each hop (the hub, and where it sends the request on) is checked first (sokbo.push.addresses:
http(s) only, no non-public address for a public topic) and then connected to at the very
addresses checked. So the POST is made with http.client rather than urllib, which would
resolve the name again and follow 301-303 redirects by itself, unchecked."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Sequence
from typing import Literal
from urllib.parse import urlencode, urlsplit

from sokbo.push.addresses import HubRefused, Resolver, checked_addresses, resolve
from sokbo.web.urls import http_url

TIMEOUT = 10.0  # seconds for a hub's answer
# A hub may send a request on to another hub (307 or 308, WebSub 5.1.2); this many times.
MAX_REDIRECTS = 3
_EXCERPT = 120  # characters of a refusal's body said in the log
_READ = 65536  # bytes of an answer read at most


def hub_request(
    hub: str,
    mode: Literal["subscribe", "unsubscribe"],
    topic: str,
    callback: str,
    *,
    secret: str | None = None,
    lease_seconds: int | None = None,
    user_agent: str,
    timeout: float = TIMEOUT,
    origins: Sequence[str] = (),
    lookup: Resolver = resolve,
) -> str | None:
    """POST the request; None when the hub accepted it (2xx: it will verify it by calling
    `callback`), else why not, in a line (`answered 400 Bad Request: unknown topic`, or
    `not sent: 127.0.0.1 is a loopback address (...)`). `origins`: the URLs the source
    was configured with (sokbo.push.addresses)."""
    fields = {"hub.mode": mode, "hub.topic": topic, "hub.callback": callback}
    if secret is not None:
        fields["hub.secret"] = secret
    if lease_seconds is not None:
        fields["hub.lease_seconds"] = str(lease_seconds)
    body = urlencode(fields).encode("utf-8")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "User-Agent": user_agent,
        "Connection": "close",
    }
    url = hub
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            addresses = checked_addresses(url, topic, origins, lookup)
        except HubRefused as exc:
            return f"not sent: {exc}" if url == hub else f"not sent on to {url}: {exc}"
        try:
            status, reason, location, text = _post(url, addresses, body, headers, timeout)
        # Refused, timed out, reset, a TLS failure, a malformed answer or URL: the hub
        # cannot be reached.
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return str(exc) or type(exc).__name__
        if 200 <= status < 300:
            return None
        moved = http_url(location, url)
        if status in (307, 308) and moved:
            url = moved
            continue
        return f"answered {status} {reason}{_excerpt(text)}"
    return f"redirected more than {MAX_REDIRECTS} times"


def _post(
    url: str, addresses: Sequence[str], body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int, str, str, bytes]:
    """POST `body` to `url`, connecting to `addresses` only: (status, reason, Location,
    the start of the answer's body)."""
    parts = urlsplit(url)
    assert parts.hostname is not None  # checked_addresses refuses a URL without a host
    kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    connection = kind(parts.hostname, parts.port, timeout=timeout)
    connection.addresses = tuple(addresses)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", target, body, headers)
        response = connection.getresponse()
        text = response.read(_READ)
        return response.status, response.reason, response.getheader("Location") or "", text
    finally:
        connection.close()


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to `addresses` (in turn, as socket.create_connection tries a name's), not
    to what the host name resolves to now; the Host header and TLS still use the name."""

    addresses: tuple[str, ...] = ()

    def connect(self) -> None:
        error: OSError = OSError(f"no address to connect to for {self.host}")
        for address in self.addresses:
            try:
                self.sock = socket.create_connection((address, self.port), self.timeout)
            except OSError as exc:
                error = exc
            else:
                return
        raise error


class _PinnedHTTPS(http.client.HTTPSConnection, _PinnedHTTP):
    """HTTPSConnection.connect wraps what _PinnedHTTP.connect opened (the next class in
    the method resolution order), verifying the certificate for the host name."""


def _excerpt(body: bytes) -> str:
    """The start of a refusal's body, which the hub writes for the subscriber's developer."""
    text = body[:4096].decode("utf-8", "replace")
    line = " ".join(text.split())[:_EXCERPT]
    return f": {line}" if line else ""
