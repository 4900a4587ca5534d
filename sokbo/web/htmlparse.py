"""Pages and fragments parsed as a browser parses them, into the lxml trees every stage uses."""

from __future__ import annotations

import contextlib
import re

import lxml.html
from lxml import etree
from lxml.etree import _Element
from selectolax.lexbor import LexborHTMLParser, LexborNode

from sokbo.web.htmltree import HTML_WS

# Pages are parsed by lexbor (through selectolax), which implements the HTML Standard's
# tree construction, and its tree is copied node by node into lxml, the tree every other
# stage works on. libxml2's own HTML parser nests misnested markup differently from a
# browser: an unclosed <svg> or <math> swallowed every paragraph after it, a <p> inside
# <table> stayed inside it. Copying the tree, rather than serialising it and letting
# libxml2 parse that again, keeps lexbor's nesting exactly: libxml2 would re-nest what it
# does not expect (in bench/parsing.py the re-parse changes the visible text of 5 of the
# 1,497 wcxb-dev pages). It costs more: 2.3-3x libxml2's time there (the re-parse
# 1.5-1.9x), a few milliseconds a page, spent once per fetched page.
#
# Scripting is on, as in the browsers readers use: <noscript> content is raw text up to
# </noscript>. With it off, Google Tag Manager's common <noscript><iframe .../></noscript>
# (an <iframe> is never self-closing) turned the rest of the page into the iframe's text
# (bench/parsing.py, wcxb-dev page 2838: 498 of 559 words lost), and a tracking pixel's
# <noscript><img> in <head> closed <head> early. That text is then parsed on its own, as
# a fragment, and copied in as the noscript's children: its markup (a lazy-loading page's
# fallback <img>) stays markup, and whatever it leaves open ends with it.

# lxml takes only strings XML allows; the HTML parser passes some characters on (C0
# controls from "&#1;", U+FFFE/U+FFFF). A form feed is whitespace to HTML.
_XML_REFUSED = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffe\uffff]")
# The newline right after <pre>, which HTML parsers drop. It is
# written twice before parsing so that the tree keeps one, as libxml2's did: the
# serialiser then writes the source's bytes back (inner_html adds the newline parsers
# drop), and text nh3 re-parses comes out as it went in. A browser shows the same.
_NEWLINE_AFTER_PRE = re.compile(r"(<pre(?:[\t\n\f\r /][^>]*)?>)(?=[\r\n])", re.IGNORECASE)
_DOUBLE_HYPHEN = re.compile("-(?=-)")
# Characters that cannot stand in an attribute name written back as HTML (the tokenizer
# lets '"', "'" and "<" into names); such attributes are dropped.
_UNWRITABLE_NAME = re.compile("[\\s\"'<>/=\x00-\x1f\x7f]")
_WRITABLE_NAMES: set[str] = set()  # names seen to pass, so that most need no regex
# Node kinds by lexbor's tag id (selectolax's names: "-text", "-comment", "-doctype").
_TEXT, _COMMENT = 2, 4
_LAST_SPECIAL_ID = 5  # ids up to this one are not elements
_SUB_ELEMENT = etree.SubElement
_OWN_CONTENT = frozenset({"template", "noscript"})  # content not in the node's children

# Elements are built through a parser that is never fed: its class lookup, in C, makes
# every element an HtmlElement. lxml.html's own lookup runs Python code per element
# (for FormElement, InputElement... which sokbo does not use), at a fifth of the cost.
_BUILDER = etree.HTMLParser()
_BUILDER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
)


# Elements nested deeper than this keep their text but not their markup. Browsers cap
# nesting too (Blink's parser at 512 levels); a page nested thousands deep (a trap, or a
# broken generator) would otherwise exhaust Python's recursion in every tree walk.
MAX_DEPTH = 400


def parse_document(html: str) -> lxml.html.HtmlElement:
    """The ``<html>`` element of a whole page, built as a browser builds it.

    Raises lxml's ParserError when there is nothing to parse (blank input), as libxml2
    did. Nodes outside ``<html>`` (the doctype, an XML declaration, which HTML parses as
    a comment, comments) are not kept: nothing reads them.
    """
    if not html.strip(HTML_WS):
        raise etree.ParserError("Document is empty")
    source = LexborHTMLParser(_source(html), scripting=True).root
    if source is None:  # lexbor always makes <html>; kept for the type checker
        raise etree.ParserError("Document is empty")
    root: lxml.html.HtmlElement = _BUILDER.makeelement("html")
    _set_attributes(root, _attributes(source))
    _copy_children(source.child, root)
    return root


def parse_fragment(html: str) -> lxml.html.HtmlElement:
    """A ``<div>`` holding ``html`` parsed as a browser parses a div's innerHTML.

    The same context nh3 (html5ever) parses a fragment in, so the clean stage's two
    parsers agree. ``<html>``, ``<head>`` and ``<body>`` tags are ignored; leading
    whitespace text is kept. Blank input gives an empty div.
    """
    container: lxml.html.HtmlElement = _BUILDER.makeelement("div")
    if html:
        parsed = LexborHTMLParser(_source(html), is_fragment=True, scripting=True)
        _copy_children(parsed.root, container)
    return container


def _source(html: str) -> bytes:
    """``html`` as UTF-8 for lexbor, with the newline after <pre> doubled (see above),
    surrogate pairs joined and lone surrogates made U+FFFD.

    A str decoded with "surrogateescape" or built from JSON escapes can hold them;
    lexbor, given the str, would drop them silently (an emoji written as a pair too).
    """
    html = _NEWLINE_AFTER_PRE.sub("\\1\n", html)
    try:
        return html.encode("utf-8")
    except UnicodeEncodeError:
        joined = html.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return joined.encode("utf-8")


def _copy_children(first: LexborNode | None, parent: _Element, depth: int = 0) -> None:
    """Append copies of ``first`` and its following siblings to ``parent``, which is
    ``depth`` levels down.

    One function with the common cases inline: it runs for every node of every page,
    and a Python call per node would cost more than lexbor's whole parse.
    """
    last: _Element | None = None  # the last node appended: text after it is its tail
    after_text = False  # lexbor merges adjacent text, but an unwrapped node leaves two
    node = first
    while node is not None:
        kind = node.tag_id
        if kind == _TEXT:
            text = node.text_content or ""
            try:
                if after_text:
                    _add_text(parent, last, text)
                elif last is None:
                    parent.text = text
                else:
                    last.tail = text
            except ValueError:  # cleaning only the strings lxml refuses is cheaper
                _add_text(parent, last, _xml_safe(text))
            after_text = True
            node = node.next
            continue
        if kind > _LAST_SPECIAL_ID:
            tag = node.tag or ""
            attributes = node.attributes
            try:
                if tag in _OWN_CONTENT or not _WRITABLE_NAMES.issuperset(attributes):
                    raise ValueError(tag)
                # Valueless attributes come as None, which lxml refuses with a TypeError.
                element = _SUB_ELEMENT(parent, tag, attributes)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                last = _copy_element(node, tag, parent, last, depth)
                # An unwrapped node may end in text, and the next text is added to it.
                after_text = True
            else:
                last = element
                child = node.child
                if child is None:
                    pass
                elif depth < MAX_DEPTH:
                    _copy_children(child, element, depth + 1)
                else:  # deeper than a browser nests: the rest as its text
                    element.text = _xml_safe(node.text(deep=True))
                after_text = False
        elif kind == _COMMENT:
            last = etree.Comment(_comment_text(node.comment_content or ""))
            parent.append(last)
            after_text = False
        node = node.next


def _copy_element(
    node: LexborNode, tag: str, parent: _Element, last: _Element | None, depth: int
) -> _Element | None:
    """Append a copy of element ``node`` the careful way; return ``parent``'s new last node.

    For what the fast path in _copy_children does not take: templates, noscript,
    valueless or unseen attribute names, values or names lxml refuses.
    """
    content = node.child
    if tag == "noscript":
        # Its raw text parsed as markup (see "Scripting is on" above); `parsed` owns the
        # nodes and must live until they are copied.
        parsed = LexborHTMLParser(_raw_text(node).encode(), is_fragment=True, scripting=True)
        content = parsed.root
    elif tag == "template":
        # A template's content lives in a fragment of its own; copied as children, as
        # libxml2 and the HTML serialiser put it. Every stage drops templates.
        fragments = node.template_fragments()
        content = fragments[0].child if fragments else None
    attributes = _attributes(node)
    try:
        element = _SUB_ELEMENT(parent, tag, attributes)
    except ValueError:
        try:
            element = _SUB_ELEMENT(parent, tag)
        except ValueError:  # a name lxml refuses ('scr<script'): keep the content only
            return _unwrapped(content, parent, last, depth)
        _set_attributes(element, attributes)
    if content is not None:
        _copy_children(content, element, depth + 1)
    return element


def _raw_text(node: LexborNode) -> str:
    """The text children of ``node`` (a raw-text element has one, or none when empty)."""
    texts = []
    child = node.child
    while child is not None:
        if child.tag_id == _TEXT:
            texts.append(child.text_content or "")
        child = child.next
    return "".join(texts)


def _set_attributes(element: _Element, attributes: dict[str, str]) -> None:
    """One by one, so that a name or value lxml refuses loses only itself."""
    for name, value in attributes.items():
        with contextlib.suppress(ValueError):
            element.set(name, _xml_safe(value))


def _unwrapped(
    content: LexborNode | None, parent: _Element, last: _Element | None, depth: int
) -> _Element | None:
    holder = _BUILDER.makeelement("div")
    _copy_children(content, holder, depth)
    _add_text(parent, last, holder.text or "")
    children = list(holder)
    for child in children:
        parent.append(child)  # moves it, with its tail
    return children[-1] if children else last


def _add_text(parent: _Element, last: _Element | None, text: str) -> None:
    if not text:
        return
    if last is None:
        parent.text = (parent.text or "") + text
    else:
        last.tail = (last.tail or "") + text


def _xml_safe(text: str) -> str:
    return _XML_REFUSED.sub("", text.replace("\x0c", " "))


def _comment_text(text: str) -> str:
    """lxml refuses "--" in a comment and a trailing "-"; HTML allows both."""
    text = _DOUBLE_HYPHEN.sub("- ", _xml_safe(text))
    return text + " " if text.endswith("-") else text


def _attributes(node: LexborNode) -> dict[str, str]:
    """The node's attributes lxml can hold: valueless ones get "", odd names are dropped."""
    attributes = {name: value or "" for name, value in node.attributes.items()}
    if _WRITABLE_NAMES.issuperset(attributes):
        return attributes
    for name in list(attributes):
        if not name or _UNWRITABLE_NAME.search(name):
            del attributes[name]
        elif len(_WRITABLE_NAMES) < 10_000:  # hostile pages can invent names without end
            _WRITABLE_NAMES.add(name)
    return attributes
