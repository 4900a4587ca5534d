"""Generic main-content extraction: the article body of any page, without site rules.

One bottom-up walk scores every element: each block of text (a paragraph, or the loose
text of a div) is worth its length when it reads like prose, and costs its length when
it is mostly links (menus, link lists) or a little when it is a short label. An element's
score is the sum over its subtree, so the best-scoring element is the smallest container
that holds most of the prose and little else; articles split into several sibling blocks
are found whole because their common parent sums them. Class/id names refine this (see
sokbo.extract.boilerplate): comment threads, related lists and sidebars count against
their ancestors and cannot be chosen. The winner is then cleaned of furniture (menus,
link lists, share bars, ad labels, datelines) and returned as HTML.

Ideas taken from public work, none of its code: subtree scoring with link density and
class weights (Arc90 readability), content/boilerplate by text density and link density
(Kohlschütter et al., boilerpipe), cleaning lists of class names (trafilatura).
"""

from __future__ import annotations

import re
from operator import itemgetter
from typing import cast
from urllib.parse import urljoin

import lxml.html
from lxml.etree import _Element

from sokbo.extract.boilerplate import (
    BODY,
    CONTENT,
    JUNK,
    LAYOUT,
    NEUTRAL,
    NOISE,
    ROLE_HINTS,
    TAG_HINTS,
    class_hint,
    is_boilerplate_line,
)
from sokbo.web.htmltree import inner_html

# Never text a reader sees; removed during the walk.
_DROP = frozenset(
    "script style noscript template svg canvas iframe embed input "  # noqa: SIM905
    "select textarea button option link meta head map dialog".split()
)
# Elements that start a new block of text; everything else is inline and adds its text to
# the nearest block around it.
_BLOCK = frozenset(
    "address article aside blockquote body center dd details div dl dt fieldset "  # noqa: SIM905
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html li main nav "
    "ol p pre section summary table tbody td tfoot th thead tr ul".split()
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# A sentence end: . ! ? (or full-width forms) before a space, a closing quote or the end.
_SENTENCE_END = re.compile(r"[.!?。！？](?=[\"'”’)\]]*(?:\s|$))")

_PROSE = 50  # characters of non-link text that make a block prose, sentence or not
_SENTENCE = 15  # ... or this many when it has a sentence end (Hangul packs more per char)
_LABEL_COST = 0.3  # a short non-prose block costs this much per character
_MIN_SCORE = 15.0  # below this the page has no article-like text at all
_JUNK_FACTOR = 0.3  # a candidate inside a comment thread, sidebar, ... keeps this share
_SMALL_FURNITURE = 1000  # characters: an ad slot or a tag list holds less
_WRAPPER_SHARE = 0.5  # a "sidebar"-named element holding this share of the page is layout


class _Walk:
    """Per-element text statistics from one post-order walk of the page, then scores."""

    def __init__(self) -> None:
        self.text: dict[_Element, tuple[int, int]] = {}  # every element: (chars, link chars)
        self.hint: dict[_Element, int] = {}  # elements whose hint is not NEUTRAL
        self.value: dict[_Element, float] = {}  # blocks: what their own text is worth
        self.order: list[tuple[_Element, _Element | None]] = []  # (element, parent), post-order
        self.score: dict[_Element, float] = {}  # blocks: selection score, set by score_all()

    def visit(self, el: _Element, parent: _Element | None, in_link: bool) -> tuple[int, int, bool]:
        """Measure el's subtree; return (inline chars, inline link chars, inline sentence).

        The inline figures are el's text that belongs to the block around it (el is
        inline), or zeros (el is a block and has valued its own text).
        """
        tag = el.tag
        if tag != "html" and tag != "body":  # their classes describe the page, not a part
            attrs = f"{el.get('class') or ''} {el.get('id') or ''} {el.get('itemprop') or ''}"
            hint = class_hint(attrs) if attrs != "  " else NEUTRAL
            if hint == NEUTRAL and (tag == "article" or tag == "main"):
                hint = CONTENT
            elif hint <= NEUTRAL:
                hint = min(hint, TAG_HINTS.get(tag, NEUTRAL))
                role = el.get("role")
                if role:
                    hint = min(hint, ROLE_HINTS.get(role, NEUTRAL))
            # A paragraph is a piece of text, never a sidebar or menu, whatever its class
            # says (<p class="contextmenu Body">); only a junk name (a comment) counts.
            if tag == "p" and JUNK < hint < NEUTRAL:
                hint = NEUTRAL
            if hint:
                self.hint[el] = hint
        in_link = in_link or tag == "a"

        length = 0
        sentence = False
        text = el.text
        if text and (text := text.strip()):
            length = len(text)
            sentence = _SENTENCE_END.search(text) is not None
        links = length if in_link else 0
        total, total_links = length, links
        for child in list(el):
            if not isinstance(child.tag, str) or child.tag in _DROP or _hidden(child):
                child.drop_tree()  # type: ignore[attr-defined]  # keeps the tail text
                continue
            inline, inline_links, inline_sentence = self.visit(child, el, in_link)
            length += inline
            links += inline_links
            sentence = sentence or inline_sentence
            child_total, child_links = self.text[child]
            total += child_total
            total_links += child_links
            tail = child.tail
            if tail and (tail := tail.strip()):
                length += len(tail)
                total += len(tail)
                if in_link:
                    links += len(tail)
                    total_links += len(tail)
                if not sentence:
                    sentence = _SENTENCE_END.search(tail) is not None
        self.text[el] = (total, total_links)
        self.order.append((el, parent))
        if tag in _BLOCK:
            self.value[el] = _block_value(tag, length, links, sentence)
            return 0, 0, False
        return length, links, sentence

    def score_all(self, page: int) -> None:
        """Sum block values up the tree; furniture-named subtrees count against ancestors."""
        sums: dict[_Element, float] = {}
        wrapper = page * _WRAPPER_SHARE
        for el, parent in self.order:  # children before parents
            score = sums.pop(el, 0.0) + self.value.get(el, 0.0)
            hint = self.hint.get(el, NEUTRAL)
            # Its prose is not the article's, unless the name misleads (see _furniture_size).
            chars = self.text[el][0]
            if hint == JUNK or (hint < NEUTRAL and _furniture_size(hint, chars, wrapper)):
                score = -abs(score) * 0.5
            if el in self.value:
                self.score[el] = score * (1.3 if hint == BODY else 1.1) if hint > NEUTRAL else score
            if parent is not None:
                sums[parent] = sums.get(parent, 0.0) + score


def _furniture_size(hint: int, chars: int, wrapper: float) -> bool:
    """Whether an element named as furniture is small enough to be what its name says.

    Themes name page wrappers "content-with-sidebar" (one holding half the page is
    layout), and CMSs put "meta" or "ad" on the article's own wrapper (HubSpot's
    "hs_cos_wrapper_meta_field"): small furniture (NOISE) holding this much text is not.
    """
    return chars < wrapper and (hint != NOISE or chars < _SMALL_FURNITURE)


def _block_value(tag: str, length: int, links: int, sentence: bool) -> float:
    if not length:
        return 0.0
    if tag in _HEADINGS:  # a title is a label, even a teaser's long one
        return -_LABEL_COST * length
    if links * 2 > length:
        return -float(length)
    plain = length - links
    if plain >= _PROSE or (sentence and plain >= _SENTENCE):
        return float(plain)
    return -_LABEL_COST * plain


# React's streaming server rendering sends late content as <div hidden id="S:0"> for a
# script to move into place: what the reader sees once the page has loaded.
_STREAMED = re.compile(r"S:\d+")


def _hidden(el: _Element) -> bool:
    if el.get("hidden") is not None:
        return not _STREAMED.fullmatch(el.get("id") or "")
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _choose(walk: _Walk, root: _Element) -> _Element | None:
    """The best-scoring block that is not inside a comment thread, sidebar or the like."""
    page = walk.text[root][0]
    walk.score_all(page)
    best: _Element | None = None
    best_score = _MIN_SCORE
    # Penalties only lower a score, so candidates are taken best first until no
    # remaining one could win; the ancestor checks then run for a handful only.
    for el, score in sorted(walk.score.items(), key=itemgetter(1), reverse=True):
        if score <= best_score:
            break
        if _inside_junk(el, walk, page):
            score *= _JUNK_FACTOR
        if score > best_score:
            best, best_score = el, score
    if best is not None and best.tag == "html":
        best = best.find("body")
    return best


def _inside_junk(el: _Element, walk: _Walk, page: int) -> bool:
    for ancestor in el.iterancestors():
        hint = walk.hint.get(ancestor, NEUTRAL)
        if hint == JUNK:
            return True
        # Themes call page wrappers "content-with-sidebar" or "sticky-sidebar": an
        # element that holds half the page is layout, not a sidebar.
        if hint == LAYOUT and walk.text[ancestor][0] < page * _WRAPPER_SHARE:
            return True
    return False


_NEVER_CONTENT = frozenset({"nav", "aside", "footer", "header", "h1", "form"})
_LINK_LISTS = frozenset({"ul", "ol", "dl", "li", "div", "section", "table", "p"})
# Inside a sentence these hold words of it ("posted <a>November 18</a>"), not a line.
_PHRASING = frozenset({"a", "b", "strong", "em", "i", "u", "code", "sup", "sub", "q", "cite"})
_SHORT = 100  # only blocks this short (characters) are tested as boilerplate lines


def _clean(top: _Element, walk: _Walk) -> None:
    """Drop what the chosen subtree holds besides the article."""
    top_total = walk.text[top][0]
    doomed = []
    stack = list(top)
    while stack:
        el = stack.pop()
        if _is_furniture(el, walk, top_total):
            doomed.append(el)
        else:
            stack.extend(el)
    for el in doomed:
        el.drop_tree()  # type: ignore[attr-defined]


def _is_furniture(el: _Element, walk: _Walk, top_total: int) -> bool:
    tag = el.tag
    total, links = walk.text.get(el, (0, 0))
    # A furniture tag or name on the element holding most of the text is misleading
    # (a <header class="rich-text"> around a whole post).
    minor = total * 2 < top_total
    if tag in _NEVER_CONTENT and (minor or tag == "h1"):
        return True
    if tag in _LINK_LISTS and links * 2 > total:
        return True
    hint = walk.hint.get(el, NEUTRAL)
    if hint < NEUTRAL and minor and (hint != NOISE or total < _SMALL_FURNITURE):
        return True
    return (
        total <= _SHORT
        and tag not in _PHRASING
        and is_boilerplate_line(cast(lxml.html.HtmlElement, el).text_content())
    )


def _resolve_urls(top: _Element, url: str) -> None:
    """Absolute image and link URLs (lazy-loaded images are resolved by the clean stage)."""
    for element, name in [(img, "src") for img in top.iter("img")] + [
        (a, "href") for a in top.iter("a")
    ]:
        value = element.get(name)
        if value and not value.startswith(("data:", "#")):
            element.set(name, urljoin(url, value.strip()))


# When the winner is itself one of these, its own tag is part of the content.
_KEEP_OUTER = frozenset({"p", "blockquote", "pre", "ul", "ol", "dl", "table"})


def extract_main(root: lxml.html.HtmlElement, url: str) -> str | None:
    """The main article content of a parsed page as an HTML fragment, or None.

    ``root`` is the whole document and is changed in place (scripts dropped, the article
    cleaned); ``url`` resolves relative links and images. Pure: no network, clock or settings.
    """
    walk = _Walk()
    walk.visit(root, None, False)
    best = _choose(walk, root)
    if best is None:
        return None
    _clean(best, walk)
    _resolve_urls(best, url)
    if best.tag in _KEEP_OUTER:
        best.tail = None
        wrapper = lxml.html.Element("div")
        wrapper.append(best)
        return inner_html(wrapper)
    return inner_html(best)
