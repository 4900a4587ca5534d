"""Telling an article from service, product, forum, listing and documentation pages
(sokbo.extract.pagetype), on small stored pages, and end to end: a listing crawl that
follows links to an about page and a privacy page posts neither and counts why."""

from __future__ import annotations

from pathlib import Path

import frontmatter
import lxml.html
import pytest

from sokbo import stats as stat_keys
from sokbo.extract.pagetype import NO_EVIDENCE, is_article, read_signals
from sokbo.outcome import stat_count
from sokbo.web.htmlparse import parse_document
from tests.support.cli import run_sokbo
from tests.support.configs import write_source_config
from tests.support.fixture_server import serve_fixture
from tests.support.scheduling import last_run_stats

PAGES = Path(__file__).parent / "data" / "pagetype"
SITE = Path(__file__).parent / "sites" / "wordpress-pages"

# page file -> (the URL it was fetched from, article?, the reason's words)
CASES = {
    "news-article": (
        "https://herald.example/news/2024/06/20/bike-lanes",
        True,
        "article (schema.org NewsArticle, a publication date, an author, og:type article",
    ),
    "blog-post": (
        "https://flourandwater.example/2024/03/a-year-of-sourdough/",
        True,
        "article (a publication date, a headline worded as a story)",
    ),
    "korean-news": (
        "https://barun.example/news/articleView.html?idxno=1001",
        True,
        "article (a publication date, a story section in the URL)",
    ),
    "korean-blog": ("https://slowwalk.example/13", True, "article (a publication date"),
    "about-page": ("https://hanbit.example/about/", False, "not an article (an about page by"),
    "privacy-page": (
        "https://herald.example/privacy-policy/",
        False,
        "not an article (a legal notice by its title)",
    ),
    "product-page": (
        "https://summit.example/trailrunner-3",
        False,
        "not an article (product page: schema.org Product)",
    ),
    "forum-thread": (
        "https://bakers.example/dough-too-sticky-4411",
        False,
        "not an article (forum thread: posts by several users)",
    ),
    "listing-page": (
        "https://hanbit.example/society/",
        False,
        "not an article (a listing of teasers)",
    ),
    "docs-page": (
        "https://widgetron.example/en/2.3/config.html",
        False,
        "not an article (documentation: a docs site's page)",
    ),
}


def page(name: str) -> str:
    return (PAGES / f"{name}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(CASES))
def test_verdict_and_reason(name: str) -> None:
    url, article, reason = CASES[name]
    verdict = is_article(parse_document(page(name)), url)
    assert verdict.article is article, verdict.reason
    assert verdict.reason.startswith(reason)


def test_a_korean_article_marked_website_is_still_an_article() -> None:
    # Many Korean news CMSs write og:type website on every page; the 입력 line decides.
    root = parse_document(page("korean-news"))
    signals = read_signals(root, CASES["korean-news"][0])
    assert signals.og_type == "website"
    assert signals.dated


@pytest.mark.parametrize("name", ["about-page", "privacy-page", "product-page", "forum-thread"])
def test_the_page_decides_without_a_telling_url(name: str) -> None:
    """Refused on what the page holds, not only on /about/ or /privacy-policy/."""
    verdict = is_article(parse_document(page(name)), f"https://neutral.example/x/{name}-7")
    assert not verdict.article
    assert "by its URL" not in verdict.reason


def test_an_about_page_without_a_telling_url_looks_like_a_service_page() -> None:
    verdict = is_article(parse_document(page("about-page")), "https://hanbit.example/hanbit")
    assert verdict.reason == f"not an article ({NO_EVIDENCE})"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://news.example/category/world/", "an index page"),
        ("https://news.example/tag/politics/", "an index page"),
        ("https://news.example/page/3/", "an index page"),
        ("https://news.example/list.php?page=4", "an index page"),
        ("https://news.example/privacy-policy/", "a legal notice"),
        ("https://forum.example.com/some-thread-9", "a forum page"),
        # A story URL that carries its list's first page, slugs under /topics/ and /p/.
        ("https://news.example/news_view.html?idx=8576&page=1", None),
        ("https://news.example/topics/health/best-walking-shoes-2024", None),
        ("https://news.example/p/why-we-moved-to-postgres", None),
    ],
)
def test_url_paths(url: str, kind: str | None) -> None:
    assert read_signals(parse_document(page("blog-post")), url).path_kind == kind


def test_a_telling_url_weighs_less_than_a_story_page() -> None:
    """A dated blog post under /tag/ is refused; a NewsArticle with a byline is not."""
    url = "https://news.example/tag/politics/"
    assert not is_article(parse_document(page("blog-post")), url).article
    assert is_article(parse_document(page("news-article")), url).article


def test_reading_signals_leaves_the_page_as_it_was() -> None:
    """The signals are read from a copy with chrome cut out; the extractor reads the page
    after, header and footer included."""
    root = parse_document(page("news-article"))
    before = lxml.html.tostring(root)
    read_signals(root, CASES["news-article"][0])
    assert lxml.html.tostring(root) == before


def test_a_huge_listing_is_read_within_bounds() -> None:
    """Ten thousand cards: the page still reads as a listing (the work stops early)."""
    cards = "".join(
        f'<div class="card"><a href="/s/{i}"><h3>Story {i}</h3></a><p>Teaser {i}.</p></div>'
        for i in range(10_000)
    )
    root = parse_document(f"<html><body><main>{cards}</main></body></html>")
    verdict = is_article(root, "https://news.example/latest")
    assert verdict.reason == "not an article (a listing of teasers)"


def test_empty_and_odd_pages_are_refused_not_raised() -> None:
    for html in ("<html><body></body></html>", "<p>hello</p>", "<html><frameset></frameset>"):
        verdict = is_article(parse_document(html), "https://example.com/")
        assert not verdict.article
        assert verdict.reason.startswith("not an article (")


@pytest.mark.e2e
def test_listing_crawl_posts_articles_and_counts_refused_pages(tmp_path: Path) -> None:
    """WordPress marks its about and privacy pages og:type article, without a date; a
    listing crawl follows the links to them and must not make them posts dated today."""
    with serve_fixture(SITE) as server:
        config = write_source_config(
            tmp_path, server.base_url, 'kind = "listing"\nstart_urls = ["{base}/"]'
        )
        result = run_sokbo("--config", str(config), "crawl", cwd=tmp_path)
        requested = {r.path for r in server.log if r.method == "GET"}
    assert result.returncode == 0, result.stdout + result.stderr
    assert {"/about/", "/privacy-policy/"} <= requested

    posts = [frontmatter.load(p) for p in sorted((tmp_path / "sites/out/_posts").glob("*.md"))]
    sources = {str(post["source_url"]).removeprefix(server.base_url) for post in posts}
    assert sources == {
        "/2024/10/harbor-ferry-resumes/",
        "/2024/10/library-night-hours/",
        "/2024/10/market-festival/",
    }
    summary = result.stdout
    stats = last_run_stats(tmp_path)
    assert stat_count(stats, stat_keys.POSTS_WRITTEN) == 3, stats
    assert "not an article (an about page by its URL)" in summary
    assert "not an article (a legal notice by its title)" in summary
    # The reasons are counted under "dropped", once per page.
    dropped = {
        key.removeprefix(stat_keys.DROPPED): count
        for key, count in stats.items()
        if key.startswith(stat_keys.DROPPED)
    }
    assert dropped["not an article (an about page by its URL)"] == 1, stats
    assert dropped["not an article (a legal notice by its title)"] == 1, stats
    assert "Dropped: not an article (an about page by its URL)" in result.stderr


@pytest.mark.parametrize("value", ["", "{{ post.date }}", "unknown"])
def test_a_date_field_that_holds_no_date_is_no_evidence(value: str) -> None:
    html = f"""<html><head>
<meta property="article:published_time" content="{value}">
<script type="application/ld+json">{{"@type": "NewsArticle", "datePublished": "{value}"}}</script>
</head><body><h1>Title</h1><p>Text.</p></body></html>"""
    assert not read_signals(parse_document(html), "https://example.com/a").dated


def test_a_date_field_that_holds_a_date_is_evidence() -> None:
    html = """<html><head>
<meta property="article:published_time" content="2024-06-20T14:30:00+09:00">
</head><body><h1>Title</h1><p>Text.</p></body></html>"""
    assert read_signals(parse_document(html), "https://example.com/a").dated


def undated_page(headline: str, meta: str = "") -> str:
    """A page with no date, no article schema and too little prose to count: only its
    headline and its URL can say what it is."""
    return f"""<html><head><title>{headline} | Greenleaf</title>{meta}</head><body>
<nav><a href="/">Home</a> <a href="/shop">Shop</a></nav>
<main><h1>{headline}</h1>
<p>Ferns outgrow their pots every two or three years, and the roots tell you when: they
circle the bottom of the pot or push out of the drainage holes.</p>
<h2>Choose the new pot</h2>
<p>Pick a pot one size larger, with drainage holes, and fill a third of it with fresh,
loose potting mix that holds water without turning to mud.</p>
<h2>Water it in</h2>
<p>Set the fern at the depth it grew before, firm the mix around the roots with your
fingers, and water until it runs out of the holes; then keep it out of direct sun.</p>
</main><footer>Greenleaf Nursery</footer></body></html>"""


@pytest.mark.parametrize(
    "headline",
    [
        "How to repot a fern",
        "What is a fiddlehead?",
        "7 ways to keep ferns green",
        "Terracotta vs plastic pots",
        "Does a fern need a bigger pot every spring?",
    ],
)
def test_an_undated_guide_is_told_by_its_headline(headline: str) -> None:
    url = "https://greenleaf.example/ferns"
    verdict = is_article(parse_document(undated_page(headline)), url)
    assert verdict.article, verdict.reason
    assert "a headline worded as a story" in verdict.reason


@pytest.mark.parametrize("headline", ["Fern care", "What we do", "Why choose us", "How it works"])
def test_a_plain_or_self_describing_headline_is_no_evidence(headline: str) -> None:
    verdict = is_article(parse_document(undated_page(headline)), "https://greenleaf.example/ferns")
    assert verdict.reason == f"not an article ({NO_EVIDENCE})"


def test_an_undated_page_under_a_blog_section_is_an_article() -> None:
    root = parse_document(undated_page("Fern care"))
    assert is_article(root, "https://greenleaf.example/blog/fern-care").article
    assert not is_article(root, "https://greenleaf.example/garden/fern-care").article
    # The section's own page and its later pages stay listings.
    assert not is_article(root, "https://greenleaf.example/blog/").article
    assert not is_article(root, "https://greenleaf.example/blog/page/2/").article
