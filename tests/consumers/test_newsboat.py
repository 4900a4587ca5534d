"""newsboat (Debian's `newsboat` package) reads every RSS and Atom feed sokbo writes.

`newsboat -x reload` fetches each feed file through a file:// URL into a fresh cache, with
HOME and the XDG folders in a temporary folder and no terminal; the test then reads the
cache (sqlite table `rss_item`). Every entry must arrive, with its title and its date.

JSON Feed is not read: newsboat has no JSON Feed support (newsboat/newsboat#426, open;
Debian 12 ships 2.21, which logs "could not parse file" for feed.json).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.consumers.conftest import Published
from tests.consumers.tools import FeedFile, feed_files, newsboat_read, read_entries

pytestmark = pytest.mark.consumers


def newsboat_title(title: str) -> str:
    """What newsboat shows for a plain-text title: each CR and LF becomes a space and
    surrounding whitespace is trimmed (a feed reader's list is one line per item)."""
    return title.replace("\r", " ").replace("\n", " ").strip()


def newsboat_problems(feed: FeedFile, workdir: Path) -> list[str]:
    items, errors = newsboat_read(feed.path, workdir)
    stated = read_entries(feed)
    problems = [f"{feed}: newsboat logged: {errors}"] if errors else []
    if len(items) != len(stated):
        problems.append(f"{feed}: newsboat stored {len(items)} of {len(stated)} entries")
    by_guid = {item.guid: item for item in items}
    for entry in stated:
        item = by_guid.get(entry.id)
        if item is None:
            problems.append(f"{feed}: {entry.id} did not arrive")
            continue
        expected = newsboat_title(entry.title)
        # An item with no title gets one made from its URL (newsboat's own rule).
        if item.title != expected and (expected or not item.title):
            problems.append(f"{feed}: {entry.id}: title {item.title!r}, stated {entry.title!r}")
        if item.url != entry.link:
            problems.append(f"{feed}: {entry.id}: url {item.url!r}, stated {entry.link!r}")
        if entry.published is None or item.published != entry.published.replace(microsecond=0):
            problems.append(f"{feed}: {entry.id}: date {item.published}, stated {entry.published}")
    return problems


def read_all(run: Published, tmp_path: Path) -> list[str]:
    problems = []
    feeds = [feed for site in run.sites() for feed in feed_files(site) if feed.kind != "json"]
    assert {feed.kind for feed in feeds} == {"rss", "atom"}
    for number, feed in enumerate(feeds):
        problems += newsboat_problems(feed, tmp_path / f"{number}-{feed.site.id}-{feed.kind}")
    return problems


def test_newsboat_reads_every_demo_feed(demo_run: Published, tmp_path: Path) -> None:
    assert read_all(demo_run, tmp_path) == []


def test_newsboat_reads_every_stress_feed(stress_run: Published, tmp_path: Path) -> None:
    assert read_all(stress_run, tmp_path) == []


def test_newsboat_reports_a_broken_feed(tmp_path: Path) -> None:
    """The control: newsboat exits 0 even when it cannot parse a feed, so the tests above
    read its log; this shows the log does say so."""
    broken = tmp_path / "broken.xml"
    # Not truncated XML: newsboat's parser recovers what it can from that.
    broken.write_text('{"version": "https://jsonfeed.org/version/1.1"}', encoding="utf-8")
    items, errors = newsboat_read(broken, tmp_path / "newsboat")
    assert items == []
    assert "could not parse" in errors
