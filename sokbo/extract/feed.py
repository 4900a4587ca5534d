"""Pure feed reading: an RSS, Atom or JSON Feed document becomes (entry URL, FeedHint) pairs."""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

from sokbo.extract.jsonfeed import JsonFeedError, looks_like_json, read_json_feed
from sokbo.models import FeedHint
from sokbo.urls import http_url


class FeedError(ValueError):
    """The document is not a feed we can read."""


@dataclass(frozen=True)
class FeedItem:
    url: str
    hint: FeedHint


def _when(value: time.struct_time | None) -> datetime | None:
    # feedparser normalises every date it understands to a UTC struct_time.
    return None if value is None else datetime.fromtimestamp(calendar.timegm(value), UTC)


def _hint(entry: Any, rss: bool) -> FeedHint:
    content = entry.get("content") or []
    # Only when the feed says so: feedparser would otherwise (deprecated) hand back
    # the published date as the updated one.
    updated = _when(entry.get("updated_parsed")) if "updated" in entry else None
    published = _when(entry.get("published_parsed"))
    if published is None and rss:
        # feedparser files an RSS <dc:date> (RSS 1.0's only date, common in RSS 2.0 too)
        # under "updated"; in RSS it dates the item's publication.
        published = updated
    return FeedHint(
        title=entry.get("title"),
        published=published,
        updated=updated,
        summary=entry.get("summary"),
        categories=tuple(tag["term"] for tag in entry.get("tags") or [] if tag.get("term")),
        content_html=content[0].get("value") if content else None,
    )


def _no_link(index: int, title: str | None) -> str:
    return f"entry {index + 1} ({('untitled' if title is None else title)!r}) has no link"


def _parse_json_feed(body: bytes, url: str) -> tuple[list[FeedItem], list[str]]:
    try:
        entries = read_json_feed(body, url)
    except JsonFeedError as exc:
        raise FeedError(f"not an RSS or Atom feed, nor a JSON Feed: {exc}") from exc
    items = [FeedItem(entry.url, entry.hint) for entry in entries if entry.url is not None]
    problems = [
        _no_link(index, entry.hint.title) for index, entry in enumerate(entries) if not entry.url
    ]
    return items, problems


def parse_feed(body: bytes, url: str) -> tuple[list[FeedItem], list[str]]:
    """Entries with an http(s) link, newest first as the feed lists them, plus problems.

    RSS (0.9x, 1.0, 2.0) and Atom are read by feedparser; a body that is a JSON object
    must be a JSON Feed (1.0 or 1.1). A feed with minor errors (feedparser's "bozo")
    still yields what it could read; a document with no feed structure at all raises
    FeedError.
    """
    if looks_like_json(body):
        return _parse_json_feed(body, url)
    parsed = feedparser.parse(body, response_headers={"content-location": url})
    if not parsed.entries and not parsed.get("version"):
        reason = parsed.get("bozo_exception") or "no feed element and no entries"
        raise FeedError(f"not an RSS or Atom feed: {reason}")
    rss = str(parsed.get("version", "")).startswith("rss")
    items: list[FeedItem] = []
    problems: list[str] = []
    for index, entry in enumerate(parsed.entries):
        # An id stands in for a missing link only when it is itself a URL: RSS guids
        # with isPermaLink="false" are opaque and would resolve to a wrong page.
        absolute = http_url(entry["link"], url) if entry.get("link") else http_url(entry.get("id"))
        if absolute is None:
            problems.append(_no_link(index, entry.get("title")))
            continue
        items.append(FeedItem(absolute, _hint(entry, rss)))
    return items, problems
