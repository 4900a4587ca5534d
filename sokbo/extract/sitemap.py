"""Pure sitemap reading (https://www.sitemaps.org/protocol.html, Google News sitemaps).

XML (`<urlset>` or `<sitemapindex>`, with or without the sitemaps.org namespace),
gzip-compressed XML, and plain text (one URL per line). Untrusted input: gzip output
is capped, and lxml never resolves entities, loads a DTD or touches the network.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Literal

from lxml import etree

from sokbo.web.encoding import decode_xml, utf8_xml
from sokbo.web.urls import http_url
from sokbo.web.xmlparse import safe_parser

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed
NEWS_NAMESPACE = "http://www.google.com/schemas/sitemap-news/0.9"

_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: datetime | None  # aware, UTC
    news_title: str | None = None
    news_published: datetime | None = None
    news_keywords: tuple[str, ...] = ()
    language: str | None = None  # news:language


@dataclass(frozen=True)
class Sitemap:
    kind: Literal["urlset", "index"]
    entries: list[SitemapEntry]  # for an index: the child sitemaps (loc + lastmod)


class SitemapError(ValueError):
    """The document is not a sitemap we can read."""


# --- bytes: gzip, size, encoding ------------------------------------------------------


def _too_big() -> SitemapError:
    return SitemapError(f"sitemap larger than {MAX_SITEMAP_BYTES} bytes uncompressed")


def _gunzip(body: bytes) -> bytes:
    """Decompress every gzip member, never holding more than the cap (plus one byte)."""
    out = bytearray()
    data = body
    while data.startswith(_GZIP_MAGIC):
        stream = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = data
        while not stream.eof:
            try:
                # max_length > 0 always: 0 would mean "no limit".
                chunk = stream.decompress(pending, MAX_SITEMAP_BYTES + 1 - len(out))
            except zlib.error as exc:
                raise SitemapError(f"corrupt gzip data: {exc}") from exc
            out += chunk
            if len(out) > MAX_SITEMAP_BYTES:
                raise _too_big()
            pending = stream.unconsumed_tail
            if not chunk and not pending and not stream.eof:
                raise SitemapError("truncated gzip data")
        data = stream.unused_data  # a further member, or trailing padding (ignored)
    return bytes(out)


# --- values ---------------------------------------------------------------------------

_W3C = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*(?:([Zz])|([+-])(\d{2}):?(\d{2})?)?)?)?)?"
)


def _w3c(match: re.Match[str]) -> datetime | None:
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if hour is None:  # a date alone (or a year, or a month): midnight UTC
        return datetime(int(year), int(month or 1), int(day or 1), tzinfo=UTC)
    if zulu:
        zone = UTC
    elif sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
        zone = timezone(-offset if sign == "-" else offset)
    else:
        return None  # a time without a zone names no instant
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    moment = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, zone
    )
    return moment.astimezone(UTC)


def parse_date(value: str | None) -> datetime | None:
    """A W3C datetime (or, leniently, an RFC 822 date) as an aware UTC datetime; else None."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        if match := _W3C.fullmatch(text):
            return _w3c(match)
        parsed = parsedate_to_datetime(text)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def _loc(value: str | None, base: str) -> str | None:
    """An absolute http(s) URL: trimmed, resolved against `base` only if relative."""
    return http_url(value, base)


# --- XML ------------------------------------------------------------------------------


def _local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # an unresolved entity
        return ""
    if tag.startswith("{"):
        return tag.rpartition("}")[2]
    # lxml's recover mode keeps an undeclared prefix ("news:title") in the name.
    return tag.rpartition(":")[2]


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child) == name]


def _text(element: etree._Element | None) -> str | None:
    """The element's text, None if absent or if it holds an entity left unresolved."""
    if element is None or any(not isinstance(node.tag, str) for node in element.iter()):
        return None
    return "".join(str(text) for text in element.itertext())


def _child_text(element: etree._Element, *path: str) -> str | None:
    for name in path:
        found = _children(element, name)
        if not found:
            return None
        element = found[0]
    return _text(element)


def _entry(element: etree._Element, base: str) -> SitemapEntry | None:
    loc = _loc(_child_text(element, "loc"), base)
    if loc is None:
        return None
    lastmod = parse_date(_child_text(element, "lastmod"))
    news = _children(element, "news")
    if not news:
        return SitemapEntry(loc, lastmod)
    title = " ".join((_child_text(news[0], "title") or "").split()) or None
    keywords = (_child_text(news[0], "keywords") or "").split(",")
    language = (_child_text(news[0], "publication", "language") or "").strip() or None
    return SitemapEntry(
        loc,
        lastmod,
        news_title=title,
        news_published=parse_date(_child_text(news[0], "publication_date")),
        news_keywords=tuple(k.strip() for k in keywords if k.strip()),
        language=language,
    )


# A bare "&" (an unescaped query string, the commonest sitemap mistake) would lose the
# text after it in lxml's recovery ("?a=1&b=2" -> "?a=1=2"); CDATA sections stay as they are.
_BARE_AMPERSAND = re.compile(
    rb"<!\[CDATA\[.*?\]\]>|&(?!#[0-9]+;|#x[0-9A-Fa-f]+;|[A-Za-z_][\w.-]*;)", re.DOTALL
)
# libxml2 stopped at an entity bomb (expansion beyond its limits).
_REFUSED = frozenset({"ERR_RESOURCE_LIMIT", "ERR_ENTITY_LOOP"})


def _escape_ampersands(body: bytes) -> bytes:
    return _BARE_AMPERSAND.sub(lambda m: m[0] if m[0].startswith(b"<") else b"&amp;", body)


def _last_entry_cut(body: bytes, entry: str) -> bool:
    """Whether a `<loc>` follows the last complete entry: that entry was cut short."""
    prefix = rb"(?:[A-Za-z_][\w.-]*:)?"
    tail = body[-65536:]
    ends = list(re.finditer(rb"</" + prefix + entry.encode() + rb"\s*>", tail))
    after = tail[ends[-1].end() :] if ends else tail
    return re.search(rb"<" + prefix + rb"loc[\s>]", after) is not None


def _read_xml(body: bytes) -> tuple[etree._Element, bool]:
    """The root element, and whether the document was well-formed."""
    try:
        return etree.fromstring(body, safe_parser(recover=False)), True
    except etree.XMLSyntaxError:
        pass
    # Broken XML, as real sitemaps often are: read what can be read.
    parser = safe_parser(recover=True)
    try:
        root = etree.fromstring(_escape_ampersands(body), parser)
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"not a sitemap: unreadable XML ({exc})") from exc
    refused = [error.message for error in parser.error_log if error.type_name in _REFUSED]
    if refused:
        raise SitemapError(f"refused: {refused[0]}")
    if root is None:
        raise SitemapError("not a sitemap: unreadable XML")
    return root, False


def _parse_xml(body: bytes, url: str) -> Sitemap:
    root, well_formed = _read_xml(body)
    name = _local(root)
    if name == "urlset":
        kind: Literal["urlset", "index"] = "urlset"
        elements = _children(root, "url")
    elif name == "sitemapindex":
        kind = "index"
        elements = _children(root, "sitemap")
    else:
        raise SitemapError(
            f"not a sitemap: the root element is <{name}>, not <urlset> or <sitemapindex>"
        )
    if not well_formed and _last_entry_cut(body, "url" if kind == "urlset" else "sitemap"):
        # Cut short (an interrupted download): the last entry may end mid-URL.
        elements = elements[:-1]
    entries = [entry for element in elements if (entry := _entry(element, url)) is not None]
    return Sitemap(kind, entries)


# --- text and the entry points --------------------------------------------------------


def _parse_text(body: bytes) -> Sitemap:
    """One absolute URL per line (relative lines would make any text a URL list)."""
    lines = body.decode("utf-8-sig", "replace").splitlines()
    urls = [line.strip() for line in lines if line.strip() and len(line.split()) == 1]
    entries = [SitemapEntry(url, None) for url in urls if http_url(url)]
    if not entries:
        raise SitemapError("not a sitemap: neither XML nor a list of http(s) URLs")
    return Sitemap("urlset", entries)


def parse_sitemap(body: bytes, url: str) -> Sitemap:
    """The URLs (or, for an index, the child sitemaps) a sitemap lists, in its order.

    Entries without a usable http(s) `loc` are left out; dates that cannot be read are
    None. Anything that is not a sitemap raises SitemapError.
    """
    if body.startswith(_GZIP_MAGIC):
        body = _gunzip(body)
    if len(body) > MAX_SITEMAP_BYTES:
        raise _too_big()
    # Decoded by sokbo, not libxml2: its EUC-KR lacks the syllables CP949 adds (똠, 햏),
    # and a declaration may lie. The document reaches lxml as UTF-8.
    body = utf8_xml(decode_xml(body)).lstrip()
    if not body:
        raise SitemapError("not a sitemap: empty document")
    if body.startswith(b"<"):
        return _parse_xml(body, url)
    return _parse_text(body)


def sitemaps_from_robots(robots_txt: str, base_url: str) -> list[str]:
    """The `Sitemap:` URLs of a robots.txt, in order and de-duplicated.

    The field name is case-insensitive, comments (`#`) are ignored, and relative URLs
    resolve against `base_url`; only http(s) URLs are kept.
    """
    found: list[str] = []
    for line in robots_txt.removeprefix("\ufeff").splitlines():
        field, colon, value = line.split("#", 1)[0].partition(":")
        if not colon or field.strip().lower() != "sitemap":
            continue
        sitemap = _loc(value, base_url)
        if sitemap is not None and sitemap not in found:
            found.append(sitemap)
    return found
