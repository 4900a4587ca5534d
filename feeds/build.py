"""Pure RSS 2.0 and Atom building from feed records: same input, same bytes, no I/O or clock."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from feedgen.feed import FeedGenerator

from feeds.model import FeedEntry, FeedMeta

__all__ = ["build_atom", "build_rss", "xml_safe"]

# Everything outside XML 1.0's Char production: C0 controls other than tab, newline and
# carriage return, lone surrogates (UTF-8 cannot encode them) and the U+FFFE/U+FFFF
# noncharacters. lxml refuses a string containing any of them, so feedgen would raise.
# C1 controls and U+007F are legal XML 1.0 and lxml accepts them, so they stay.
_NOT_XML_CHAR = re.compile(r"[\x00-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]")

# Stamped on a feed with no entries, so that even an empty feed never depends on "now".
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_GENERATOR = "sokbo"


class _Kept(str):
    """A string that feedgen must write out even when it is empty.

    feedgen tests these fields for truthiness: an empty entry title makes it raise, and an
    empty summary makes it move the HTML into the RSS description and drop content:encoded.
    Both formats allow empty text elements, so a post whose text cleans down to nothing is
    published as it is instead of failing or reshaping the whole feed.
    """

    __slots__ = ()

    def __bool__(self) -> bool:
        return True


def xml_safe(text: str) -> str:
    """Return ``text`` without the characters XML 1.0 cannot carry; everything else is kept."""
    return _NOT_XML_CHAR.sub("", text)


def build_rss(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    """Return the RSS 2.0 document for ``entries`` (any order) as pretty UTF-8 XML."""
    fg = _generator(meta, entries, meta.self_url_rss, "application/rss+xml")
    data: bytes = fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return data


def build_atom(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    """Return the Atom 1.0 document for ``entries`` (any order) as pretty UTF-8 XML."""
    fg = _generator(meta, entries, meta.self_url_atom, "application/atom+xml")
    data: bytes = fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return data


def _generator(meta: FeedMeta, entries: Sequence[FeedEntry], self_href: str, self_type: str) -> Any:
    """Fill a FeedGenerator with everything both formats share; the caller serialises it."""
    _check_meta(meta)
    ordered = _newest_first(entries)
    # The feed changed last when any of its entries did; an older post edited later counts
    # too. Set explicitly because feedgen otherwise stamps the current time.
    stamp = max((entry.updated for entry in ordered), default=EPOCH)

    fg = FeedGenerator()
    site = xml_safe(meta.link)
    # "https://x.kr" and "https://x.kr/" are the same site; one id keeps readers from
    # seeing a new feed when the configured URL gains or loses its slash.
    fg.id(site.rstrip("/") + "/")
    fg.title(xml_safe(meta.title))
    # RSS description and Atom subtitle are one field in feedgen.
    fg.description(xml_safe(meta.description))
    # Atom requires an author on the feed or on every entry; the site speaks for its posts.
    fg.author({"name": xml_safe(meta.title)})
    # feedgen uses the last link added as the RSS channel <link>, so the self link goes first.
    fg.link(href=xml_safe(self_href), rel="self", type=self_type)
    fg.link(href=site, rel="alternate")
    fg.language(xml_safe(meta.language))
    # Also replaces feedgen's default, which names its own version and would change the
    # bytes whenever feedgen is upgraded.
    fg.generator(_GENERATOR)
    fg.updated(stamp)
    # fg.updated() already sets lastBuildDate in feedgen 1.0; said again so the RSS date
    # does not hinge on that coupling.
    fg.lastBuildDate(stamp)
    fg.pubDate(stamp)

    for entry in ordered:
        # feedgen prepends by default, which would reverse the order chosen above.
        fe = fg.add_entry(order="append")
        guid = xml_safe(entry.guid)
        link = xml_safe(entry.link)
        # isPermaLink="true" promises readers the guid is a URL they can open.
        fe.guid(guid, permalink=guid == link)
        fe.title(_Kept(xml_safe(entry.title)))
        fe.link(href=link, rel="alternate")
        fe.published(entry.published)  # also the RSS <pubDate>
        fe.updated(entry.updated)
        # Not CDATA: a CDATA section cannot contain "]]>", escaped text can contain anything.
        fe.content(_Kept(xml_safe(entry.content_html)), type="html")
        # After content, so feedgen takes the summary (not the HTML) as the RSS description.
        fe.summary(_Kept(xml_safe(entry.summary)), type="text")
        terms = _terms(entry.categories)
        if terms:
            fe.category([{"term": term} for term in terms])
    return fg


def _check_meta(meta: FeedMeta) -> None:
    """Raise ValueError for site details that RSS or Atom cannot do without."""
    required = (("title", meta.title), ("link", meta.link), ("description", meta.description))
    for name, value in required:
        if not xml_safe(value).strip():
            raise ValueError(f"FeedMeta.{name} is empty; RSS and Atom feeds require it")


def _newest_first(entries: Sequence[FeedEntry]) -> list[FeedEntry]:
    """Validate ``entries`` and order them newest first, ties broken by guid."""
    for entry in entries:
        if not xml_safe(entry.guid).strip():
            raise ValueError(f"feed entry {entry.link!r} has an empty guid")
        _require_aware(entry.published, f"feed entry {entry.guid!r}: published")
        _require_aware(entry.updated, f"feed entry {entry.guid!r}: updated")
    # Two stable sorts: guid ascending settles ties, then the date decides the order.
    by_guid = sorted(entries, key=lambda entry: entry.guid)
    return sorted(by_guid, key=lambda entry: entry.published, reverse=True)


def _require_aware(value: datetime, what: str) -> None:
    """Raise ValueError unless ``value`` pins down an instant (has a UTC offset)."""
    # utcoffset() is also None for a tzinfo that declines to give an offset, which cannot
    # be written as a feed date either.
    if value.utcoffset() is None:
        raise ValueError(
            f"{what} is a naive datetime ({value.isoformat()}); feeds need timezone-aware datetimes"
        )


def _terms(categories: Sequence[str]) -> list[str]:
    """Return the cleaned category terms in order, without blanks and repeats."""
    seen: dict[str, None] = {}
    for category in categories:
        term = xml_safe(category).strip()
        # An empty Atom term names no category; a repeated one adds nothing.
        if term:
            seen.setdefault(term)
    return list(seen)
