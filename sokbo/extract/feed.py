"""Pure feed reading: an RSS/Atom document becomes (entry URL, FeedHint) pairs."""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from sokbo.models import FeedHint


class FeedError(ValueError):
    """The document is not a feed we can read."""


@dataclass(frozen=True)
class FeedItem:
    url: str
    hint: FeedHint


def _when(value: time.struct_time | None) -> datetime | None:
    # feedparser normalises every date it understands to a UTC struct_time.
    return None if value is None else datetime.fromtimestamp(calendar.timegm(value), UTC)


def _hint(entry: Any) -> FeedHint:
    content = entry.get("content") or []
    return FeedHint(
        title=entry.get("title"),
        published=_when(entry.get("published_parsed")),
        # Only when the feed says so: feedparser would otherwise (deprecated) hand back
        # the published date as the updated one.
        updated=_when(entry.get("updated_parsed")) if "updated" in entry else None,
        summary=entry.get("summary"),
        categories=tuple(tag["term"] for tag in entry.get("tags") or [] if tag.get("term")),
        content_html=content[0].get("value") if content else None,
    )


def parse_feed(body: bytes, url: str) -> tuple[list[FeedItem], list[str]]:
    """Entries with an http(s) link, newest first as the feed lists them, plus problems.

    A feed with minor errors (feedparser's "bozo") still yields what it could read; a
    document with no feed structure at all raises FeedError.
    """
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    if not parsed.entries and not parsed.get("version"):
        reason = parsed.get("bozo_exception") or "no feed element and no entries"
        raise FeedError(f"not an RSS or Atom feed: {reason}")
    items: list[FeedItem] = []
    problems: list[str] = []
    for index, entry in enumerate(parsed.entries):
        # An id stands in for a missing link only when it is itself a URL: RSS guids
        # with isPermaLink="false" are opaque and would resolve to a wrong page.
        absolute = urljoin(url, entry["link"]) if entry.get("link") else entry.get("id", "")
        if urlsplit(absolute).scheme not in ("http", "https"):
            problems.append(f"entry {index + 1} ({entry.get('title', 'untitled')!r}) has no link")
            continue
        items.append(FeedItem(absolute, _hint(entry)))
    return items, problems
