"""Pure JSON Feed 1.1 building from feed records: same input, same bytes, no I/O or clock."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sokbo.publish.feeds.model import BuiltEntry, FeedEntry, FeedMeta
from sokbo.publish.feeds.prepare import built_entry, check_meta, newest_first, terms, xml_safe

__all__ = ["JSON_FEED_VERSION", "build_json", "json_document", "json_item"]

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def build_json(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    """Return the JSON Feed 1.1 document for ``entries`` (any order) as UTF-8 JSON.

    Text is cleaned exactly as for RSS and Atom (JSON could escape control characters,
    but then the three formats would disagree, and a lone surrogate cannot be UTF-8).
    """
    return json_document(meta, [built_entry(entry, json=json_item) for entry in entries])


def json_item(entry: FeedEntry) -> str:
    """One entry's item object on one line (json's C encoder; an indent would be slow)."""
    return json.dumps(_item(entry), ensure_ascii=False)


def json_document(meta: FeedMeta, entries: Sequence[BuiltEntry]) -> bytes:
    """The JSON Feed 1.1 document of ``entries`` (any order; their ``json`` is used)."""
    check_meta(meta)
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": xml_safe(meta.title),
        "home_page_url": xml_safe(meta.link),
    }
    if meta.self_url_json:
        document["feed_url"] = xml_safe(meta.self_url_json)
    document["description"] = xml_safe(meta.description)
    document["language"] = xml_safe(meta.language)
    if meta.hub:
        document["hubs"] = [{"type": "WebSub", "url": xml_safe(meta.hub)}]
    items = [entry.json for entry in newest_first(entries)]
    if any(not item for item in items):
        raise ValueError("a feed entry has no JSON item to put in the document")
    # Readable: feed fields one a line, then one item a line.
    head = json.dumps(document, ensure_ascii=False, indent=2).removesuffix("\n}")
    listed = "[\n    " + ",\n    ".join(items) + "\n  ]" if items else "[]"
    return f'{head},\n  "items": {listed}\n}}\n'.encode()


def _item(entry: FeedEntry) -> dict[str, Any]:
    item: dict[str, Any] = {"id": xml_safe(entry.guid), "url": xml_safe(entry.link)}
    source = xml_safe(entry.source_url or "")
    if source and source != item["url"]:
        item["external_url"] = source
    item["title"] = xml_safe(entry.title)
    item["content_html"] = xml_safe(entry.content_html)
    item["summary"] = xml_safe(entry.summary)
    image = xml_safe(entry.image or "")
    if image:
        item["image"] = image
    item["date_published"] = _rfc3339(entry.published)
    item["date_modified"] = _rfc3339(entry.updated)
    authors = [name for name in (xml_safe(a).strip() for a in entry.authors) if name]
    if authors:
        item["authors"] = [{"name": name} for name in authors]
    tags = terms(entry)
    if tags:
        item["tags"] = tags
    return item


def _rfc3339(value: datetime) -> str:
    # built_entry() refuses naive datetimes, so there is always an offset.
    return value.isoformat()
