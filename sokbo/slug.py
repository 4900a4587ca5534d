"""Post slugs: readable (Hangul kept), safe on every file system, bounded in bytes."""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_SLUG_BYTES = 120
_DASHES = re.compile(r"-{2,}")
# Names Windows refuses whatever the extension (a blog may be checked out there).
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(10)}


def _keep(char: str) -> bool:
    # Letters, marks and decimal digits: what Jekyll's slugify keeps ([[:alnum:]] in
    # Ruby), so the URL Jekyll builds from the file name is the one the feeds link to.
    # ①, Ⅱ and ² are numbers but not decimal digits, and Jekyll turns them into dashes.
    category = unicodedata.category(char)
    return char == "-" or category[0] in ("L", "M") or category == "Nd"


def _truncate(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")[:limit]
    return encoded.decode("utf-8", errors="ignore").strip("-")


def url_hash(url: str, length: int = 8) -> str:
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:length]


def slugify(title: str, url: str) -> str:
    """Title -> slug of letters, digits and single dashes; falls back to the URL's hash.

    Only letters and digits pass, so `/`, `\\`, `.`, control and format characters can
    never reach a file name, whatever the title holds.
    """
    text = unicodedata.normalize("NFC", title).lower()
    slug = "".join(char if _keep(char) else "-" for char in text)
    slug = _truncate(_DASHES.sub("-", slug).strip("-"), MAX_SLUG_BYTES)
    if not slug or slug in _RESERVED:
        slug = f"post-{url_hash(url)}" if not slug else f"{slug}-{url_hash(url)}"
    return slug


def disambiguate(slug: str, url: str) -> str:
    """The slug for a second article that would take an existing one's name.

    The suffix comes from the article's own URL, so the same article always gets the
    same name, whichever order the articles arrive in after the first.
    """
    suffix = url_hash(url)
    return f"{_truncate(slug, MAX_SLUG_BYTES - len(suffix) - 1)}-{suffix}"
