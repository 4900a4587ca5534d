"""The store's cache of serialised feed entries: each entry is serialised once per change,
reused while nothing it was built from moved, and never shown stale."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sokbo.config import SiteConfig
from sokbo.lock import feed_lock
from sokbo.publish.feeds import cache
from sokbo.publish.feeds import write as feed_write
from sokbo.publish.feeds.jsonfeed import json_item
from sokbo.publish.feeds.prepare import built_entry
from sokbo.publish.feeds.write import write_site_feeds
from sokbo.store import Store, feed_entries
from tests.support.feed_fixtures import T0, add, make_article, make_site, open_store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The cache on both databases the store supports."""
    if request.param == "sqlite":
        opened = open_store(tmp_path)
    else:
        opened = Store(request.getfixturevalue("postgres_db"))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def serialised(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The guid of every entry serialised from here on (once per entry, every format)."""
    calls: list[str] = []
    real: Callable[..., Any] = feed_write.feed_entry

    def counting(*args: Any, **kwargs: Any) -> Any:
        entry = real(*args, **kwargs)
        calls.append(entry.guid)
        return entry

    monkeypatch.setattr(feed_write, "feed_entry", counting)
    return calls


def feed_bytes(site: SiteConfig) -> dict[str, bytes]:
    return {
        path.relative_to(site.feeds_dir).as_posix(): path.read_bytes()
        for path in sorted(site.feeds_dir.rglob("*"))
        if path.is_file()
    }


def cached_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(feed_entries)).scalar_one())


def test_each_entry_is_serialised_once_across_builds(
    store: Store, tmp_path: Path, serialised: list[str]
) -> None:
    site = make_site(tmp_path, per_category=True)
    for number in range(1, 5):
        add(store, site, make_article(number, "정치", "경제"), T0)

    write_site_feeds(store, site)  # site feed, 정치 and 경제: the same four posts
    assert len(serialised) == 4 and cached_rows(store) == 4

    serialised.clear()
    _, slugs = add(store, site, make_article(5, "정치"), T0)
    write_site_feeds(store, site, slugs)
    assert len(serialised) == 1  # the new post only; the other four came from the store


def test_an_edited_article_is_serialised_again(
    store: Store, tmp_path: Path, serialised: list[str]
) -> None:
    site = make_site(tmp_path)
    add(store, site, make_article(1), T0)
    add(store, site, make_article(2), T0)
    write_site_feeds(store, site)
    serialised.clear()

    add(store, site, make_article(1, body_html="<p>고친 본문</p>"), T0 + timedelta(hours=1))
    write_site_feeds(store, site)

    assert len(serialised) == 1
    assert "고친 본문" in (site.feeds_dir / "feed.json").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [
        {"footer": "새 꼬리말 <a href='https://news.example.kr'>홈</a>"},
        {"title": "새 이름"},  # the author of an entry whose source named none
        {"base_url": "https://new.example.kr"},
        {"timezone": "UTC"},
    ],
)
def test_a_site_config_change_reaches_every_entry(
    store: Store, tmp_path: Path, change: dict[str, str]
) -> None:
    site = make_site(tmp_path, per_category=True)
    add(store, site, make_article(1, authors=()), T0)
    add(store, site, make_article(2), T0)
    write_site_feeds(store, site)

    changed = site.model_copy(update=change)
    write_site_feeds(store, changed)
    from_cache = feed_bytes(changed)
    with store.engine.begin() as conn:
        conn.execute(feed_entries.delete())
    write_site_feeds(store, changed)

    assert feed_bytes(changed) == from_cache  # as if no entry had ever been cached


def test_a_raised_entry_format_builds_every_entry_again(
    store: Store, tmp_path: Path, serialised: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(tmp_path, per_category=True)
    add(store, site, make_article(1, "정치"), T0)
    add(store, site, make_article(2, "경제"), T0)
    write_site_feeds(store, site)
    serialised.clear()

    monkeypatch.setattr(cache, "ENTRY_FORMAT", cache.ENTRY_FORMAT + 1)
    write_site_feeds(store, site)

    assert len(serialised) == 2  # each post once, though each is in two feeds
    write_site_feeds(store, site)
    assert len(serialised) == 2  # the entries of the new format were kept


def test_another_feedgen_builds_every_entry_again(
    store: Store, tmp_path: Path, serialised: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_site(tmp_path)
    add(store, site, make_article(1), T0)
    write_site_feeds(store, site)
    serialised.clear()

    monkeypatch.setattr(cache, "_feedgen_version", lambda: "99.0")
    write_site_feeds(store, site)

    assert len(serialised) == 1


def test_new_entry_code_with_a_raised_format_gives_what_an_empty_cache_gives(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's case: the site's rendering (alt text, footer) changes in code, not in
    config. Raising ENTRY_FORMAT, as tests/test_feed_entry_format.py demands, is enough."""
    site = make_site(tmp_path)
    add(store, site, make_article(1), T0)
    add(store, site, make_article(2, authors=()), T0)
    write_site_feeds(store, site)
    before = feed_bytes(site)

    def shouting(self: SiteConfig, template: str) -> str:
        return template.format(brand=self.brand.upper())

    monkeypatch.setattr(SiteConfig, "render", shouting)
    monkeypatch.setattr(cache, "ENTRY_FORMAT", cache.ENTRY_FORMAT + 1)
    write_site_feeds(store, site)
    from_cache = feed_bytes(site)
    with store.engine.begin() as conn:
        conn.execute(feed_entries.delete())
    write_site_feeds(store, site)

    assert feed_bytes(site) == from_cache != before


def test_a_lost_cache_only_costs_time(store: Store, tmp_path: Path) -> None:
    site = make_site(tmp_path, per_category=True)
    for number in range(1, 4):
        add(store, site, make_article(number, "정치"), T0)
    write_site_feeds(store, site)
    before = feed_bytes(site)

    with store.engine.begin() as conn:
        conn.execute(feed_entries.delete())
    assert not any(written for _path, written in write_site_feeds(store, site))
    assert feed_bytes(site) == before


def test_a_failed_save_is_logged_not_raised(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    site = make_site(tmp_path)
    stored, _ = add(store, site, make_article(1), T0)
    entry = built_entry(feed_write.feed_entry(stored, site), json=json_item)

    # An entry of a post the site does not have breaks the foreign key, as a post
    # deleted by a concurrent process would.
    with caplog.at_level(logging.INFO, logger="sokbo.publish.feeds.cache"):
        cache.save(store, "another-site", {stored.id: ("key", entry)})

    assert "feed entries of site 'another-site' not cached this time" in caplog.text
    assert cached_rows(store) == 0


def test_one_feed_build_of_a_site_at_a_time(store: Store, tmp_path: Path) -> None:
    """Another build holds the site's feed lock: this one waits for it."""
    site = make_site(tmp_path)
    add(store, site, make_article(1), T0)
    url = store.engine.url.render_as_string(hide_password=False)
    other = feed_lock(url, site.id)
    assert other.try_acquire()
    done = threading.Event()

    def build() -> None:
        write_site_feeds(store, site)
        done.set()

    builder = threading.Thread(target=build)
    try:
        builder.start()
        assert not done.wait(1.0), "the build did not wait for the lock"
        assert not (site.feeds_dir / "rss.xml").exists()
    finally:
        other.release()
    assert done.wait(30), "the build did not go on once the lock was free"
    builder.join()
    assert (site.feeds_dir / "rss.xml").exists()
