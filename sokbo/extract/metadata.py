"""Article metadata from a parsed page: title, dates, authors, lead image, language, keywords.

Each function tries its evidence in a fixed order and returns the value with where it came
from (`Found.source`), so that a wrong value can be traced to the tag that produced it.
All are pure: no network, no clock (the crawl time is passed in), no settings. The page is
read once with `read_page` and the result passed to each function:

    page = read_page(root)
    headline = title(root, page)
    published, modified = dates(root, page, ZoneInfo("Asia/Seoul"), fetched_at)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import lxml.html

from sokbo.extract import jsonld
from sokbo.extract.bylines import authors
from sokbo.extract.dates import dates
from sokbo.extract.datetext import parse_datetime_text
from sokbo.extract.images import lead_image
from sokbo.extract.pagemeta import Found, PageMeta, meta_source, read_page
from sokbo.extract.text import squash
from sokbo.extract.titles import title

__all__ = [
    "Found",
    "PageMeta",
    "authors",
    "dates",
    "keywords",
    "language",
    "lead_image",
    "parse_datetime_text",
    "read_page",
    "title",
]

# Three-letter codes some CMSs write, mapped to the two-letter tag BCP 47 prefers.
_ISO_639_2 = {
    "kor": "ko", "eng": "en", "jpn": "ja", "zho": "zh", "chi": "zh", "fra": "fr", "fre": "fr",
    "deu": "de", "ger": "de", "spa": "es", "rus": "ru", "vie": "vi",
}  # fmt: skip
_NO_LANGUAGE = ("und", "mul", "zxx", "mis")
_KEYWORD_SPLIT = re.compile(r"[,;，；、]")
_MAX_KEYWORD = 50
_MAX_KEYWORDS = 50


def language(root: lxml.html.HtmlElement, page: PageMeta) -> Found[str] | None:
    """The page's language as a lower-case BCP 47 primary tag; a script subtag is kept.

    Order: `<html lang>`, og:locale, content-language meta, JSON-LD inLanguage.
    "ko_KR" -> "ko", "en-US" -> "en", "zh-Hant-TW" -> "zh-hant".
    """
    candidates = [(page.lang, "html[lang]"), (page.meta.get("og:locale"), "og:locale")]
    for key in ("content-language", "language", "dc.language"):
        candidates.append((page.meta.get(key), meta_source(key)))
    for kind, obj in jsonld.articles(page.jsonld):
        value = obj.get("inLanguage")
        if isinstance(value, dict):
            value = value.get("alternateName") or value.get("name")
        candidates += [(text, f"json-ld:{kind}.inLanguage") for text in jsonld.texts(value)[:1]]
    for raw, source in candidates:
        tag = _language_tag(raw or "")
        if tag:
            return Found(tag, source)
    return None


def _language_tag(value: str) -> str | None:
    first = re.split(r"[,;\s]+", value.strip())[0]
    parts = first.replace("_", "-").lower().split("-")
    primary = _ISO_639_2.get(parts[0], parts[0])
    if not re.fullmatch(r"[a-z]{2,3}", primary) or primary in _NO_LANGUAGE:
        return None
    if len(parts) > 1 and re.fullmatch(r"[a-z]{4}", parts[1]):
        return f"{primary}-{parts[1]}"
    return primary


def keywords(root: lxml.html.HtmlElement, page: PageMeta) -> Found[tuple[str, ...]] | None:
    """The article's tags, split on commas and semicolons, trimmed, de-duplicated.

    Order: every article:tag, JSON-LD keywords, news_keywords, keywords meta.
    """
    tags = [
        element.get("content") or ""
        for element in root.iter("meta")
        if "article:tag" in (element.get("property") or element.get("name") or "").split()
    ]
    candidates: list[tuple[list[str], str]] = [(tags, "article:tag")]
    for kind, obj in jsonld.articles(page.jsonld):
        candidates.append((jsonld.texts(obj.get("keywords")), f"json-ld:{kind}.keywords"))
    for key in ("news_keywords", "keywords"):
        candidates.append(([page.meta.get(key, "")], meta_source(key)))
    for values, source in candidates:
        cleaned = _keyword_list(values)
        if cleaned:
            return Found(cleaned, source)
    return None


def _keyword_list(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        for part in _KEYWORD_SPLIT.split(value):
            word = squash(part).strip("#\"' ")
            if word and len(word) <= _MAX_KEYWORD:
                seen.setdefault(word.casefold(), word)
    return tuple(seen.values())[:_MAX_KEYWORDS]
