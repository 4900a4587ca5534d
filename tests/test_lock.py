"""Source locks: one crawl of a source at a time, and a message that names the holder."""

from __future__ import annotations

import math
import os
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sokbo.config import Config, load_config
from sokbo.lock import (
    AdvisoryLock,
    FileLock,
    Holder,
    SourceBusy,
    acquire_source_locks,
    feed_lock,
    source_lock,
)
from sokbo.store import Store
from tests.support.cli import SETTINGS, run_scrapy, run_sokbo, write_demo_config
from tests.support.configs import write_config

NOWHERE = 'kind = "feed"\nstart_urls = ["http://127.0.0.1:9/feed.xml"]'


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(write_config(tmp_path, {"a": NOWHERE, "b": NOWHERE}))


def test_a_file_lock_is_taken_once_and_names_its_holder(config: Config, tmp_path: Path) -> None:
    first, second = source_lock(config, "a"), source_lock(config, "a")
    assert isinstance(first, FileLock)
    assert first.try_acquire()
    try:
        assert not second.try_acquire()
        holder = second.holder()
        assert holder is not None and holder.pid == os.getpid()
        assert holder.since is not None
        assert abs(datetime.now(UTC) - holder.since) < timedelta(seconds=5)
        assert source_lock(config, "b").try_acquire(), "another source is free"
    finally:
        first.release()
    assert (tmp_path / "data/locks/a.lock").read_text() == "", "a free lock names nobody"
    assert second.try_acquire()
    second.release()


def test_busy_fails_at_once_with_a_clear_message(config: Config) -> None:
    held = source_lock(config, "b")
    assert held.try_acquire()
    try:
        with pytest.raises(SourceBusy) as busy:
            acquire_source_locks(config, ["b", "a"])
        assert re.fullmatch(
            rf"source 'b' is already being crawled \(pid {os.getpid()}, "
            r"since \d\d:\d\d:\d\d UTC\); try later or pass --wait",
            str(busy.value),
        )
        # Taken in sorted order, and given back when a later one is busy.
        free = source_lock(config, "a")
        assert free.try_acquire()
        free.release()
    finally:
        held.release()


def test_waiting_is_bounded(config: Config) -> None:
    held = source_lock(config, "a")
    assert held.try_acquire()
    try:
        started = time.monotonic()
        with pytest.raises(SourceBusy, match=r"still being crawled after waiting 0\.5 s \(pid"):
            acquire_source_locks(config, ["a"], wait=0.5)
        assert time.monotonic() - started >= 0.5
    finally:
        held.release()


def test_waiting_ends_when_the_holder_is_done(config: Config) -> None:
    held = source_lock(config, "a")
    assert held.try_acquire()
    timer = threading.Timer(0.5, held.release)
    timer.start()
    started = time.monotonic()
    with acquire_source_locks(config, ["a", "b"], wait=math.inf) as locks:
        assert time.monotonic() - started >= 0.4
        assert len(locks.locks) == 2
    timer.join()
    assert source_lock(config, "a").try_acquire()


def test_the_holder_message_shows_the_date_when_not_today() -> None:
    assert Holder(7, datetime(2024, 7, 1, 3, 4, 5, tzinfo=UTC)).describe() == (
        "pid 7, since 2024-07-01 03:04:05 UTC"
    )
    assert Holder(None, None).describe() == "another process"


@pytest.mark.e2e
def test_wait_takes_seconds_on_the_command_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"a": NOWHERE})
    result = run_sokbo("--config", str(config), "crawl", "--wait", "a", cwd=tmp_path)
    assert result.returncode == 2
    assert "not a number of seconds: 'a' (write --wait=SECONDS" in result.stderr


@pytest.fixture
def pg_config(tmp_path: Path, postgres_db: str) -> Iterator[Config]:
    yield load_config(write_config(tmp_path, {"a": NOWHERE, "b": NOWHERE}, store=postgres_db))


@pytest.mark.postgres
def test_postgres_uses_an_advisory_lock(pg_config: Config, tmp_path: Path) -> None:
    first, second = source_lock(pg_config, "a"), source_lock(pg_config, "a")
    assert isinstance(first, AdvisoryLock) and isinstance(second, AdvisoryLock)
    assert first.key == second.key != AdvisoryLock(pg_config.store.url, "source b").key
    assert first.try_acquire()
    try:
        assert not second.try_acquire()
        holder = second.holder()
        assert holder is not None and holder.pid == os.getpid()
        with pytest.raises(
            SourceBusy, match=rf"source 'a' is already being crawled \(pid {os.getpid()}"
        ):
            acquire_source_locks(pg_config, ["a"])
    finally:
        first.release()
        second.release()
    with acquire_source_locks(pg_config, ["a", "b"]):
        assert second.holder() is not None
    assert second.holder() is None
    assert not (tmp_path / "data/locks").exists(), "no lock file beside a PostgreSQL store"


@pytest.mark.e2e
def test_a_feed_build_held_elsewhere_leaves_the_feeds_queued(
    demo_base: str, tmp_path: Path
) -> None:
    """Another process holds the build of one site's feeds: the crawl waits (in a thread,
    the reactor keeps crawling) as long as SOKBO_FEED_LOCK_WAIT, says so in one line, and
    ends; those feeds stay queued and the next build writes them."""
    folder = write_demo_config(tmp_path / "blog", demo_base).parent
    config = load_config(folder / "sokbo.toml")
    Store.open(config.store).close()  # the store's folder, where the feed locks live
    held_elsewhere = feed_lock(config.store.url, "opensis")
    assert held_elsewhere.try_acquire()
    try:
        crawl = ("crawl", "feed", "-a", "source=demo-tistory", "-s", "SOKBO_FEED_LOCK_WAIT=1")
        result = run_scrapy(*crawl, cwd=folder, env=SETTINGS)
    finally:
        held_elsewhere.release()
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(
        r"site 'opensis': feeds not built: the feed build of site 'opensis' is held by pid "
        rf"{os.getpid()}, since .*; waited 1 s; they stay queued for the next build",
        result.stderr,
    ), result.stderr[-3000:]
    assert not (folder / "sites/opensis/feeds/rss.xml").exists()
    assert (folder / "sites/onioninfo/feeds/rss.xml").is_file(), "other sites are built"
    store = Store.open(config.store)
    try:
        assert store.queued_feeds("opensis")
    finally:
        store.close()

    rebuilt = run_sokbo("--config", str(folder / "sokbo.toml"), "feeds", cwd=folder)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert (folder / "sites/opensis/feeds/rss.xml").is_file()
