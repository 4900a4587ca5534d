"""What a hub pushed, handed to the run it triggers (sokbo/push/inbox.py): kept whole or not
at all, read once by a finished run, and its entries' pages asked for before the feed, so
the pushed article is the run's first request; a disk that cannot keep it costs nothing
but that head start."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from sokbo.push import inbox
from tests.support.cli import run_sokbo
from tests.support.mounts import tmpfs
from tests.support.scheduling import Scheduled, last_run_stats, wait_until
from tests.support.scrapyd_node import free_port
from tests.support.websub_hub import Hub, ping
from tests.test_push import Site, hourly, post_titles, write_push_config
from tests.test_push import hub as hub
from tests.test_push import site as site

TOPIC = "https://blog.example/feed.xml"


def test_a_kept_body_is_read_until_a_finished_run_is_done_with_it(tmp_path: Path) -> None:
    first = inbox.keep(tmp_path, "a", TOPIC, b"<feed>1</feed>")
    second = inbox.keep(tmp_path, "a", TOPIC, b"<feed>2</feed>\n\nmore")
    inbox.keep(tmp_path, "b", TOPIC, b"<feed>b</feed>")
    found = inbox.waiting(tmp_path, "a")
    assert [(p.path, p.topic, p.body) for p in found] == [
        (first, TOPIC, b"<feed>1</feed>"),
        (second, TOPIC, b"<feed>2</feed>\n\nmore"),
    ]
    assert inbox.waiting(tmp_path, "a") == found  # a run that did not finish leaves them
    inbox.done(found)
    assert inbox.waiting(tmp_path, "a") == []
    assert [p.body for p in inbox.waiting(tmp_path, "b")] == [b"<feed>b</feed>"]
    assert inbox.waiting(tmp_path, "never") == []


def test_unfinished_stale_and_surplus_bodies_are_not_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sokbo.push")
    folder = inbox.inbox(tmp_path, "a")
    kept = [inbox.keep(tmp_path, "a", TOPIC, f"<feed>{n}</feed>".encode()) for n in range(3)]
    (folder / "00000000000000000001-dead.tmp").write_bytes(b"half a bo")  # a killed writer
    old = time.time() - inbox.MAX_AGE - 60
    os.utime(kept[0], (old, old))
    assert [p.path for p in inbox.waiting(tmp_path, "a")] == kept[1:]
    assert not kept[0].exists()
    assert "dropped unread (older than a day)" in caplog.text
    assert (folder / "00000000000000000001-dead.tmp").exists()  # it may yet be renamed
    surplus = [inbox.keep(tmp_path, "a", TOPIC, b"<feed/>") for _ in range(inbox.MAX_KEPT + 1)]
    assert [p.path for p in inbox.waiting(tmp_path, "a")] == surplus[-inbox.MAX_KEPT :]
    assert f"more than {inbox.MAX_KEPT} waiting" in caplog.text


def test_a_full_disk_keeps_nothing_and_says_so(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "state" / "push", "64k") as folder:
        (folder / "filler").write_bytes(b"x" * 60 * 1024)
        with pytest.raises(OSError):
            inbox.keep(tmp_path / "state", "a", TOPIC, b"<feed>" + b"x" * 32 * 1024)
        assert [path.name for path in folder.rglob("*") if path.is_file()] == ["filler"]


# -- end to end: `sokbo schedule`, a hub on 127.0.0.1, the crawl as a process -----------------


def _crawl_paths(site: Site) -> list[str]:
    """What sokbo's crawls asked the site for, in order (not the hub's fetches)."""
    assert site.server is not None
    return [
        record.path
        for record in site.server.log
        if "sokbo" in record.headers.get("User-Agent", "").lower()
    ]


def _crawled_once(tmp_path: Path, site: Site) -> Path:
    """A config whose source has been crawled once (its hub recorded), with a politeness
    delay, so that the order of a run's requests is the order they were sent."""
    folder = tmp_path / "run"
    config = write_push_config(folder, {"live": hourly(site.topic)}, free_port())
    assert run_sokbo("--config", str(config), "crawl", "live", cwd=folder).returncode == 0
    text = config.read_text("utf-8")
    assert "delay = 0.0" in text
    config.write_text(text.replace("delay = 0.0", "delay = 1.0"), "utf-8")
    return config


def _push_article(config: Path, site: Site, hub: Hub, *, said: str = "") -> str:
    """`sokbo schedule` subscribed; article 2 published and the hub pinged; its post
    written. The scheduler's log (after `said`, a line it must print)."""
    with Scheduled(config) as scheduler:
        scheduler.wait_for(r"push: live: subscribed to ")
        # Said as it answers the hub; the hub holds the subscription once it reads that.
        wait_until(lambda: hub.active(site.topic), 10, "a verified subscription")
        assert site.server is not None
        site.server.clear()
        site.publish(2)
        assert ping(hub.url, site.topic) == 202
        if said:
            scheduler.wait_for(said)
        wait_until(lambda: site.title(2) in post_titles(config.parent), 20, "the post")
        scheduler.wait_for(r"live: run ended")
        assert scheduler.stop() == 0
        log = scheduler.log()
    assert "Traceback" not in log
    return log


@pytest.mark.e2e
def test_the_pushed_article_is_the_runs_first_request(tmp_path: Path, site: Site, hub: Hub) -> None:
    config = _crawled_once(tmp_path, site)
    _push_article(config, site, hub)
    # The page first, at once; the feed after it (a hub may push only part of a feed).
    assert _crawl_paths(site) == ["/news/2.html", "/feed.xml"]
    assert last_run_stats(config.parent, "live")["sokbo/pushed_entries"] == 2  # the whole feed
    assert inbox.waiting(config.parent / "data", "live") == []  # read by a finished run


@pytest.mark.e2e
def test_a_push_the_disk_cannot_keep_still_runs_the_source(
    tmp_path: Path, site: Site, hub: Hub
) -> None:
    config = _crawled_once(tmp_path, site)
    with tmpfs(config.parent / "data" / "push", "16k") as full:
        (full / "filler").write_bytes(b"x" * 16 * 1024)
        said = r"push: live: cannot keep the pushed content \(.+\); its run reads the feed"
        _push_article(config, site, hub, said=said)
    assert _crawl_paths(site) == ["/feed.xml", "/news/2.html"]  # as a poll reads it
