"""Images in the clean stage: lazy-loaded images get their real src; placeholders go."""

from __future__ import annotations

import pytest

from sokbo.extract.clean import clean_html

BASE = "https://news.example/2024/07/story/"


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        (
            '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="/img/a.jpg" alt="a">',
            '<img src="https://news.example/img/a.jpg" alt="a">',
        ),
        ('<img src="/common/blank.gif" data-lazy-src="b.jpg">', f'<img src="{BASE}b.jpg">'),
        (
            '<img data-original="https://cdn.example/c.jpg">',
            '<img src="https://cdn.example/c.jpg">',
        ),
        (
            '<img src="/spacer.gif" data-srcset="s.jpg 320w, l.jpg 1280w, m.jpg 640w">',
            f'<img src="{BASE}l.jpg">',
        ),
        ('<img srcset="a.jpg 1x, b.jpg 2x">', f'<img src="{BASE}b.jpg">'),
        (
            '<img src="/preview.jpg?type=w80_blur" data-lazy-src="/full.jpg?type=w773">',
            '<img src="https://news.example/full.jpg?type=w773">',
        ),
    ],
    ids=[
        "data-uri+data-src",
        "blank-gif+lazy-src",
        "original-only",
        "data-srcset",
        "srcset-x",
        "lazy-beats-a-preview-src",
    ],
)
def test_lazy_image_gets_its_real_source(fragment: str, expected: str) -> None:
    assert clean_html(f"<p>text</p>\n<p>{fragment}</p>", BASE) == f"<p>text</p>\n<p>{expected}</p>"


@pytest.mark.parametrize(
    "fragment",
    [
        '<img src="/images/blank.gif">',
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">',
        '<img src="https://tracker.example/p.gif" width="1" height="1">',
        "<img>",
        '<img src="/loading.svg" data-src="">',
    ],
)
def test_placeholders_and_pixels_are_removed(fragment: str) -> None:
    assert clean_html(f"<p>before</p>\n{fragment}\n<p>after</p>", BASE) == (
        "<p>before</p>\n<p>after</p>"
    )


def test_a_table_keeps_its_images() -> None:
    html = (
        '<table><tr><td><img data-src="/a.jpg" alt="A"></td>'
        '<td><img src="/b.jpg" alt="B"></td></tr></table>'
    )
    cleaned = clean_html(html, BASE)
    assert '<img alt="A" src="https://news.example/a.jpg">' in cleaned
    assert '<img src="https://news.example/b.jpg" alt="B">' in cleaned
