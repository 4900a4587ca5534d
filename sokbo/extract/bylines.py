"""Who wrote an article: the byline evidence of a page, most trusted first (names.py cleans it)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import lxml.html

from sokbo.extract import jsonld
from sokbo.extract.names import JOINERS, PARTICLES, capitalised, names
from sokbo.extract.pagemeta import (
    Found,
    PageMeta,
    around,
    article_scopes,
    brands,
    contains,
    css,
    headline_element,
    meta_source,
    visible_text,
)

# "By", "Written by:", "Von", "Par": what introduces a byline written as plain text.
_BY = re.compile(
    r"(?:^|[\s|·•—-])(?:(?:written|posted|words|reported)\s+)?(?:by|von|par|por|door)\s*:?\s+"
    r"(?P<rest>[^\W\d_].*)",
    re.IGNORECASE,
)
_WRITTEN_BY = re.compile(r"\bwritten\s+by\s*:?\s+(?P<rest>[^\W\d_].{0,120})", re.I)
# Capitalised words of the page around a byline that end it ("… Tabing Table of contents").
_BYLINE_END = {
    "table", "contents", "share", "updated", "published", "last", "min", "read", "follow",
    "subscribe", "photo", "image", "credit", "listen", "print", "comments", "home", "in",
}  # fmt: skip
_HEADLINE_WINDOW = 300
_MAX_BYLINES = 10
_MAX_BYLINE_WORDS = 12

_AUTHOR_META = (
    "author", "article:author", "byl", "dc.creator", "parsely-author", "sailthru.author",
    "dable:author",
)  # fmt: skip
# Exact class names first; then the same words inside longer ones ("writer-zone", "art_byline").
_BYLINE_SELECTORS = (
    "[rel~=author]", "[itemprop~=author]", ".byline", ".author", ".writer", ".reporter",
    ".journalist", "[class*=byline]", "[class*=writer]", "[class*=reporter]",
    "[class*=journalist]", "[class*=author]",
)  # fmt: skip


def authors(
    root: lxml.html.HtmlElement, page: PageMeta, selectors: Sequence[str] = ()
) -> Found[tuple[str, ...]] | None:
    """People who wrote the article: clean names, no roles, e-mails, brands or boilerplate.

    Order: explicit selectors, JSON-LD author, author meta tags, byline elements (the
    first one, not those of related stories), then "By ..." just under the headline.
    """
    site = brands(page)
    seen = _Visible(root)
    for selector in selectors:
        found = names((visible_text(e) for e in css(root, selector)[:5]), site)
        if found:
            return Found(found, f"preset:{selector}")
    ids = jsonld.by_id(page.jsonld)
    for kind, obj in jsonld.articles(page.jsonld):
        # A typed Person is a person even when a one-person site bears the same name.
        person = _is_person(obj.get("author"), ids)
        if kind == "WebPage" and not person:
            continue  # a page template's author is the site, unless it names a Person
        people = _jsonld_people(obj.get("author"), ids)
        found = seen.shown(names(people, () if person else site, True))
        if found:
            return Found(found, f"json-ld:{kind}.author")
    for key in _AUTHOR_META:
        found = seen.shown(names([page.meta.get(key, "")], site, True))
        if found:
            return Found(found, meta_source(key))
    # Yoast's "Written by" card: twitter:label1 names what twitter:data1 holds.
    if page.meta.get("twitter:label1", "").casefold() == "written by":
        found = seen.shown(names([page.meta.get("twitter:data1", "")], site, True))
        if found:
            return Found(found, "twitter:data1")
    scopes = article_scopes(root)
    for selector in _BYLINE_SELECTORS:
        matches = css(root, selector)
        inside = [e for e in matches if any(contains(s, e) for s in scopes)]
        texts = (_byline_text(e) for e in _first_byline(inside or matches))
        found = names((t for t in texts if len(t) <= 200), site)
        if found:
            return Found(found, f"byline:{selector}")
    found = headline_byline(root, site)
    if found:
        return Found(found, "text:by")
    found = written_by(scopes[0] if scopes else root, site)
    return Found(found, "text:written by") if found else None


def _first_byline(elements: list[lxml.html.HtmlElement]) -> list[lxml.html.HtmlElement]:
    """The story's own byline: the first match and those beside it (co-authors listed in
    one byline), not the bylines of related-story teasers further down the page."""
    usable = [e for e in elements if len(_byline_text(e)) <= 200]
    if not usable:
        return []
    parent = usable[0].getparent()
    return [e for e in usable if e is usable[0] or e.getparent() is parent][:_MAX_BYLINES]


def _jsonld_people(value: Any, ids: dict[str, dict[str, Any]], depth: int = 0) -> list[str]:
    """Names in a JSON-LD author: a string, a Person (maybe by @id), or a list of those."""
    if depth > 5:
        return []
    if isinstance(value, list):
        return [name for item in value for name in _jsonld_people(item, ids, depth + 1)]
    if isinstance(value, dict) and "@value" not in value:
        ref = value.get("@id")
        if "name" not in value and isinstance(ref, str) and ref in ids:
            value = ids[ref]
        if set(jsonld.types_of(value)) & {"Organization", "NewsMediaOrganization"}:
            return []
        return _jsonld_people(value.get("name"), ids, depth + 1)
    return jsonld.texts(value)


class _Visible:
    """The page's visible text, read once and only when a handle needs checking."""

    def __init__(self, root: lxml.html.HtmlElement) -> None:
        self._root = root
        self._text: str | None = None

    def shown(self, found: tuple[str, ...]) -> tuple[str, ...]:
        """`found` without lower-case handles ("jdoe", "brandon-x") the page never shows:
        an account name in the metadata that readers do not see is no byline."""
        kept = []
        for name in found:
            if name.isascii() and not capitalised(name):
                if self._text is None:
                    self._text = visible_text(self._root.find("body")).casefold()
                if name.casefold() not in self._text:
                    continue
            kept.append(name)
        return tuple(kept)


def _is_person(value: Any, ids: dict[str, dict[str, Any]]) -> bool:
    """A JSON-LD author given as Person objects (maybe by @id), not as bare strings."""
    items = value if isinstance(value, list) else [value]
    people = [
        ids.get(str(i.get("@id")), i) if isinstance(i, dict) and "name" not in i else i
        for i in items
    ]
    return bool(people) and all(
        isinstance(p, dict) and "Person" in jsonld.types_of(p) for p in people
    )


def _byline_text(element: lxml.html.HtmlElement) -> str:
    name = element.find(".//*[@itemprop='name']")
    if name is not None:
        return name.get("content") or visible_text(name)
    return element.get("content") or visible_text(element)


def headline_byline(root: lxml.html.HtmlElement, site: Sequence[str]) -> tuple[str, ...]:
    """Names after "By" in the lines just under the headline, where a byline without
    markup sits ("By Sofia Gonzalez December 2, 2025", "Written by: Elise Nass")."""
    heading = headline_element(root)
    if heading is None:
        return ()
    _, after = around(heading, _HEADLINE_WINDOW)
    match = _BY.search(after[:_HEADLINE_WINDOW])
    if match is None:
        return ()
    return _capitalised_run(match.group("rest"), site)


def _capitalised_run(text: str, site: Sequence[str]) -> tuple[str, ...]:
    """The names at the start of `text`: capitalised words, particles and "and"s."""
    words: list[str] = []
    for word in text.split()[:_MAX_BYLINE_WORDS]:
        bare = word.strip(",")
        if bare.casefold() in _BYLINE_END or not (
            bare[:1].isupper() or bare.casefold() in PARTICLES | JOINERS
        ):
            break
        words.append(word)
    return names([" ".join(words)], site)


def written_by(scope: lxml.html.HtmlElement, site: Sequence[str]) -> tuple[str, ...]:
    """Names after "Written by" anywhere in the story: an author box below the text.

    Unlike a bare "by" ("photo by", "caused by"), "written by" introduces an author
    wherever it stands.
    """
    match = _WRITTEN_BY.search(visible_text(scope))
    return _capitalised_run(match.group("rest"), site) if match else ()
