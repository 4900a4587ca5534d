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
from sokbo.web.urls import http_url


class FeedError(ValueError):
    """The document is not a feed we can read."""


# What a skipped entry is counted under (the run summary lists the reasons).
NO_LINK = "feed entry without a link"
NOT_HTTP = "feed entry whose link is not http(s)"


class SkippedEntry(str):
    """Why an entry was skipped, as a sentence; `reason` is what it is counted under.

    A str, so a problem reads (and compares) as the sentence it is.
    """

    reason: str

    def __new__(cls, text: str, reason: str) -> SkippedEntry:
        entry = super().__new__(cls, text)
        entry.reason = reason
        return entry


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


def _entry_name(index: int, title: str | None) -> str:
    return f"entry {index + 1} ({('untitled' if title is None else title)!r})"


def _no_link(index: int, title: str | None) -> SkippedEntry:
    return SkippedEntry(f"{_entry_name(index, title)} has no link", NO_LINK)


def _not_http(index: int, title: str | None, link: str) -> SkippedEntry:
    """An entry whose link is javascript:, mailto:, tel:, data: or empty."""
    if not link.strip():
        return SkippedEntry(f"{_entry_name(index, title)}: its link is empty", NO_LINK)
    # The feed's text, made safe for one log line.
    shown = " ".join(link.split())
    shown = shown if len(shown) <= 80 else shown[:79] + "…"
    return SkippedEntry(
        f"{_entry_name(index, title)}: link {shown} is not an http(s) URL", NOT_HTTP
    )


def _written_link(entry: Any) -> str | None:
    """The page link the feed itself wrote for an entry (RSS <link>, Atom rel=alternate),
    even an unusable one; None when it wrote none. feedparser's `link` may be a guess:
    an Atom entry's id stands in for a missing alternate link."""
    for link in entry.get("links") or []:
        if link.get("rel", "alternate") == "alternate":
            return str(link.get("href") or "")
    return None


def _parse_json_feed(body: bytes, url: str) -> tuple[list[FeedItem], list[SkippedEntry]]:
    try:
        entries = read_json_feed(body, url)
    except JsonFeedError as exc:
        raise FeedError(f"not an RSS or Atom feed, nor a JSON Feed: {exc}") from exc
    items = [FeedItem(entry.url, entry.hint) for entry in entries if entry.url is not None]
    problems = [
        _no_link(index, entry.hint.title)
        if entry.link is None
        else _not_http(index, entry.hint.title, entry.link)
        for index, entry in enumerate(entries)
        if not entry.url
    ]
    return items, problems


def parse_feed(body: bytes, url: str) -> tuple[list[FeedItem], list[SkippedEntry]]:
    """Entries with an http(s) link, newest first as the feed lists them, plus problems:
    the entries skipped, each saying why (no link; a link that is not http(s)).

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
    problems: list[SkippedEntry] = []
    for index, entry in enumerate(parsed.entries):
        # An id stands in for a missing link only when it is itself a URL: RSS guids
        # with isPermaLink="false" are opaque and would resolve to a wrong page.
        absolute = http_url(entry["link"], url) if entry.get("link") else http_url(entry.get("id"))
        if absolute is None:
            written = _written_link(entry)
            title = entry.get("title")
            problems.append(
                _no_link(index, title) if written is None else _not_http(index, title, written)
            )
            continue
        items.append(FeedItem(absolute, _hint(entry, rss)))
    return items, problems
