"""The date line of a story: the date printed just under its headline (or just over it).

Read from the visible text around the headline, walked lazily outwards from it, so that
only the few lines a reader sees first are ever visited.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, tzinfo

import lxml.html

from sokbo.extract.datetext import first_published, label_before, scan
from sokbo.extract.pagemeta import NOT_TEXT, Found, article_scopes, headline_element, visible_text
from sokbo.extract.text import squash

# Where dates of other stories live: the last-resort class rule never looks inside these.
_ELSEWHERE = re.compile(
    r"related|sidebar|widget|recent|popular|trending|recommend|more-?stor|comment|footer"
    r"|\bnav|teaser|\bcard",
    re.I,
)
_ELSEWHERE_TAGS = ("aside", "nav", "footer")
# A date line under a headline ("Jane Doe · December 15, 2025 · 5 min read") stays short.
_AFTER_HEADLINE = 300
_BEFORE_HEADLINE = 100
# Further under it, past a standfirst, a date line standing in a short block of its own.
_DATE_LINE_REACH = 1200
_DATE_LINE_BLOCK = 150
_LABEL_CONTEXT = 40
_INLINE = frozenset(
    ("a", "abbr", "b", "bdi", "em", "font", "i", "label", "mark", "small", "span", "strong",
     "sub", "sup", "time", "u")
)  # fmt: skip


def elsewhere(element: lxml.html.HtmlElement) -> bool:
    for node in (element, *element.iterancestors()):
        if node.tag in _ELSEWHERE_TAGS or _ELSEWHERE.search(
            f"{node.get('class', '')} {node.get('id', '')}"
        ):
            return True
    return False


def headline_date(
    root: lxml.html.HtmlElement, zone: tzinfo, now: datetime, day_first: bool
) -> Found[datetime] | None:
    """The date line of the story: a date just under the headline, or just over it.

    Right under the headline any date counts (a dateline opens the lede: "PARIS, June 3,
    2024 — ..."). Further down, past a standfirst, only a date that stands in a short
    block of its own: there it is a date line ("Jane Doe · 23.07.2025 · 6 min read"),
    while a date inside a paragraph is one the story talks about.
    """
    heading = _headline(root)
    if heading is None:
        return None
    value = _date_line(heading, zone, now, day_first)
    if value is None:
        before = " ".join(_texts_before(heading, _BEFORE_HEADLINE))[-_BEFORE_HEADLINE:]
        value = first_published(before, zone, now, day_first=day_first)
    return Found(value, "text:headline") if value else None


def _headline(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The `<h1>`; on a page without one, the first `<h2>` of the article or main."""
    heading = headline_element(root)
    if heading is not None:
        return heading
    for scope in article_scopes(root)[:2]:
        for h2 in scope.iter("h2"):
            if visible_text(h2):
                return h2
    return None


def _date_line(
    heading: lxml.html.HtmlElement, zone: tzinfo, now: datetime, day_first: bool
) -> datetime | None:
    seen = 0
    recent = ""  # the text just before the current piece, where an "Updated" label sits
    for text, owner in _texts_after(heading):
        piece = squash(text)
        if not piece:
            continue
        if seen > _DATE_LINE_REACH:
            break
        if _has_digit(piece):
            context = f"{recent} {piece}"
            offset = len(recent) + 1
            for span in scan(context, zone, now, day_first=day_first):
                if span.value is None or span.start < offset:
                    continue
                if label_before(context, span.start) == "modified":
                    continue
                if seen + span.start - offset <= _AFTER_HEADLINE or _date_line_block(owner):
                    return span.value
        seen += len(piece) + 1
        recent = f"{recent} {piece}"[-_LABEL_CONTEXT:]
    return None


def _date_line_block(owner: lxml.html.HtmlElement | None) -> bool:
    """The date's block (its nearest non-inline ancestor) is short and not another story's."""
    block = owner
    while block is not None and block.tag in _INLINE:
        block = block.getparent()
    if block is None or elsewhere(block):
        return False
    return len(visible_text(block)) <= _DATE_LINE_BLOCK


def _texts_after(
    heading: lxml.html.HtmlElement,
) -> Iterator[tuple[str, lxml.html.HtmlElement | None]]:
    """The visible text pieces after `heading`, in document order, each with the element
    holding it; lazily, so that only the few lines under a headline are ever visited."""
    node: lxml.html.HtmlElement | None = heading
    while node is not None and node.tag != "body":
        if node.tail:
            yield node.tail, node.getparent()
        for sibling in node.itersiblings():
            yield from _texts(sibling)
        node = node.getparent()


def _texts_before(heading: lxml.html.HtmlElement, limit: int) -> list[str]:
    """About `limit` characters of visible text just before `heading`, in document order."""
    pieces: list[str] = []
    seen = 0
    for text in _texts_backwards(heading):
        if seen >= limit:
            break
        if text.strip():
            pieces.append(squash(text))
            seen += len(pieces[-1])
    return pieces[::-1]


def _texts_backwards(heading: lxml.html.HtmlElement) -> Iterator[str]:
    """The visible text pieces before `heading`, nearest first, lazily."""
    node: lxml.html.HtmlElement | None = heading
    while node is not None and node.tag != "body":  # not into <head> and its <title>
        for sibling in node.itersiblings(preceding=True):
            yield from _reversed_texts(sibling)
        node = node.getparent()
        if node is not None and node.text:
            yield node.text


def _reversed_texts(element: lxml.html.HtmlElement) -> Iterator[str]:
    """`element`'s visible text pieces and its tail, last first."""
    if element.tail:
        yield element.tail
    if isinstance(element.tag, str) and element.tag not in NOT_TEXT:
        for child in reversed(element):
            yield from _reversed_texts(child)
        if element.text:
            yield element.text


def _texts(
    element: lxml.html.HtmlElement,
) -> Iterator[tuple[str, lxml.html.HtmlElement | None]]:
    """`element`'s visible text pieces and its tail, in document order."""
    if isinstance(element.tag, str) and element.tag not in NOT_TEXT:
        if element.text:
            yield element.text, element
        for child in element:
            yield from _texts(child)
    if element.tail:
        yield element.tail, element.getparent()


def _has_digit(text: str) -> bool:
    return any("0" <= char <= "9" for char in text)
