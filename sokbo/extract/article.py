"""Pure extraction: a fetched page (plus the feed's hints) becomes an Article.

Evidence is taken in this order, field by field: the source's own selectors, then the
platform preset's, then what any page says about itself (JSON-LD, Open Graph, meta tags,
`<time>`, Korean date lines) and the generic extractor for the body, then what the feed
said. Each field records where it came from in `Article.evidence`.
"""

from __future__ import annotations

import functools
from datetime import datetime, tzinfo
from urllib.parse import urlsplit, urlunsplit

import lxml.html
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError

from sokbo.extract import metadata
from sokbo.extract.generic import extract_main
from sokbo.extract.pagemeta import PageMeta
from sokbo.extract.pagetype import is_article
from sokbo.extract.presets import Preset
from sokbo.extract.text import html_to_text, squash, summarize
from sokbo.models import FROM_CRAWL_TIME, FROM_FEED, Article, Page
from sokbo.web.htmlparse import parse_document
from sokbo.web.htmltree import drop_element, inner_html
from sokbo.web.urls import http_url


class ExtractError(ValueError):
    """The page holds no usable article; the message is the reason logged and counted."""


def parse_article(page: Page, preset: Preset, timezone: tzinfo, language: str | None) -> Article:
    """Title, body, excerpt, dates, authors, image, tags and canonical URL of one page.

    Page metadata is preferred to what the feed said, because feeds truncate and lag
    behind edits; the feed fills what the page lacks. `page.fetched_at` stands in for
    "now" (year-less Korean dates) and, last of all, for the publication time.
    """
    root = _parse(page.html)
    base = page.final_url
    info = metadata.read_page(root)
    hint = page.hint
    evidence: dict[str, str] = {}

    if hint.speculative:
        _require_article_page(root, page.final_url, info)

    # Metadata first: the generic extractor below may rework the tree.
    found_title = metadata.title(root, info, preset.title)
    title = found_title.value if found_title else squash(hint.title or "")
    evidence["title"] = found_title.source if found_title else FROM_FEED
    if not title:
        raise ExtractError("no title found")

    published, modified = metadata.dates(
        root, info, timezone, page.fetched_at, preset.date, url=page.final_url
    )
    found_authors = metadata.authors(root, info, preset.author)
    found_language = metadata.language(root, info)
    found_tags = metadata.keywords(root, info)
    description = squash(info.meta.get("og:description") or info.meta.get("description") or "")
    image_selected = _selected_image(root, preset, base)
    # The page's own image tags are read now; the body fallback needs the body below.
    found_image = metadata.lead_image(root, info, base, None)
    canonical = _canonical(root, base)

    body, evidence["body"] = _body(root, preset, base, hint.content_html)

    if image_selected:
        image: str | None = image_selected
        evidence["image"] = "preset:image"
    else:
        found_image = found_image or metadata.lead_image(root, info, base, body)
        image = found_image.value if found_image else None
        if found_image:
            evidence["image"] = found_image.source

    if description:
        excerpt, evidence["excerpt"] = description, "meta:description"
    elif hint.summary and (summary := summarize(html_to_text(hint.summary))):
        excerpt, evidence["excerpt"] = summary, FROM_FEED
    else:
        excerpt, evidence["excerpt"] = summarize(html_to_text(body)), "body"

    when = published.value if published else _aware(hint.published, timezone)
    evidence["published"] = (
        published.source if published else FROM_FEED if when else FROM_CRAWL_TIME
    )
    if when is None and modified:
        # The page's edit time bounds its publication better than the crawl time does.
        when, evidence["published"] = modified.value, f"modified:{modified.source}"
    if modified:
        evidence["modified"] = modified.source
    for name, found in (
        ("authors", found_authors),
        ("language", found_language),
        ("tags", found_tags),
    ):
        if found:
            evidence[name] = found.source

    return Article(
        url=canonical,
        source_id=page.source_id,
        title=title,
        excerpt=excerpt,
        body_html=body,
        published=when or page.fetched_at,
        modified=modified.value if modified else _aware(hint.updated, timezone),
        image=image,
        categories=hint.categories or tuple(filter(None, [info.meta.get("article:section")])),
        language=found_language.value if found_language else language,
        authors=found_authors.value if found_authors else (),
        tags=found_tags.value if found_tags else (),
        evidence=tuple(sorted(evidence.items())),
        fetched_url=page.url,
        fingerprint=hint.fingerprint(),
    )


def _require_article_page(root: lxml.html.HtmlElement, url: str, info: PageMeta) -> None:
    """For a page reached by following links: refuse service, product, collection, forum,
    listing and documentation pages, with the reason (logged and counted as a drop).

    Only used when the source did not list the page as an article: feeds and sitemaps are
    trusted, and a wrong refusal here loses a story, so the verdict weighs many signals
    (sokbo.extract.pagetype) rather than og:type alone, which many Korean news CMSs set
    to "website" on real articles and WordPress sets to "article" on about pages.
    """
    verdict = is_article(root, url, info)
    if not verdict.article:
        raise ExtractError(verdict.reason)


def _parse(html: str) -> lxml.html.HtmlElement:
    try:
        return parse_document(html)
    except (ParserError, ValueError) as exc:
        raise ExtractError(f"unparseable HTML: {exc}") from None


@functools.lru_cache(maxsize=256)
def _compiled(selector: str) -> CSSSelector:
    return CSSSelector(selector)


def _css(root: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
    found = _compiled(selector)(root)
    if not isinstance(found, list):
        return []
    return [el for el in found if isinstance(el, lxml.html.HtmlElement)]


def _body(
    root: lxml.html.HtmlElement, preset: Preset, base: str, feed_html: str | None
) -> tuple[str, str]:
    """The article's HTML and where it came from: a selector, the generic extractor, the feed."""
    for selector in preset.body:
        for container in _css(root, selector)[:1]:
            for junk in preset.drop:
                for element in _css(container, junk):
                    if element is not container and element.getparent() is not None:
                        drop_element(element)
            html = inner_html(container)
            if html.strip():
                return html, f"preset:{preset.name} {selector}"
    generic = extract_main(root, base)
    if generic:
        return generic, "generic"
    if feed_html:
        return feed_html, FROM_FEED
    raise ExtractError("no article body found")


def _selected_image(root: lxml.html.HtmlElement, preset: Preset, base: str) -> str | None:
    for selector in preset.image:
        for element in _css(root, selector)[:1]:
            url = http_url(element.get("src") or element.get("content"), base)
            if url:
                return url
    return None


def _aware(value: datetime | None, timezone: tzinfo) -> datetime | None:
    """A date without an offset is in the source's declared time zone."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone)


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
