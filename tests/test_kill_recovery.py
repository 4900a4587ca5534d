"""A crawl killed with SIGKILL loses nothing: the next run publishes every article once.

Scrapy resumes a JOBDIR correctly only after a clean stop. A killed run leaves its
seen-requests file behind, and trusting it would filter every page the killed run had
merely queued; the next run must discard such a job and fetch what the store lacks.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.support.bulk_site import (
    article_paths,
    article_title,
    fetched_articles,
    newest,
    write_bulk_site,
)
from tests.support.cli import run_sokbo
from tests.support.faults import (
    SITES,
    feed_titles,
    kill_when,
    posts_by_source,
    posts_parse,
    start_crawl,
    store_integrity,
    temporary_files,
    write_fault_config,
)
from tests.support.fixture_server import serve_fixture

pytestmark = pytest.mark.e2e

COUNT = 400


def test_a_killed_crawl_is_finished_by_the_next_run(tmp_path: Path) -> None:
    root = write_bulk_site(tmp_path / "site", COUNT)
    articles = article_paths(COUNT)
    with serve_fixture(root, delay=0.02) as server:
        config = write_fault_config(tmp_path / "run", server.base_url)
        crawl = start_crawl(config)
        assert kill_when(crawl, lambda: len(fetched_articles(server)) >= 20)
        assert len(set(fetched_articles(server))) < COUNT, "killed too late to test"
        # The killed run left its job folder: it must not be trusted.
        assert (tmp_path / "run/data/jobs/bulk").is_dir()

        second = run_sokbo("--config", str(config), "crawl", cwd=config.parent)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "did not stop cleanly" in second.stderr, second.stderr
        fetched = Counter(fetched_articles(server))

    assert set(fetched) == articles
    for site in SITES:
        assert posts_by_source(config.parent, site) == Counter(dict.fromkeys(articles, 1))
    assert temporary_files(config.parent) == []
    assert store_integrity(config.parent) == "ok"


KILLS = 20


@pytest.mark.slow
@pytest.mark.parametrize("resume", [True, False], ids=["resume", "no-resume"])
def test_twenty_kills_at_random_moments_lose_nothing(tmp_path: Path, resume: bool) -> None:
    """The site grows by ten articles before each crawl, and each crawl is killed at a
    random moment: mostly after a random number of its pages have arrived (fetching,
    extracting, storing, publishing), else at a random time (starting up, building feeds,
    closing). After the last kill one more run must leave every article with exactly one
    post per site, whole files only, feeds listing the newest entries, a sound store."""
    count = 200
    root = write_bulk_site(tmp_path / "site", count)
    rng = random.Random(20261204 + resume)
    with serve_fixture(root, delay=0.005) as server:
        config = write_fault_config(tmp_path / "run", server.base_url, resume=resume)
        for _kill in range(KILLS):
            count += 10
            write_bulk_site(root, count)
            before = len(fetched_articles(server))
            crawl = start_crawl(config)
            if rng.random() < 0.7:
                pages = before + rng.randint(1, 40)
                kill_when(crawl, lambda pages=pages: len(fetched_articles(server)) >= pages)  # type: ignore[misc]
            else:
                moment = time.monotonic() + rng.uniform(0.2, 3.0)
                kill_when(crawl, lambda moment=moment: time.monotonic() >= moment)  # type: ignore[misc]
            for site in SITES:  # after every kill: whole files only, none twice
                assert posts_parse(config.parent, site)
                assert max(posts_by_source(config.parent, site).values(), default=1) == 1
        last = run_sokbo("--config", str(config), "crawl", cwd=config.parent)
        assert last.returncode == 0, last.stdout + last.stderr
        again = run_sokbo("--config", str(config), "crawl", cwd=config.parent)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "nothing new" in again.stdout, again.stdout

    want = Counter(dict.fromkeys(article_paths(count), 1))
    titles_wanted = [article_title(number) for number in newest(count, 20)]
    for site in SITES:
        assert posts_by_source(config.parent, site) == want
        assert posts_parse(config.parent, site)
        titles = feed_titles(config.parent, site)
        assert titles == dict.fromkeys(titles, titles_wanted), titles
    assert temporary_files(config.parent) == []
    assert store_integrity(config.parent) == "ok"
