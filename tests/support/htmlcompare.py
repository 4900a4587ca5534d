"""Compare two HTML fragments as html5lib trees, with a readable diff on failure."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

import html5lib

# HTML's own whitespace; U+00A0 (&nbsp;) is content, not whitespace.
_HTML_WS = " \t\n\r\f"


def parse_fragment(html: str) -> Any:
    """Parse ``html`` the way a browser parses a fragment inside <body>."""
    return html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False)


def outline(html: str) -> list[str]:
    """One line per element, text run and comment, indented by depth.

    Whitespace-only text between tags is left out (it does not change what the
    page shows); other text is kept exactly and shown with repr() so that
    U+00A0 and stray spaces are visible. Attributes are listed in source order.
    """
    return list(_outline_children(parse_fragment(html), 0))


def assert_same_html(actual: str, expected: str) -> None:
    """Assert both fragments parse to the same tree (see :func:`outline`)."""
    actual_lines = outline(actual)
    expected_lines = outline(expected)
    if actual_lines != expected_lines:
        diff = "\n".join(
            difflib.unified_diff(
                expected_lines, actual_lines, "expected", "actual", lineterm="", n=2
            )
        )
        raise AssertionError(f"HTML trees differ:\n{diff}")


def _outline_children(element: Any, depth: int) -> Iterator[str]:
    yield from _text_line(element.text, depth)
    for child in element:
        yield from _outline_node(child, depth)
        yield from _text_line(child.tail, depth)


def _outline_node(node: Any, depth: int) -> Iterator[str]:
    indent = "  " * depth
    if not isinstance(node.tag, str):  # comment
        yield f"{indent}<!--{node.text}-->"
        return
    attrs = "".join(f" {name}={value!r}" for name, value in node.attrib.items())
    yield f"{indent}<{node.tag}{attrs}>"
    yield from _outline_children(node, depth + 1)


def _text_line(text: str | None, depth: int) -> Iterator[str]:
    if text and text.strip(_HTML_WS):
        yield f"{'  ' * depth}{text!r}"
