"""Pure extraction: a fetched page (plus the feed's hints) becomes an Article."""

from __future__ import annotations

import functools
import re
from datetime import datetime, tzinfo
from urllib.parse import urlsplit, urlunsplit

import lxml.html
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError

from sokbo.extract.presets import Preset
from sokbo.extract.text import html_to_text, squash, summarize
from sokbo.htmltree import drop_element, inner_html
from sokbo.models import Article, Page
from sokbo.urls import http_url

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)
# Tistory and many Korean blogs append the blog's name to <title>.
_TITLE_SUFFIX = re.compile(r"\s+(?:::|\||-|–|—)\s+[^:|]+$")
_NOT_CONTENT = {"noscript", "script", "template", "iframe", "object"}


class ExtractError(ValueError):
    """The page holds no usable article; the message is the reason logged and counted."""


def parse_article(page: Page, preset: Preset, timezone: tzinfo, language: str | None) -> Article:
    """Find title, body, excerpt, image, date and canonical URL of one article page.

    Page metadata (Open Graph, article:*) is preferred to what the feed said, because
    feeds truncate and lag behind edits; the feed fills what the page lacks.
    """
    root = _parse(page.html)
    base = page.final_url
    meta = _meta(root)
    hint = page.hint

    if hint.speculative:
        _require_article_page(root, meta)
    body = _body_html(root, preset)
    if body is None:
        if not hint.content_html:
            raise ExtractError("no article body found")
        body = hint.content_html

    title = squash(meta.get("og:title") or _first_text(root, preset.title) or "")
    title = title or _page_title(root) or squash(hint.title or "")
    if not title:
        raise ExtractError("no title found")

    excerpt = squash(meta.get("og:description") or meta.get("description") or "")
    excerpt = (
        excerpt or summarize(html_to_text(hint.summary or "")) or summarize(html_to_text(body))
    )

    published = (
        _date(meta.get("article:published_time"), timezone)
        or _aware(hint.published, timezone)
        or _date(_first_attr(root, preset.date, "datetime"), timezone)
        or page.fetched_at
    )
    modified = _date(meta.get("article:modified_time"), timezone) or _aware(hint.updated, timezone)

    return Article(
        url=_canonical(root, base),
        source_id=page.source_id,
        title=title,
        excerpt=excerpt,
        body_html=body,
        published=published,
        modified=modified,
        image=_image(meta, root, preset, body, base),
        categories=hint.categories or tuple(filter(None, [meta.get("article:section")])),
        language=language,
        fetched_url=page.url,
        fingerprint=hint.fingerprint(),
    )


def _require_article_page(root: lxml.html.HtmlElement, meta: dict[str, str]) -> None:
    """For a page reached by following links: refuse tag pages, indexes, about pages.

    Only used when the source did not list the page as an article: many Korean news CMSs
    mark real articles `og:type=website`, so feeds and sitemaps are trusted instead.
    """
    og_type = meta.get("og:type", "").lower()
    if og_type and og_type != "article":
        raise ExtractError(f"not an article (og:type {og_type})")
    if not og_type and "article:published_time" not in meta:
        count = len(root.xpath("//article"))
        if count > 1:
            raise ExtractError(f"not an article (a listing of {count} <article> elements)")


def _parse(html: str) -> lxml.html.HtmlElement:
    try:
        return lxml.html.document_fromstring(_XML_DECLARATION.sub("", html, count=1))
    except (ParserError, ValueError) as exc:
        raise ExtractError(f"unparseable HTML: {exc}") from None


def _meta(root: lxml.html.HtmlElement) -> dict[str, str]:
    """`<meta property|name=... content=...>`, first occurrence of each name wins."""
    found: dict[str, str] = {}
    for element in root.iter("meta"):
        key = (element.get("property") or element.get("name") or "").strip().lower()
        content = element.get("content")
        if key and content and key not in found:
            found[key] = content.strip()
    return found


@functools.lru_cache(maxsize=256)
def _compiled(selector: str) -> CSSSelector:
    return CSSSelector(selector)


def _css(root: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
    found = _compiled(selector)(root)
    if not isinstance(found, list):
        return []
    return [el for el in found if isinstance(el, lxml.html.HtmlElement)]


def _select(
    root: lxml.html.HtmlElement, selectors: tuple[str, ...]
) -> lxml.html.HtmlElement | None:
    for selector in selectors:
        matches = _css(root, selector)
        if matches:
            return matches[0]
    return None


def _first_text(root: lxml.html.HtmlElement, selectors: tuple[str, ...]) -> str | None:
    element = _select(root, selectors)
    return element.text_content() if element is not None else None


def _first_attr(root: lxml.html.HtmlElement, selectors: tuple[str, ...], attr: str) -> str | None:
    element = _select(root, selectors)
    return element.get(attr) if element is not None else None


def _body_html(root: lxml.html.HtmlElement, preset: Preset) -> str | None:
    container = _select(root, preset.body)
    if container is None:
        return None
    for selector in preset.drop:
        for element in _css(container, selector):
            if element is not container and element.getparent() is not None:
                drop_element(element)
    html = inner_html(container)
    return html if html.strip() else None


def _page_title(root: lxml.html.HtmlElement) -> str:
    titles = root.xpath("//head/title")
    if not titles:
        return ""
    return _TITLE_SUFFIX.sub("", squash(titles[0].text_content()))


def _date(value: str | None, timezone: tzinfo) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return _aware(parsed, timezone)


def _aware(value: datetime | None, timezone: tzinfo) -> datetime | None:
    """A date without an offset is in the source's declared time zone."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone)


def _image(
    meta: dict[str, str], root: lxml.html.HtmlElement, preset: Preset, body: str, base: str
) -> str | None:
    candidates = [
        meta.get("og:image"),
        meta.get("twitter:image"),
        _first_attr(root, preset.image, "src"),
    ]
    for candidate in candidates:
        url = http_url(candidate, base)
        if url:
            return url
    if "<img" not in body:
        return None
    fragment = lxml.html.fragment_fromstring(body, create_parent="div")
    for img in fragment.iter("img"):
        # Tracking pixels hide in <noscript> or come sized 1x1; neither is a lead image.
        if any(a.tag in _NOT_CONTENT for a in img.iterancestors()) or _tiny(img):
            continue
        url = http_url(img.get("src"), base)
        if url:
            return url
    return None


def _tiny(img: lxml.html.HtmlElement) -> bool:
    for attr in ("width", "height"):
        value = img.get(attr, "").strip().removesuffix("px")
        if value.isdigit() and int(value) <= 2:
            return True
    return False


def _canonical(root: lxml.html.HtmlElement, base: str) -> str:
    """The page's canonical URL when it stays on the same host, else the fetched URL.

    A canonical link to another host is ignored: syndicated copies point at the
    original, and trusting that would let one site overwrite another's articles.
    """
    url = base
    for link in root.xpath("//link[@rel='canonical'][@href]"):
        candidate = http_url(link.get("href"), base)
        if candidate and urlsplit(candidate).netloc == urlsplit(base).netloc:
            url = candidate
        break
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))
