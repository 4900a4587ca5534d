"""One rule for every URL taken from a page, feed or sitemap: absolute http(s) or nothing."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit


def http_url(value: str | None, base: str | None = None) -> str | None:
    """`value` trimmed and resolved against `base` (when given), if it is http(s) with a host.

    Anything else (javascript:, mailto:, a malformed IPv6 host, a relative URL with no base)
    is None, never an exception.
    """
    text = (value or "").strip()
    if not text:
        return None
    try:
        # Only a relative URL is resolved: urljoin would turn "https://" into the base.
        if base and not urlsplit(text).scheme:
            text = urljoin(base, text)
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme in ("http", "https") and parts.hostname else None
