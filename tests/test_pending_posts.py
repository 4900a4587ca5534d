"""Every stored article is published on every site of its source, whatever the source
answers: a site added to the config later gets the articles already stored at the next
crawl, even when the feed answers 304 Not Modified."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sokbo import stats as stat_keys
from sokbo.outcome import stat_count
from tests.support.bulk_site import article_paths, write_bulk_site
from tests.support.cli import run_sokbo
from tests.support.faults import posts_by_source, write_fault_config
from tests.support.fixture_server import serve_fixture
from tests.support.scheduling import last_run_stats

pytestmark = pytest.mark.e2e

GAMMA = """
[[site]]
id = "gamma"
title = "gamma"
base_url = "https://gamma.example"
posts_dir = "sites/gamma/_posts"
feeds_dir = "sites/gamma/feeds"
brand = "gamma"
sources = ["bulk"]
"""


def test_a_site_added_later_gets_the_stored_articles(tmp_path: Path) -> None:
    run = tmp_path / "run"
    root = write_bulk_site(tmp_path / "site", 8)
    with serve_fixture(root) as server:
        config = write_fault_config(run, server.base_url)
        first = run_sokbo("--config", str(config), "crawl", cwd=run)
        assert first.returncode == 0, first.stdout + first.stderr

        config.write_text(config.read_text(encoding="utf-8") + GAMMA, encoding="utf-8")
        server.clear()
        second = run_sokbo("--config", str(config), "crawl", cwd=run)
        assert second.returncode == 0, second.stdout + second.stderr
        feed = [record.status for record in server.log if record.path == "/rss.xml"]

    assert feed == [304]
    assert posts_by_source(run, "gamma") == Counter(dict.fromkeys(article_paths(8), 1))
    stats = last_run_stats(run)
    assert stat_count(stats, stat_keys.POSTS_PENDING) == 8, second.stdout
