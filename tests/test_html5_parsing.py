"""Pages are parsed as a browser parses them (sokbo.web.htmlparse on lexbor), at every stage.

Each page in tests/data/html5/ holds one construct that libxml2 nests differently from a
browser (foreign content, raw text, misnesting). html5lib, a pure-Python implementation of
the HTML Standard's parser, is the oracle for what a browser shows: every paragraph of
the article it renders must come out of extraction and the clean stage, and nothing
executable may.
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import html5lib
import lxml.html
import pytest
from html5lib.constants import DataLossWarning
from hypothesis import given
from hypothesis import strategies as st
from lxml.etree import ParserError

import sokbo.extract.article as article_module
import sokbo.extract.clean as clean_module
from sokbo.extract.article import parse_article
from sokbo.extract.clean import clean_html
from sokbo.extract.discovery import discover_feeds
from sokbo.extract.images import body_image
from sokbo.extract.presets import PRESETS, Preset
from sokbo.extract.text import html_to_text, squash
from sokbo.models import FeedHint, Page
from sokbo.web.htmlparse import MAX_DEPTH, parse_document, parse_fragment
from sokbo.web.htmltree import inner_html

DATA = Path(__file__).parent / "data" / "html5"
CASES = sorted(path.stem for path in DATA.glob("*.html"))
URL = "https://news.example/2024/07/harbour"
CRAWLED_AT = datetime(2024, 8, 1, tzinfo=UTC)
SEOUL = ZoneInfo("Asia/Seoul")
HTML_NS = "{http://www.w3.org/1999/xhtml}"

# Where a browser shows no paragraph: raw text, controls, metadata, foreign content,
# and <noscript>, which a browser that runs scripts hides. <object> and <applet> are not
# here: with no plugin to run, browsers render their fallback content.
HIDDEN = frozenset(
    {
        "head", "title", "script", "style", "template", "noscript", "select", "option",
        "textarea", "xmp", "plaintext", "iframe", "noembed", "noframes",
    }
)  # fmt: skip
# The article's own paragraphs in the fixtures (the site's footer is left out).
ARTICLE_PARAGRAPH = re.compile(r"paragraph( \d)?:")
# The body found by a source's own selector, or by the generic extractor.
BY_SELECTOR = Preset(name="html5", body=("article",))
BY_GENERIC = PRESETS["generic"]
EXECUTABLE_TAGS = {"script", "iframe", "object", "embed", "applet", "frame", "frameset", "form"}


def read(name: str) -> str:
    return (DATA / f"{name}.html").read_text(encoding="utf-8")


def browser_paragraphs(html: str) -> list[str]:
    """The article paragraphs a browser renders, by html5lib's tree."""
    document = html5lib.parse(html, treebuilder="lxml")
    shown = []
    for p in document.iter(f"{HTML_NS}p"):
        ancestors = {a.tag for a in p.iterancestors()}
        if any(a == f"{HTML_NS}{name}" for a in ancestors for name in HIDDEN):
            continue
        if not all(a.startswith(HTML_NS) for a in ancestors):
            continue  # inside <svg> or <math>: not rendered as a paragraph
        text = squash("".join(p.itertext()))
        if ARTICLE_PARAGRAPH.search(text):
            shown.append(text)
    return shown


def oracle_body(fragment: str) -> lxml.html.HtmlElement:
    """html5lib's <body> for a fragment (the same insertion mode as a div's content)."""
    with warnings.catch_warnings():  # lxml cannot hold every comment the soup makes
        warnings.simplefilter("ignore", DataLossWarning)
        document = html5lib.parse(
            f"<!DOCTYPE html><body>{fragment}", treebuilder="lxml", namespaceHTMLElements=False
        )
    body = document.find("body")
    assert body is not None
    return body


def published_body(html: str, preset: Preset = BY_SELECTOR) -> str:
    """The article body as sokbo publishes it: extracted, then cleaned."""
    page = Page(
        source_id="html5",
        url=URL,
        final_url=URL,
        html=html,
        fetched_at=CRAWLED_AT,
        hint=FeedHint(),
    )
    article = parse_article(page, preset, SEOUL, "en")
    return clean_html(article.body_html, URL)


def test_every_case_has_a_fixture() -> None:
    assert set(CASES) == {
        "svg-onload", "math", "select", "table-foster", "noscript", "textarea",
        "title-in-body", "plaintext", "xmp", "stray-end-p", "body-in-article",
        "object", "applet", "form", "frameset",
    }  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_every_paragraph_a_browser_shows_survives(name: str) -> None:
    html = read(name)
    expected = browser_paragraphs(html)
    assert len(expected) >= 3, "the oracle found the article"
    text = html_to_text(published_body(html, BY_SELECTOR))
    assert [p for p in expected if p not in text] == []


@pytest.mark.parametrize("name", CASES)
def test_every_paragraph_a_browser_shows_survives_the_generic_extractor(name: str) -> None:
    html = read(name)
    expected = browser_paragraphs(html)
    text = html_to_text(published_body(html, BY_GENERIC))
    assert [p for p in expected if p not in text] == []


@pytest.mark.parametrize("preset", [BY_SELECTOR, BY_GENERIC], ids=["selector", "generic"])
@pytest.mark.parametrize("name", CASES)
def test_nothing_executable_survives_the_clean_stage(name: str, preset: Preset) -> None:
    body = published_body(read(name), preset)
    elements = [el for el in oracle_body(body).iter() if isinstance(el.tag, str)]
    assert not [el.tag for el in elements if el.tag in EXECUTABLE_TAGS]
    for el in elements:
        for attribute, value in el.attrib.items():
            assert not attribute.lower().startswith("on"), (el.tag, attribute)
            assert "javascript:" not in value.lower().replace(" ", ""), (el.tag, attribute)
    assert "alert(" not in html_to_text(body).replace("<script>alert", "")


def test_text_the_browser_keeps_out_of_paragraphs_stays_out() -> None:
    assert "Inside the option" not in html_to_text(published_body(read("select")))
    assert "Inside the frameset" in html_to_text(published_body(read("frameset")))
    assert "Typed into a box" not in html_to_text(published_body(read("textarea")))
    # <plaintext> turns the rest of the page into text; a browser shows it as source code.
    assert "Shown as source text" not in html_to_text(published_body(read("plaintext")))


def test_the_old_parser_lost_the_paragraphs_after_an_unclosed_svg(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """libxml2 nested the rest of the article inside <svg>, which the clean stage drops."""
    html = read("svg-onload")
    monkeypatch.setattr(article_module, "parse_document", lxml.html.document_fromstring)
    monkeypatch.setattr(clean_module, "parse_fragment", _libxml2_fragment)
    for preset in (BY_SELECTOR, BY_GENERIC):
        text = html_to_text(published_body(html, preset))
        assert "Svg paragraph 2:" in text
        assert "Svg paragraph 3:" not in text
        assert "Svg paragraph 5:" not in text


def _libxml2_fragment(fragment: str) -> lxml.html.HtmlElement:
    """How the clean stage parsed before sokbo.web.htmlparse.parse_fragment."""
    return lxml.html.document_fromstring(f"<html><body>{fragment}</body></html>").find("body")


def test_the_head_noscript_pixel_leaves_the_metadata_in_head() -> None:
    """As a browser that runs scripts parses it: the pixel does not close <head>."""
    root = parse_document(read("noscript"))
    assert root.find("head/meta[@property='og:description']") is not None
    assert root.find("head/noscript/img") is not None
    page = Page(
        source_id="html5",
        url=URL,
        final_url=URL,
        html=read("noscript"),
        fetched_at=CRAWLED_AT,
        hint=FeedHint(),
    )
    article = parse_article(page, BY_GENERIC, SEOUL, "en")
    assert article.excerpt == "A page whose head holds a noscript pixel."
    assert article.title == "Lazy images in noscript"


def test_noscript_content_is_markup_so_its_lazy_image_is_found() -> None:
    root = parse_fragment('<noscript><img src="https://img.example/a.jpg"></noscript>')
    assert [img.get("src") for img in root.iter("img")] == ["https://img.example/a.jpg"]
    root = parse_fragment("<noscript>a &lt; b<b>c</noscript>d")
    assert inner_html(root) == "<noscript>a &lt; b<b>c</b></noscript>d"


def test_what_noscript_leaves_open_ends_with_it() -> None:
    """Google Tag Manager's snippet as some sites write it: an <iframe> is never
    self-closing, and parsed without scripting it took the rest of the page as text."""
    html = (
        '<body><noscript><iframe src="https://www.googletagmanager.com/ns.html" /></noscript>'
        "<main><p>The article.</p></main></body>"
    )
    assert parse_document(html).findtext("body/main/p") == "The article."
    assert body_image('<p>x</p><img src="https://img.example/pier-photo.jpg">', URL) == (
        "https://img.example/pier-photo.jpg",
        "img[src]",
    )


# --- the tree itself -----------------------------------------------------------------


def test_foreign_elements_and_attributes_are_plain_names() -> None:
    root = parse_fragment('<svg viewBox="0 0 1 1"><use xlink:href="#a"/><foreignObject/></svg>')
    svg = root[0]
    assert svg.tag == "svg"
    assert svg.get("viewBox") == "0 0 1 1"
    assert [el.tag for el in svg] == ["use", "foreignObject"]
    assert svg[0].get("xlink:href") == "#a"


def test_attribute_names_lxml_cannot_write_are_dropped_not_fatal() -> None:
    root = parse_fragment("<p a\"b=1 c<d=2 'e=3 ok=4 bare>x</p>")
    assert dict(root[0].attrib) == {"ok": "4", "bare": ""}


def test_a_tag_name_lxml_refuses_is_unwrapped() -> None:
    root = parse_fragment("<p>a<scr<script>b<i>c</i>d</scr<script>e</p>")
    assert inner_html(root) == "<p>ab<i>c</i>de</p>"


def test_control_characters_and_surrogates_do_not_raise() -> None:
    root = parse_fragment('<p title="a&#1;b">x&#1;y\x00z&#xFFFE;\x0b</p><p>\ud83d\ude00\ud800</p>')
    assert root[0].get("title") == "ab"
    assert root[0].text == "xyz"
    assert root[1].text == "\U0001f600\ufffd"


def test_comments_lxml_would_refuse_are_kept_as_comments() -> None:
    root = parse_fragment("<p>a<!-- x -- y ---->b</p>")
    assert root[0].text == "a"
    assert root[0][0].tail == "b"
    assert "--" not in (root[0][0].text or "")


def test_template_content_is_kept_as_children() -> None:
    root = parse_fragment("<template><p>inside</p></template><p>after</p>")
    assert inner_html(root) == "<template><p>inside</p></template><p>after</p>"


def test_raw_text_elements_hold_text() -> None:
    root = parse_fragment("<textarea><b>x</b></textarea><title><i>t</i></title><xmp><p></xmp>")
    assert [(el.tag, el.text, len(el)) for el in root] == [
        ("textarea", "<b>x</b>", 0),
        ("title", "<i>t</i>", 0),
        ("xmp", "<p>", 0),
    ]


def test_whitespace_between_blocks_is_kept() -> None:
    html = "\n<p>a</p>\n\n<p>b</p>\n  <table>\n<tr><td>c</td></tr>\n</table>\n"
    assert inner_html(parse_fragment(html)) == (
        "\n<p>a</p>\n\n<p>b</p>\n  <table>\n<tbody><tr><td>c</td></tr>\n</tbody></table>\n"
    )


def test_the_newline_after_pre_is_written_back() -> None:
    assert inner_html(parse_fragment("<pre>\n  code\n</pre>")) == "<pre>\n\n  code\n</pre>"
    assert clean_html("<pre>\n  code\n</pre>", URL) == "<pre>\n  code\n</pre>"
    assert inner_html(parse_fragment("<pre>code</pre>")) == "<pre>code</pre>"


def test_a_whole_document_and_its_prolog() -> None:
    root = parse_document('<?xml version="1.0"?>\n<!DOCTYPE html><title>t</title><p>x')
    assert isinstance(root, lxml.html.HtmlElement)
    assert [el.tag for el in root] == ["head", "body"]
    assert root.findtext("head/title") == "t"
    assert root.findtext("body/p") == "x"


@pytest.mark.parametrize("blank", ["", "  \n\t"])
def test_nothing_to_parse_raises(blank: str) -> None:
    with pytest.raises(ParserError):
        parse_document(blank)
    assert len(parse_fragment(blank)) == 0


def test_feed_discovery_reads_links_after_a_head_noscript() -> None:
    html = (
        '<head><noscript><img src="/p.gif"></noscript>'
        '<link rel="alternate" type="application/rss+xml" href="/rss"></head>'
    )
    assert discover_feeds(html, "https://blog.example/") == ["https://blog.example/rss"]


SOUP = [
    "<p>", "</p>", "<svg>", "</svg>", "<math>", "<table>", "<td>", "<select>", "<textarea>",
    "</textarea>", "<b>", "</b>", "<a href=x>", "</a>", "<form>", "<object>", "<!--", "-->",
    "text", " ", "\n", "&amp;", "<br/>",
]  # fmt: skip

_ANY_CHARACTER = st.characters(codec=None, categories=None)  # controls and surrogates too
_MARKUP = st.sampled_from(
    ["<", ">", "</", "/>", "=", '"', "'", "&#", ";", "<!--", "-->", "<p ", "<noscript>",
     "</noscript>", "<template>", "</template>", "<iframe/>", "<pre>\n", "<plaintext>",
     "<xmp>", "<title>", "<scr<script>", "<html a=b>", "<body>", "<frameset>", "<?xml?>"]
)  # fmt: skip


@given(st.lists(st.one_of(_ANY_CHARACTER, _MARKUP, st.sampled_from(SOUP)), max_size=60))
def test_any_text_parses(pieces: list[str]) -> None:
    text = "".join(pieces)
    fragment = parse_fragment(text)
    assert isinstance(fragment, lxml.html.HtmlElement)
    inner_html(fragment)
    if text.strip(" \t\n\r\f"):
        assert parse_document(text).tag == "html"


@given(st.lists(st.sampled_from(SOUP), max_size=30))
def test_text_content_matches_the_oracle_on_tag_soup(pieces: list[str]) -> None:
    """lexbor and html5lib build the same text for the same soup (both follow the spec)."""
    html = "".join(pieces)
    if "<select>" in html:
        return  # the Standard now parses <select>'s content as markup; html5lib predates it
    foreign = re.search("<svg>|<math>", html)
    if foreign and re.search("</p>|</br>", html[foreign.end() :]):
        return  # now a </p> or </br> in foreign content breaks out (html5lib predates it)
    ours = "".join(parse_fragment(html).itertext())
    # Not whitespace: the two differ on a newline after a foster-parented <textarea>.
    theirs = "".join(oracle_body(html).itertext())
    assert "".join(ours.split()) == "".join(theirs.split())


def test_a_page_nested_thousands_deep_keeps_its_text_and_reads() -> None:
    """Nesting past MAX_DEPTH (a trap, or a broken generator) keeps the text, flat, as
    browsers cap nesting too: no stage of the pipeline runs out of recursion on it."""
    deep = "<div>" * 5000 + "<p>The deepest paragraph.</p>" + "</div>" * 5000
    html = (
        "<html><head><title>Deep</title></head><body><article><h1>Deep</h1>"
        f"<p>The first paragraph of the story, long enough to count as one.</p>{deep}"
        "<p>The paragraph after the nesting.</p></article></body></html>"
    )
    root = parse_document(html)
    assert max(len(list(e.iterancestors())) for e in root.iter()) <= MAX_DEPTH + 3
    assert "The deepest paragraph." in root.text_content()
    page = Page(
        source_id="html5", url=URL, final_url=URL, html=html, fetched_at=CRAWLED_AT,
        hint=FeedHint(),
    )  # fmt: skip
    article = parse_article(page, BY_GENERIC, SEOUL, "en")
    text = parse_fragment(clean_html(article.body_html, URL)).text_content()
    assert "The deepest paragraph." in text
    assert "The paragraph after the nesting." in text
    assert "The deepest paragraph." in parse_fragment(deep).text_content()
