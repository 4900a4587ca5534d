"""The generic extractor's rules for pages built by page builders and frameworks: each test is
one rule, on a small page shaped like the development pages it was found on (WCXB ids in the
docstrings), so that a later change which breaks the rule says which one."""

from __future__ import annotations

import lxml.html
import pytest

from sokbo.extract.boilerplate import CONTENT, JUNK, LAYOUT, NEUTRAL, NOISE, class_hint
from sokbo.extract.generic import extract_main
from sokbo.web.htmlparse import parse_document

PROSE = [
    f"Paragraph {n} of the guide explains one more step in plain words, long enough to read "
    f"as prose, and it ends with a full stop."
    for n in range(1, 7)
]
NAV = '<nav><a href="/">Home</a> <a href="/blog">Blog</a> <a href="/about">About</a></nav>'
RELATED = (
    '<div class="related-posts"><h3>Related posts</h3><ul>'
    '<li><a href="/a">Another guide with a long enough title</a></li>'
    '<li><a href="/b">Yet another guide with a long title</a></li></ul></div>'
)


def _text(html: str) -> str:
    fragment = extract_main(parse_document(html), "https://example.com/guide")
    assert fragment, "no article found"
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    return " ".join(str(root.text_content()).split())


def _paragraphs(items: list[str], attrs: str = "") -> str:
    return "".join(f"<p{attrs}>{p}</p>" for p in items)


def _assert_whole_article(text: str) -> None:
    for paragraph in PROSE:
        assert paragraph in text
    assert "Another guide" not in text


def test_page_builder_widgets_hold_the_article() -> None:
    """Elementor, SiteOrigin and HubSpot call every block a "widget" (0097, 4640, 4572)."""
    blocks = "".join(
        f'<div class="elementor-widget elementor-widget-text-editor">'
        f'<div class="elementor-widget-container">{_paragraphs(PROSE[i : i + 2])}</div></div>'
        for i in range(0, 6, 2)
    )
    html = f"<html><body>{NAV}<div class='elementor-section'>{blocks}</div>{RELATED}</body></html>"
    _assert_whole_article(_text(html))


def test_a_header_around_the_whole_post_is_kept() -> None:
    """A <header class="rich-text"> holding the post is a misused tag (4096, 4297)."""
    html = (
        f"<html><body>{NAV}<main><div class='grid'><header class='rich-text'>"
        f"{_paragraphs(PROSE)}</header><p>Written by Jane Doe, who writes the guides here.</p>"
        f"</div>{RELATED}</main></body></html>"
    )
    _assert_whole_article(_text(html))


def test_a_small_header_is_still_dropped() -> None:
    html = (
        f"<html><body><article><header><p>Posted in guides, a note long enough to be prose "
        f"by itself.</p></header>{_paragraphs(PROSE)}</article></body></html>"
    )
    text = _text(html)
    assert PROSE[0] in text
    assert "Posted in guides" not in text


def test_react_streamed_content_counts_other_hidden_content_does_not() -> None:
    """React's streaming SSR puts late content in <div hidden id="S:0"> (0155, 4416)."""
    html = (
        f"<html><body>{NAV}<div id='shell'>Loading</div>"
        f"<div hidden id='S:0'><article>{_paragraphs(PROSE)}</article></div>"
        f"<div hidden id='menu'>{_paragraphs(['A hidden note that nobody sees on the page.'])}"
        f"</div></body></html>"
    )
    text = _text(html)
    _assert_whole_article(text)
    assert "hidden note" not in text


def test_paragraphs_named_like_menus_are_paragraphs() -> None:
    """<p class="contextmenu Body"> is a paragraph, not a menu (0399)."""
    named = _paragraphs(PROSE[1:], ' class="contextmenu Body"')
    article = f"<article>{_paragraphs(PROSE[:1])}{named}</article>"
    html = f"<html><body>{NAV}{article}{RELATED}</body></html>"
    _assert_whole_article(_text(html))


def test_a_large_wrapper_named_like_small_furniture_is_the_article() -> None:
    """HubSpot's post wrapper is "hs_cos_wrapper_meta_field" (4151): "meta" is a byline box
    when small, not when it holds the whole post."""
    comments = _paragraphs([p.replace("guide", "reply") for p in PROSE * 3])
    html = (
        f"<html><body>{NAV}<div class='blog-content'><span class='hs_cos_wrapper_meta_field'>"
        f"{_paragraphs(PROSE * 2)}</span></div>{RELATED}"
        f"<div class='hs_cos_wrapper_meta_field'><p>By the editors</p></div>"
        f"<section class='comments'>{comments}</section></body></html>"
    )
    text = _text(html)
    _assert_whole_article(text)
    assert "By the editors" not in text


def test_a_modal_with_prose_is_not_the_article() -> None:
    """A newsletter or quote form in a modal outweighed a short article (4241, 0110)."""
    form = _paragraphs([p.replace("guide", "offer") for p in PROSE[:4]])
    html = (
        f"<html><body><div class='v8Modal'><div class='v8Modal__content'>{form}</div></div>"
        f"<div class='post'>{_paragraphs(PROSE[:3])}</div></body></html>"
    )
    text = _text(html)
    assert PROSE[0] in text
    assert "offer" not in text


@pytest.mark.parametrize(
    ("attrs", "hint"),
    [
        ("share-bar", JUNK),
        ("wp-block-kff-shared-content", CONTENT),  # "shared" is not a share bar (0191)
        ("sidebar", LAYOUT),
        ("col-md-8 with-sidebar", NEUTRAL),  # the main column of a layout with a sidebar
        ("has-sidebar", NEUTRAL),
        ("elementor-widget-container", NEUTRAL),  # page builders' blocks (0097)
        ("ad-slot", NOISE),
        ("w-node-b5343ad4-d1b4", NEUTRAL),  # "ad" inside a hex id is no ad (4125)
        ("v8Modal", JUNK),
        ("tag-list", NOISE),
        ("tag", NOISE),
    ],
)
def test_class_hints(attrs: str, hint: int) -> None:
    assert class_hint(attrs) == hint
