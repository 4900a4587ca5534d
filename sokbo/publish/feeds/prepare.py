"""What every feed format does before serialising: clean text, check, order, name media."""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

from sokbo.publish.feeds.model import BuiltEntry, FeedEntry, FeedMeta

__all__ = [
    "EPOCH",
    "built_entry",
    "check_meta",
    "feed_updated",
    "image_type",
    "newest_first",
    "terms",
    "xml_safe",
]

# Everything outside XML 1.0's Char production: C0 controls other than tab, newline and
# carriage return, lone surrogates (UTF-8 cannot encode them) and the U+FFFE/U+FFFF
# noncharacters. lxml refuses a string containing any of them, so feedgen would raise.
# C1 controls and U+007F are legal XML 1.0 and lxml accepts them, so they stay.
_NOT_XML_CHAR = re.compile(r"[\x00-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]")

# Stamped on a feed with no entries, so that even an empty feed never depends on "now".
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# A fixed table rather than the mimetypes module, whose answers depend on the machine's
# /etc/mime.types and would make the same store give different bytes on two hosts.
_IMAGE_TYPES = {
    ".avif": "image/avif",
    ".bmp": "image/bmp",
    ".gif": "image/gif",
    ".jpe": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".webp": "image/webp",
}


def xml_safe(text: str) -> str:
    """Return ``text`` without the characters XML 1.0 cannot carry; everything else is kept."""
    return _NOT_XML_CHAR.sub("", text)


def check_meta(meta: FeedMeta) -> None:
    """Raise ValueError for feed details that no format can do without."""
    required = (("title", meta.title), ("link", meta.link), ("description", meta.description))
    for name, value in required:
        if not xml_safe(value).strip():
            raise ValueError(f"FeedMeta.{name} is empty; RSS and Atom feeds require it")


Serialiser = Callable[[FeedEntry], str]


def built_entry(
    entry: FeedEntry,
    rss: Serialiser | None = None,
    atom: Serialiser | None = None,
    json: Serialiser | None = None,
) -> BuiltEntry:
    """Validate ``entry``, then serialise it in the formats given a serialiser."""
    guid = xml_safe(entry.guid)
    if not guid.strip():
        raise ValueError(f"feed entry {entry.link!r} has an empty guid")
    _require_aware(entry.published, f"feed entry {entry.guid!r}: published")
    _require_aware(entry.updated, f"feed entry {entry.guid!r}: updated")
    return BuiltEntry(
        guid=guid,
        published=entry.published,
        updated=entry.updated,
        categories=entry.categories,
        rss=rss(entry) if rss else "",
        atom=atom(entry) if atom else "",
        json=json(entry) if json else "",
    )


def newest_first(entries: Sequence[BuiltEntry]) -> list[BuiltEntry]:
    """``entries`` newest first, ties broken by guid."""
    # Two stable sorts: guid ascending settles ties, then the date decides the order.
    by_guid = sorted(entries, key=lambda entry: entry.guid)
    return sorted(by_guid, key=lambda entry: entry.published, reverse=True)


def feed_updated(entries: Iterable[BuiltEntry]) -> datetime:
    """When the feed last changed: its newest entry's ``updated``, never "now".

    An older post edited later counts too; an empty feed gets the epoch.
    """
    return max((entry.updated for entry in entries), default=EPOCH)


def terms(entry: FeedEntry) -> list[str]:
    """The entry's categories then its tags, cleaned, without blanks and repeats.

    Both are published as categories (as jekyll-feed does with a post's tags and
    categories): a reader filters on either.
    """
    seen: dict[str, None] = {}
    for term in (*entry.categories, *entry.tags):
        cleaned = xml_safe(term).strip()
        # An empty Atom term names no category; a repeated one adds nothing.
        if cleaned:
            seen.setdefault(cleaned)
    return list(seen)


@functools.lru_cache(maxsize=4096)  # the same few default images recur in every build
def image_type(url: str) -> str | None:
    """The media type an image URL's name implies, or None when it says nothing.

    Image CDNs often serve the file from a query (Tistory's ``...?fname=https://.../img.png``),
    so the query's values are read when the path has no known extension.
    """
    parts = urlsplit(url)
    candidates = [parts.path, *(value for _key, value in parse_qsl(parts.query))]
    for candidate in candidates:
        extension = posixpath.splitext(urlsplit(candidate).path)[1].lower()
        if extension in _IMAGE_TYPES:
            return _IMAGE_TYPES[extension]
    return None


def _require_aware(value: datetime, what: str) -> None:
    """Raise ValueError unless ``value`` pins down an instant (has a UTC offset)."""
    # utcoffset() is also None for a tzinfo that declines to give an offset, which cannot
    # be written as a feed date either.
    if value.utcoffset() is None:
        raise ValueError(
            f"{what} is a naive datetime ({value.isoformat()}); feeds need timezone-aware datetimes"
        )
