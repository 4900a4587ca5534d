"""One scheduled run: a child process with a timeout, a record of how it ended, the feeds
it left queued built, and a busy source skipped."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sokbo.config import load_config
from sokbo.lock import source_lock
from sokbo.schedule.crawls import Crawls
from sokbo.schedule.runner import run_job, run_source
from sokbo.schedule.scheduler import Scheduler
from sokbo.store import Store
from tests.support.configs import write_config
from tests.support.feed_fixtures import add, make_article
from tests.support.fixture_server import serve_fixture
from tests.support.scheduling import run_rows
from tests.support.sites import SITES

NOWHERE = 'kind = "feed"\nstart_urls = ["http://127.0.0.1:9/feed.xml"]'


@pytest.fixture
def runner_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="sokbo.schedule.runner")
    return caplog


@pytest.mark.e2e
def test_a_run_past_its_timeout_is_stopped_and_recorded(
    tmp_path: Path, runner_log: pytest.LogCaptureFixture
) -> None:
    # Every answer takes 5 s: the crawl is still waiting when its 4 s are up, and still
    # waiting for a request in flight 1 s after the SIGINT, so it is killed.
    with serve_fixture(SITES / "jsonfeed", delay=5) as server:
        source = f'kind = "feed"\nstart_urls = ["{server.base_url}/feed.json"]\ntimeout = "4s"'
        config_path = write_config(tmp_path, {"src": source}, schedule='kill_grace = "1s"')
        result = run_source(load_config(config_path), config_path, "src", Crawls())
    assert result is not None and result.exit_status != 0
    (row,) = run_rows(tmp_path)
    assert row["reason"] == "timeout"
    assert row["exit_status"] == result.exit_status
    # SIGKILL after the grace; on a loaded machine the SIGINT may reach a crawl still
    # starting, before Scrapy listens for it: Python stops it (KeyboardInterrupt).
    assert re.match(
        r"timed out after 4s; (killed by SIG|exited 1: KeyboardInterrupt)", row["errors"]
    ), row["errors"]
    assert "src: timed out after 4s; stopping it (SIGINT)" in runner_log.text
    assert f"errors: {row['errors']}" in runner_log.text


@pytest.mark.e2e
def test_a_crawl_that_dies_is_recorded_and_its_queued_feeds_are_built(
    tmp_path: Path, runner_log: pytest.LogCaptureFixture
) -> None:
    config_path = write_config(tmp_path, {"src": NOWHERE})
    config = load_config(config_path)
    (site,) = config.site
    # A post whose feeds an earlier, killed crawl queued but never built.
    store = Store(config.store.url)
    try:
        now = datetime.now(UTC)
        add(store, site, make_article(1, source_id="src"), now)
        store.queue_feeds(site.id, {""}, now)
    finally:
        store.close()
    # The config on disk no longer reads: the crawl exits 2 before it records anything.
    config_path.write_text("[[source]\n", encoding="utf-8")

    result = run_source(config, config_path, "src", Crawls())

    assert result is not None and result.exit_status == 2
    (row,) = run_rows(tmp_path)
    assert (row["reason"], row["exit_status"]) == ("exited", 2)
    assert row["errors"].startswith(f"exited 2: {config_path}: not valid TOML"), row["errors"]
    assert (site.feeds_dir / "rss.xml").is_file()
    store = Store(config.store.url)
    try:
        assert store.queued_feeds(site.id) == {}
    finally:
        store.close()
    assert f"src | {config_path}: not valid TOML" in runner_log.text, "stderr is logged"


@pytest.mark.e2e
def test_a_source_being_crawled_is_skipped(
    tmp_path: Path, runner_log: pytest.LogCaptureFixture
) -> None:
    config_path = write_config(tmp_path, {"src": NOWHERE})
    config = load_config(config_path)
    held = source_lock(config, "src")
    assert held.try_acquire()
    try:
        result = run_source(config, config_path, "src", Crawls())
    finally:
        held.release()
    assert result is not None and result.skipped and result.exit_status == 3
    assert run_rows(tmp_path) == [], "a skipped run is no run"
    assert "src: skipped: already running" in runner_log.text


@pytest.mark.e2e
def test_nothing_starts_once_stopping(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, {"src": NOWHERE})
    crawls = Crawls()
    crawls.stop_taking()
    assert run_source(load_config(config_path), config_path, "src", crawls) is None
    assert crawls.running() == []
    assert not (tmp_path / "data").exists()


@pytest.mark.e2e
def test_the_job_function_logs_a_config_it_cannot_use(
    tmp_path: Path, runner_log: pytest.LogCaptureFixture
) -> None:
    config_path = write_config(tmp_path, {"src": NOWHERE})
    run_job(str(config_path), "gone")
    assert "gone: not run: no source 'gone' in the config" in runner_log.text
    assert not (tmp_path / "data").exists()


def test_a_scheduler_closes_the_runs_a_killed_one_left_open(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, {"src": NOWHERE, "busy": NOWHERE})
    config = load_config(config_path)
    store = Store(config.store.url)
    try:
        store.open_run("src", datetime.now(UTC))
        store.open_run("busy", datetime.now(UTC))
    finally:
        store.close()
    held = source_lock(config, "busy")  # a crawl the killed scheduler started, still going
    assert held.try_acquire()
    try:
        Scheduler(config, config_path).store.close()
    finally:
        held.release()
    rows = {row["source_id"]: row for row in run_rows(tmp_path)}
    assert rows["src"]["reason"] == "abandoned"
    assert rows["busy"]["reason"] == "running", "its crawl completes its own row"
