"""What metadata functions share: the page read once (meta tags, JSON-LD, lang) and tree helpers."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import lxml.html
from cssselect import SelectorError
from lxml.cssselect import CSSSelector
from lxml.etree import XPath, _ElementUnicodeResult

from sokbo.extract import jsonld
from sokbo.extract.text import squash

T = TypeVar("T")

NOT_TEXT = ("script", "style", "noscript", "template")
_VISIBLE_TEXT = XPath(
    ".//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
    " or ancestor::template)]"
)
_BODY_TEXT = XPath(
    "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript"
    " or ancestor::template)]"
)
# Where a page keeps its story, most specific last; used to prefer what is inside.
_SCOPES = ("article", "main", "[role=main]", "[itemprop~=articleBody]")


@dataclass(frozen=True)
class Found(Generic[T]):
    """A value and where it came from ("og:title", "json-ld:NewsArticle.datePublished", ...)."""

    value: T
    source: str


@dataclass(frozen=True)
class PageMeta:
    """What every metadata function reads, parsed once per document."""

    meta: dict[str, str]
    jsonld: list[dict[str, Any]]
    lang: str | None


def read_page(root: lxml.html.HtmlElement) -> PageMeta:
    """`<meta>` values (lower-cased keys, first wins), JSON-LD objects and `<html lang>`."""
    meta: dict[str, str] = {}
    for element in root.iter("meta"):
        content = squash(element.get("content") or "")
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            # RDFa allows several space-separated properties on one tag.
            for key in (element.get(attr) or "").lower().split():
                meta.setdefault(key, content)
    html = root if root.tag == "html" else next(root.iter("html"), None)
    lang = squash(html.get("lang") or html.get("xml:lang") or "") if html is not None else ""
    return PageMeta(meta=meta, jsonld=jsonld.read_jsonld(root), lang=lang or None)


def meta_source(key: str) -> str:
    """ "og:title" names itself; a plain name such as "author" reads "meta:author"."""
    return key if ":" in key else f"meta:{key}"


def brands(page: PageMeta) -> list[str]:
    """The site's own names (og:site_name, application-name, JSON-LD publisher), longest first."""
    found = [page.meta.get(k, "") for k in ("og:site_name", "application-name")]
    found.append(page.meta.get("apple-mobile-web-app-title", ""))
    for _, article in jsonld.articles(page.jsonld):
        publisher = article.get("publisher")
        if isinstance(publisher, dict):
            found.extend(jsonld.texts(publisher.get("name")))
    for obj in page.jsonld:
        if "WebSite" in jsonld.types_of(obj):
            found.extend(jsonld.texts(obj.get("name")))
    unique = dict.fromkeys(squash(b) for b in found if 1 < len(squash(b)) <= 60)
    return sorted(unique, key=len, reverse=True)


def visible_text(element: lxml.html.HtmlElement | None) -> str:
    """Text without scripts and styles; pieces joined by spaces so "20</b><b>14:30" stays apart."""
    if element is None:
        return ""
    found = _VISIBLE_TEXT(element)
    pieces = found if isinstance(found, list) else []
    return squash(" ".join(str(piece) for piece in pieces))


@functools.lru_cache(maxsize=256)
def _compiled(selector: str) -> CSSSelector | None:
    try:
        return CSSSelector(selector)
    except SelectorError:
        return None


def css(root: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
    """Elements matching a CSS selector; an invalid selector matches nothing."""
    compiled = _compiled(selector)
    found = compiled(root) if compiled is not None else []
    return (
        [e for e in found if isinstance(e, lxml.html.HtmlElement)]
        if isinstance(found, list)
        else []
    )


def article_scopes(root: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """The first `<article>`, `<main>`, role=main and articleBody elements, when present."""
    return [found[0] for selector in _SCOPES if (found := css(root, selector))]


def in_article(element: lxml.html.HtmlElement) -> bool:
    """Inside an `<article>` or `<main>`, where the story is, rather than a sidebar."""
    return any(
        a.tag in ("article", "main") or a.get("role") == "main"
        for a in (element, *element.iterancestors())
    )


def contains(scope: lxml.html.HtmlElement, element: lxml.html.HtmlElement) -> bool:
    """`element` is `scope` or lies inside it."""
    return scope is element or any(a is scope for a in element.iterancestors())


def loose(text: str) -> str:
    """For comparing names: no whitespace, case-folded."""
    return re.sub(r"\s+", "", text).casefold()


def headline_element(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The story's `<h1>`: the first inside the article, else the first on the page."""
    heads = [h for h in root.iter("h1") if visible_text(h)]
    return next((h for h in heads if in_article(h)), heads[0] if heads else None)


def around(heading: lxml.html.HtmlElement, limit: int) -> tuple[str, str]:
    """The visible text just before `heading` (a few pieces) and about `limit` characters
    after it, in document order: where date lines and bylines sit under a headline."""
    before: list[str] = []
    after: list[str] = []
    state = before
    found = _BODY_TEXT(heading.getroottree().getroot())
    for node in found if isinstance(found, list) else []:
        if not isinstance(node, _ElementUnicodeResult):
            continue
        parent = node.getparent()
        inside = parent is not None and contains(heading, parent)
        if inside and not (parent is heading and node.is_tail):
            state = after
            continue
        if state is after and sum(map(len, after)) > limit:
            break
        state.append(str(node))
    return squash(" ".join(before[-20:])), squash(" ".join(after))
