"""Polite and safe crawling: an honest User-Agent, backing off on 429, the development
cache, and a failed page never forgotten by the next run."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sokbo import stats as stat_keys
from sokbo.crawl.middlewares import retry_after_seconds
from sokbo.outcome import stat_count
from tests.support.cli import SETTINGS, run_scrapy, run_sokbo
from tests.support.configs import write_source_config
from tests.support.fixture_server import serve_fixture
from tests.support.scheduling import last_run_stats
from tests.support.sites import SITES, expected, posts

JSONFEED = 'kind = "feed"\nstart_urls = ["{base}/feed.json"]'
USER_AGENT = "sokbo-test/0.1 (+https://example.invalid/contact)"


@pytest.mark.e2e
def test_every_request_names_the_bot_and_its_contact(tmp_path: Path) -> None:
    with serve_fixture(SITES / "jsonfeed") as server:
        config = write_source_config(tmp_path, server.base_url, JSONFEED)
        assert run_sokbo("--config", str(config), "crawl", cwd=tmp_path).returncode == 0
        agents = {record.headers.get("User-Agent") for record in server.log}
    assert agents == {USER_AGENT}


@pytest.mark.e2e
def test_cache_replays_a_crawl_without_touching_the_site(tmp_path: Path) -> None:
    with serve_fixture(SITES / "jsonfeed") as server:
        config = write_source_config(tmp_path, server.base_url, JSONFEED)
        first = run_sokbo("--config", str(config), "crawl", "--cache", cwd=tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        assert (tmp_path / "data/httpcache").is_dir()
        # Forget everything but the cache, as a developer iterating on extraction would.
        for path in (tmp_path / "data").glob("sokbo.db*"):
            path.unlink()
        shutil.rmtree(tmp_path / "sites")
        server.clear()
        second = run_sokbo("--config", str(config), "crawl", "--cache", cwd=tmp_path)
        assert second.returncode == 0, second.stdout + second.stderr
        assert server.log == []
    assert set(posts(tmp_path)) == set(expected("jsonfeed")["articles"])


@pytest.mark.e2e
def test_a_429_slows_down_retries_and_is_not_forgotten(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "jsonfeed", site)
    busy = expected("jsonfeed")["articles"][0]
    (site / "_site.toml").write_text(
        f'[paths."{busy}"]\nstatus = 429\nheaders = {{ "Retry-After" = "1" }}\n', "utf-8"
    )
    run = tmp_path / "run"
    with serve_fixture(site) as server:
        config = write_source_config(run, server.base_url, JSONFEED)
        first = run_sokbo("--config", str(config), "crawl", cwd=run)
        busy_requests = [r for r in server.log if r.path == busy]
        assert len(busy_requests) == 3  # the first try and Scrapy's two retries
        assert first.returncode == 1, "a page that could not be fetched is a failed run"
        assert stat_count(last_run_stats(run), stat_keys.PAGE_ERRORS) == 1, first.stdout
        assert "tried again on the next run" in first.stdout
        assert "waiting" in first.stderr and "429" in first.stderr
        assert len(posts(run)) == 2

        # The next run must not take the feed's 304 for "all done": the busy page is
        # tried again, and once the site answers, it is published.
        (site / "_site.toml").unlink()
        server.reload()
        server.clear()
        second = run_sokbo("--config", str(config), "crawl", cwd=run)
        assert second.returncode == 0, second.stdout + second.stderr
        assert [r.path for r in server.log if r.path != "/robots.txt"] == ["/feed.json", busy]
    assert set(posts(run)) == set(expected("jsonfeed")["articles"])


@pytest.mark.e2e
def test_a_polls_first_request_goes_at_once_and_the_next_waits_the_delay(
    tmp_path: Path,
) -> None:
    """With robots.txt kept from the run before (sokbo/crawl/robots.py), a poll's first
    request is its feed, and no earlier request started the site's delay: Scrapy's slot
    sends it as soon as the crawl starts. The article page after it still waits."""
    delay = 4.0
    site = tmp_path / "site"
    shutil.copytree(SITES / "jsonfeed", site)
    run = tmp_path / "run"

    def crawl() -> tuple[float, list[tuple[str, float]]]:
        """A crawl without the randomised part of the delay, so that it is exactly
        `delay`: how long after its start each request arrived."""
        server.clear()
        started = time.monotonic()
        result = run_scrapy(
            *("crawl", "feed", "-a", "source=src", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False"),
            cwd=run,
            env=SETTINGS | {"SOKBO_CONFIG": str(config)},
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return started, [(r.path, r.received - started) for r in server.log]

    with serve_fixture(site) as server:
        config = write_source_config(run, server.base_url, JSONFEED)
        _, first = crawl()  # no delay yet: it only keeps robots.txt (a 404: no rules)
        assert first[0][0] == "/robots.txt"
        startup = first[0][1]  # from the crawl's start to its first request
        config.write_text(
            config.read_text("utf-8").replace("delay = 0.0", f"delay = {delay}"), "utf-8"
        )
        # One entry of the feed changes: its page is asked for again.
        feed = site / "feed.json"
        edited = expected("jsonfeed")["articles"][0]
        headline = "국내 AI 스타트업, 시리즈 B 1,200억 원 유치"
        feed.write_text(feed.read_text("utf-8").replace(headline, f"[수정] {headline}"), "utf-8")
        _, second = crawl()
    assert [path for path, _ in second] == ["/feed.json", edited]
    (_, feed_at), (_, page_at) = second
    # Had anything held the feed back by the delay, it would come `delay` after the
    # crawl's start-up; it comes as soon as a first request can.
    assert feed_at < startup + delay / 2, (startup, second)
    assert page_at - feed_at >= delay - 0.1, second


def test_retry_after_reads_seconds_and_dates() -> None:
    now = datetime(2026, 11, 22, 0, 0, 0, tzinfo=UTC)
    assert retry_after_seconds(b"120", now) == 120.0
    assert retry_after_seconds(b"Sun, 22 Nov 2026 00:00:30 GMT", now) == 30.0
    assert retry_after_seconds(b"Sat, 21 Nov 2026 23:00:00 GMT", now) == 0.0
    assert retry_after_seconds(b"soon", now) is None
    assert retry_after_seconds(None, now) is None


@pytest.mark.e2e
def test_redirects_stay_within_the_allowed_domains(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "jsonfeed", site)
    moved, target = expected("jsonfeed")["articles"][:2]
    run = tmp_path / "run"
    with serve_fixture(site) as server:
        # The same server under another name: a host the source does not allow.
        port = server.base_url.rsplit(":", 1)[1]
        (site / "_site.toml").write_text(
            f'[paths."{moved}"]\nredirect = "http://localhost:{port}{target}"\n', "utf-8"
        )
        server.reload()
        config = write_source_config(run, server.base_url, JSONFEED)
        result = run_sokbo("--config", str(config), "crawl", cwd=run)
        hosts = {record.headers.get("Host") for record in server.log}
    assert result.returncode == 0, result.stdout + result.stderr
    assert hosts == {f"127.0.0.1:{port}"}
    assert "1  outside allowed_domains (a link or redirect)" in result.stdout
    assert moved not in posts(run)
