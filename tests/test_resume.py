"""A crawl stopped with SIGINT (Ctrl-C) resumes from its JOBDIR and finishes with every
article fetched and published exactly once."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.support.cli import run_sokbo
from tests.support.configs import write_source_config
from tests.support.faults import start_crawl
from tests.support.fixture_server import serve_fixture
from tests.support.sites import SITES, expected, posts

pytestmark = pytest.mark.e2e

LISTING = """kind = "listing"
start_urls = ["{base}/"]
links.region = [".post-list"]
links.pagination = ["nav.pagination a.next"]"""


def test_sigint_then_resume_fetches_every_article_once(tmp_path: Path) -> None:
    articles = set(expected("wordpress-listing")["articles"])
    # Slow answers, so that the interruption lands in the middle of the crawl.
    with serve_fixture(SITES / "wordpress-listing", delay=0.4) as server:
        config = write_source_config(tmp_path, server.base_url, LISTING)
        crawl = start_crawl(config)
        deadline = time.monotonic() + 60
        while sum(path in articles for path in server.paths()) < 3:
            assert time.monotonic() < deadline, "the crawl never got going"
            assert crawl.poll() is None, crawl.communicate()
            time.sleep(0.05)
        crawl.send_signal(signal.SIGINT)
        out, err = crawl.communicate(timeout=60)
        first = [path for path in server.paths() if path in articles]
        assert 3 <= len(first) < len(articles), "the interruption came too late to test"
        assert "queued requests from" in err, err
        # The summary does not read like a finished run.
        assert "stopped early    src (shutdown): " in out, out
        assert "requests still queued, the next run resumes them" in out, out
        assert "nothing new" not in out, out
        assert crawl.returncode == 1
        assert (tmp_path / "data/jobs/src").is_dir()
        assert 0 < len(posts(tmp_path)) < len(articles)

        second = run_sokbo("--config", str(config), "crawl", cwd=tmp_path)
        assert second.returncode == 0, second.stdout + second.stderr
        fetched = Counter(path for path in server.paths() if path in articles)

    assert fetched == Counter(articles), "an article was fetched twice or never"
    assert set(posts(tmp_path)) == articles
    assert len(list((tmp_path / "sites/out/_posts").glob("*.md"))) == len(articles)
    assert not (tmp_path / "data/jobs/src").exists(), "a finished job must not resume again"
