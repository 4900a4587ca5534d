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
    r"(?:^|[\s|·•—-])(?P<by>by|von|par|por|door)\s*:?\s+(?P<rest>[^\W\d_].*)", re.IGNORECASE
)
_WORD_BEFORE = re.compile(r"([^\W\d_]+)\s*$")
# A byline's "By" follows nothing, a date, a separator, a name ("Photo: Ann Lee By Jane
# Doe") or one of these words. After any other lower-case word it is prose ("established
# by Congress", "can be reached by e-mail").
_BYLINE_WORDS = {
    "written", "posted", "words", "reported", "story", "article", "articles", "text",
    "authored", "recipe", "compiled",
}  # fmt: skip
# Controls, credits and sellers: "Sort by", "Shop by Brand", "Photo by", "Sold by", "Powered by".
_NOT_BYLINE_WORDS = {
    "sort", "filter", "shop", "browse", "search", "refine", "narrow", "sold", "shipped",
    "fulfilled", "powered", "managed", "hosted", "made", "supported", "sponsored", "funded",
    "owned", "operated", "developed", "designed", "built", "presented", "provided",
    "photo", "photos", "photograph", "image", "images", "illustration", "video", "courtesy",
}  # fmt: skip
# "Reviewed by" names a reviewer: the author when no other byline is given, not otherwise.
_REVIEWER_WORDS = {"reviewed", "checked", "edited", "verified", "approved"}
_WRITTEN_BY = re.compile(r"\bwritten\s+by\s*:?\s+(?P<rest>[^\W\d_].{0,120})", re.I)
# Capitalised words of the page around a byline that end it ("… Tabing Table of contents").
_BYLINE_END = {
    "table", "contents", "share", "updated", "published", "last", "min", "read", "follow",
    "subscribe", "photo", "image", "credit", "listen", "print", "comments", "home", "in",
}  # fmt: skip
# Containers of other people's words: reviews, testimonials, comments.
_NOT_STORY = re.compile(r"review|testimonial|comment", re.IGNORECASE)
_MAX_CARD = 600
_NUMBERED = re.compile(r"[0-9]")
# Dotted words that do not end a sentence inside a name.
_ABBREVIATIONS = {"jr.", "sr.", "mrs.", "prof.", "capt.", "gen.", "col.", "rev.", "hon."}
_HEADLINE_WINDOW = 300
_MAX_BYLINES = 10
_MAX_BLOCK_TRIES = 3
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
    heading = headline_element(root)
    headline = {heading, *heading.iterancestors()} if heading is not None else set()
    for selector in _BYLINE_SELECTORS:
        found_all = css(root, selector)
        # Every element holding a match, so that "this card has a byline too" is a lookup.
        signed = {a for e in found_all for a in (e, *e.iterancestors())}
        matches = [e for e in found_all if not _in_card(e, headline, signed)]
        inside = [e for e in matches if any(contains(s, e) for s in scopes)]
        for tried, group in enumerate(_first_byline(inside or matches)):
            found = names((_byline_text(e) for e in group), site)
            # Further in the block, a lone word is as often a tag ("Wellness") as a name.
            if found and (not tried or all(" " in n for n in found)):
                return Found(found, f"byline:{selector}")
    found = headline_byline(root, site)
    if found:
        return Found(found, "text:by")
    found = written_by(scopes[0] if scopes else root, site)
    return Found(found, "text:written by") if found else None


def _in_card(
    element: lxml.html.HtmlElement,
    headline: set[lxml.html.HtmlElement],
    signed: set[lxml.html.HtmlElement],
) -> bool:
    """A byline of something other than the story: inside a review, testimonial or comment,
    or inside one of a row of look-alike teaser cards, each with its own title.

    Only the containers below the one that holds the headline (`headline`: the headline
    and its ancestors) count: the story's own byline shares a container with its
    headline, a card's does not.
    """
    for node in (element, *element.iterancestors()):
        if node in headline:
            return False
        if node.tag in ("body", "html"):
            return False
        if _NOT_STORY.search(f"{node.get('class', '')} {node.get('id', '')}"):
            return True
        if _teaser(node, element, signed):
            return True
    return False


def _teaser(
    node: lxml.html.HtmlElement,
    byline: lxml.html.HtmlElement,
    signed: set[lxml.html.HtmlElement],
) -> bool:
    """`node` is a short card beside two or more of its kind that hold bylines too, and
    carries a title of its own (a heading, or a link with more text than the byline): a
    story teaser in a list. Forum posts and page sections are longer than a card."""
    parent = node.getparent()
    if parent is None or not isinstance(node.tag, str):
        return False
    kind = _kind(node)
    if sum(1 for s in parent if s is not node and s in signed and _kind(s) == kind) < 2:
        return False
    name = visible_text(byline)
    if len(visible_text(node)) > _MAX_CARD:
        return False
    titles = [*node.iter("h2", "h3", "h4", "h5", "h6"), *node.iter("a")]
    return any(
        len(text) > 20 and name not in text
        for text in (visible_text(t) for t in titles if not contains(t, byline))
    )


def _kind(element: lxml.html.HtmlElement) -> tuple[object, frozenset[str]]:
    """Tag and classes, without numbered ones ("post-1234"): what look-alike cards share."""
    classes = (element.get("class") or "").split()
    return element.tag, frozenset(c for c in classes if not _NUMBERED.search(c))


def _first_byline(
    elements: list[lxml.html.HtmlElement],
) -> list[list[lxml.html.HtmlElement]]:
    """The story's own byline: the first match and those beside it (co-authors listed in
    one byline), not the bylines of related-story teasers further down the page.

    When that names nobody ("5 min read" in an "author-meta" box), the next matches in the
    same byline block (the first match's grandparent) are tried one by one: the name is
    often one element further in ("author-name").
    """
    usable = [e for e in elements if len(_byline_text(e)) <= 200]
    if not usable:
        return []
    first = usable[0]
    parent = first.getparent()
    groups = [[e for e in usable if e is first or e.getparent() is parent][:_MAX_BYLINES]]
    block = parent.getparent() if parent is not None else None
    if block is None:
        return groups
    rest = [e for e in usable[1:] if e not in groups[0] and contains(block, e)]
    return groups + [[e] for e in rest[:_MAX_BLOCK_TRIES]]


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
    match = _byline_by(after[:_HEADLINE_WINDOW])
    return _capitalised_run(match.group("rest"), site) if match else ()


def _byline_by(text: str) -> re.Match[str] | None:
    """The "By" in `text` that introduces a byline (see _BYLINE_WORDS), a writer's before
    a reviewer's."""
    reviewer = None
    match = _BY.search(text)
    while match is not None:
        before = _WORD_BEFORE.search(text[: match.start("by")])
        word = before.group(1) if before else ""
        if word.casefold() in _REVIEWER_WORDS:
            reviewer = reviewer or match
        elif word.casefold() not in _NOT_BYLINE_WORDS and (
            not word.islower() or word in _BYLINE_WORDS
        ):
            return match
        match = _BY.search(text, match.start("rest"))
    return reviewer


def _capitalised_run(text: str, site: Sequence[str]) -> tuple[str, ...]:
    """The names at the start of `text`: capitalised words, particles and "and"s."""
    words: list[str] = []
    for word in text.split()[:_MAX_BYLINE_WORDS]:
        bare = word.strip(",")
        if bare.casefold() in _BYLINE_END or not (
            bare[:1].isupper() or bare.casefold() in PARTICLES | JOINERS
        ):
            break
        if bare[-1:] in "!?":
            break  # "Jack Shepherd Hi! I'm Jack": the author box's greeting, not the name
        words.append(word)
        if _ends_sentence(bare):
            break  # "Jane Doe. She writes ...": the sentence after the name
    return names([" ".join(words)], site)


def _ends_sentence(word: str) -> bool:
    """A full stop after a word that is no initial ("J.") or title ("Jr.")."""
    return (
        word.endswith(".") and len(word.rstrip(".")) > 2 and word.casefold() not in _ABBREVIATIONS
    )


def written_by(scope: lxml.html.HtmlElement, site: Sequence[str]) -> tuple[str, ...]:
    """Names after "Written by" anywhere in the story: an author box below the text.

    Unlike a bare "by" ("photo by", "caused by"), "written by" introduces an author
    wherever it stands.
    """
    match = _WRITTEN_BY.search(visible_text(scope))
    return _capitalised_run(match.group("rest"), site) if match else ()
