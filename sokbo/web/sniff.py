"""What a body's first bytes say it is (WHATWG MIME Sniffing), whatever its Content-Type says."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sokbo.web.encoding import normalise_encoding

# https://mimesniff.spec.whatwg.org/ -- the "rules for identifying an unknown MIME type"
# (with the sniff-scriptable flag set), written out. Browsers never sniff a text/html
# response; a crawler has to, since images, PDFs and archives served as text/html (a CMS's
# download link, a misconfigured CDN) would otherwise be decoded and published as text.

# The spec reads at most this much of a resource ("resource header").
HEADER_SIZE = 1445


@dataclass(frozen=True)
class Sniffed:
    """What the first bytes look like: a MIME type and a name for people."""

    mime: str  # "text/html", "image/jpeg", "application/octet-stream", ...
    name: str  # "HTML", "JPEG image", "binary data", ...

    @property
    def is_text(self) -> bool:
        """HTML, XML or plain text: something that may be a web page."""
        return self.mime in (_HTML.mime, _XML.mime, _PLAIN.mime)


_HTML = Sniffed("text/html", "HTML")
_XML = Sniffed("text/xml", "XML")
_PLAIN = Sniffed("text/plain", "text")
_BINARY = Sniffed("application/octet-stream", "binary data")

# Leading whitespace as the spec skips it: TAB, LF, FF, CR, SP.
_WHITESPACE = b"\t\n\x0c\r "
# The HTML patterns: a tag name, any case, then a tag-terminating byte (SP or ">").
_HTML_START = re.compile(
    rb"(?:<!DOCTYPE HTML|<HTML|<HEAD|<SCRIPT|<IFRAME|<H1|<DIV|<FONT|<TABLE|<A|<STYLE"
    rb"|<TITLE|<B|<BODY|<BR|<P|<!--)[ >]",
    re.IGNORECASE,
)
_BOMS = (b"\xfe\xff", b"\xff\xfe", b"\xef\xbb\xbf")
# The spec's binary data bytes: the C0 controls but TAB, LF, FF, CR and ESC (which
# ISO-2022 text uses).
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def _signature(pattern: bytes, mime: str, name: str) -> tuple[re.Pattern[bytes], Sniffed]:
    return re.compile(pattern, re.DOTALL), Sniffed(mime, name)


# The image, then the audio and video signatures, in the spec's order ("." is its masked
# "any byte", here the size field of a RIFF or IFF chunk).
_SIGNATURES = (
    _signature(rb"\x00\x00\x01\x00", "image/x-icon", "Windows icon"),
    _signature(rb"\x00\x00\x02\x00", "image/x-icon", "Windows cursor"),
    _signature(rb"BM", "image/bmp", "BMP image"),
    _signature(rb"GIF8[79]a", "image/gif", "GIF image"),
    _signature(rb"RIFF.{4}WEBPVP", "image/webp", "WebP image"),
    _signature(rb"\x89PNG\r\n\x1a\n", "image/png", "PNG image"),
    _signature(rb"\xff\xd8\xff", "image/jpeg", "JPEG image"),
    _signature(rb"FORM.{4}AIFF", "audio/aiff", "AIFF audio"),
    _signature(rb"ID3", "audio/mpeg", "MP3 audio"),
    _signature(rb"OggS\x00", "application/ogg", "Ogg media"),
    _signature(rb"MThd\x00\x00\x00\x06", "audio/midi", "MIDI audio"),
    _signature(rb"RIFF.{4}AVI ", "video/avi", "AVI video"),
    _signature(rb"RIFF.{4}WAVE", "audio/wave", "WAVE audio"),
)
_MP4 = Sniffed("video/mp4", "MP4 video")
_WEBM = Sniffed("video/webm", "WebM video")
_ARCHIVES = (
    _signature(rb"\x1f\x8b\x08", "application/x-gzip", "gzip archive"),
    _signature(rb"PK\x03\x04", "application/zip", "ZIP archive"),
    # The spec has "Rar " (0x20), a known erratum: RAR files start "Rar!" (versions 1.5 to 5).
    _signature(rb"Rar!\x1a\x07", "application/x-rar-compressed", "RAR archive"),
)
# Two signatures are short printable text that a plain-text page may well start with
# ("BMW ...", "ID3 ..."). Real BMP and ID3 headers carry binary bytes right after them
# (reserved zeros, version and size fields), so a match counts only with such bytes: a
# page refused by mistake would be an article lost.
_TEXT_LIKE = frozenset({"image/bmp", "audio/mpeg"})


def sniff(head: bytes) -> Sniffed:
    """What the bytes are, from at most their first HEADER_SIZE bytes (the spec's rules for
    identifying an unknown MIME type), text or not."""
    head = head[:HEADER_SIZE]
    start = head.lstrip(_WHITESPACE)
    if _HTML_START.match(start):
        return _HTML
    if start.startswith(b"<?xml"):
        return _XML
    if head.startswith(b"%PDF-"):
        return Sniffed("application/pdf", "PDF document")
    if head.startswith(b"%!PS-Adobe-"):
        return Sniffed("application/postscript", "PostScript document")
    if head.startswith(_BOMS):
        return _PLAIN
    binary = _BINARY_BYTES.search(head) is not None
    for signature, found in _SIGNATURES:
        if signature.match(head) and (binary or found.mime not in _TEXT_LIKE):
            return found
    if _is_mp4(head):
        return _MP4
    if _is_webm(head):
        return _WEBM
    for signature, found in _ARCHIVES:
        if signature.match(head):
            return found
    return _BINARY if binary else _PLAIN


def not_a_page(body: bytes, charset: str | None = None) -> Sniffed | None:
    """What the body is when it cannot be a web page (an image, a PDF, binary data); None
    when it may be one. `charset` is the declared one: UTF-16 and UTF-32 text has NUL
    bytes even without a BOM, so under such a declaration only signatures count."""
    found = sniff(body)
    if found.is_text:
        return None
    codec = normalise_encoding(charset) if charset else None
    if found is _BINARY and codec is not None and codec.startswith(("utf-16", "utf-32")):
        return None
    return found


def _is_mp4(head: bytes) -> bool:
    """The spec's "matches the signature for MP4": an ftyp box naming an mp4 brand."""
    if len(head) < 12:
        return False
    box_size = int.from_bytes(head[:4], "big")
    if len(head) < box_size or box_size % 4 != 0 or head[4:8] != b"ftyp":
        return False
    if head[8:11] == b"mp4":  # the major brand
        return True
    # The compatible brands, after the minor version.
    return any(head[at : at + 3] == b"mp4" for at in range(16, box_size, 4))


def _is_webm(head: bytes) -> bool:
    """The spec's "matches the signature for WebM": an EBML header whose DocType is webm."""
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return False
    at = 4
    while at < len(head) - 1 and at < 38:
        if head[at : at + 2] == b"\x42\x82":  # the DocType element
            at += 2
            if at >= len(head):
                return False
            at += _vint_size(head[at])
            if at >= len(head) - 4:
                return False
            # The value may be preceded by zero padding.
            if head[at:].lstrip(b"\x00").startswith(b"webm"):
                return True
        at += 1
    return False


def _vint_size(first: int) -> int:
    """The length of an EBML variable-size integer, from its first byte's leading zeros."""
    size, mask = 1, 0x80
    while size < 8 and not first & mask:
        size, mask = size + 1, mask >> 1
    return size
