"""Incremental feeds: the store's newest-N queries and category index, per-category feeds
with Hangul folder names, rebuilding only the feeds a change reached, stable ids across
an edit, and byte-identical rebuilds from an unchanged store."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import feedparser
import pytest
from scrapy.crawler import Crawler
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from sokbo.config import Config, SiteConfig, SourceConfig
from sokbo.crawl.pipelines.feeds import FeedsPipeline
from sokbo.crawl.spiders.feed import FeedSpider
from sokbo.publish.feeds import cache
from sokbo.publish.feeds.write import (
    CATEGORIES_DIR,
    FEED_FILES,
    SITE_FEED,
    category_slug,
    write_queued_feeds,
    write_site_feeds,
)
from sokbo.publish.posts import publish_post
from sokbo.store import Store, post_categories
from tests.support.feed_fixtures import T0, add, make_article, make_site, open_store

HOUR = timedelta(hours=1)
KST = ZoneInfo("Asia/Seoul")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path)
    try:
        yield opened
    finally:
        opened.close()


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``folder``: (mtime_ns, bytes) by relative path."""
    return {
        path.relative_to(folder).as_posix(): (path.stat().st_mtime_ns, path.read_bytes())
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def written(results: list[tuple[Path, bool]], site: SiteConfig) -> list[str]:
    return [path.relative_to(site.feeds_dir).as_posix() for path, wrote in results if wrote]


def entry_ids(path: Path) -> list[str]:
    if path.suffix == ".json":
        return [item["id"] for item in json.loads(path.read_bytes())["items"]]
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return [entry.id for entry in parsed.entries]


def files_of(slug: str | None) -> list[str]:
    folder = "" if slug is None else f"{CATEGORIES_DIR}/{slug}/"
    return [folder + name for name in FEED_FILES.values()]


# --- the store ------------------------------------------------------------------------------


def test_newest_posts_of_a_site_newest_first_ties_by_id(store: Store, tmp_path: Path) -> None:
    site = make_site(tmp_path)
    ids = {}
    for number, published in [(1, T0), (2, T0 + 2 * HOUR), (3, T0 + HOUR), (4, T0 + HOUR)]:
        stored, _ = add(store, site, make_article(number, published=published), T0)
        ids[number] = stored.id
    other = make_site(tmp_path / "other").model_copy(update={"id": "other"})
    add(store, other, make_article(9, published=T0 + 9 * HOUR), T0)

    # 3 and 4 share a date: the later id first.
    expected = [ids[2], ids[4], ids[3], ids[1]]
    assert [s.id for s in store.newest_posts("demo", 10)] == expected
    assert [s.id for s in store.newest_posts("demo", 2)] == expected[:2]
    assert store.newest_posts("nobody", 10) == []
    newest = store.newest_posts("demo", 1)[0]
    assert newest.article == make_article(2, published=T0 + 2 * HOUR)
    assert newest.changed == T0


def test_newest_posts_of_a_category(store: Store, tmp_path: Path) -> None:
    site = make_site(tmp_path)
    for number, categories in [
        (1, ("정치",)),
        (2, ("경제",)),
        (3, ("정치", "경제")),
        (4, ("정치",)),
    ]:
        add(store, site, make_article(number, *categories), T0)

    def urls(slug: str, limit: int = 10) -> list[str]:
        return [s.article.url for s in store.newest_posts("demo", limit, slug)]

    base = "https://wire.example.com/news/"
    assert urls("정치") == [base + "4", base + "3", base + "1"]
    assert urls("경제") == [base + "3", base + "2"]
    assert urls("정치", 1) == [base + "4"]
    assert urls("사회") == []
    assert store.site_category_slugs("demo") == ["경제", "정치"]


def test_set_post_categories_replaces_a_posts_rows_and_says_what_moved(
    store: Store, tmp_path: Path
) -> None:
    site = make_site(tmp_path)
    stored, moved = add(store, site, make_article(1, "정치", "경제"), T0)
    assert moved == {"정치", "경제"}

    assert store.set_post_categories("demo", stored.id, stored.published, ["정치", "경제"]) == set()
    assert store.set_post_categories("demo", stored.id, stored.published, ["경제", "사회"]) == {
        "정치",
        "사회",
    }
    assert store.site_category_slugs("demo") == ["경제", "사회"]
    assert store.set_post_categories("demo", stored.id, stored.published, []) == {"경제", "사회"}
    assert store.site_category_slugs("demo") == []


def test_category_rows_need_a_post(store: Store, tmp_path: Path) -> None:
    stored = store.upsert(make_article(1), T0)  # stored, but published on no site

    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        row = {"site_id": "demo", "article_id": stored.id, "slug": "정치"}
        conn.execute(insert(post_categories).values(**row, published=stored.published))


def test_sync_post_categories_reconciles_a_whole_site(store: Store, tmp_path: Path) -> None:
    site = make_site(tmp_path)
    one, _ = add(store, site, make_article(1, "정치"), T0)
    two, _ = add(store, site, make_article(2, "경제"), T0)

    assert store.site_post_categories("demo") == [
        (one.id, one.published, ("정치",)),
        (two.id, two.published, ("경제",)),
    ]
    rows = [(one.id, one.published, ["정치", "사회"]), (two.id, two.published, ["정치"])]
    assert store.sync_post_categories("demo", rows) == {"사회", "정치", "경제"}
    assert store.sync_post_categories("demo", rows) == set()
    assert [s.id for s in store.newest_posts("demo", 10, "정치")] == [two.id, one.id]
    assert store.site_category_slugs("demo") == ["사회", "정치"]


# --- per-category feeds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "slug"),
    [
        ("정치", "정치"),
        ("IT/과학", "it-과학"),
        ("경제·금융", "경제-금융"),
        ("../../etc", "etc"),
        ("News", "news"),
        ("CON", "con-" + category_slug("CON").split("-")[-1]),  # a name Windows refuses
    ],
)
def test_category_slugs_are_safe_folder_names(category: str, slug: str) -> None:
    assert category_slug(category) == slug
    assert category_slug(category) == category_slug(category)  # the same on every run


def test_a_category_without_letters_still_gets_a_stable_folder() -> None:
    assert category_slug("!!!") == category_slug("!!!") != category_slug("???")
    assert category_slug("!!!").startswith("post-")


def test_full_rebuild_writes_site_and_category_feeds_with_hangul_names(
    store: Store, tmp_path: Path
) -> None:
    site = make_site(tmp_path, per_category=True)
    add(store, site, make_article(1, "정치"), T0)
    add(store, site, make_article(2, "IT/과학", "정치"), T0)

    results = write_site_feeds(store, site)

    assert written(results, site) == files_of(None) + files_of("it-과학") + files_of("정치")
    assert sorted(p.name for p in (site.feeds_dir / CATEGORIES_DIR).iterdir()) == [
        "it-과학",
        "정치",
    ]
    politics = site.feeds_dir / CATEGORIES_DIR / "정치"
    parsed = feedparser.parse((politics / "atom.xml").read_bytes())
    assert parsed.bozo == 0
    assert parsed.feed.title == "데모 속보 — 정치"
    self_url = "https://news.example.kr/feeds/categories/%EC%A0%95%EC%B9%98/atom.xml"
    assert parsed.feed.id == self_url  # not the site feed's id
    assert [link.href for link in parsed.feed.links if link.rel == "self"] == [self_url]
    assert len(parsed.entries) == 2
    science = site.feeds_dir / CATEGORIES_DIR / "it-과학"
    assert feedparser.parse((science / "rss.xml").read_bytes()).feed.title == "데모 속보 — IT/과학"
    assert json.loads((science / "feed.json").read_bytes())["feed_url"].endswith(
        "/categories/it-%EA%B3%BC%ED%95%99/feed.json"
    )


def test_two_spellings_of_one_slug_share_a_feed(store: Store, tmp_path: Path) -> None:
    site = make_site(tmp_path, per_category=True)
    add(store, site, make_article(1, "news"), T0)
    add(store, site, make_article(2, "News"), T0)

    write_site_feeds(store, site)

    atom = site.feeds_dir / CATEGORIES_DIR / "news" / "atom.xml"
    parsed = feedparser.parse(atom.read_bytes())
    assert len(parsed.entries) == 2
    assert parsed.feed.title == "데모 속보 — News"  # as the newest post spells it


def test_no_category_feeds_unless_asked(store: Store, tmp_path: Path) -> None:
    site = make_site(tmp_path)
    add(store, site, make_article(1, "정치"), T0)

    assert written(write_site_feeds(store, site), site) == files_of(None)
    assert not (site.feeds_dir / CATEGORIES_DIR).exists()


def test_only_the_configured_formats(store: Store, tmp_path: Path) -> None:
    site = make_site(tmp_path, formats=["json"], per_category=True)
    add(store, site, make_article(1, "정치"), T0)

    assert written(write_site_feeds(store, site), site) == [
        "feed.json",
        f"{CATEGORIES_DIR}/정치/feed.json",
    ]


def test_every_feed_keeps_to_the_entry_limit(store: Store, tmp_path: Path) -> None:
    site = make_site(tmp_path, per_category=True, limit=2)
    for number in range(1, 6):
        add(store, site, make_article(number, "정치"), T0)

    write_site_feeds(store, site)

    for path in [site.feeds_dir / name for name in files_of(None) + files_of("정치")]:
        ids = [unquote(i) for i in entry_ids(path)]
        assert len(ids) == 2, path
        assert "/속보-5-기사-제목.html" in ids[0] and "/속보-4-기사-제목.html" in ids[1], ids


# --- incremental rebuilds -------------------------------------------------------------------


@pytest.fixture
def built(store: Store, tmp_path: Path) -> SiteConfig:
    """A site with posts in 정치 and 경제 and every feed built."""
    site = make_site(tmp_path, per_category=True)
    add(store, site, make_article(1, "정치"), T0)
    add(store, site, make_article(2, "경제"), T0)
    add(store, site, make_article(3, "정치", "경제"), T0)
    write_site_feeds(store, site)
    return site


def test_adding_one_article_rebuilds_only_the_feeds_that_contain_it(
    store: Store, built: SiteConfig
) -> None:
    before = snapshot(built.feeds_dir)

    _, slugs = add(store, built, make_article(4, "정치"), T0 + 4 * HOUR)
    assert slugs == {"정치"}
    results = write_site_feeds(store, built, slugs)

    assert written(results, built) == files_of(None) + files_of("정치")
    assert [path for path, _ in results] == [built.feeds_dir / p for p in written(results, built)]
    after = snapshot(built.feeds_dir)
    untouched = files_of("경제")
    assert {p: after[p] for p in untouched} == {p: before[p] for p in untouched}
    assert "news/4" not in "".join(entry_ids(built.feeds_dir / "feed.json"))
    newest = entry_ids(built.feeds_dir / CATEGORIES_DIR / "정치" / "atom.xml")[0]
    assert newest == entry_ids(built.feeds_dir / "atom.xml")[0]
    # What the incremental build left is exactly what a full one makes.
    assert not any(wrote for _, wrote in write_site_feeds(store, built))


def test_an_edit_moves_updated_forward_under_the_same_id(store: Store, built: SiteConfig) -> None:
    ids_before = {name: entry_ids(built.feeds_dir / name) for name in files_of(None)}
    edited_at = T0 + 30 * HOUR
    stored, slugs = add(
        store, built, make_article(1, "정치", body_html="<p>고친 본문</p>"), edited_at
    )
    assert stored.status == "updated"

    write_site_feeds(store, built, slugs)

    for name in files_of(None):
        assert entry_ids(built.feeds_dir / name) == ids_before[name], name  # one entry each
    # Dates are shown on the site's clock (Asia/Seoul).
    edited = edited_at.astimezone(KST).isoformat()
    published = (T0 + HOUR).astimezone(KST).isoformat()  # article 1's date, unchanged
    atom = feedparser.parse((built.feeds_dir / "atom.xml").read_bytes())
    [entry] = [e for e in atom.entries if "고친 본문" in e.content[0].value]
    assert (entry.updated, entry.published) == (edited, published)
    item = next(
        item
        for item in json.loads((built.feeds_dir / "feed.json").read_bytes())["items"]
        if "고친 본문" in item["content_html"]
    )
    assert item["id"] == entry.id
    assert (item["date_modified"], item["date_published"]) == (edited, published)
    # The feed changed when its newest entry did.
    assert atom.feed.updated == edited
    rss = feedparser.parse((built.feeds_dir / "rss.xml").read_bytes())
    assert rss.feed.updated == "Fri, 03 May 2024 00:00:00 +0900"


def test_first_sight_feeds_do_not_depend_on_when_sokbo_crawled(tmp_path: Path) -> None:
    """Two stores that crawl the same source at different times publish the same feeds:
    until sokbo sees an edit, an entry's dates are its source's."""
    outputs = []
    for name, now in [("early", T0), ("late", T0 + 1000 * HOUR)]:
        site = make_site(tmp_path / name, per_category=True)
        store = open_store(tmp_path / name)
        try:
            add(store, site, make_article(1, "정치", modified=T0 + 3 * HOUR), now)
            add(store, site, make_article(2, "경제"), now)
            write_site_feeds(store, site)
        finally:
            store.close()
        outputs.append({p: data for p, (_, data) in snapshot(site.feeds_dir).items()})
    assert outputs[0] == outputs[1]
    items = json.loads(outputs[0]["feed.json"])["items"]
    # The source's own modification time counts; without one, updated is the post's date.
    assert [(i["date_published"], i["date_modified"]) for i in items] == [
        ("2024-05-01T20:00:00+09:00", "2024-05-01T20:00:00+09:00"),
        ("2024-05-01T19:00:00+09:00", "2024-05-01T21:00:00+09:00"),
    ]


def test_only_articles_changed_after_first_sight_count_as_edited(
    store: Store, tmp_path: Path
) -> None:
    site = make_site(tmp_path)
    one, _ = add(store, site, make_article(1), T0)
    two, _ = add(store, site, make_article(2), T0)
    add(store, site, make_article(1, body_html="<p>고침</p>"), T0 + 5 * HOUR)
    add(store, site, make_article(2), T0 + 6 * HOUR)  # seen again, unchanged

    missing = cache.lookup(store, site, [one.id, two.id]).missing  # nothing built yet
    assert {key: edited for key, (_entry_key, edited) in missing.items()} == {
        one.id: T0 + 5 * HOUR,
        two.id: None,
    }
    assert cache.lookup(store, site, []).missing == {}


def test_a_post_that_changes_category_leaves_the_old_feed(store: Store, built: SiteConfig) -> None:
    before = snapshot(built.feeds_dir)
    _, slugs = add(store, built, make_article(1, "사회"), T0 + 5 * HOUR)
    assert slugs == {"정치", "사회"}

    results = write_site_feeds(store, built, slugs)

    assert written(results, built) == files_of(None) + files_of("사회") + files_of("정치")
    politics = entry_ids(built.feeds_dir / CATEGORIES_DIR / "정치" / "rss.xml")
    society = entry_ids(built.feeds_dir / CATEGORIES_DIR / "사회" / "rss.xml")
    assert len(politics) == 1 and len(society) == 1 and society[0] not in politics
    assert {p: snapshot(built.feeds_dir)[p] for p in files_of("경제")} == {
        p: before[p] for p in files_of("경제")
    }


def test_a_category_that_loses_its_last_post_becomes_an_empty_feed(
    store: Store, built: SiteConfig
) -> None:
    add(store, built, make_article(1, "경제"), T0 + 5 * HOUR)
    _, slugs = add(store, built, make_article(3, "경제"), T0 + 5 * HOUR)
    write_site_feeds(store, built, slugs | {"정치"})

    for name in files_of("정치"):
        assert entry_ids(built.feeds_dir / CATEGORIES_DIR / "정치" / name.split("/")[-1]) == []


def test_rebuilding_an_unchanged_store_is_byte_identical(store: Store, built: SiteConfig) -> None:
    before = snapshot(built.feeds_dir)

    assert not any(wrote for _, wrote in write_site_feeds(store, built))
    assert snapshot(built.feeds_dir) == before  # not even touched

    for path in built.feeds_dir.rglob("*.*"):
        path.unlink()
    assert all(wrote for _, wrote in write_site_feeds(store, built))
    assert {p: data for p, (_, data) in snapshot(built.feeds_dir).items()} == {
        p: data for p, (_, data) in before.items()
    }


def test_a_full_rebuild_repairs_a_missing_index(store: Store, built: SiteConfig) -> None:
    """A store made before the index existed, or whose index fell behind, is brought
    in step by `sokbo feeds`."""
    before = snapshot(built.feeds_dir)
    with store.engine.begin() as conn:
        conn.execute(post_categories.delete())

    assert not any(wrote for _, wrote in write_site_feeds(store, built))
    assert snapshot(built.feeds_dir) == before
    assert store.site_category_slugs("demo") == ["경제", "정치"]


def test_site_categories_override_the_articles(store: Store, tmp_path: Path) -> None:
    site = make_site(tmp_path, per_category=True).model_copy(update={"categories": ["속보"]})
    add(store, site, make_article(1, "정치"), T0)

    assert written(write_site_feeds(store, site), site) == files_of(None) + files_of("속보")


# --- the crawl's pipeline -------------------------------------------------------------------


def _pipeline(store: Store, site: SiteConfig) -> FeedsPipeline:
    """The feeds stage as a crawl runs it, on a spider that is not crawling."""
    source = SourceConfig(id="wire", kind="feed", start_urls=["https://wire.example.com/rss"])
    crawler = Crawler(FeedSpider, Settings({"STATS_DUMP": False}))
    # Only what the pipeline reads: the config, the source and the store.
    spider = FeedSpider.__new__(FeedSpider)
    spider.config = Config(source=[source], site=[site])
    spider.source = source
    spider.store = store
    crawler.spider = spider
    crawler.stats = MemoryStatsCollector(crawler)
    return FeedsPipeline.from_crawler(crawler)


def test_the_pipeline_rebuilds_what_the_crawl_changed(store: Store, built: SiteConfig) -> None:
    before = snapshot(built.feeds_dir)
    pipeline = _pipeline(store, built)
    unchanged = store.upsert(make_article(2, "경제"), T0 + HOUR)
    assert unchanged.status == "unchanged"
    publish_post(store, built, unchanged, T0 + HOUR)
    publish_post(store, built, store.upsert(make_article(5, "사회"), T0 + HOUR), T0 + HOUR)

    asyncio.run(pipeline.close_spider())

    after = snapshot(built.feeds_dir)
    changed = sorted(p for p in after if after[p] != before.get(p))
    assert changed == sorted(files_of(None) + files_of("사회"))
    stats = pipeline.stats.get_stats()
    assert stats["sokbo/feeds/written"] == 6
    assert "sokbo/feeds/unchanged" not in stats


def test_a_crawl_that_changed_nothing_builds_nothing(store: Store, built: SiteConfig) -> None:
    before = snapshot(built.feeds_dir)
    pipeline = _pipeline(store, built)
    publish_post(store, built, store.upsert(make_article(1, "정치"), T0 + HOUR), T0 + HOUR)

    asyncio.run(pipeline.close_spider())

    assert snapshot(built.feeds_dir) == before
    assert pipeline.stats.get_stats() == {}


def test_feeds_left_by_a_killed_crawl_are_built_by_the_next(
    store: Store, built: SiteConfig
) -> None:
    before = snapshot(built.feeds_dir)
    publish_post(store, built, store.upsert(make_article(5, "사회"), T0 + HOUR), T0 + HOUR)
    # ... and the process dies here: no close_spider, nothing built.
    assert snapshot(built.feeds_dir) == before
    assert set(store.queued_feeds("demo")) == {SITE_FEED, "사회"}

    # The next run sees the article unchanged, yet builds what the killed one left.
    following = _pipeline(store, built)
    publish_post(store, built, store.upsert(make_article(5, "사회"), T0 + 2 * HOUR), T0 + 2 * HOUR)
    asyncio.run(following.close_spider())

    after = snapshot(built.feeds_dir)
    assert sorted(p for p in after if after[p] != before.get(p)) == sorted(
        files_of(None) + files_of("사회")
    )
    assert store.queued_feeds("demo") == {}


# --- the feed queue -------------------------------------------------------------------------


def test_the_queue_clears_only_what_a_build_read(store: Store) -> None:
    store.queue_feeds("demo", {SITE_FEED, "정치"}, T0)
    store.queue_feeds("demo", {"정치"}, T0 + HOUR)  # queued again: the later time counts
    store.queue_feeds("other", {SITE_FEED}, T0)
    read = store.queued_feeds("demo")
    assert read == {SITE_FEED: T0, "정치": T0 + HOUR}

    store.queue_feeds("demo", {SITE_FEED}, T0 + 2 * HOUR)  # while the build runs
    store.unqueue_feeds("demo", read)

    assert store.queued_feeds("demo") == {SITE_FEED: T0 + 2 * HOUR}
    assert store.queued_feeds("other") == {SITE_FEED: T0}


def test_a_full_rebuild_clears_the_queue(store: Store, built: SiteConfig) -> None:
    store.queue_feeds("demo", {SITE_FEED, "정치"}, T0)

    write_site_feeds(store, built)

    assert store.queued_feeds("demo") == {}
    assert write_queued_feeds(store, built) == []  # nothing queued, nothing built
