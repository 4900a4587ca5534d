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
        updated=_when(entry.get("updated_parsed")),
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
    if parsed.bozo and not parsed.entries and not parsed.get("version"):
        raise FeedError(f"not a feed: {parsed.get('bozo_exception')}")
    items: list[FeedItem] = []
    problems: list[str] = []
    for index, entry in enumerate(parsed.entries):
        link = entry.get("link") or entry.get("id")
        absolute = urljoin(url, link) if link else ""
        if urlsplit(absolute).scheme not in ("http", "https"):
            problems.append(f"entry {index + 1} ({entry.get('title', 'untitled')!r}) has no link")
            continue
        items.append(FeedItem(absolute, _hint(entry)))
    return items, problems
