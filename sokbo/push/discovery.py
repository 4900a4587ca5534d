"""Pure WebSub discovery: the hubs a topic names and the topic URL to subscribe to, from the
HTTP Link headers first and then the document's own links (WebSub 4). The document is a
feed (RSS, Atom, JSON Feed) or an HTML page, whose <head> may declare
`<link rel="hub" href>` and `<link rel="self" href>` as a feed does."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from lxml import etree

from sokbo.extract.discovery import looks_like_feed
from sokbo.web.encoding import decode_html
from sokbo.web.htmlparse import parse_document
from sokbo.web.urls import http_url
from sokbo.web.xmlparse import safe_parser

# `<https://hub.example/>; rel="hub"`, several to a header, separated by commas.
_LINK = re.compile(r'<([^>]*)>((?:\s*;\s*[^;,="\s]+(?:\s*=\s*(?:"[^"]*"|[^;,]*))?)*)')
_PARAM = re.compile(r';\s*([^;,="\s]+)(?:\s*=\s*(?:"([^"]*)"|([^;,]*)))?')

# Hubs kept of a topic that names more (WebSub: a subscriber may use any or all): the
# first, and two to fall back on (sokbo.push.leases.choose_hubs).
MAX_HUBS = 3


@dataclass(frozen=True)
class HubLink:
    """Where to subscribe (`hub`) and to what (`topic`: the document's rel=self URL);
    `more`: the other hubs it names, in its order."""

    hub: str
    topic: str
    more: tuple[str, ...] = ()

    @property
    def hubs(self) -> tuple[str, ...]:
        return (self.hub, *self.more)


Links = list[tuple[frozenset[str], str]]  # (rel tokens, absolute http(s) URL)


def find_hub(body: bytes, link_headers: Sequence[str], url: str) -> HubLink | None:
    """The hubs and topic of the feed or page `body` fetched from `url`; None when it
    names no hub (or is no document at all: any bytes are taken, none raises).

    The Link headers are looked at first and the document's links only without a hub there
    (WebSub: stop at the first match); the hubs are those of that place, in order, at most
    MAX_HUBS; the topic is the rel=self URL found with them, else the other one, else `url`.
    """
    headers = list(_header_links(link_headers, url))
    document = _document_links(body, url)
    for first, second in ((headers, document), (document, headers)):
        hubs = list(dict.fromkeys(href for rels, href in first if "hub" in rels))[:MAX_HUBS]
        if hubs:
            topic = _first(first, "self") or _first(second, "self") or url
            return HubLink(hubs[0], topic, tuple(hubs[1:]))
    return None


def _first(links: Links, rel: str) -> str | None:
    return next((href for rels, href in links if rel in rels), None)


def _rels(value: str | None) -> frozenset[str]:
    return frozenset((value or "").lower().split())


def _header_links(values: Sequence[str], base: str) -> Iterator[tuple[frozenset[str], str]]:
    """RFC 8288 Link header values, one link at a time."""
    for value in values:
        for match in _LINK.finditer(value):
            target = http_url(match[1], base)
            if target is None:
                continue
            for param in _PARAM.finditer(match[2]):
                if param[1].lower() == "rel":
                    yield _rels(param[2] if param[2] is not None else param[3]), target
                    break


def _document_links(body: bytes, base: str) -> Links:
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return _json_feed_links(stripped, base)
    if looks_like_feed(body):
        return _xml_feed_links(stripped, base)
    return _html_head_links(body, base)


def _json_feed_links(body: bytes, base: str) -> Links:
    """JSON Feed 1.1: `hubs` ({type: "WebSub", url}) and `feed_url` (the topic)."""
    try:
        feed = json.loads(body)
    except ValueError:
        return []
    if not isinstance(feed, dict):
        return []
    links: Links = []
    hubs = feed.get("hubs")
    for hub in hubs if isinstance(hubs, list) else []:
        if isinstance(hub, dict) and str(hub.get("type", "")).lower() == "websub":
            target = http_url(_text(hub.get("url")), base)
            if target:
                links.append((frozenset({"hub"}), target))
    topic = http_url(_text(feed.get("feed_url")), base)
    if topic:
        links.append((frozenset({"self"}), topic))
    return links


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _xml_feed_links(body: bytes, base: str) -> Links:
    """The feed-level <link rel href> (Atom's own, or atom:link in an RSS or RDF channel);
    entries' links are not the feed's."""
    try:
        root = etree.fromstring(body, safe_parser(recover=True))
    except etree.XMLSyntaxError:
        return []
    if root is None:
        return []
    elements = list(root)
    for child in root:
        if _local(child) == "channel":
            elements.extend(child)
    links: Links = []
    for element in elements:
        if _local(element) != "link" or element.get("rel") is None:
            continue
        target = http_url(element.get("href"), base)
        if target:
            links.append((_rels(element.get("rel")), target))
    return links


def _local(element: etree._Element) -> str | None:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else None


def _html_head_links(body: bytes, base: str) -> Links:
    """The <link rel href> of an HTML page's <head> (WebSub 4 names the head): a link in
    the body, or inside the head's <noscript> or <template>, declares nothing. The page is
    parsed as a browser parses it (sokbo.web.htmlparse), so its head ends where a
    browser's does; hrefs resolve against its <base href>. Bytes that are no page (an
    image served as text/html) make a tree without such links."""
    try:
        root = parse_document(decode_html(body).text)
    except (etree.ParserError, ValueError):  # nothing to parse
        return []
    head = root.find("head")
    if head is None:
        return []
    base = _base_href(root, base)
    links: Links = []
    for element in head:
        if element.tag != "link" or element.get("rel") is None:
            continue
        target = http_url(element.get("href"), base)
        if target:
            links.append((_rels(element.get("rel")), target))
    return links


def _base_href(root: etree._Element, url: str) -> str:
    """The page's base URL: its first <base href> (resolved against `url`), else `url`."""
    for element in root.iter("base"):
        href = element.get("href")
        if href and href.strip():
            return http_url(href, url) or url
    return url
