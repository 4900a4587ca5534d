"""The generic extractor on pages it was not tuned on: the demo blog, the fixture sites, and
hand-written pages with every kind of furniture around one article."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import lxml.html
import pytest

from sokbo.demo.server import SITE_ROOT
from sokbo.extract.clean import clean_html
from sokbo.extract.generic import extract_main
from sokbo.web.encoding import decode_html

SITES = Path(__file__).parent / "sites"
# Where each fixture keeps its article body; the test uses it only to know what to expect.
BODY_SELECTORS = (
    ".tt_article_useless_p_margin",  # Tistory
    "[itemprop=articleBody]",
    ".entry-content",
    ".article-body",
    "#articleBody",
    "#article-view-content-div",
)
STRUCTURE = ("h2", "h3", "ul", "ol", "table", "blockquote")


def _fixture_pages() -> list[tuple[str, Path, str | None]]:
    """(test id, page file, snippet the body must contain) for every stored article page."""
    pages: list[tuple[str, Path, str | None]] = [
        (f"demo-{n}", SITE_ROOT / f"{n}.html", None) for n in range(1, 6)
    ]
    for expected_file in sorted(SITES.glob("*/_expected.json")):
        site = expected_file.parent
        for path, snippet in json.loads(expected_file.read_text("utf-8"))["snippets"].items():
            file = site / path.lstrip("/").replace("?", "@")
            if path.endswith("/"):
                file = file / "index.html"
            pages.append((f"{site.name}{path}", file, snippet))
    return pages


FIXTURES = _fixture_pages()


def _text(fragment: str | None) -> str:
    assert fragment, "no article found"
    return _content(lxml.html.fragment_fromstring(fragment, create_parent="div"))


def _content(el: object) -> str:
    return str(cast(lxml.html.HtmlElement, el).text_content())


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("name", "file", "snippet"), FIXTURES, ids=[f[0] for f in FIXTURES])
def test_fixture_article(name: str, file: Path, snippet: str | None) -> None:
    html = decode_html(file.read_bytes()).text  # several are CP949 bytes
    url = "https://news.example/" + name
    fragment = extract_main(lxml.html.document_fromstring(html), url)
    text = _squash(_text(fragment))
    assert "\ufffd" not in text
    if snippet:
        assert snippet in text

    # What the page itself says is the body, and what lies outside it.
    page = lxml.html.document_fromstring(html)
    for invisible in list(page.iter("script", "style", "noscript")):  # a tracking pixel, ...
        cast(lxml.html.HtmlElement, invisible).drop_tree()
    body = next(el for sel in BODY_SELECTORS for el in page.cssselect(sel))
    body_text = _squash(_content(body))
    for p in body.iter("p"):
        line = _squash(_content(p))
        if len(line) >= 10:
            assert line in text, f"body paragraph missing: {line!r}"
    outside = set(body.iterancestors()) | set(body.iter())
    for el in cast(lxml.html.HtmlElement, page).body.iter():
        own = _squash(el.text or "")
        if el in outside or len(own) < 4:
            continue
        if own not in body_text:
            assert own not in text, f"page furniture kept: {own!r} ({el.tag} {el.attrib})"

    # Where the body's headings, lists, tables and quotes were kept, they still are those.
    kept = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for tag in STRUCTURE:
        for el in body.iter(tag):
            if _squash(_content(el)) in text:
                assert any(_squash(_content(k)) == _squash(_content(el)) for k in kept.iter(tag)), (
                    f"<{tag}> lost"
                )


ARTICLE = """<!DOCTYPE html>
<html lang="ko"><head><title>속보: 테스트 기사 | 예시일보</title>
<style>.x{color:red}</style><script>var tracking = 1;</script></head>
<body class="single has-sidebar">
<div class="cookie-notice">이 사이트는 쿠키를 사용합니다.
계속 이용하시면 쿠키 사용에 동의하는 것으로 간주합니다.</div>
<header class="site-header"><a href="/">예시일보</a>
<nav class="main-menu"><ul><li><a href="/politics">정치</a></li><li><a href="/economy">경제</a></li>
<li><a href="/society">사회</a></li><li><a href="/world">국제</a></li></ul></nav></header>
<div id="wrap"><main id="content">
<article class="post">
<h1>국회, 인공지능 기본법 통과</h1>
<div class="byline">홍길동 기자 · 입력 2024.07.12 09:30</div>
<div class="share-bar"><a href="https://twitter.com/share">트위터</a> <a href="https://facebook.com/share">페이스북</a></div>
<div class="article-body" itemprop="articleBody">
<p>국회는 12일 본회의를 열어 인공지능 산업 육성과 신뢰 기반 조성을 담은 기본법을 통과시켰다.
법은 공포 1년 뒤 시행된다.</p>
<figure><img data-src="/photos/assembly.jpg" src="data:image/gif;base64,R0lGOD" alt="본회의장">
<figcaption>12일 국회 본회의장 모습.</figcaption></figure>
<h2>주요 내용</h2>
<p>법안은 <b>고영향 인공지능</b>을 정의하고 사업자에게 <em>위험 관리 의무</em>를 지운다.
자세한 내용은 <a href="/docs/ai-act">법안 전문</a>에서 볼 수 있다.</p>
<ul><li>생성형 인공지능 결과물에 표시 의무</li><li>국가인공지능위원회 설치</li></ul>
<div class="ad-slot">광고</div>
<table><tr><th>구분</th><th>내용</th></tr><tr><td>시행일</td><td>공포 후 1년</td></tr></table>
<blockquote><p>"산업과 안전의 균형을 맞춘 법이다."</p></blockquote>
<p>업계는 환영하면서도 하위 법령에서 규제 범위가 넓어질 것을 우려했다.</p>
<div class="newsletter-box"><p>매일 아침 주요 뉴스를 받아 보세요.
뉴스레터를 구독하시면 놓친 기사를 한눈에 볼 수 있습니다.</p></div>
</div>
<div class="related-articles"><h3>관련 기사</h3><ul>
<li><a href="/a/1">인공지능 기본법, 상임위 통과… 본회의만 남아</a></li>
<li><a href="/a/2">인공지능 업계 "규제보다 진흥이 먼저"라는 목소리</a></li></ul></div>
</article>
<section id="comments" class="comments-area"><h3>댓글 2</h3><ol class="comment-list">
<li><p>드디어 통과됐네요. 하위 법령이 어떻게 나올지 지켜봐야 할 것 같습니다.
기대 반 걱정 반입니다.</p></li>
<li><p>규제가 너무 강하면 스타트업은 버티기 어렵습니다.
현장의 목소리를 꼭 들어주셨으면 합니다.</p></li>
</ol></section>
</main>
<aside class="sidebar"><h3>많이 본 뉴스</h3><ol><li><a href="/a/9">폭염경보 전국 확대</a></li>
<li><a href="/a/8">기준금리 동결</a></li></ol>
<p>예시일보는 독자 여러분의 제보를 기다립니다.
제보는 언제든지 환영하며 익명이 보장됩니다.</p></aside>
</div>
<footer class="site-footer"><p>예시일보 · 서울특별시 중구 세종대로 1
· 발행인 홍길동 · 등록번호 서울 아00000</p></footer>
</body></html>
"""


def _extract(html: str, url: str = "https://news.example/2024/07/ai-act") -> str | None:
    return extract_main(lxml.html.document_fromstring(html), url)


def test_article_body_without_furniture() -> None:
    text = _squash(_text(_extract(ARTICLE)))
    assert text.startswith("국회는 12일 본회의를 열어")
    for kept in (
        "법은 공포 1년 뒤 시행된다.",
        "12일 국회 본회의장 모습.",
        "주요 내용",
        "법안 전문",
        "국가인공지능위원회 설치",
        "공포 후 1년",
        "산업과 안전의 균형",
        "규제 범위가 넓어질",
    ):
        assert kept in text
    for dropped in (
        "쿠키",
        "경제",
        "국회, 인공지능 기본법 통과",
        "홍길동 기자",
        "트위터",
        "광고",
        "뉴스레터",
        "관련 기사",
        "상임위 통과",
        "댓글",
        "스타트업",
        "많이 본 뉴스",
        "제보",
        "세종대로",
    ):
        assert dropped not in text, dropped


def test_structure_and_absolute_urls() -> None:
    fragment = _extract(ARTICLE)
    assert fragment is not None
    kept = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for tag in (
        "h2",
        "p",
        "ul",
        "li",
        "table",
        "th",
        "td",
        "blockquote",
        "figure",
        "figcaption",
        "img",
        "a",
        "b",
        "em",
    ):
        assert kept.find(f".//{tag}") is not None, tag
    assert kept.find(".//h1") is None  # the headline is the post's title, not its body
    assert kept.find(".//a").get("href") == "https://news.example/docs/ai-act"
    # A lazy image keeps its real address for the clean stage, which resolves it.
    page_url = "https://news.example/2024/07/ai-act"
    cleaned = lxml.html.fragment_fromstring(clean_html(fragment, page_url), create_parent="div")
    assert cleaned.find(".//img").get("src") == "https://news.example/photos/assembly.jpg"


def test_english_article_split_by_ads() -> None:
    paragraphs = [
        f"<p>Paragraph {n} of the story says something long enough to be prose, with a clause, "
        f"and ends properly.</p>"
        for n in range(1, 7)
    ]
    html = f"""<html><body>
    <nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
    <div class="story">
      <div class="story-part">{"".join(paragraphs[:3])}</div>
      <div class="advertisement">Advertisement</div>
      <div class="story-part">{"".join(paragraphs[3:])}</div>
      <p class="dateline">Nov. 19, 2019 8:03 am ET</p>
      <div class="share">Share this story</div>
    </div>
    <div class="sidebar">
      <p>Most read: a teaser that is long enough to look like a sentence.</p>
    </div>
    </body></html>"""
    text = _squash(_text(_extract(html, "https://example.com/story")))
    for n in range(1, 7):
        assert f"Paragraph {n} of the story" in text
    for dropped in ("Home", "Advertisement", "Nov. 19", "Share this", "Most read"):
        assert dropped not in text


@pytest.mark.parametrize(
    "html",
    [
        "<html><body></body></html>",
        "<html><body><nav><a href='/a'>Home</a> <a href='/b'>About us</a></nav></body></html>",
        "<html><body><ul><li><a href='/1'>First headline of the list</a></li>"
        "<li><a href='/2'>Second headline of the list</a></li></ul></body></html>",
    ],
)
def test_no_article(html: str) -> None:
    assert _extract(html) is None
