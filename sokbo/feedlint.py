"""A feed lint: the common rules of the W3C Feed Validation Service, offline and in-process.

``lint_feed(data, kind, feed_url)`` checks one RSS 2.0, Atom 1.0 or JSON Feed 1.1
document as it would be served from ``feed_url`` and returns every problem found (an
empty list means the feed passed). It never fetches anything, never resolves entities
and never loads a DTD. The rules, by id, are in ``RULES``.

Where the W3C service only warns, or where the specifications allow more than sokbo
needs, the lint is stricter than the service: every entry must have an alternate link,
RSS and Atom links must be absolute http(s) URLs, and content must not carry elements or
attributes that run code. Ids may also be ``tag:`` or ``urn:`` URIs, as Atom allows.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import lxml.html
from lxml import etree

__all__ = [
    "RULES",
    "FeedKind",
    "Problem",
    "detect_kind",
    "html_problems",
    "http_url_problem",
    "id_problem",
    "lint_feed",
    "rfc822_problem",
    "rfc3339_problem",
    "same_url",
]

FeedKind = Literal["rss", "atom", "json"]

RULES: dict[str, str] = {
    "encoding": "the bytes decode in the declared encoding (UTF-8 when none is; JSON: UTF-8)",
    "xml-char": "no character that XML 1.0 forbids, raw or as a character reference",
    "well-formed": "well-formed XML (namespaces included) or valid JSON",
    "no-dtd": "no DOCTYPE, so no DTD and no entity declarations",
    "root": "the document is its kind: <rss version='2.0'><channel>, Atom <feed>, a JSON object",
    "missing-element": "required elements and members are present and not blank",
    "duplicate-element": "elements allowed once appear once",
    "atom-author": "an Atom feed has an author, or every entry has one",
    "rfc822-date": "RSS dates are RFC 822 with a four-digit year, a real day and a valid zone",
    "rfc3339-date": "Atom and JSON Feed dates are RFC 3339 with a zone",
    "absolute-url": "links are absolute http(s) URLs; ids are absolute http(s), tag: or urn: URIs",
    "duplicate-id": "no two entries share a guid or id",
    "self-link": "the feed names its own URL (atom:link rel=self, JSON feed_url) correctly",
    "guid-permalink": "an RSS guid that is a permalink (isPermaLink missing or 'true') is a URL",
    "enclosure": "enclosures and attachments have a URL, a MIME type and (RSS) a byte length",
    "unsafe-html": "escaped HTML has no script/embed/object/iframe/meta/link/style/form, "
    "no on* attribute and no javascript: URL",
    "namespace": "content:encoded and other known prefixes are declared with their namespace",
    "json-version": "a JSON Feed names version 1.1 (or 1)",
    "json-type": "JSON Feed members have the types the specification gives them",
}


@dataclass(frozen=True)
class Problem:
    """One broken rule: the rule's id (a key of ``RULES``), what is wrong, and where."""

    rule: str
    message: str
    where: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message} [{self.rule}]"


RSS_CONTENT = "http://purl.org/rss/1.0/modules/content/"
ATOM = "http://www.w3.org/2005/Atom"
MEDIA = "http://search.yahoo.com/mrss/"
DC = "http://purl.org/dc/elements/1.1/"
XLINK = "http://www.w3.org/1999/xlink"
_KNOWN_PREFIXES = {"content": RSS_CONTENT, "atom": ATOM, "media": MEDIA, "dc": DC}
_PREFIX_OF = {namespace: prefix for prefix, namespace in _KNOWN_PREFIXES.items()}
_JSON_VERSIONS = ("https://jsonfeed.org/version/1.1", "https://jsonfeed.org/version/1")


def detect_kind(data: bytes) -> FeedKind | None:
    """Guess a feed document's kind from its first bytes: JSON, RSS or Atom (else None)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return "json"
    # The first element's name, after the XML declaration, comments and a DOCTYPE.
    match = re.search(rb"<(?![?!])(?:[\w.-]+:)?([\w.-]+)", head)
    if match is None:
        return None
    name = match.group(1).lower()
    return "rss" if name == b"rss" else "atom" if name == b"feed" else None


def lint_feed(data: bytes, kind: FeedKind, feed_url: str) -> list[Problem]:
    """Every problem of the feed document ``data``, served from ``feed_url``; [] when none."""
    if kind == "json":
        return _JsonLint(feed_url).run(data)
    if kind not in ("rss", "atom"):
        raise ValueError(f"unknown feed kind {kind!r}; expected 'rss', 'atom' or 'json'")
    return _XmlLint(kind, feed_url).run(data)


# ---------------------------------------------------------------------------------------
# Characters, dates, URLs, HTML: the checks every format shares.

# Outside XML 1.0's Char production (lone surrogates cannot survive strict decoding).
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CHAR_REF = re.compile(r"&#(?:x([0-9A-Fa-f]+)|([0-9]+));")
_NOT_MARKUP = re.compile(r"<!\[CDATA\[.*?\]\]>|<!--.*?-->", re.DOTALL)


def _xml_char_allowed(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def _line_col(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {column}"


def _char_problems(text: str) -> Iterator[Problem]:
    for match in _NOT_XML_CHAR.finditer(text):
        code = ord(match.group())
        where = _line_col(text, match.start())
        yield Problem("xml-char", f"U+{code:04X} is not allowed in XML 1.0", where)
    # Character references count as the characters they stand for; inside CDATA sections
    # and comments they are plain text, so those are blanked out (keeping offsets).
    masked = _NOT_MARKUP.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    for match in _CHAR_REF.finditer(masked):
        hex_digits, digits = match.groups()
        code = int(hex_digits, 16) if hex_digits else int(digits)
        if not _xml_char_allowed(code):
            shown = f"U+{code:04X}" if code <= 0x10FFFF else "a code point above U+10FFFF"
            where = _line_col(text, match.start())
            yield Problem("xml-char", f"{match.group()} refers to {shown}, not allowed", where)


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NAMED_ZONES = {
    "ut": 0,
    "gmt": 0,
    "z": 0,
    "edt": -4,
    "est": -5,
    "cdt": -5,
    "cst": -6,
    "mdt": -6,
    "mst": -7,
    "pdt": -7,
    "pst": -8,
}
_RFC822 = re.compile(
    r"(?:(?P<dow>[A-Za-z]+),\s*)?(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+)\s+(?P<year>\d+)"
    r"\s+(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?\s+(?P<zone>\S+)"
)


def rfc822_problem(value: str) -> str | None:
    """Why ``value`` is not an RFC 822 date-time as RSS 2.0 wants it, or None if it is."""
    text = value.strip()
    match = _RFC822.fullmatch(text)
    if match is None:
        return f"{value!r} is not an RFC 822 date-time (e.g. 'Mon, 29 Jul 2024 01:05:00 +0000')"
    parts = match.groupdict()
    if len(parts["year"]) != 4:
        return f"{value!r}: the year must have four digits"
    month = parts["month"].lower()
    if month not in _MONTHS:
        return f"{value!r}: {parts['month']!r} is not a month name"
    zone = parts["zone"]
    if re.fullmatch(r"[+-]\d{4}", zone):
        if int(zone[1:3]) > 23 or int(zone[3:]) > 59:
            return f"{value!r}: {zone!r} is not a valid zone offset"
    elif zone.lower() not in _NAMED_ZONES and not re.fullmatch(r"[A-IK-Za-ik-z]", zone):
        return f"{value!r}: {zone!r} is not an RFC 822 zone (use +0000 or GMT)"
    try:
        stamp = datetime(
            int(parts["year"]),
            _MONTHS.index(month) + 1,
            int(parts["day"]),
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts["second"] or 0),
        )
    except ValueError as exc:
        return f"{value!r} is not a real date-time ({exc})"
    dow = parts["dow"]
    if dow is not None:
        if dow.lower() not in _DAYS:
            return f"{value!r}: {dow!r} is not a day name"
        if _DAYS.index(dow.lower()) != stamp.weekday():
            return f"{value!r}: {stamp.day} {parts['month']} {stamp.year} is not a {dow}"
    return None


_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.ASCII
)


def rfc3339_problem(value: str, *, upper_case: bool = True) -> str | None:
    """Why ``value`` is not an RFC 3339 date-time with a zone, or None if it is.

    Atom (RFC 4287 3.3) wants the "T" and "Z" in upper case; plain RFC 3339 (JSON Feed)
    allows lower case too.
    """
    text = value.strip()
    match = _RFC3339.fullmatch(text if upper_case else text.upper())
    if match is None:
        example = "2024-07-29T01:05:00+00:00"
        return f"{value!r} is not an RFC 3339 date-time with a zone (e.g. {example!r})"
    year, month, day, hour, minute, second = (int(group) for group in match.groups()[:6])
    zone = match.group(8)
    try:
        date(year, month, day)
    except ValueError as exc:
        return f"{value!r} is not a real date ({exc})"
    if hour > 23 or minute > 59 or second > 60:  # 60: a leap second
        return f"{value!r} is not a real time of day"
    if zone != "Z" and (int(zone[1:3]) > 23 or int(zone[4:]) > 59):
        return f"{value!r}: {zone!r} is not a valid zone offset"
    return None


# What RFC 3986 does not allow unescaped in a URI; non-ASCII letters are fine (IRIs).
_NOT_IN_URL = re.compile(r"[\x00-\x20\x7f<>\"\\^`{|}]")


def http_url_problem(value: str) -> str | None:
    """Why ``value`` is not an absolute http(s) URL, or None if it is."""
    text = value.strip()
    if not text:
        return "is empty; an absolute http(s) URL is required"
    bad = _NOT_IN_URL.search(text)
    if bad:
        return f"{value!r} contains {bad.group()!r}, which a URL must percent-encode"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        return f"{value!r} is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{value!r} is not an absolute http(s) URL"
    return None


def id_problem(value: str) -> str | None:
    """Why ``value`` is not an absolute http(s), tag: or urn: URI, or None if it is."""
    text = value.strip()
    lowered = text.lower()
    if lowered.startswith(("tag:", "urn:")):
        if _NOT_IN_URL.search(text) or len(text) < 6:
            return f"{value!r} is not a valid {lowered[:3]}: URI"
        return None
    problem = http_url_problem(text)
    if problem is None:
        return None
    return f"{value!r} is not an absolute http(s), tag: or urn: URI"


def same_url(left: str, right: str) -> bool:
    """Whether two URLs name the same resource, percent-encoding and host case aside."""

    def key(url: str) -> tuple[str, str, str, str]:
        parts = urlsplit(unquote(url.strip()))
        return parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query

    try:
        return key(left) == key(right)
    except ValueError:
        return left.strip() == right.strip()


_UNSAFE_ELEMENTS = frozenset(
    {
        "script",
        "embed",
        "object",
        "iframe",
        "meta",
        "link",
        "style",
        "form",
        "applet",
        "frame",
        "frameset",
        "base",
    }
)
_URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "background",
        "lowsrc",
        "dynsrc",
        "poster",
        "cite",
        "longdesc",
        "usemap",
        "data",
        "codebase",
        "srcset",
        "xlink:href",
    }
)
_CODE_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:text/html")
_STYLE_CODE = re.compile(r"expression\s*\(|javascript:|-moz-binding|behavior\s*:", re.I)
# Browsers ignore ASCII whitespace and C0 controls inside a URL's scheme.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20]")


def html_problems(fragment: str) -> list[str]:
    """What in the HTML ``fragment`` could run code in a reader; [] when nothing does.

    The fragment is parsed as a browser would (html5lib, when installed) and as libxml2
    does (lxml); an element or attribute either parser sees counts.
    """
    if "<" not in fragment:
        return []  # no markup at all: text and character references only
    found: dict[str, None] = {}
    for element in _parsed_elements(fragment):
        tag = element.tag
        if not isinstance(tag, str):
            continue  # comments and processing instructions
        name = tag.rsplit("}", 1)[-1].lower()
        if name in _UNSAFE_ELEMENTS:
            found.setdefault(f"<{name}> element")
        for raw_name, value in element.attrib.items():
            attribute = str(raw_name)
            if attribute.startswith("{"):
                namespace, _, local = attribute[1:].partition("}")
                attribute = f"xlink:{local}" if namespace == XLINK else local
            attribute = attribute.lower()
            if attribute.startswith("on"):
                found.setdefault(f"{attribute} attribute on <{name}>")
            elif attribute in _URL_ATTRIBUTES:
                for url in value.split(",") if attribute == "srcset" else [value]:
                    scheme = _IGNORED_IN_SCHEME.sub("", url).lower()
                    if scheme.startswith(_CODE_SCHEMES):
                        shown = scheme.split(":", 1)[0]
                        found.setdefault(f"{shown}: URL in {attribute} of <{name}>")
            elif attribute == "style" and _STYLE_CODE.search(str(value)):
                found.setdefault(f"style attribute on <{name}> that can run code")
    return list(found)


def _parsed_elements(fragment: str) -> Iterator[Any]:
    try:
        document = lxml.html.document_fromstring(f"<html><body>{fragment}</body></html>")
    except (etree.ParserError, ValueError):
        pass
    else:
        yield from document.iter()
    try:
        import html5lib
    except ImportError:
        return
    tree = html5lib.parseFragment(fragment, treebuilder="etree", namespaceHTMLElements=False)
    yield from tree.iter()


# ---------------------------------------------------------------------------------------
# RSS 2.0 and Atom 1.0


def _declared_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    match = re.match(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", data)
    return match.group(1).decode("ascii") if match else "utf-8"


class _XmlLint:
    def __init__(self, kind: Literal["rss", "atom"], feed_url: str) -> None:
        self.kind = kind
        self.feed_url = feed_url
        self.problems: list[Problem] = []

    def add(self, rule: str, message: str, where: Any) -> None:
        place = where if isinstance(where, str) else _where(where)
        self.problems.append(Problem(rule, message, place))

    def run(self, data: bytes) -> list[Problem]:
        encoding = _declared_encoding(data)
        try:
            text = data.decode(encoding)
        except LookupError:
            self.add("encoding", f"unknown encoding {encoding!r} in the XML declaration", "line 1")
            return self.problems
        except UnicodeDecodeError as exc:
            where = f"byte {exc.start}"
            self.add("encoding", f"not valid {encoding}: {exc.reason}", where)
            return self.problems
        self.problems.extend(_char_problems(text))
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
        try:
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            message = str(exc.msg if hasattr(exc, "msg") else exc)
            if "char" in message.lower() and any(p.rule == "xml-char" for p in self.problems):
                return self.problems  # already said, with the position
            rule = "namespace" if "Namespace prefix" in message else "well-formed"
            line, column = exc.position if exc.position else (exc.lineno, 0)
            self.add(rule, message, f"line {line}, column {column}")
            return self.problems
        docinfo: Any = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            self.add("no-dtd", "the document has a DOCTYPE; feeds must not use DTDs", "line 1")
        self._namespaces(root)
        if self.kind == "rss":
            self._rss(root)
        else:
            self._atom(root)
        return self.problems

    # -- shared -------------------------------------------------------------------------

    def _namespaces(self, root: Any) -> None:
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            prefix = element.prefix
            namespace = etree.QName(element).namespace
            expected = _KNOWN_PREFIXES.get(prefix or "")
            if expected is not None and namespace != expected:
                message = f"prefix {prefix!r} is bound to {namespace!r}, not {expected!r}"
                self.add("namespace", message, element)
            elif etree.QName(element).localname == "encoded" and namespace != RSS_CONTENT:
                message = f"<encoded> is in {namespace!r}; content:encoded is in {RSS_CONTENT!r}"
                self.add("namespace", message, element)

    def _once(self, parent: Any, tag: str, *, required: bool, blank_ok: bool = False) -> Any:
        found = parent.findall(tag)
        name = _name(tag)
        if not found:
            if required:
                self.add("missing-element", f"<{name}> is required here", parent)
            return None
        for extra in found[1:]:
            self.add("duplicate-element", f"<{name}> may appear only once here", extra)
        element = found[0]
        if required and not blank_ok and not _text(element).strip() and len(element) == 0:
            self.add("missing-element", f"<{name}> must not be blank", element)
        return element

    def _url(self, element: Any, value: str | None, what: str) -> None:
        problem = http_url_problem(value or "")
        if problem:
            self.add("absolute-url", f"{what} {problem}", element)

    def _html(self, element: Any, fragment: str) -> None:
        for problem in html_problems(fragment):
            self.add("unsafe-html", f"escaped HTML contains a {problem}", element)

    def _self_link(self, parent: Any, tag: str) -> None:
        links = [link for link in parent.findall(tag) if link.get("rel") == "self"]
        if not links:
            message = f"no <{_name(tag)} rel='self'> naming the feed's own URL {self.feed_url}"
            self.add("self-link", message, parent)
            return
        for extra in links[1:]:
            self.add("self-link", "more than one self link", extra)
        href = links[0].get("href") or ""
        if not same_url(href, self.feed_url):
            message = f"the self link is {href!r}, but the feed is at {self.feed_url!r}"
            self.add("self-link", message, links[0])

    def _rfc822(self, element: Any) -> None:
        if element is not None:
            problem = rfc822_problem(_text(element))
            if problem:
                self.add("rfc822-date", problem, element)

    def _rfc3339(self, element: Any) -> None:
        if element is not None:
            problem = rfc3339_problem(_text(element))
            if problem:
                self.add("rfc3339-date", problem, element)

    def _media(self, parent: Any) -> None:
        for tag in (f"{{{MEDIA}}}content", f"{{{MEDIA}}}thumbnail"):
            for media in parent.iter(tag):
                if media.get("url") is not None:
                    self._url(media, media.get("url"), "url")

    # -- RSS 2.0 ------------------------------------------------------------------------

    def _rss(self, root: Any) -> None:
        if root.tag != "rss" or root.get("version") != "2.0":
            found = f"<{_name(root.tag)} version={root.get('version')!r}>"
            self.add("root", f"the root must be <rss version='2.0'>, not {found}", root)
            return
        channels = root.findall("channel")
        if len(channels) != 1:
            self.add("root", f"<rss> must hold exactly one <channel>, not {len(channels)}", root)
            if not channels:
                return
        channel = channels[0]
        self._once(channel, "title", required=True)
        link = self._once(channel, "link", required=True)
        if link is not None:
            self._url(link, _text(link), "the channel link")
        self._once(channel, "description", required=True)
        for tag in ("language", "copyright", "docs", "generator", "ttl", "image"):
            self._once(channel, tag, required=False)
        for tag in ("pubDate", "lastBuildDate"):
            self._rfc822(self._once(channel, tag, required=False))
        docs = channel.find("docs")
        if docs is not None:
            self._url(docs, _text(docs), "docs")
        image = channel.find("image")
        if image is not None:
            for tag in ("url", "title", "link"):
                self._once(image, tag, required=True)
            for tag in ("url", "link"):
                found = image.find(tag)
                if found is not None:
                    self._url(found, _text(found), f"image {tag}")
        self._self_link(channel, f"{{{ATOM}}}link")
        for atom_link in channel.findall(f"{{{ATOM}}}link"):
            self._url(atom_link, atom_link.get("href"), "atom:link href")
        seen: dict[str, Any] = {}
        for item in channel.findall("item"):
            self._rss_item(item, seen)

    def _rss_item(self, item: Any, seen: dict[str, Any]) -> None:
        title = self._once(item, "title", required=False)
        description = self._once(item, "description", required=False)
        if title is None and description is None:
            self.add("missing-element", "an <item> needs a <title> or a <description>", item)
        for tag in ("link", "comments"):
            found = self._once(item, tag, required=False)
            if found is not None:
                self._url(found, _text(found), tag)
        self._rfc822(self._once(item, "pubDate", required=False))
        guid = self._once(item, "guid", required=False)
        if guid is not None:
            self._guid(guid, seen)
        source = self._once(item, "source", required=False)
        if source is not None:
            self._url(source, source.get("url"), "source url")
        for enclosure in item.findall("enclosure"):
            self._rss_enclosure(enclosure)
        if description is not None:
            self._html(description, _text(description))
        encoded = self._once(item, f"{{{RSS_CONTENT}}}encoded", required=False)
        if encoded is not None:
            self._html(encoded, _text(encoded))
        self._media(item)

    def _guid(self, guid: Any, seen: dict[str, Any]) -> None:
        value = _text(guid).strip()
        if not value:
            self.add("missing-element", "<guid> must not be blank", guid)
            return
        permalink = guid.get("isPermaLink", "true")
        if permalink not in ("true", "false"):
            self.add(
                "guid-permalink", f"isPermaLink must be 'true' or 'false', not {permalink!r}", guid
            )
        elif permalink == "true":
            problem = http_url_problem(value)
            if problem:
                message = (
                    f"a permalink guid (isPermaLink missing or 'true') must be a URL: {problem}"
                )
                self.add("guid-permalink", message, guid)
        if value in seen:
            message = f"guid {value!r} is also used at {_where(seen[value])}"
            self.add("duplicate-id", message, guid)
        else:
            seen[value] = guid

    def _rss_enclosure(self, enclosure: Any) -> None:
        url, kind, length = (enclosure.get(name) for name in ("url", "type", "length"))
        for name, value in (("url", url), ("type", kind), ("length", length)):
            if value is None:
                self.add("enclosure", f"<enclosure> has no {name} attribute", enclosure)
        if url is not None:
            problem = http_url_problem(url)
            if problem:
                self.add("enclosure", f"enclosure url {problem}", enclosure)
        if kind is not None and not _MIME.fullmatch(kind.strip()):
            self.add("enclosure", f"enclosure type {kind!r} is not a MIME type", enclosure)
        if length is not None and not (length.isascii() and length.strip().isdigit()):
            self.add("enclosure", f"enclosure length {length!r} is not a byte count", enclosure)

    # -- Atom 1.0 -----------------------------------------------------------------------

    def _atom(self, root: Any) -> None:
        if root.tag != f"{{{ATOM}}}feed":
            self.add("root", f"the root must be Atom's <feed>, not <{_name(root.tag)}>", root)
            return
        a = f"{{{ATOM}}}"
        feed_id = self._once(root, f"{a}id", required=True)
        if feed_id is not None:
            self._id(feed_id)
        self._once(root, f"{a}title", required=True, blank_ok=True)
        self._rfc3339(self._once(root, f"{a}updated", required=True))
        for tag in ("subtitle", "rights", "icon", "logo", "generator"):
            self._once(root, f"{a}{tag}", required=False)
        self._self_link(root, f"{a}link")
        self._atom_links(root)
        self._atom_text(root)
        feed_has_author = self._authors(root)
        seen: dict[str, Any] = {}
        for entry in root.findall(f"{a}entry"):
            self._atom_entry(entry, seen, feed_has_author)

    def _id(self, element: Any) -> None:
        problem = id_problem(_text(element))
        if problem:
            self.add("absolute-url", f"id {problem}", element)

    def _authors(self, parent: Any) -> bool:
        authors = parent.findall(f"{{{ATOM}}}author")
        for author in authors:
            self._once(author, f"{{{ATOM}}}name", required=True)
            uri = author.find(f"{{{ATOM}}}uri")
            if uri is not None:
                self._url(uri, _text(uri), "author uri")
        return bool(authors)

    def _atom_links(self, parent: Any) -> None:
        alternates: dict[tuple[str, str], Any] = {}
        for link in parent.findall(f"{{{ATOM}}}link"):
            rel = link.get("rel", "alternate")
            href = link.get("href")
            if href is None:
                self.add("missing-element", "<link> has no href", link)
                continue
            if rel == "enclosure":
                self._atom_enclosure(link)
            else:
                self._url(link, href, f"link rel={rel!r} href")
            if rel == "alternate":
                key = (link.get("type", ""), link.get("hreflang", ""))
                if key in alternates:
                    message = "two alternate links with the same type and hreflang"
                    self.add("duplicate-element", message, link)
                alternates[key] = link
        if not alternates:
            self.add(
                "missing-element", "no <link rel='alternate'> (the page it stands for)", parent
            )

    def _atom_enclosure(self, link: Any) -> None:
        problem = http_url_problem(link.get("href") or "")
        if problem:
            self.add("enclosure", f"enclosure href {problem}", link)
        kind = link.get("type")
        if kind is None or not _MIME.fullmatch(kind.strip()):
            self.add("enclosure", f"enclosure type {kind!r} is not a MIME type", link)
        length = link.get("length")
        if length is not None and not (length.isascii() and length.isdigit()):
            self.add("enclosure", f"enclosure length {length!r} is not a byte count", link)

    def _atom_text(self, parent: Any) -> None:
        """Escaped HTML and XHTML in the text constructs and content of ``parent``."""
        for tag in ("title", "subtitle", "summary", "rights", "content"):
            for element in parent.findall(f"{{{ATOM}}}{tag}"):
                kind = element.get("type", "text")
                if tag == "content" and element.get("src") is not None:
                    self._url(element, element.get("src"), "content src")
                if kind == "html":
                    self._html(element, _text(element))
                elif kind == "xhtml":
                    markup = "".join(
                        etree.tostring(child, encoding="unicode", with_tail=True)
                        for child in element
                    )
                    self._html(element, markup)

    def _atom_entry(self, entry: Any, seen: dict[str, Any], feed_has_author: bool) -> None:
        a = f"{{{ATOM}}}"
        entry_id = self._once(entry, f"{a}id", required=True)
        if entry_id is not None:
            self._id(entry_id)
            value = _text(entry_id).strip()
            if value in seen:
                message = f"id {value!r} is also used at {_where(seen[value])}"
                self.add("duplicate-id", message, entry_id)
            elif value:
                seen[value] = entry_id
        self._once(entry, f"{a}title", required=True, blank_ok=True)
        self._rfc3339(self._once(entry, f"{a}updated", required=True))
        self._rfc3339(self._once(entry, f"{a}published", required=False))
        for tag in ("content", "summary", "rights", "source"):
            self._once(entry, f"{a}{tag}", required=False)
        has_author = self._authors(entry)
        source = entry.find(f"{a}source")
        if source is not None and source.find(f"{a}author") is not None:
            has_author = True
        if not (feed_has_author or has_author):
            message = "no <author> here and none on the feed; Atom needs one or the other"
            self.add("atom-author", message, entry)
        self._atom_links(entry)
        self._atom_text(entry)
        self._media(entry)


_MIME = re.compile(r"[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*(\s*;.*)?", re.ASCII)


def _text(element: Any) -> str:
    return "".join(element.itertext()) if element is not None else ""


def _name(tag: str, atom_default: bool = False) -> str:
    """``tag`` as a reader would write it: ``content:encoded``, ``atom:link``, ``entry``."""
    if not tag.startswith("{"):
        return tag
    namespace, _, local = tag[1:].partition("}")
    if namespace == ATOM and atom_default:
        return local
    prefix = _PREFIX_OF.get(namespace)
    return f"{prefix}:{local}" if prefix else tag


def _where(element: Any) -> str:
    """``line N /rss/channel/item[3]/pubDate``: the element's line and path."""
    atom_default = element.getroottree().getroot().tag == f"{{{ATOM}}}feed"
    steps = []
    node = element
    while node is not None:
        parent = node.getparent()
        name = _name(node.tag, atom_default)
        if parent is not None:
            same = [sibling for sibling in parent if sibling.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return f"line {element.sourceline} /{'/'.join(reversed(steps))}"


# ---------------------------------------------------------------------------------------
# JSON Feed 1.1


class _JsonLint:
    def __init__(self, feed_url: str) -> None:
        self.feed_url = feed_url
        self.problems: list[Problem] = []

    def add(self, rule: str, message: str, where: str) -> None:
        self.problems.append(Problem(rule, message, where))

    def run(self, data: bytes) -> list[Problem]:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.add("encoding", f"JSON Feed must be UTF-8: {exc.reason}", f"byte {exc.start}")
            return self.problems
        if text.startswith("\ufeff"):
            self.add("encoding", "a JSON Feed must not start with a byte order mark", "byte 0")
            text = text[1:]
        try:
            feed = json.loads(text)
        except json.JSONDecodeError as exc:
            self.add(
                "well-formed", f"not JSON: {exc.msg}", f"line {exc.lineno}, column {exc.colno}"
            )
            return self.problems
        if not isinstance(feed, dict):
            self.add("root", "a JSON Feed is a JSON object", "$")
            return self.problems
        for path, value in _strings(feed, "$"):
            for match in _NOT_XML_CHAR.finditer(value):
                message = f"U+{ord(match.group()):04X} cannot be carried to XML or HTML readers"
                self.add("xml-char", message, path)
        self._feed(feed)
        return self.problems

    def _string(self, obj: dict[str, Any], key: str, path: str, *, required: bool) -> str | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.add("missing-element", f"{key!r} is required", path)
            return None
        if not isinstance(value, str):
            self.add("json-type", f"{key!r} must be a string, not {type(value).__name__}", path)
            return None
        return value

    def _json_url(self, obj: dict[str, Any], key: str, path: str) -> None:
        value = self._string(obj, key, path, required=False)
        if value is not None:
            problem = http_url_problem(value)
            if problem:
                self.add("absolute-url", f"{key} {problem}", f"{path}.{key}")

    def _date(self, obj: dict[str, Any], key: str, path: str) -> None:
        value = self._string(obj, key, path, required=False)
        if value is not None:
            problem = rfc3339_problem(value, upper_case=False)
            if problem:
                self.add("rfc3339-date", problem, f"{path}.{key}")

    def _feed(self, feed: dict[str, Any]) -> None:
        version = self._string(feed, "version", "$", required=True)
        if version is not None and version not in _JSON_VERSIONS:
            self.add(
                "json-version", f"version {version!r} is not {_JSON_VERSIONS[0]!r}", "$.version"
            )
        title = self._string(feed, "title", "$", required=True)
        if title is not None and not title.strip():
            self.add("missing-element", "'title' must not be blank", "$.title")
        for key in ("home_page_url", "icon", "favicon", "next_url"):
            self._json_url(feed, key, "$")
        feed_url = self._string(feed, "feed_url", "$", required=False)
        if feed_url is None:
            self.add("self-link", f"no 'feed_url' naming the feed's own URL {self.feed_url}", "$")
        elif not same_url(feed_url, self.feed_url):
            message = f"feed_url is {feed_url!r}, but the feed is at {self.feed_url!r}"
            self.add("self-link", message, "$.feed_url")
        self._authors(feed, "$")
        hubs = feed.get("hubs")
        if hubs is not None:
            if not isinstance(hubs, list):
                self.add("json-type", "'hubs' must be an array", "$.hubs")
            else:
                for index, hub in enumerate(hubs):
                    path = f"$.hubs[{index}]"
                    if not isinstance(hub, dict):
                        self.add("json-type", "a hub must be an object", path)
                        continue
                    self._string(hub, "type", path, required=True)
                    if self._string(hub, "url", path, required=True) is not None:
                        self._json_url(hub, "url", path)
        items = feed.get("items")
        if items is None:
            self.add("missing-element", "'items' is required", "$")
            return
        if not isinstance(items, list):
            self.add("json-type", "'items' must be an array", "$.items")
            return
        seen: dict[str, str] = {}
        for index, item in enumerate(items):
            path = f"$.items[{index}]"
            if not isinstance(item, dict):
                self.add("json-type", "an item must be an object", path)
                continue
            self._item(item, path, seen)

    def _authors(self, obj: dict[str, Any], path: str) -> None:
        for key in ("author", "authors"):
            value = obj.get(key)
            if value is None:
                continue
            people = [value] if key == "author" else value
            if not isinstance(people, list):
                self.add("json-type", f"{key!r} must be an array", f"{path}.{key}")
                continue
            for index, person in enumerate(people):
                where = f"{path}.{key}" + ("" if key == "author" else f"[{index}]")
                if not isinstance(person, dict):
                    self.add("json-type", "an author must be an object", where)
                    continue
                self._string(person, "name", where, required=False)
                for url_key in ("url", "avatar"):
                    self._json_url(person, url_key, where)

    def _item(self, item: dict[str, Any], path: str, seen: dict[str, str]) -> None:
        raw_id = item.get("id")
        if raw_id is None:
            self.add("missing-element", "'id' is required", path)
        elif not isinstance(raw_id, str):
            self.add("json-type", f"'id' must be a string, not {type(raw_id).__name__}", path)
        elif not raw_id.strip():
            self.add("missing-element", "'id' must not be blank", f"{path}.id")
        elif raw_id in seen:
            self.add("duplicate-id", f"id {raw_id!r} is also used at {seen[raw_id]}", f"{path}.id")
        else:
            seen[raw_id] = path
        for key in ("url", "external_url", "image", "banner_image"):
            self._json_url(item, key, path)
        for key in ("title", "summary", "language"):
            self._string(item, key, path, required=False)
        html = self._string(item, "content_html", path, required=False)
        text = self._string(item, "content_text", path, required=False)
        if html is None and text is None:
            self.add("missing-element", "an item needs 'content_html' or 'content_text'", path)
        if html is not None:
            for problem in html_problems(html):
                self.add(
                    "unsafe-html", f"content_html contains a {problem}", f"{path}.content_html"
                )
        for key in ("date_published", "date_modified"):
            self._date(item, key, path)
        tags = item.get("tags")
        if tags is not None and not (
            isinstance(tags, list) and all(isinstance(t, str) for t in tags)
        ):
            self.add("json-type", "'tags' must be an array of strings", f"{path}.tags")
        self._authors(item, path)
        attachments = item.get("attachments")
        if attachments is None:
            return
        if not isinstance(attachments, list):
            self.add("json-type", "'attachments' must be an array", f"{path}.attachments")
            return
        for index, attachment in enumerate(attachments):
            where = f"{path}.attachments[{index}]"
            if not isinstance(attachment, dict):
                self.add("json-type", "an attachment must be an object", where)
                continue
            self._attachment(attachment, where)

    def _attachment(self, attachment: dict[str, Any], where: str) -> None:
        url = attachment.get("url")
        if not isinstance(url, str):
            self.add("enclosure", "an attachment needs a 'url' string", where)
        else:
            problem = http_url_problem(url)
            if problem:
                self.add("enclosure", f"attachment url {problem}", f"{where}.url")
        kind = attachment.get("mime_type")
        if not isinstance(kind, str) or not _MIME.fullmatch(kind.strip()):
            self.add("enclosure", f"attachment mime_type {kind!r} is not a MIME type", where)
        size = attachment.get("size_in_bytes")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            self.add("enclosure", f"size_in_bytes {size!r} is not a byte count", where)
        duration = attachment.get("duration_in_seconds")
        if duration is not None and (
            isinstance(duration, bool) or not isinstance(duration, int | float) or duration < 0
        ):
            self.add("json-type", "'duration_in_seconds' must be a number", where)


def _strings(value: Any, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _strings(str(key), f"{path} (key)")
            yield from _strings(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _strings(child, f"{path}[{index}]")
