"""`pages fetched` counts article pages that arrived, not pages queued: a page refused by
robots.txt, one that fails, one redirected off-site and one still queued when a run is
stopped are not fetched, in the summary, the runs table and the scheduler's figures."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from sokbo.outcome import crawl_counts
from tests.support.cli import run_sokbo
from tests.support.configs import write_source_config
from tests.support.faults import start_crawl
from tests.support.fixture_server import FixtureServer, serve_fixture
from tests.support.scheduling import run_rows
from tests.support.sites import SITES, expected

pytestmark = pytest.mark.e2e

FEED_SOURCE = 'kind = "feed"\nstart_urls = ["{base}/feed.xml"]'
LISTING = """kind = "listing"
start_urls = ["{base}/"]
links.region = [".post-list"]
links.pagination = ["nav.pagination a.next"]"""
PAGES_FETCHED = re.compile(r"^  pages fetched    (\d+) new, (\d+) changed, (\d+) re-checked$", re.M)


def pages_fetched(stdout: str) -> tuple[int, int, int]:
    match = PAGES_FETCHED.search(stdout)
    assert match is not None, stdout
    new, changed, rechecked = (int(n) for n in match.groups())
    return new, changed, rechecked


def answered(server: FixtureServer, paths: set[str]) -> list[str]:
    """The article pages the server answered with 200, in order."""
    return [r.path for r in server.log if r.method == "GET" and r.status == 200 and r.path in paths]


def test_pages_refused_failed_or_sent_away_are_not_fetched(tmp_path: Path) -> None:
    # Five entries, two of them articles that can be fetched; of the rest, one is forbidden
    # by robots.txt, one is a 404 and one redirects to another host.
    with serve_fixture(SITES / "unfetched-pages") as server:
        config = write_source_config(tmp_path, server.base_url, FEED_SOURCE)
        result = run_sokbo("--config", str(config), "crawl", cwd=tmp_path)
        statuses = {r.path: r.status for r in server.log if r.method == "GET"}
    assert statuses == {
        "/robots.txt": 200,
        "/feed.xml": 200,
        "/news/budget-vote.html": 200,
        "/news/heat-wave.html": 200,
        "/news/deleted.html": 404,
        "/news/moved.html": 301,
    }
    assert result.returncode == 1, result.stdout + result.stderr  # the 404 is a failed page
    assert pages_fetched(result.stdout) == (2, 0, 0)
    lines = result.stdout.splitlines()
    assert "  not fetched      2" in lines, result.stdout
    assert "       1  forbidden by robots.txt" in lines
    assert "       1  outside allowed_domains (a link or redirect)" in lines
    assert "  failed pages     1 (tried again on the next run)" in lines
    # The same figure where the scheduler's log and `sokbo status` read it.
    (run,) = run_rows(tmp_path)
    assert crawl_counts(run["stats"])["pages"] == 2


def test_a_stopped_run_counts_only_what_arrived(tmp_path: Path) -> None:
    articles = set(expected("wordpress-listing")["articles"])
    # Slow answers, so that the stop lands while article pages are still queued.
    with serve_fixture(SITES / "wordpress-listing", delay=0.4) as server:
        config = write_source_config(tmp_path, server.base_url, LISTING)
        crawl = start_crawl(config)
        deadline = time.monotonic() + 60
        while len(answered(server, articles)) < 2:
            assert time.monotonic() < deadline, "the crawl never got going"
            assert crawl.poll() is None, crawl.communicate()
            time.sleep(0.05)
        crawl.send_signal(signal.SIGINT)
        out, err = crawl.communicate(timeout=60)
        first = answered(server, articles)
        assert 2 <= len(first) < len(articles), "the stop came too late to test"

        server.clear()
        resumed = run_sokbo("--config", str(config), "crawl", cwd=tmp_path)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        second = answered(server, articles)

    # Each run counts the pages it received: the queued ones in the run that fetched them.
    assert pages_fetched(out) == (len(first), 0, 0), out + err
    assert pages_fetched(resumed.stdout) == (len(second), 0, 0), resumed.stdout
    assert sorted(first + second) == sorted(articles)
    rows: list[dict[str, Any]] = run_rows(tmp_path)
    assert [crawl_counts(row["stats"])["pages"] for row in rows] == [len(first), len(second)]
