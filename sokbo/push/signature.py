"""Pure check of a WebSub notification's `X-Hub-Signature` (WebSub 7.1): an HMAC of the raw
body, keyed with the subscription's secret, by one of the recognised algorithms."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

ALGORITHMS: dict[str, Callable[..., Any]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


def sign(body: bytes, secret: str, method: str = "sha256") -> str:
    """The header value a hub sends: `sha256=<hex digest>`."""
    return f"{method}={hmac.new(secret.encode(), body, ALGORITHMS[method]).hexdigest()}"


def signature_problem(header: str | None, body: bytes, secret: str) -> str | None:
    """None when `header` signs `body` with `secret`; else what is wrong, in a few words."""
    if not header or not header.strip():
        return "no X-Hub-Signature"
    method, sep, given = header.strip().partition("=")
    method = method.strip().lower()
    if not sep or method not in ALGORITHMS:
        return f"an X-Hub-Signature by an unknown method ({method[:20]!r})"
    expected = hmac.new(secret.encode(), body, ALGORITHMS[method]).hexdigest()
    given = given.strip().lower()
    # compare_digest refuses non-ASCII text; such a signature is wrong anyway.
    if not given.isascii() or not hmac.compare_digest(expected, given):
        return f"a wrong {method} X-Hub-Signature"
    return None
