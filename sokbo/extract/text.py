"""Plain-text helpers: whitespace, HTML to text, summaries cut at a sentence end."""

from __future__ import annotations

import re

from sokbo.web.htmlparse import parse_fragment

_SPACE = re.compile(r"\s+")
# Control characters other than whitespace carry no text; PostgreSQL refuses NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# A sentence ends at . ! ? (or their full-width forms, or 다./요. in Korean prose) followed
# by whitespace or the end of the text.
_SENTENCE_END = re.compile(r"[.!?。！？…](?=[\"'”’)\]]*(?:\s|$))")
_NOT_TEXT = ("script", "style", "noscript", "template", "iframe", "object", "svg", "math")


def squash(text: str) -> str:
    """Collapse runs of whitespace (including NBSP) to one space, drop controls, trim."""
    return _SPACE.sub(" ", _CONTROL.sub("", text).replace("\xa0", " ")).strip()


def html_to_text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed; scripts and styles ignored."""
    if not fragment.strip():
        return ""
    root = parse_fragment(fragment)
    for element in root.iter(*_NOT_TEXT):
        element.drop_tree()
    # Block boundaries become spaces so that "<p>a</p><p>b</p>" does not read "ab".
    for element in root.iter("p", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "div", "td"):
        element.tail = " " + (element.tail or "")
    return squash(root.text_content())


def summarize(text: str, limit: int = 300) -> str:
    """The leading whole sentences of `text` that fit in `limit` characters.

    When even the first sentence is longer, cut at the last space before the limit and
    end with an ellipsis, so a summary never stops mid-word.
    """
    text = squash(text)
    if len(text) <= limit:
        return text
    cut = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > limit:
            break
        cut = match.end()
    if cut:
        return text[:cut]
    space = text.rfind(" ", 0, limit - 1)
    return text[: space if space > 0 else limit - 1].rstrip() + "…"
