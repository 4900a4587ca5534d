"""Pure JSON Feed (1.0 and 1.1) reading; `sokbo.extract.feed.parse_feed` dispatches here.

feedparser reads RSS and Atom only. https://www.jsonfeed.org/version/1.1/
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sokbo.models import FeedHint
from sokbo.web.urls import http_url

VERSION_PREFIX = "https://jsonfeed.org/version/"
_UTF8_BOM = b"\xef\xbb\xbf"
_JSON_SPACE = b" \t\r\n"


class JsonFeedError(ValueError):
    """The JSON document is not a JSON Feed."""


@dataclass(frozen=True)
class JsonFeedEntry:
    url: str | None  # absolute http(s), or None when the item names no page
    hint: FeedHint
    link: str | None = None  # the item's `url` as the feed wrote it (to say why it is none)


def looks_like_json(body: bytes) -> bool:
    """A JSON object: `{` first, after an optional UTF-8 BOM and whitespace."""
    return body.removeprefix(_UTF8_BOM).lstrip(_JSON_SPACE).startswith(b"{")


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _http_url(value: Any, base: str | None) -> str | None:
    """`value` as an absolute http(s) URL; relative values resolve only when `base` is given."""
    return http_url(_string(value), base)


def _when(value: Any) -> datetime | None:
    """An RFC 3339 date-time, in UTC; anything without an offset (or unreadable) is None."""
    text = _string(value)
    if not text:
        return None
    try:
        # RFC 3339 allows a lower-case "t" and "z"; fromisoformat does not.
        parsed = datetime.fromisoformat(text.strip().upper())
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def _text_to_html(text: str) -> str:
    """Plain text as HTML: blank lines split paragraphs, single line breaks become <br />."""
    paragraphs = [p.strip() for p in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n"))]
    return "".join(
        "<p>" + html.escape(p).replace("\n", "<br />\n") + "</p>" for p in paragraphs if p
    )


def _entry(item: Any, feed_url: str) -> JsonFeedEntry:
    if not isinstance(item, dict):
        return JsonFeedEntry(None, FeedHint(), None)
    # An id stands in for the page only when it is itself an absolute URL: ids are
    # opaque and a relative one would resolve to a wrong page.
    url = (
        _http_url(item.get("url"), feed_url)
        or _http_url(item.get("external_url"), feed_url)
        or _http_url(item.get("id"), None)
    )
    content_html = _string(item.get("content_html"))
    if content_html is None and _string(item.get("content_text")):
        content_html = _text_to_html(item["content_text"]) or None
    raw_tags = item.get("tags")
    tags = raw_tags if isinstance(raw_tags, list) else []
    hint = FeedHint(
        title=_string(item.get("title")),
        published=_when(item.get("date_published")),
        updated=_when(item.get("date_modified")),
        summary=_string(item.get("summary")),
        categories=tuple(tag.strip() for tag in tags if isinstance(tag, str) and tag.strip()),
        content_html=content_html,
    )
    return JsonFeedEntry(url, hint, _string(item.get("url")))


def read_json_feed(body: bytes, feed_url: str) -> list[JsonFeedEntry]:
    """The items of a JSON Feed, in the feed's order; JsonFeedError if it is none."""
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise JsonFeedError(f"JSON that is not UTF-8: {exc}") from exc
    except (ValueError, RecursionError) as exc:
        raise JsonFeedError(f"invalid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise JsonFeedError("a JSON document that is not an object")
    version = document.get("version")
    if not (isinstance(version, str) and version.startswith(VERSION_PREFIX)):
        raise JsonFeedError(f"a JSON document whose version is not {VERSION_PREFIX}…")
    # The three members the spec requires; a document without them is some other JSON.
    if not isinstance(document.get("title"), str):
        raise JsonFeedError("a JSON Feed without the required string 'title'")
    items = document.get("items")
    if not isinstance(items, list):
        raise JsonFeedError("a JSON Feed without the required 'items' list")
    return [_entry(item, feed_url) for item in items]
