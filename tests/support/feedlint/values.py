"""Characters, dates, URLs, ids, media types and escaped HTML: the checks every format shares."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import lxml.html
from lxml import etree

from tests.support.feedlint.problems import Problem

XLINK = "http://www.w3.org/1999/xlink"
# A MIME type as feeds carry it: type/subtype, parameters allowed.
MIME = re.compile(r"[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*(\s*;.*)?", re.ASCII)

# Outside XML 1.0's Char production (lone surrogates cannot survive strict decoding).
NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
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


def char_problems(text: str) -> Iterator[Problem]:
    for match in NOT_XML_CHAR.finditer(text):
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
