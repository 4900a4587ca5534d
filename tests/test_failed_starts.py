"""A start URL that yields no feed, sitemap or listing page fails the run (exit 1, the run
recorded with errors) with one line giving the real reason, and an entry or a link that
names no web page says what it is instead, over real HTTP with the real `sokbo crawl`."""

from __future__ import annotations

import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from sokbo import stats as stat_keys
from sokbo.outcome import crawl_counts
from tests.support.cli import run_sokbo
from tests.support.configs import write_source_config
from tests.support.fixture_server import serve_fixture
from tests.support.scheduling import last_run_stats
from tests.support.sites import SITES

pytestmark = pytest.mark.e2e

SITE = SITES / "broken-starts"


@dataclass(frozen=True)
class Start:
    id: str
    source: str  # the [[source]] table; {base} is the fixture server's address
    line: str  # the one error line, after "ERROR: "; {base} as above


def feed(path: str) -> str:
    return f'kind = "feed"\nstart_urls = ["{{base}}{path}"]'


STARTS = [
    Start(
        "feed-redirected-to-a-file",
        feed("/feed-to-file.xml"),
        "feed {base}/feed-to-file.xml: redirected to file:///etc/passwd, which is not http(s)",
    ),
    Start(
        "feed-redirect-without-location",
        feed("/feed-without-location.xml"),
        "feed {base}/feed-without-location.xml: redirect without a Location header (HTTP 302)",
    ),
    Start(
        "feed-redirect-loop",
        feed("/feed-loop.xml"),
        "feed {base}/feed-loop.xml: redirect loop ({base}/feed-loop.xml -> {base}/feed-loop.xml)",
    ),
    Start(
        "feed-redirected-elsewhere",
        feed("/feed-elsewhere.xml"),
        "feed {base}/feed-elsewhere.xml: redirected to http://elsewhere.invalid/feed.xml, "
        "outside allowed_domains (127.0.0.1)",
    ),
    Start(
        "feed-empty",
        feed("/feed-empty.xml"),
        "feed {base}/feed-empty.xml: answered 200 with an empty body",
    ),
    Start(
        "feed-text",
        feed("/feed-text.xml"),
        "feed {base}/feed-text.xml: not a feed (text/plain starting 'Service Unavailable')",
    ),
    Start(
        "feed-missing",
        feed("/no-such-feed.xml"),
        "feed {base}/no-such-feed.xml: answered 404 Not Found",
    ),
    Start(
        "feed-home-page-without-a-feed",
        feed("/"),
        "feed {base}/: not a feed (an HTML page with no <link rel=alternate> feed; tried "
        "/rss, /feed/, /rss.xml, /atom.xml, /feed.xml, /index.xml, /feeds/posts/default: "
        "answered 404 Not Found; /feed: redirected to file:///etc/passwd, which is not http(s))",
    ),
    Start(
        "sitemap-that-is-a-page",
        'kind = "sitemap"\nstart_urls = ["{base}/index.html"]',
        "sitemap {base}/index.html: not a sitemap: the root element is <html>, "
        "not <urlset> or <sitemapindex>",
    ),
    Start(
        "sitemap-site-root-without-one",
        'kind = "sitemap"\nstart_urls = ["{base}/"]',
        "sitemap {base}/: no sitemap (robots.txt: answered 404 Not Found; "
        "/sitemap.xml: answered 404 Not Found)",
    ),
    Start(
        "sitemap-robots-txt-missing",
        'kind = "sitemap"\nstart_urls = ["{base}/robots.txt"]',
        "robots.txt {base}/robots.txt: answered 404 Not Found",
    ),
    Start(
        "listing-redirected-elsewhere",
        'kind = "listing"\nstart_urls = ["{base}/listing-elsewhere/"]',
        "listing page {base}/listing-elsewhere/: redirected to http://elsewhere.invalid/news/, "
        "outside allowed_domains (127.0.0.1)",
    ),
    Start(
        "listing-missing",
        'kind = "listing"\nstart_urls = ["{base}/listing-gone/"]',
        "listing page {base}/listing-gone/: answered 404 Not Found",
    ),
    Start(
        "listing-server-error",
        'kind = "listing"\nstart_urls = ["{base}/listing-broken/"]',
        "listing page {base}/listing-broken/: answered 500 Internal Server Error (3 tries)",
    ),
]


def error_lines(stderr: str) -> list[str]:
    """The ERROR lines, from "ERROR: " on (whatever the log's prefix)."""
    return [line[line.index("ERROR: ") + 7 :] for line in stderr.splitlines() if "ERROR: " in line]


def status_of(folder: Path, config: Path) -> str:
    """The `sokbo status` line of the source."""
    result = run_sokbo("--config", str(config), "status", cwd=folder)
    return next(line for line in result.stdout.splitlines() if "src" in line.split()[:2])


@pytest.mark.parametrize("start", STARTS, ids=[start.id for start in STARTS])
def test_a_start_that_yields_nothing_fails_with_one_line(start: Start, tmp_path: Path) -> None:
    with serve_fixture(SITE) as server:
        config = write_source_config(tmp_path, server.base_url, start.source)
        result = run_sokbo("--config", str(config), "crawl", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert error_lines(result.stderr) == [start.line.format(base=server.base_url)], result.stderr
    assert "Traceback" not in result.stderr
    assert "nothing new" not in result.stdout
    assert " ok " not in status_of(tmp_path, config)


def test_the_failed_run_is_recorded_as_failed(tmp_path: Path) -> None:
    with serve_fixture(SITE) as server:
        config = write_source_config(tmp_path, server.base_url, feed("/feed-to-file.xml"))
        result = run_sokbo("--config", str(config), "crawl", cwd=tmp_path)
    assert result.returncode == 1
    assert "1 error logged" in status_of(tmp_path, config)


def test_a_redirect_to_another_host_is_never_followed(tmp_path: Path) -> None:
    """A start URL skips Scrapy's offsite filter (dont_filter, so that it is never taken
    for a duplicate) and its redirects inherited that: the other host used to be asked."""
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    run = tmp_path / "run"
    with serve_fixture(site) as server:
        # The same server under another name: a host the source does not allow.
        port = server.base_url.rsplit(":", 1)[1]
        rules = (
            (site / "_site.toml")
            .read_text("utf-8")
            .replace("http://elsewhere.invalid/", f"http://localhost:{port}/")
        )
        (site / "_site.toml").write_text(rules, "utf-8")
        server.reload()
        config = write_source_config(run, server.base_url, feed("/feed-elsewhere.xml"))
        result = run_sokbo("--config", str(config), "crawl", cwd=run)
        hosts = {record.headers.get("Host") for record in server.log}
    assert result.returncode == 1, result.stdout + result.stderr
    assert hosts == {f"127.0.0.1:{port}"}
    assert error_lines(result.stderr) == [
        f"feed {server.base_url}/feed-elsewhere.xml: redirected to "
        f"http://localhost:{port}/feed.xml, outside allowed_domains (127.0.0.1)"
    ]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("kind", ["feed", "sitemap", "listing"])
def test_a_refused_connection_is_one_line_not_a_traceback(kind: str, tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    path = {"feed": "/rss", "sitemap": "/sitemap.xml", "listing": "/news/"}[kind]
    config = write_source_config(
        tmp_path, base, f'kind = "{kind}"\nstart_urls = ["{{base}}{path}"]'
    )
    result = run_sokbo("--config", str(config), "crawl", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    what = "listing page" if kind == "listing" else kind
    # Before it, Scrapy's retry middleware says in one line that robots.txt could not be
    # had (a sitemap source that starts at robots.txt says so itself).
    assert error_lines(result.stderr)[-1:] == [
        f"{what} {base}{path}: connection refused (3 tries)"
    ], result.stderr
    assert all("robots.txt" in line for line in error_lines(result.stderr)[:-1]), result.stderr


def test_entries_whose_links_name_no_page_say_what_the_link_is(tmp_path: Path) -> None:
    with serve_fixture(SITE) as server:
        config = write_source_config(tmp_path, server.base_url, feed("/links.xml"))
        result = run_sokbo("--config", str(config), "crawl", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    feed_url = f"{server.base_url}/links.xml"
    warnings = [
        line[line.index(feed_url) :] for line in result.stderr.splitlines() if feed_url in line
    ]
    assert warnings == [
        f"{feed_url}: entry 1 ('스크립트 링크'): link javascript:void(0) is not an http(s) URL;"
        " skipped",
        f"{feed_url}: entry 2 ('메일 링크'): link mailto:editor@example.invalid is not an"
        " http(s) URL; skipped",
        f"{feed_url}: entry 3 ('전화 링크'): link tel:+82-2-000-0000 is not an http(s) URL;"
        " skipped",
        f"{feed_url}: entry 4 ('데이터 링크'): link data:text/html,hello is not an http(s) URL;"
        " skipped",
        f"{feed_url}: entry 5 ('빈 링크'): its link is empty; skipped",
        f"{feed_url}: entry 6 ('링크 없음') has no link; skipped",
    ]
    stats = last_run_stats(tmp_path)
    assert crawl_counts(stats)["dropped"] == 6, stats
    assert stats[stat_keys.dropped("feed entry whose link is not http(s)")] == 4, stats
    assert stats[stat_keys.dropped("feed entry without a link")] == 2, stats


def test_listing_links_that_name_no_page_are_counted(tmp_path: Path) -> None:
    source = 'kind = "listing"\nstart_urls = ["{base}/links/"]\nlinks.max_depth = 0'
    with serve_fixture(SITE) as server:
        config = write_source_config(tmp_path, server.base_url, source)
        result = run_sokbo("--config", str(config), "crawl", "-v", cwd=tmp_path)
        requested = server.paths()
    assert result.returncode == 0, result.stdout + result.stderr
    assert requested == ["/robots.txt", "/links/"]
    stats = last_run_stats(tmp_path)
    assert stats[stat_keys.skipped("listing link that is not http(s)")] == 4, stats
    assert (
        f"{server.base_url}/links/: 4 links that are not http(s) skipped "
        "(javascript:void(0), mailto:editor@example.invalid, tel:+82-2-000-0000, …)"
    ) in result.stderr
