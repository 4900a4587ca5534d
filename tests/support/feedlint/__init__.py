"""A feed lint: the common rules of the W3C Feed Validation Service, offline and in-process.

``lint_feed(data, kind, feed_url)`` checks one RSS 2.0, Atom 1.0 or JSON Feed 1.1
document as it would be served from ``feed_url`` and returns every problem found (an
empty list means the feed passed). It never fetches anything, never resolves entities
and never loads a DTD. The rules, by id, are in ``RULES``.

Where the W3C service only warns, or where the specifications allow more than sokbo
needs, the lint is stricter than the service: every entry must have an alternate link,
RSS and Atom links must be absolute http(s) URLs, and content must not carry elements or
attributes that run code. Ids may also be ``tag:`` or ``urn:`` URIs, as Atom allows.
"""

from __future__ import annotations

import re

from tests.support.feedlint.jsonfeed import JsonLint
from tests.support.feedlint.problems import RULES, FeedKind, Problem
from tests.support.feedlint.values import (
    html_problems,
    http_url_problem,
    id_problem,
    rfc822_problem,
    rfc3339_problem,
    same_url,
)
from tests.support.feedlint.xml import XmlLint

__all__ = [
    "RULES",
    "FeedKind",
    "Problem",
    "detect_kind",
    "html_problems",
    "http_url_problem",
    "id_problem",
    "lint_feed",
    "rfc822_problem",
    "rfc3339_problem",
    "same_url",
]


def detect_kind(data: bytes) -> FeedKind | None:
    """Guess a feed document's kind from its first bytes: JSON, RSS or Atom (else None)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "json"
    # The first element's name, after the XML declaration, comments and a DOCTYPE.
    match = re.search(rb"<(?![?!])(?:[\w.-]+:)?([\w.-]+)", head)
    if match is None:
        return None
    name = match.group(1).lower()
    return "rss" if name == b"rss" else "atom" if name == b"feed" else None


def lint_feed(data: bytes, kind: FeedKind, feed_url: str) -> list[Problem]:
    """Every problem of the feed document ``data``, served from ``feed_url``; [] when none."""
    if kind == "json":
        return JsonLint(feed_url).run(data)
    if kind not in ("rss", "atom"):
        raise ValueError(f"unknown feed kind {kind!r}; expected 'rss', 'atom' or 'json'")
    return XmlLint(kind, feed_url).run(data)
