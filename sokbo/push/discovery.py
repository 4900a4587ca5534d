"""Pure WebSub discovery: the hub a feed names and the topic URL to subscribe to, from the
HTTP Link headers first and then the feed's own links (WebSub 4)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from lxml import etree

from sokbo.web.urls import http_url
from sokbo.web.xmlparse import safe_parser

# `<https://hub.example/>; rel="hub"`, several to a header, separated by commas.
_LINK = re.compile(r'<([^>]*)>((?:\s*;\s*[^;,="\s]+(?:\s*=\s*(?:"[^"]*"|[^;,]*))?)*)')
_PARAM = re.compile(r';\s*([^;,="\s]+)(?:\s*=\s*(?:"([^"]*)"|([^;,]*)))?')


@dataclass(frozen=True)
class HubLink:
    """Where to subscribe (`hub`) and to what (`topic`: the feed's rel=self URL)."""

    hub: str
    topic: str


Links = list[tuple[frozenset[str], str]]  # (rel tokens, absolute http(s) URL)


def find_hub(body: bytes, link_headers: Sequence[str], url: str) -> HubLink | None:
    """The hub and topic of the feed `body` fetched from `url`; None when it names no hub.

    The Link headers are looked at first and the document's links only without a hub there
    (WebSub: stop at the first match); the topic is the rel=self URL found with the hub,
    else the other one, else `url` itself.
    """
    headers = list(_header_links(link_headers, url))
    document = _document_links(body, url)
    for first, second in ((headers, document), (document, headers)):
        hub = _first(first, "hub")
        if hub is not None:
            return HubLink(hub, _first(first, "self") or _first(second, "self") or url)
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
    return _xml_feed_links(stripped, base)


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
