"""The subscriber's requests to a WebSub hub (WebSub 5.1): subscribe and unsubscribe, each
one POST whose answer says only whether the hub will now verify it."""

from __future__ import annotations

import http.client
from typing import Literal
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urljoin
from urllib.request import Request, urlopen

from sokbo.web.urls import http_url

TIMEOUT = 10.0  # seconds for a hub's answer
# A hub may send a request on to another hub (307 or 308, WebSub 5.1.2); this many times.
MAX_REDIRECTS = 3
_EXCERPT = 120  # characters of a refusal's body said in the log


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
) -> str | None:
    """POST the request; None when the hub accepted it (2xx: it will verify it by calling
    `callback`), else why not, in a line (`answered 400 Bad Request: unknown topic`)."""
    fields = {"hub.mode": mode, "hub.topic": topic, "hub.callback": callback}
    if secret is not None:
        fields["hub.secret"] = secret
    if lease_seconds is not None:
        fields["hub.lease_seconds"] = str(lease_seconds)
    body = urlencode(fields).encode("utf-8")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "User-Agent": user_agent,
    }
    url = hub
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            request = Request(url, data=body, headers=headers, method="POST")
            with urlopen(request, timeout=timeout) as response:  # raises for 3xx-5xx
                response.read(65536)
            return None
        except HTTPError as exc:
            moved = (
                http_url(urljoin(url, exc.headers.get("Location") or "")) if exc.headers else None
            )
            if exc.code in (307, 308) and moved:
                url = moved
                continue
            return f"answered {exc.code} {exc.reason}{_excerpt(exc)}"
        # Refused, timed out, reset, a malformed answer or URL: the hub cannot be reached.
        except (URLError, OSError, http.client.HTTPException, ValueError) as exc:
            return str(getattr(exc, "reason", exc)) or type(exc).__name__
    return f"redirected more than {MAX_REDIRECTS} times"


def _excerpt(error: HTTPError) -> str:
    """The start of a refusal's body, which the hub writes for the subscriber's developer."""
    try:
        text = error.read(4096).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return ""
    line = " ".join(text.split())[:_EXCERPT]
    return f": {line}" if line else ""
