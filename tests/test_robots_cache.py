"""robots.txt kept between runs (sokbo/crawl/robots_cache.py, used by the robots middleware
of sokbo/crawl/robots.py): used without a request while young, revalidated when old, a 4xx
kept as "no rules", an older copy obeyed when the site cannot answer, written so that a
kill never leaves half a file, and a broken file ignored."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sokbo import stats as stat_keys
from sokbo.crawl.robots import CACHE_FRESH, CACHE_NOT_MODIFIED, CACHE_UNREACHABLE
from sokbo.crawl.robots_cache import (
    CACHE_FOLDER,
    MAX_AGE,
    KeptRobots,
    RobotsCache,
    decode,
    encode,
    kept_from_answer,
    max_age,
    storable,
)
from sokbo.outcome import stat_count
from tests.support.cli import SETTINGS, run_scrapy, run_sokbo
from tests.support.configs import write_source_config
from tests.support.fixture_server import FixtureServer, serve_fixture
from tests.support.mounts import tmpfs
from tests.support.scheduling import last_run_stats
from tests.support.sites import SITES

URL = "http://127.0.0.1:8941/robots.txt"
ROBOTS = "User-agent: *\nDisallow: /private/\n"
FEED = 'kind = "feed"\nstart_urls = ["{base}/feed.xml"]'
PAGE = """<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>{title}</title>
<meta property="article:published_time" content="__NOW-1h__"></head>
<body><article><h1>{title}</h1>
<p>시의회는 오늘 본회의에서 추가경정 예산안을 재석 의원 과반의 찬성으로 통과시켰다.</p>
<p>예산은 다음 달부터 집행되며 교통과 복지 사업에 주로 쓰인다고 시는 밝혔다.</p>
</article></body></html>
"""
RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>오늘의소식</title><link>__BASE__/</link>
<description>최신 기사</description>
<item><title>추경 예산안 통과</title><link>__BASE__/news/1.html</link>
<pubDate>__RFC822_NOW-1h__</pubDate></item>
<item><title>회원 전용 기사</title><link>__BASE__/private/2.html</link>
<pubDate>__RFC822_NOW-2h__</pubDate></item>
</channel></rss>
"""


# -- the rules of RFC 9309 2.4, as pure functions ---------------------------------------


def test_a_copy_is_used_for_24_hours_or_less_when_cache_control_says_so() -> None:
    assert max_age(None) == MAX_AGE == 24 * 3600
    assert max_age("public, max-age=600") == 600
    assert max_age('max-age="60"') == 60
    assert max_age("max-age=9999999") == MAX_AGE  # never beyond 24 hours
    assert max_age("no-cache") == max_age("max-age=0") == 0
    assert max_age("private") == MAX_AGE
    assert storable("public, max-age=60") and storable(None)
    assert not storable("no-store") and not storable("private, No-Store")


def test_which_answers_are_kept() -> None:
    kept = kept_from_answer(URL, 200, b"Disallow: /x\n", 100.0, etag='"a"', last_modified="d")
    assert kept == KeptRobots(URL, 200, b"Disallow: /x\n", 100.0, MAX_AGE, '"a"', "d")
    # A 4xx is "no rules": kept, without the error page that came with it.
    assert kept_from_answer(URL, 404, b"<html>Not Found</html>", 100.0) == KeptRobots(
        URL, 404, b"", 100.0, MAX_AGE
    )
    # Overloaded, failing or unfinished answers say nothing about the rules.
    for status in (429, 500, 503, 301, 304):
        assert kept_from_answer(URL, status, b"", 100.0) is None


def test_freshness_and_revalidation() -> None:
    kept = KeptRobots(URL, 200, b"", checked=1000.0, max_age=60.0, etag='"e"')
    assert kept.fresh(1000.0) and kept.fresh(1059.9)
    assert not kept.fresh(1060.0)
    assert not kept.fresh(999.0)  # a clock set back: asked again
    assert kept.validators() == {"If-None-Match": '"e"'}
    assert kept.revalidated(5000.0, None) == replace(kept, checked=5000.0)
    assert kept.revalidated(5000.0, "max-age=5").max_age == 5
    assert kept.revalidated(5000.0, None, etag='"f"').validators() == {"If-None-Match": '"f"'}


@given(st.binary(max_size=2000), st.sampled_from([200, 404, 410]), st.none() | st.text())
def test_a_copy_reads_back_as_written(body: bytes, status: int, etag: str | None) -> None:
    kept = KeptRobots(URL, status, body, 1.5, 60.0, etag, "Sun, 22 Nov 2026 00:00:00 GMT")
    assert decode(encode(kept), URL) == kept


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{",
        b"[]",
        b'{"format": 1}',
        b'{"format": 99, "url": "' + URL.encode() + b'"}',
        encode(KeptRobots(URL, 200, b"x", 1.0, 60.0))[:40],
        encode(KeptRobots("http://other.example/robots.txt", 200, b"x", 1.0, 60.0)),
        encode(KeptRobots(URL, 503, b"", 1.0, 60.0)),
        encode(KeptRobots(URL, 200, b"x", 1.0, 60.0)).replace(b'"checked"', b'"checkd"'),
    ],
)
def test_anything_else_is_not_a_copy(data: bytes) -> None:
    with pytest.raises(ValueError):
        decode(data, URL)


def test_a_broken_file_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = RobotsCache(tmp_path / "robots")
    kept = KeptRobots(URL, 200, ROBOTS.encode(), time.time(), MAX_AGE)
    cache.save(kept)
    assert cache.load(URL) == kept
    path = cache.path(URL)
    assert path.parent == tmp_path / "robots" and path.name.startswith("127.0.0.1_8941-http-")
    path.write_bytes(path.read_bytes()[:-30])
    assert cache.load(URL) is None
    assert f"robots.txt cache: {path} ignored: unreadable" in caplog.text
    assert cache.load("https://127.0.0.1:8941/robots.txt") is None  # no file: no warning
    assert len(caplog.records) == 1


def test_a_folder_that_cannot_be_written_is_only_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "robots").write_text("a file where the folder should be")
    RobotsCache(tmp_path / "robots").save(KeptRobots(URL, 200, b"", 1.0, 60.0))
    assert f"robots.txt cache: cannot keep {URL}: {tmp_path / 'robots'} is not a folder" in (
        caplog.text
    )


WRITER = """
import sys, time
from pathlib import Path
from sokbo.crawl.robots_cache import KeptRobots, RobotsCache
cache = RobotsCache(Path(sys.argv[1]))
for n in range(1_000_000):
    body = (f"# copy {n}\\n" + "Disallow: /private/\\n" * (2000 + n % 3000)).encode()
    cache.save(KeptRobots(sys.argv[2], 200, body, time.time(), 60.0))
"""


def test_a_kill_mid_write_leaves_a_whole_copy(tmp_path: Path) -> None:
    """A process writing copies over and over, killed at odd moments: every time, the
    file left is a whole copy (the one before, or the one being written)."""
    cache = RobotsCache(tmp_path / "robots")
    for pause in (0.31, 0.47, 0.53, 0.71, 0.89):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(cache.folder), URL])
        try:
            deadline = time.monotonic() + 30
            while not cache.path(URL).exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(pause)
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait()
        kept = decode(cache.path(URL).read_bytes(), URL)  # never raises
        assert kept.body.startswith(b"# copy ") and kept.body.endswith(b"/private/\n")
    # The temporary file a kill left behind goes with the next write.
    cache.save(KeptRobots(URL, 200, b"", time.time(), 60.0))
    assert [p.name for p in cache.folder.iterdir()] == [cache.path(URL).name]


# -- crawls: what a run asks the site --------------------------------------------------


def news_site(root: Path, robots: str | None = ROBOTS) -> Path:
    """A feed of two articles, one of them under /private/ (which ROBOTS forbids)."""
    for path, text in {
        "feed.xml": RSS,
        "news/1.html": PAGE.format(title="추경 예산안 통과"),
        "private/2.html": PAGE.format(title="회원 전용 기사"),
        **({"robots.txt": robots} if robots is not None else {}),
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


def crawl(config: Path, server: FixtureServer, *, again: bool = False) -> list[str]:
    """`sokbo crawl` of the config's source; the paths it requested. `again`: forget the
    store and the posts first (not the state folder), so the pages are asked for again."""
    folder = config.parent
    if again:
        for path in (folder / "data").glob("sokbo.db*"):
            path.unlink()
        shutil.rmtree(folder / "sites", ignore_errors=True)
    server.clear()
    result = run_sokbo("--config", str(config), "crawl", cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "robots.txt cache" not in result.stderr, result.stderr
    return server.paths()


def cache_of(folder: Path) -> RobotsCache:
    """The robots.txt copies of a test config's crawls (state_dir = data)."""
    return RobotsCache(folder / "data" / CACHE_FOLDER)


def age(cache: RobotsCache, url: str, hours: float) -> KeptRobots:
    """Make the kept copy `hours` older, as if the runs had been that far apart."""
    kept = cache.load(url)
    assert kept is not None
    older = replace(kept, checked=kept.checked - hours * 3600)
    cache.save(older)
    return older


@pytest.mark.e2e
def test_a_young_copy_is_obeyed_without_a_request(tmp_path: Path) -> None:
    with serve_fixture(news_site(tmp_path / "site")) as server:
        config = write_source_config(tmp_path / "run", server.base_url, FEED)
        assert crawl(config, server) == ["/robots.txt", "/feed.xml", "/news/1.html"]
        kept = cache_of(config.parent).load(server.url("/robots.txt"))
        assert kept is not None and kept.body == ROBOTS.encode() and kept.etag
        # The next run's first request is its feed, and /private/ is still refused.
        assert crawl(config, server, again=True) == ["/feed.xml", "/news/1.html"]
        stats = last_run_stats(config.parent)
    assert stat_count(stats, CACHE_FRESH) == 1
    assert stat_count(stats, "robotstxt/request_count") == 0
    assert stat_count(stats, "robotstxt/forbidden") == 1
    assert stat_count(stats, stat_keys.skipped("forbidden by robots.txt")) == 1


@pytest.mark.e2e
def test_an_old_copy_is_asked_for_with_its_validators(tmp_path: Path) -> None:
    with serve_fixture(news_site(tmp_path / "site")) as server:
        config = write_source_config(tmp_path / "run", server.base_url, FEED)
        crawl(config, server)
        cache = cache_of(config.parent)
        old = age(cache, server.url("/robots.txt"), hours=25)
        assert crawl(config, server) == ["/robots.txt", "/feed.xml"]
        robots = server.log[0]
        assert robots.headers.get("If-None-Match") == old.etag
        assert robots.headers.get("If-Modified-Since") == old.last_modified
        assert robots.status == 304
        assert stat_count(last_run_stats(config.parent), CACHE_NOT_MODIFIED) == 1
        renewed = cache.load(server.url("/robots.txt"))
        assert renewed is not None and renewed.fresh(time.time())
        assert renewed.body == old.body
        assert crawl(config, server) == ["/feed.xml"]


@pytest.mark.e2e
def test_a_shorter_cache_control_max_age_is_honoured(tmp_path: Path) -> None:
    site = news_site(tmp_path / "site")
    (site / "_site.toml").write_text(
        '[paths."/robots.txt"]\nheaders = { "Cache-Control" = "max-age=0" }\n', "utf-8"
    )
    with serve_fixture(site) as server:
        config = write_source_config(tmp_path / "run", server.base_url, FEED)
        crawl(config, server)
        # Every run asks again, but a 304 costs nothing to send.
        assert crawl(config, server) == ["/robots.txt", "/feed.xml"]
        assert server.log[0].status == 304


@pytest.mark.e2e
def test_a_missing_robots_txt_is_kept_as_no_rules(tmp_path: Path) -> None:
    with serve_fixture(news_site(tmp_path / "site", robots=None)) as server:
        config = write_source_config(tmp_path / "run", server.base_url, FEED)
        first = crawl(config, server)
        assert first[:2] == ["/robots.txt", "/feed.xml"]
        assert sorted(first[2:]) == ["/news/1.html", "/private/2.html"]
        kept = cache_of(config.parent).load(server.url("/robots.txt"))
        assert kept is not None and (kept.status, kept.body) == (404, b"")
        second = crawl(config, server, again=True)
    assert second[0] == "/feed.xml"
    assert sorted(second[1:]) == ["/news/1.html", "/private/2.html"]


@pytest.mark.e2e
@pytest.mark.parametrize("failure", ["503", "timeout"])
def test_a_site_that_cannot_answer_is_held_to_its_older_copy(tmp_path: Path, failure: str) -> None:
    """RFC 9309 2.3.1.4: when robots.txt is unreachable, an older copy may stand in. The
    site now serves a robots.txt that forbids nothing, with a 503 or too slowly; the
    crawl keeps to the copy it had (/private/ refused) and says so."""
    site = news_site(tmp_path / "site")
    with serve_fixture(site) as server:
        config = write_source_config(tmp_path / "run", server.base_url, FEED)
        crawl(config, server)
        cache = cache_of(config.parent)
        old = age(cache, server.url("/robots.txt"), hours=48)
        (site / "robots.txt").write_text("User-agent: *\nAllow: /\n", "utf-8")
        rule = "status = 503" if failure == "503" else "delay = 2.0"
        (site / "_site.toml").write_text(f'[paths."/robots.txt"]\n{rule}\n', "utf-8")
        server.reload()
        for path in (config.parent / "data").glob("sokbo.db*"):
            path.unlink()
        shutil.rmtree(config.parent / "sites")
        server.clear()
        if failure == "503":
            result = run_sokbo("--config", str(config), "crawl", cwd=config.parent)
        else:
            result = run_scrapy(
                *("crawl", "feed", "-a", "source=src", "-s", "DOWNLOAD_TIMEOUT=0.5"),
                cwd=config.parent,
                env=SETTINGS | {"SOKBO_CONFIG": str(config)},
            )
        requested = server.paths()
    assert result.returncode == 0, result.stdout + result.stderr
    assert requested.count("/robots.txt") == 3  # the first try and two retries
    assert "/news/1.html" in requested and "/private/2.html" not in requested
    why = "answered 503 Service Unavailable" if failure == "503" else "no answer within 0.5 s"
    assert f"{server.url('/robots.txt')}: {why}; obeying {old.describe()}" in result.stderr
    stats = last_run_stats(config.parent)
    assert stat_count(stats, CACHE_UNREACHABLE) == 1
    assert cache.load(server.url("/robots.txt")) == old  # nothing new was kept


@pytest.mark.e2e
def test_a_broken_copy_is_ignored_and_replaced(tmp_path: Path) -> None:
    with serve_fixture(news_site(tmp_path / "site")) as server:
        config = write_source_config(tmp_path / "run", server.base_url, FEED)
        crawl(config, server)
        cache = cache_of(config.parent)
        path = cache.path(server.url("/robots.txt"))
        path.write_bytes(path.read_bytes()[:25])
        server.clear()
        result = run_sokbo("--config", str(config), "crawl", cwd=config.parent)
        assert result.returncode == 0, result.stdout + result.stderr
        assert server.paths() == ["/robots.txt", "/feed.xml"]
    assert f"WARNING: robots.txt cache: {path} ignored: unreadable" in result.stderr
    assert cache.load(server.url("/robots.txt")) is not None


@pytest.mark.e2e
def test_a_sitemap_source_reads_its_sitemaps_from_the_kept_copy(tmp_path: Path) -> None:
    source = 'kind = "sitemap"\nstart_urls = ["{base}/"]\nmax_age = "2d"'
    with serve_fixture(SITES / "sitemap-index") as server:
        config = write_source_config(tmp_path, server.base_url, source)
        first = crawl(config, server)
        assert first.count("/robots.txt") == 1
        second = crawl(config, server)
    # The sitemap index named by the kept copy, which answers 304: nothing else is asked.
    assert second == ["/sitemap_index.xml"]


@pytest.mark.e2e
@pytest.mark.parametrize("disk", ["full", "read-only"])
def test_a_cache_folder_that_cannot_be_written_costs_a_request_not_a_run(
    tmp_path: Path, disk: str
) -> None:
    """The robots.txt copy cannot be kept: one warning line, the run still obeys the rules
    it fetched and succeeds; the next run asks again, and once the disk is healed the copy
    is kept as usual."""
    with serve_fixture(news_site(tmp_path / "site")) as server:
        config = write_source_config(tmp_path / "run", server.base_url, FEED)
        folder = config.parent / "data" / CACHE_FOLDER
        with tmpfs(folder, "16k", read_only=disk == "read-only") as mounted:
            if disk == "full":
                (mounted / "filler").write_bytes(b"x" * 16 * 1024)
            for run in range(2):
                server.clear()
                result = run_sokbo("--config", str(config), "crawl", cwd=config.parent)
                assert result.returncode == 0, result.stdout + result.stderr
                assert server.paths()[:2] == ["/robots.txt", "/feed.xml"]
                warnings = [
                    line for line in result.stderr.splitlines() if "robots.txt cache:" in line
                ]
                assert len(warnings) == 1, result.stderr
                assert f"cannot keep {server.url('/robots.txt')}: " in warnings[0]
                if run == 0:  # the rules fetched are obeyed (the next run reads a 304 feed)
                    assert stat_count(last_run_stats(config.parent), "robotstxt/forbidden") == 1
        assert crawl(config, server, again=True) == ["/robots.txt", "/feed.xml", "/news/1.html"]
        assert crawl(config, server, again=True) == ["/feed.xml", "/news/1.html"]
