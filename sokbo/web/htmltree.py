"""Small lxml tree helpers shared by extraction and cleaning: removal and serialisation."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml.etree import _Element

HTML_WS = " \t\n\r\f"
# A plain tag or attribute name. Anything else (libxml2 keeps names like
# "scr<script") is unwrapped or dropped by the serialiser.
_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9:_.-]*\Z")
_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "wbr"}
)


def drop_element(node: _Element) -> None:
    """Remove ``node`` and its content, keeping its tail and tidying line breaks.

    When the node sat on lines of its own (a newline in the whitespace before it
    and its tail starting with one), only one of the two whitespace runs is kept:
    the one with more line breaks, or on a tie the tail's, which carries the
    indentation of what follows. ``<p>a</p>\\n\\n<div ad/>\\n\\n<p>b</p>`` thus
    becomes ``<p>a</p>\\n\\n<p>b</p>`` rather than gaining four newlines.
    """
    parent = node.getparent()
    if parent is None:
        return
    previous = node.getprevious()
    before = (previous.tail if previous is not None else parent.text) or ""
    tail = node.tail or ""
    head = before.rstrip(HTML_WS)
    gap_before = before[len(head) :]
    rest = tail.lstrip(HTML_WS)
    gap_after = tail[: len(tail) - len(rest)]
    if "\n" in gap_before and gap_after.startswith("\n"):
        gap = gap_before if gap_before.count("\n") > gap_after.count("\n") else gap_after
        joined = head + gap + rest
    else:
        joined = before + tail
    if previous is not None:
        previous.tail = joined or None
    else:
        parent.text = joined or None
    # lxml removes the tail together with the element; it was merged above.
    parent.remove(node)


def inner_html(el: _Element) -> str:
    """The element's content as HTML, written as the tree holds it.

    Not lxml.html.tostring: libxml2's serialiser percent-encodes URL attributes, so a
    Hangul href would change bytes.
    """
    return "".join(_serialise_children(el))


def _serialise_children(el: _Element) -> Iterator[str]:
    if el.text:
        yield _escape_text(el.text)
    for child in el:
        yield from _serialise(child)


def _serialise(el: _Element) -> Iterator[str]:
    tag = el.tag
    if isinstance(tag, str) and _NAME.match(tag):
        attrs = "".join(
            f' {name}="{_escape_attr(value)}"'
            for name, value in el.attrib.items()
            if isinstance(name, str) and isinstance(value, str) and _NAME.match(name)
        )
        yield f"<{tag}{attrs}>"
        if tag == "pre" and (el.text or "").startswith("\n"):
            # HTML parsers skip one newline after <pre>; libxml2 kept it as text.
            yield "\n"
        yield from _serialise_children(el)
        if tag not in _VOID_TAGS:
            yield f"</{tag}>"
    elif isinstance(tag, str):
        yield from _serialise_children(el)
    if el.tail:
        yield _escape_text(el.tail)


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attr(value: str) -> str:
    return _escape_text(value).replace('"', "&quot;")
