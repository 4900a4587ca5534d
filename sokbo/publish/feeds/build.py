"""Pure RSS 2.0 and Atom building from feed records: same input, same bytes, no I/O or clock.

A feed is built in two steps so that an entry is serialised once, not once per build of
every feed it is in: ``rss_item``/``atom_entry`` turn one post into its XML (feedgen
builds it), and ``rss_document``/``atom_document`` put a feed's entries, however old
their XML, into the feed's frame (also feedgen's) and print the whole document.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import urlsplit

from feedgen.entry import FeedEntry as FeedgenEntry
from feedgen.feed import FeedGenerator
from lxml import etree

from sokbo.publish.feeds.model import BuiltEntry, FeedEntry, FeedMeta
from sokbo.publish.feeds.prepare import (
    EPOCH,
    built_entry,
    check_meta,
    feed_updated,
    image_type,
    newest_first,
    terms,
    xml_safe,
)

__all__ = [
    "EPOCH",
    "atom_document",
    "atom_entry",
    "build_atom",
    "build_rss",
    "rss_document",
    "rss_item",
    "xml_safe",
]

_GENERATOR = "sokbo"
_ATOM_NS = "http://www.w3.org/2005/Atom"
_DC_NS = "http://purl.org/dc/elements/1.1/"
_MEDIA_NS = "http://search.yahoo.com/mrss/"
# An RSS enclosure must name a type; this one promises nothing about an unknown image.
_UNKNOWN_TYPE = "application/octet-stream"


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


class _FeedExtras:
    """feedgen extension for the channel: the WebSub hub link RSS needs and feedgen omits."""

    def __init__(self) -> None:
        self.hub: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"dc": _DC_NS, "media": _MEDIA_NS}

    def extend_rss(self, rss: Any) -> Any:
        if self.hub:
            channel = rss.find("channel")
            etree.SubElement(channel, f"{{{_ATOM_NS}}}link", href=self.hub, rel="hub")
        return rss

    def extend_atom(self, feed: Any) -> Any:  # Atom's hub link is an ordinary feedgen link
        return feed


class _EntryExtras:
    """feedgen extension for an entry: what feedgen cannot write, or writes wrongly.

    feedgen 1.0 drops rel, type and length from every Atom entry link (its loop rebinds
    ``link`` to the new element before reading them), so the via and enclosure links are
    written here, and RSS's enclosure with them. RSS gets ``dc:creator`` (its own
    ``author`` must be an e-mail address) and ``source`` (feedgen's would also add an Atom
    ``source``, which means a copied feed's metadata, not a credit). ``media:content``
    goes straight into the entry (feedgen's media extension wraps it in a group).
    """

    def __init__(self) -> None:
        self.creators: list[str] = []
        self.via: str | None = None
        self.image: str | None = None
        self.image_type: str | None = None
        self.image_length: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, item: Any) -> Any:
        # Readers take an RSS <description> as HTML, so the plain-text excerpt is escaped
        # as HTML first: "<속보>" must arrive as text, not as a tag (or a script) to drop.
        # Atom says type="text" instead, and keeps the text as it is.
        description = item.find("description")
        if description is not None and description.text:
            description.text = html.escape(description.text, quote=False)
        for name in self.creators:
            etree.SubElement(item, f"{{{_DC_NS}}}creator").text = name
        if self.via:
            # The text names the source; its host is all sokbo knows of it for certain.
            name = urlsplit(self.via).hostname or self.via
            etree.SubElement(item, "source", url=self.via).text = name
        if self.image:
            # RSS requires both; a length of 0 is the RSS Best Practices Profile's "unknown".
            etree.SubElement(
                item,
                "enclosure",
                url=self.image,
                length=self.image_length or "0",
                type=self.image_type or _UNKNOWN_TYPE,
            )
        self._media(item)
        return item

    def extend_atom(self, entry: Any) -> Any:
        # Unqualified, as feedgen's own: its Atom root declares the namespace as a plain
        # xmlns attribute, so an Atom-qualified element would get a prefix of its own.
        if self.via:
            etree.SubElement(entry, "link", href=self.via, rel="via")
        if self.image:
            link = etree.SubElement(entry, "link", href=self.image, rel="enclosure")
            if self.image_type:
                link.set("type", self.image_type)
            if self.image_length:  # Atom leaves an unknown length out instead
                link.set("length", self.image_length)
        self._media(entry)
        return entry

    def _media(self, parent: Any) -> None:
        if self.image:
            media = etree.SubElement(parent, f"{{{_MEDIA_NS}}}content", url=self.image)
            media.set("medium", "image")
            if self.image_type:
                media.set("type", self.image_type)
            if self.image_length:
                media.set("fileSize", self.image_length)


def build_rss(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    """Return the RSS 2.0 document for ``entries`` (any order) as pretty UTF-8 XML."""
    rss = functools.partial(rss_item, site_title=meta.title)
    return rss_document(meta, [built_entry(entry, rss=rss) for entry in entries])


def build_atom(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    """Return the Atom 1.0 document for ``entries`` (any order) as pretty UTF-8 XML."""
    atom = functools.partial(atom_entry, site_title=meta.title)
    return atom_document(meta, [built_entry(entry, atom=atom) for entry in entries])


def rss_item(entry: FeedEntry, site_title: str) -> str:
    """One entry's RSS ``<item>``; ``site_title`` is its author when the source named none."""
    return _fragment(_feedgen_entry(entry, site_title).rss_entry(), _RSS_NAMESPACES, "rss")


def atom_entry(entry: FeedEntry, site_title: str) -> str:
    """One entry's Atom ``<entry>``; ``site_title`` is its author when the source named none."""
    return _fragment(_feedgen_entry(entry, site_title).atom_entry(), _ATOM_NAMESPACES, "atom")


def rss_document(meta: FeedMeta, entries: Sequence[BuiltEntry]) -> bytes:
    """The RSS 2.0 document of ``entries`` (any order; their ``rss`` is used)."""
    return _document(meta, entries, "rss")


def atom_document(meta: FeedMeta, entries: Sequence[BuiltEntry]) -> bytes:
    """The Atom 1.0 document of ``entries`` (any order; their ``atom`` is used)."""
    return _document(meta, entries, "atom")


# Every prefix an entry may use, as the feed's root declares it (feedgen's RSS root holds
# atom and content, and both roots the extension's dc and media). An entry is printed
# inside a stand-in root that declares the same, so it names no namespace of its own and
# can be pasted into the document as text.
_RSS_NAMESPACES = {
    "atom": _ATOM_NS,
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": _DC_NS,
    "media": _MEDIA_NS,
}
_ATOM_NAMESPACES = {"dc": _DC_NS, "media": _MEDIA_NS}
# Entries sit under the channel in RSS (depth 2) and under the root in Atom (depth 1).
_DEPTH = {"rss": 2, "atom": 1}
_INDENT = "  "


def _fragment(element: Any, namespaces: dict[str, str], fmt: Literal["rss", "atom"]) -> str:
    """``element`` as text indented for its place in the document, without declarations."""
    wrapper = etree.Element("wrapper", nsmap=namespaces)  # type: ignore[arg-type]
    wrapper.append(element)
    etree.indent(wrapper, space=_INDENT, level=_DEPTH[fmt] - 1)
    text = etree.tostring(wrapper, encoding="unicode")
    start = text.index(">") + 1  # after the stand-in's start tag ...
    end = text.rindex("</wrapper>")  # ... and before its end tag
    return text[start:end].strip()


def _document(meta: FeedMeta, entries: Sequence[BuiltEntry], fmt: Literal["rss", "atom"]) -> bytes:
    """The feed's frame, printed by feedgen, with the entries' text pasted in.

    The same bytes as a document built in one piece: the frame declares every prefix the
    entries use, and each entry was indented for its place.
    """
    check_meta(meta)
    ordered = newest_first(entries)
    frame = _serialise(_generator(meta, feed_updated(ordered)), meta, fmt)
    parts = [getattr(entry, fmt) for entry in ordered]
    if any(not part for part in parts):
        raise ValueError(f"a feed entry has no {fmt} XML to put in the document")
    if not parts:
        return frame
    # Pasted after the frame's last child, each entry on its own line at its depth.
    close = frame.rindex(b"</channel>" if fmt == "rss" else b"</feed>")
    last_child = frame.rindex(b">", 0, close) + 1
    depth = _DEPTH[fmt]
    body = ("\n" + _INDENT * depth).join(parts)
    pasted = f"\n{_INDENT * depth}{body}\n{_INDENT * (depth - 1)}"
    return frame[:last_child] + pasted.encode("utf-8") + frame[close:]


def _serialise(fg: Any, meta: FeedMeta, fmt: Literal["rss", "atom"]) -> bytes:
    """One format of a filled generator, with that format's self link."""
    if fmt == "rss":
        links = [{"href": meta.self_url_rss, "rel": "self", "type": "application/rss+xml"}]
    else:
        links = [{"href": meta.self_url_atom, "rel": "self", "type": "application/atom+xml"}]
    if meta.hub:
        links.append({"href": meta.hub, "rel": "hub"})  # Atom; RSS gets it from _FeedExtras
    # feedgen makes the last link the RSS channel <link>, so the site's goes last.
    links.append({"href": meta.link, "rel": "alternate"})
    fg.link([{**link, "href": xml_safe(link["href"])} for link in links], replace=True)
    if fmt == "rss":
        rss: bytes = fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
        return rss
    atom: bytes = fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return atom


def _generator(meta: FeedMeta, stamp: Any) -> Any:
    """A FeedGenerator holding the feed's own details, without entries."""
    fg = FeedGenerator()
    fg.register_extension("sokbo", _FeedExtras, _EntryExtras)
    site = xml_safe(meta.link)
    # "https://x.kr" and "https://x.kr/" are the same site; one id keeps readers from
    # seeing a new feed when the configured URL gains or loses its slash.
    fg.id(xml_safe(meta.atom_id) or site.rstrip("/") + "/")
    fg.title(xml_safe(meta.title))
    # RSS description and Atom subtitle are one field in feedgen.
    fg.description(xml_safe(meta.description))
    # Atom requires an author on the feed or on every entry; the site speaks for its posts.
    fg.author({"name": xml_safe(meta.title)})
    if meta.hub:
        fg.sokbo.hub = xml_safe(meta.hub)
    fg.language(xml_safe(meta.language))
    # Also replaces feedgen's default, which names its own version and would change the
    # bytes whenever feedgen is upgraded.
    fg.generator(_GENERATOR)
    # Set explicitly because feedgen otherwise stamps the current time.
    fg.updated(stamp)
    # fg.updated() already sets lastBuildDate in feedgen 1.0; said again so the RSS date
    # does not hinge on that coupling.
    fg.lastBuildDate(stamp)
    fg.pubDate(stamp)
    return fg


def _feedgen_entry(entry: FeedEntry, site_title: str) -> Any:
    fe = FeedgenEntry()
    fe.register_extension("sokbo", _EntryExtras)
    guid = xml_safe(entry.guid)
    link = xml_safe(entry.link)
    # isPermaLink="true" promises readers the guid is a URL they can open: the post's.
    fe.guid(guid, permalink=guid == link)
    fe.title(_Kept(xml_safe(entry.title)))
    fe.link(href=link, rel="alternate")
    fe.published(entry.published)  # also the RSS <pubDate>
    fe.updated(entry.updated)
    # Not CDATA: a CDATA section cannot contain "]]>", escaped text can contain anything.
    fe.content(_Kept(xml_safe(entry.content_html)), type="html")
    # After content, so feedgen takes the summary (not the HTML) as the RSS description.
    fe.summary(_Kept(xml_safe(entry.summary)), type="text")
    categories = terms(entry)
    if categories:
        fe.category([{"term": term} for term in categories])

    extras: _EntryExtras = fe.sokbo
    names = [name for name in (xml_safe(a).strip() for a in entry.authors) if name]
    extras.creators = names
    # Atom wants an author; an entry the source credited to no one is the site's.
    fe.author([{"name": name} for name in names or [xml_safe(site_title)]])
    source = xml_safe(entry.source_url or "")
    if source and source != link:
        extras.via = source
    image = xml_safe(entry.image or "")
    if image:
        extras.image = image
        extras.image_type = xml_safe(entry.image_type or "") or image_type(image)
        if entry.image_length is not None:
            extras.image_length = str(entry.image_length)
    return fe
