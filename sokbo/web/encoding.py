"""Bytes -> text for pages and feeds whose declared charset may be missing, misplaced or wrong."""

from __future__ import annotations

import codecs
import itertools
import re
import threading
from dataclasses import dataclass, replace
from functools import lru_cache

# Korean sites still serve EUC-KR/CP949, often with a missing or wrong declaration, and
# Scrapy's `response.text` trusts the HTTP header (a CP949 page served as UTF-8 comes out
# full of U+FFFD). The rules below pick, in order, the first candidate that decodes the
# bytes *strictly* (but for a character cut off at the very end): a strict decode of a
# non-trivial page in the wrong multi-byte charset fails almost at once, so a lying
# declaration is caught instead of giving silent mojibake.


# A page is "mostly undecodable", and so no article, when more than 1 % of what it holds
# could not be read, counting at least _UNREADABLE_FLOOR such places. Markup is ASCII and
# most of a Korean news page, so 1 % of the page is some 5-20 % of its text: no longer
# readable. Real pages in the right encoding lose a handful (a title cut in two by
# substr(), repeated in <title>, og:title and <h1>; a stray byte in an ad snippet), which
# the floor lets through however short the page; a page in the wrong encoding, or with a
# body mangled in transit, loses hundreds.
_UNREADABLE_PERCENT = 1
_UNREADABLE_FLOOR = 32


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # Python codec actually used, normalised ("utf-8", "cp949", ...)
    source: str  # "override", "bom", "header", "meta", "xml-declaration" or "detected"
    # Byte sequences no character could be read from: left out of the text, never turned
    # into U+FFFD (a U+FFFD in the text was in the source). 0 after a strict decode.
    undecodable: int
    # Bytes of a character the body ends inside (a truncated response, a CMS's byte limit),
    # left out: the end of the transfer is at fault, not the page's encoding.
    cut_at_end: int = 0

    @property
    def mostly_undecodable(self) -> bool:
        """Too much of the body could not be read for it to be the page it claims to be."""
        readable = len(self.text) + self.undecodable
        return self.undecodable > max(_UNREADABLE_FLOOR, readable * _UNREADABLE_PERCENT / 100)


# Declarations are looked for in the first 64 KB, not the first 1 KB (the HTML spec's
# prescan) or 4 KB (w3lib, under Scrapy): old Korean CMS templates put kilobytes of inline
# script and style before their <meta charset>. pos/endpos avoid copying the body.
_SCAN_LIMIT = 64 * 1024

# BOMs win over everything but an override (as in browsers): a BOM is never accidental.
# UTF-8's is checked first; UTF-16's two orders cannot be confused with it.
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))

# Both forms of the HTML declaration: <meta charset=x> and
# <meta http-equiv="Content-Type" content="text/html; charset=x">. The attribute run is
# bounded so a hostile page full of unclosed "<meta" cannot make the search quadratic.
_META_CHARSET = re.compile(
    rb"<meta\b[^>]{0,1024}?\bcharset\s*=\s*[\"']?\s*([A-Za-z0-9._:+-]{1,40})", re.IGNORECASE
)
# The XML declaration is only valid at the very start (after an optional BOM).
_XML_DECLARATION = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*<\?xml\b[^>]{0,256}?\bencoding\s*=\s*[\"']\s*([A-Za-z0-9._:+-]{1,40})"
)
_XML_ENCODING_TEXT = re.compile(r"\A(<\?xml\b[^>]{0,256}?\bencoding\s*=\s*)([\"'])[^\"'<>]*\2")
_CONTENT_TYPE_CHARSET = re.compile(r";\s*charset\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s;,]+)", re.I)
_LABEL = re.compile(r"[A-Za-z0-9._:+ -]{1,40}")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")

_CP949 = "cp949"
_WESTERN = "cp1252"
_ASCII = bytes(range(128))
_DAMAGE_RATIO = 20  # up to 1 error per 20 non-ASCII bytes is "corrupted", not "wrong"

# Charset labels (compared lower-case with punctuation removed) whose Python codec is
# wrong for real-world content. Browsers (the WHATWG Encoding Standard) decode each of
# these with a superset, and pages are written for browsers: an "EUC-KR" page carries
# CP949-only syllables such as 똠, 햏 and 뷁 because every Korean browser shows them.
_ALIASES: dict[str, str] = {
    **dict.fromkeys(
        (
            "euckr",
            "xeuckr",
            "cseuckr",
            "korean",
            "ksc5601",
            "ksc56011987",
            "ksc56011989",
            "csksc56011987",
            "isoir149",
            "ksx1001",
            "cp949",
            "ms949",
            "uhc",
            "xuhc",
            "windows949",
            "xwindows949",
        ),
        _CP949,
    ),
    # Latin-1 and ASCII labels mean windows-1252 on the web (curly quotes in 0x80-0x9F).
    **dict.fromkeys(
        (
            "iso88591",
            "latin1",
            "l1",
            "cp819",
            "ibm819",
            "isoir100",
            "csisolatin1",
            "iso885911987",
            "usascii",
            "ascii",
            "ansix341968",
            "iso646us",
            "windows1252",
            "xcp1252",
            "cp1252",
        ),
        _WESTERN,
    ),
    **dict.fromkeys(("utf8", "unicode11utf8", "unicode20utf8", "xunicode20utf8"), "utf-8"),
    # A bare "utf-16" label means little-endian on the web (no BOM to say otherwise).
    **dict.fromkeys(("utf16", "utf16le", "unicode"), "utf-16-le"),
    **dict.fromkeys(("gb2312", "gbk", "xgbk", "csgb2312", "chinese", "euccn"), "gb18030"),
    **dict.fromkeys(("shiftjis", "sjis", "xsjis", "mskanji", "csshiftjis", "windows31j"), "cp932"),
    "big5": "big5hkscs",
    "iso88599": "cp1254",
    "latin5": "cp1254",
    "tis620": "cp874",
    "iso885911": "cp874",
}

# Text codecs Python knows but a page must never select: UTF-7 is a classic XSS vector
# (browsers dropped it), the escape codecs interpret backslashes, and the rest are not
# document encodings at all.
_REFUSED = frozenset(
    {"utf-7", "unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined", "charmap"}
)


@lru_cache(maxsize=256)
def normalise_encoding(label: str) -> str | None:
    """A charset label -> the Python codec to decode it with; None if unknown or refused."""
    label = label.strip().strip("\"'").strip()
    if not _LABEL.fullmatch(label):
        return None
    key = _NOT_ALNUM.sub("", label.lower())
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    if info.name in _REFUSED or not getattr(info, "_is_text_encoding", True):
        return None  # e.g. "base64", "rot13": bytes-to-bytes codecs
    return _ALIASES.get(_NOT_ALNUM.sub("", info.name), info.name)


def charset_from_content_type(value: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, unquoted; None if absent."""
    if not value:
        return None
    match = _CONTENT_TYPE_CHARSET.search(value)
    if match is None:
        return None
    charset = match.group(1).strip("\"'").strip()
    return charset or None


# Undecodable bytes are dropped, not replaced: a U+FFFD that reaches a post or a feed
# makes readers (and feed validators) think the whole document is broken. Two error
# handlers drop and count (per thread, so concurrent decodes keep their own counts):
# "cut" is strict but for a character cut at the very end, which it drops (used while
# choosing an encoding); "drop" drops everything it cannot read.
_seen = threading.local()
# What Python's decoders say about a body that ends inside a character.
_INCOMPLETE = frozenset(
    {"unexpected end of data", "truncated data", "incomplete multibyte sequence"}
)
# Bytes to complete a cut character with (a trail byte of every CJK codec is among them).
_COMPLETIONS = tuple(
    bytes(more)
    for size in (1, 2, 3)
    for more in itertools.product(b"\x30\x41\x81\xa1", repeat=size)
)


def _cut_at_end(exc: UnicodeDecodeError) -> bool:
    if exc.end != len(exc.object) or exc.reason not in _INCOMPLETE:
        return False
    if exc.encoding.startswith("utf"):
        return True
    # The CJK decoders call any leftover last byte "incomplete", even one that starts no
    # character (0xFF in CP949): only a real beginning of a character counts as cut.
    tail = bytes(exc.object[exc.start :])
    for more in _COMPLETIONS:
        try:
            (tail + more).decode(exc.encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _drop_cut(exc: UnicodeError) -> tuple[str, int]:
    if isinstance(exc, UnicodeDecodeError) and _cut_at_end(exc):
        _seen.cut = exc.end - exc.start
        return "", exc.end
    raise exc


def _drop_counting(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    if _cut_at_end(exc):
        _seen.cut = exc.end - exc.start
    else:
        _seen.undecodable += 1
    return "", exc.end


_CUT = "sokbo.web.encoding.cut"
_DROP = "sokbo.web.encoding.drop"
codecs.register_error(_CUT, _drop_cut)
codecs.register_error(_DROP, _drop_counting)

# windows-1252 leaves five bytes undefined; browsers map them to the C1 controls of the
# same value, so a Western page never fails to decode (Python's cp1252 would raise).
_WINDOWS_1252 = {
    byte: bytes([byte]).decode(_WESTERN, errors="ignore") or chr(byte) for byte in range(0x80, 0xA0)
}


def _decode(body: bytes, codec: str, errors: str) -> str:
    if codec == _WESTERN:
        try:
            return body.decode(_WESTERN)
        except UnicodeDecodeError:
            return body.decode("latin-1").translate(_WINDOWS_1252)
    return body.decode(codec, errors)


def _decode_as(body: bytes, codec: str, source: str, *, strict: bool) -> Decoded:
    """Decode with `codec`, a cut last character dropped; the rest strictly (raising
    UnicodeDecodeError) or with undecodable bytes dropped and counted."""
    _seen.cut = _seen.undecodable = 0
    text = _decode(body, codec, _CUT if strict else _DROP)
    return Decoded(text, codec, source, int(_seen.undecodable), int(_seen.cut))


def _meta_charsets(body: bytes) -> list[tuple[str, str]]:
    match = _META_CHARSET.search(body, 0, _SCAN_LIMIT)
    return [(match.group(1).decode("ascii"), "meta")] if match else []


def _xml_charsets(body: bytes) -> list[tuple[str, str]]:
    match = _XML_DECLARATION.match(body, 0, _SCAN_LIMIT)
    return [(match.group(1).decode("ascii"), "xml-declaration")] if match else []


def _decode_document(
    body: bytes,
    content_type: str | None,
    override: str | None,
    declarations: list[tuple[str, str]],
) -> Decoded:
    if override is not None:
        # The operator knows better than any declaration: used even when it fails.
        codec = normalise_encoding(override)
        if codec is None:
            raise LookupError(f"unknown encoding override {override!r}")
        decoded = _decode_as(body, codec, "override", strict=False)
        return replace(decoded, text=decoded.text.removeprefix("\ufeff"))

    candidates: list[tuple[str, str, int]] = []  # (codec, source, offset of the text)
    for bom, codec in _BOMS:
        if body.startswith(bom):
            candidates.append((codec, "bom", len(bom)))
            break

    # A Latin-1/ASCII header is usually a server default (Apache's AddDefaultCharset), not
    # the author's word, and windows-1252 decodes any bytes without error; so it is only a
    # last resort, after the document's own declaration and after UTF-8 and CP949 (Western
    # text almost never decodes strictly as CP949: lead bytes >= 0xC7 need a high trail).
    header_codec = normalise_encoding(charset_from_content_type(content_type) or "")
    weak_header = header_codec == _WESTERN
    if header_codec is not None and not weak_header:
        candidates.append((header_codec, "header", 0))

    for label, source in declarations:
        codec = normalise_encoding(label)
        if codec is None:
            continue  # unknown names are skipped, not fatal
        if codec.startswith(("utf-16", "utf-32")):
            # A declaration readable as ASCII cannot be in UTF-16; the HTML spec says utf-8.
            codec = "utf-8"
        candidates.append((codec, source, 0))

    # Undeclared: UTF-8 first (a strict UTF-8 decode of non-ASCII bytes is near proof),
    # then CP949, the legacy encoding of the sites this project reads.
    candidates += [("utf-8", "detected", 0), (_CP949, "detected", 0)]

    unique: list[tuple[str, str, int]] = []
    for candidate in candidates:
        if all(candidate[0] != seen[0] for seen in unique):
            unique.append(candidate)

    cut: Decoded | None = None
    for codec, source, offset in unique:
        try:
            decoded = _decode_as(body[offset:] if offset else body, codec, source, strict=True)
        except UnicodeDecodeError:
            continue  # a declaration that does not fit the bytes is a lie: try the next
        if not decoded.cut_at_end or source != "detected":
            return decoded
        # A guess that only fits by cutting the last character loses to one that fits
        # whole: a lone CP949 Hangul syllable is also the start of a UTF-8 character.
        cut = cut or decoded
    if cut is not None:
        return cut

    # Nothing fits: the fewest undecodable bytes wins; ties go to the earlier (declared) one.
    best: Decoded | None = None
    for codec, source, offset in unique:
        decoded = _decode_as(body[offset:] if offset else body, codec, source, strict=False)
        if best is None or decoded.undecodable < best.undecodable:
            best = decoded
    assert best is not None
    # Under a Latin-1 header, a page whose best reading damages only a few of its non-ASCII
    # bytes is that encoding with some corruption (a PHP substr() cutting a character in
    # two is the classic); one that damages many is Western text, and the header is right.
    if weak_header and best.undecodable * _DAMAGE_RATIO > len(body.translate(None, _ASCII)):
        return Decoded(_decode(body, _WESTERN, "strict"), _WESTERN, "header", 0)
    return best


def decode_html(
    body: bytes, content_type: str | None = None, override: str | None = None
) -> Decoded:
    """Decode an HTML page: override, BOM, header, <meta> (first 64 KB), UTF-8, CP949."""
    # An XHTML page may carry only an XML declaration; the <meta> comes first as in browsers.
    return _decode_document(
        body, content_type, override, _meta_charsets(body) + _xml_charsets(body)
    )


def decode_xml(
    body: bytes, content_type: str | None = None, override: str | None = None
) -> Decoded:
    """Decode a feed or sitemap: override, BOM, header, <?xml encoding?>, <meta>, UTF-8, CP949."""
    return _decode_document(
        body, content_type, override, _xml_charsets(body) + _meta_charsets(body)
    )


def utf8_xml(decoded: Decoded) -> bytes:
    """The text as UTF-8 bytes whose XML declaration (if any) says UTF-8, for feedparser/lxml."""
    text = decoded.text.removeprefix("\ufeff")
    # Blank lines before <?xml (a classic PHP include bug) make lxml refuse the document.
    stripped = text.lstrip()
    if stripped.startswith("<?xml"):
        text = stripped
    text = _XML_ENCODING_TEXT.sub(r"\1\2UTF-8\2", text, count=1)
    return text.encode("utf-8")
