"""Every source kind against its fixture site over real HTTP: exactly the expected article
pages are requested, the text decodes to the right Hangul, and a second run of an unchanged
source makes only conditional requests and writes nothing."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from sokbo import stats as stat_keys
from sokbo.outcome import crawl_counts, stat_count
from tests.support.cli import run_sokbo
from tests.support.configs import write_source_config
from tests.support.fixture_server import FixtureServer, serve_fixture
from tests.support.scheduling import last_run_stats
from tests.support.sites import SITES, expected, posts

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Case:
    site: str
    source: str  # the [[source]] table; {base} is the fixture server's address
    documents: frozenset[str]  # what besides article pages (and robots.txt) is requested


CASES = [
    Case(
        "wordpress-listing",
        """kind = "listing"
start_urls = ["{base}/"]
links.region = [".post-list"]
links.pagination = ["nav.pagination a.next"]""",
        frozenset({"/", "/page/2/", "/page/3/", "/old-url/"}),
    ),
    Case(
        "sitemap-index",
        """kind = "sitemap"
start_urls = ["{base}/"]
max_age = "2d\"""",
        frozenset({"/sitemap_index.xml", "/sitemap-posts.xml", "/sitemap-pages.xml.gz"}),
    ),
    Case(
        "euckr-news",
        """kind = "sitemap"
start_urls = ["{base}/robots.txt"]
max_age = "2d\"""",
        frozenset({"/sitemap_news.xml"}),
    ),
    Case("rdf-feed", 'kind = "feed"\nstart_urls = ["{base}/index.rdf"]', frozenset({"/index.rdf"})),
    Case("jsonfeed", 'kind = "feed"\nstart_urls = ["{base}/feed.json"]', frozenset({"/feed.json"})),
    Case(
        "autodiscovery",
        'kind = "feed"\nstart_urls = ["{base}/"]',
        frozenset({"/", "/feeds/main.xml"}),
    ),
]


def gets(server: FixtureServer) -> list[str]:
    return [r.path for r in server.log if r.method == "GET"]


@pytest.mark.parametrize("case", CASES, ids=[case.site for case in CASES])
def test_source_kind(case: Case, tmp_path: Path) -> None:
    want = expected(case.site)
    articles = set(want["articles"])
    with serve_fixture(SITES / case.site) as server:
        config = write_source_config(tmp_path, server.base_url, case.source)
        first = run_sokbo("--config", str(config), "crawl", cwd=tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        requested = gets(server)

        # Exactly the expected pages; every article once; the forbidden and the too old never.
        others = {path for path in requested if path not in articles} - {"/robots.txt"}
        assert others == case.documents
        assert sorted(p for p in requested if p in articles) == sorted(articles)
        assert not set(want["never_requested"]) & set(requested)
        # One robots.txt a run, though a sitemap source reads it as well as obeys it.
        assert requested.count("/robots.txt") == 1

        # Every article became a post, with its own text decoded correctly.
        written = posts(tmp_path)
        assert set(written) == articles, first.stdout
        for path, post in written.items():
            assert post["title"] == want["titles"][path]
            assert want["snippets"][path] in post.content
            assert "\ufffd" not in post.content + str(post.metadata)

        # Again: nothing changed, so only conditional requests and no file written.
        server.clear()
        second = run_sokbo("--config", str(config), "crawl", cwd=tmp_path)
        assert second.returncode == 0, second.stdout + second.stderr
        assert stat_count(last_run_stats(tmp_path), stat_keys.POSTS_WRITTEN) == 0
        # robots.txt is kept from the first run (sokbo/crawl/robots.py): not asked again.
        assert "/robots.txt" not in gets(server)
        again = [r for r in server.log if r.method == "GET" and r.path != "/robots.txt"]
        assert again, "the second run asked nothing"
        unconditional = [
            r.path
            for r in again
            if "If-None-Match" not in r.headers and "If-Modified-Since" not in r.headers
        ]
        assert unconditional == []
        assert all(r.status == 304 for r in again), [(r.path, r.status) for r in again]


def test_listing_without_a_region_lets_the_extractor_refuse_non_articles(tmp_path: Path) -> None:
    want = expected("wordpress-listing")
    with serve_fixture(SITES / "wordpress-listing") as server:
        source = """kind = "listing"
start_urls = ["{base}/"]
links.pagination = ["nav.pagination a.next"]"""
        config = write_source_config(tmp_path, server.base_url, source)
        result = run_sokbo("--config", str(config), "crawl", cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        requested = set(gets(server))
    assert {"/tag/politics/", "/category/world/", "/about/", "/wp-login.php"} <= requested
    assert "/wp-admin/" not in requested  # robots.txt
    assert set(posts(tmp_path)) == set(want["articles"])
    assert "not an article (an index page by its URL)" in result.stdout  # /tag/, /category/
    assert "not an article (an about page by its URL)" in result.stdout
    assert stat_count(last_run_stats(tmp_path), stat_keys.POSTS_WRITTEN) == 10


def test_article_rules_decide_without_the_extractor(tmp_path: Path) -> None:
    with serve_fixture(SITES / "wordpress-listing") as server:
        source = r"""kind = "listing"
start_urls = ["{base}/"]
links.article = ['/2024/\d\d/[a-z0-9-]+/$']
links.deny = ['/wp-login', '/tag/', '/category/', '/about/']
links.max_depth = 1"""
        config = write_source_config(tmp_path, server.base_url, source)
        result = run_sokbo("--config", str(config), "crawl", cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        requested = set(gets(server))
    # Non-article links that pass allow/deny are followed as listings (here /page/2/ only
    # through the pagination link in the region-less page, and /old-url/ is no article).
    assert not {"/tag/politics/", "/about/", "/wp-login.php"} & requested
    assert crawl_counts(last_run_stats(tmp_path))["dropped"] == 0, result.stdout
    found = set(posts(tmp_path))
    assert len(found) >= 4 and found <= set(expected("wordpress-listing")["articles"])


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.site in ("wordpress-listing", "euckr-news")],
    ids=lambda c: c.site,
)
def test_scrapy_crawl_by_hand_runs_every_kind(case: Case, tmp_path: Path) -> None:
    from tests.support.cli import SETTINGS, assert_crawl_ok, run_scrapy

    kind = case.source.split('"')[1]
    with serve_fixture(SITES / case.site) as server:
        write_source_config(tmp_path, server.base_url, case.source)
        result = run_scrapy("crawl", kind, "-a", "source=src", cwd=tmp_path, env=SETTINGS)
    assert_crawl_ok(result)
    assert set(posts(tmp_path)) == set(expected(case.site)["articles"])


def test_undecodable_bytes_are_logged_and_counted(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "euckr-news", site)
    page = site / "news/articleView.html@idxno=1002"  # no declaration: detection decides
    data = page.read_bytes()
    cut = data.index(b"</title>")
    page.write_bytes(data[:cut] + b"\xff\xfe\xff" + data[cut:])  # bytes no Korean codec has
    run = tmp_path / "run"
    source = next(case for case in CASES if case.site == "euckr-news").source
    with serve_fixture(site) as server:
        config = write_source_config(run, server.base_url, source)
        result = run_sokbo("--config", str(config), "crawl", cwd=run)
    assert result.returncode == 0, result.stdout + result.stderr
    stats = last_run_stats(run, "src")
    assert stat_count(stats, stat_keys.DECODE_ERROR_PAGES) == 1, result.stdout
    assert "articleView.html?idxno=1002: 3 characters could not be decoded" in result.stderr
    # The rest of the page still reads as Hangul.
    want = expected("euckr-news")
    path = "/news/articleView.html?idxno=1002"
    assert want["snippets"][path] in posts(run)[path].content
