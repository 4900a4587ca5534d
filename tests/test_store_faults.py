"""A store that stops answering (locked by another process past the busy timeout, or a
PostgreSQL server stopped mid-run) gives a clear error and a run that the next completes."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sokbo.config import load_config
from sokbo.schedule.crawls import Crawls
from sokbo.schedule.runner import run_source
from tests.support.bulk_site import article_paths, fetched_articles, write_bulk_site
from tests.support.cli import run_sokbo
from tests.support.faults import (
    SITES,
    posts_by_source,
    start_crawl,
    wait_while_running,
    write_fault_config,
)
from tests.support.fixture_server import serve_fixture
from tests.support.pg_cluster import private_cluster

pytestmark = pytest.mark.e2e

COUNT = 60
_LOCKER = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
"""


@contextmanager
def locked(database: Path) -> Iterator[None]:
    """Another process holds the SQLite store's write lock for the length of the block."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _LOCKER, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


def complete(run: Path) -> bool:
    every = Counter(dict.fromkeys(article_paths(COUNT), 1))
    return all(posts_by_source(run, site) == every for site in SITES)


def test_a_store_locked_before_the_crawl_is_one_line(tmp_path: Path) -> None:
    run = tmp_path / "run"
    root = write_bulk_site(tmp_path / "site", COUNT)
    with serve_fixture(root) as server:
        config = write_fault_config(run, server.base_url)
        assert run_sokbo("--config", str(config), "check", cwd=run).returncode == 0
        first = run_sokbo("--config", str(config), "crawl", cwd=run)  # makes the store
        assert first.returncode == 0, first.stderr
        database = run / "data/sokbo.db"
        write_bulk_site(root, COUNT)  # unchanged: the next run has no page to fetch

        # A busy timeout of 1 s only for the run the lock is for (see the test below).
        config = write_fault_config(run, server.base_url, extra='[store]\nbusy_timeout = "1s"\n')
        with locked(database):
            blocked = run_sokbo("--config", str(config), "crawl", cwd=run)
        assert blocked.returncode == 1
        assert lines(blocked.stderr) == [
            "store: database is locked (another process held it for longer than the busy timeout)"
        ], blocked.stderr
        assert blocked.stdout == ""


def test_a_store_locked_mid_run_stops_the_crawl_and_the_next_run_completes_it(
    tmp_path: Path,
) -> None:
    run = tmp_path / "run"
    root = write_bulk_site(tmp_path / "site", COUNT)
    with serve_fixture(root, delay=0.05) as server:
        config = write_fault_config(run, server.base_url, extra='[store]\nbusy_timeout = "1s"\n')
        crawl = start_crawl(config)
        assert wait_while_running(crawl, lambda: len(fetched_articles(server)) >= 10)
        with locked(run / "data/sokbo.db"):
            out, err = crawl.communicate(timeout=120)
        assert crawl.returncode == 1, out + err
        # One line, from whichever stage met the lock first (store or publish).
        assert re.fullmatch(
            r"ERROR: store: cannot (save articles|record posts), stopping: database is locked "
            r"\(another process held it for longer than the busy timeout\)",
            lines(err)[0],
        ), err
        assert "cannot record posts: " not in err, err  # no line per site besides it
        assert "Traceback" not in err, err
        assert "stopped early    bulk (store unavailable)" in out, out
        assert not complete(run)

        # The next run has the default busy timeout: 1 s is there only for the lock above
        # to bite soon, and a loaded machine can keep the run's own writers waiting longer.
        config = write_fault_config(run, server.base_url)
        again = run_sokbo("--config", str(config), "crawl", cwd=run)
        assert again.returncode == 0, again.stdout + again.stderr
    assert complete(run)


@pytest.mark.postgres
@pytest.mark.slow
def test_a_postgresql_server_stopped_mid_run(tmp_path: Path) -> None:
    run = tmp_path / "run"
    root = write_bulk_site(tmp_path / "site", COUNT)
    with private_cluster() as cluster, serve_fixture(root, delay=0.05) as server:
        extra = f'[store]\nurl = "{cluster.url}"\n'
        config = write_fault_config(run, server.base_url, extra=extra)
        crawl = start_crawl(config)
        assert wait_while_running(crawl, lambda: len(fetched_articles(server)) >= 10)
        cluster.stop()
        out, err = crawl.communicate(timeout=120)
        assert crawl.returncode == 1, out + err
        assert "Traceback" not in err, err
        assert re.match(
            r"ERROR: store: cannot (save articles|record posts), stopping: ", lines(err)[0]
        ), err
        assert "stopped early    bulk (store unavailable)" in out, out

        cluster.start()
        again = run_sokbo("--config", str(config), "crawl", cwd=run)
        assert again.returncode == 0, again.stdout + again.stderr
        assert complete(run)


@pytest.mark.postgres
def test_a_scheduled_run_with_the_store_down_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sokbo.schedule.runner")
    root = write_bulk_site(tmp_path / "site", 3)
    with private_cluster() as cluster, serve_fixture(root) as server:
        config = write_fault_config(
            tmp_path / "run", server.base_url, extra=f'[store]\nurl = "{cluster.url}"\n'
        )
        cluster.stop()
        result = run_source(load_config(config), config, "bulk", Crawls())
    assert result is not None and result.exit_status == 1
    assert result.errors is not None and "store: connection failed" in result.errors
    assert "bulk: run not recorded: store: connection failed" in caplog.text


@pytest.mark.postgres
def test_a_store_gone_while_the_spider_reads_it_is_one_line(tmp_path: Path) -> None:
    """The server goes while the feed is on its way: the spider's own reading of the
    store (what was fetched before) fails in its callback, not in a pipeline."""
    run = tmp_path / "run"
    root = write_bulk_site(tmp_path / "site", COUNT)
    (root / "_site.toml").write_text('[paths."/rss.xml"]\ndelay = 2\n', encoding="utf-8")
    with private_cluster() as cluster, serve_fixture(root) as server:
        config = write_fault_config(run, server.base_url, extra=f'[store]\nurl = "{cluster.url}"\n')
        crawl = start_crawl(config)
        assert wait_while_running(crawl, lambda: "/rss.xml" in server.paths())
        cluster.stop()
        out, err = crawl.communicate(timeout=120)
        assert crawl.returncode == 1, out + err
        assert "Traceback" not in err, err
        first = lines(err)[0]
        assert first.startswith(f"ERROR: store: cannot read what {server.base_url}/rss.xml "), err
        assert "stopped early    bulk (store unavailable)" in out, out

        cluster.start()
        (root / "_site.toml").unlink()
        server.reload()
        again = run_sokbo("--config", str(config), "crawl", cwd=run)
        assert again.returncode == 0, again.stdout + again.stderr
        assert complete(run)
