"""One story, one post: a site's story policy over a real store and real post files."""

from __future__ import annotations

import dataclasses
import multiprocessing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import frontmatter

from sokbo.config import Config, SiteConfig
from sokbo.crawl.pipelines.store import store_article
from sokbo.models import Article, StoredArticle
from sokbo.publish.feeds.write import write_site_feeds
from sokbo.publish.posts import Publication, publish_post
from sokbo.publish.queue import publish_pending
from sokbo.publish.stories import Placed
from sokbo.store import Store
from tests.support.feed_fixtures import T0, open_store

LEDE = "서울 강남구 역삼동의 한 상가 건물에서 4일 오전 화재가 발생해 3명이 숨지고 12명이 다쳤다."
MORE = (
    "소방당국은 오전 9시 12분께 신고를 받고 출동해 대응 2단계를 발령했다. "
    "불은 지하 1층 음식점 주방에서 시작된 것으로 추정된다. "
    "경찰과 소방당국은 정확한 화재 원인과 피해 규모를 조사하고 있다. "
    "건물 안에 있던 시민 40여 명은 스스로 대피하거나 구조됐다. "
    "부상자들은 인근 병원으로 옮겨져 치료를 받고 있으며 일부는 중상인 것으로 알려졌다."
)
OTHER = (
    "한국은행이 기준금리를 연 3.25%로 동결했다. 금융통화위원회는 물가 상승세가 둔화하고 "
    "있으나 가계부채 증가세를 더 지켜볼 필요가 있다고 밝혔다. 시장은 내년 초 인하를 예상한다."
)


def article(source: str, number: int, title: str, body: str, **changes: Any) -> Article:
    fields: dict[str, Any] = {
        "url": f"https://{source}.example.kr/news/{number}",
        "source_id": source,
        "title": title,
        "excerpt": body[:60],
        "body_html": "".join(f"<p>{line}</p>" for line in body.split(". ")),
        "published": T0 + timedelta(minutes=number),
        "categories": ("사회",),
    }
    return Article(**(fields | changes))


BREAKING = article("wire", 1, "[속보] 강남 상가 화재…3명 사망", LEDE)
COPY = article("blog", 2, "강남 상가 화재로 3명 사망", f"{LEDE} 출처: 연합뉴스")
FULL = article("paper", 3, "강남 상가 화재 3명 사망·12명 부상", f"{LEDE} {MORE}")
UNRELATED = article("wire", 4, "한은, 기준금리 연 3.25% 동결", OTHER)


def make_site(root: Path, **changes: Any) -> SiteConfig:
    fields: dict[str, Any] = {
        "id": "blog",
        "title": "속보 모음",
        "base_url": "https://blog.example.kr",
        "posts_dir": root / "_posts",
        "feeds_dir": root / "feeds",
        "brand": "속보",
        "sources": ["wire", "blog", "paper"],
        "feeds": {"formats": ["atom"]},
    }
    return SiteConfig(**(fields | changes))


def publish(
    store: Store, site: SiteConfig, item: Article, now: datetime
) -> tuple[StoredArticle, Publication]:
    """What a crawl does with one article: store it, place it in its story, publish it."""
    stored = store_article(store, item, now)
    return stored, publish_post(store, site, stored, now)


def posts_of(site: SiteConfig) -> dict[str, frontmatter.Post]:
    return {path.name: frontmatter.load(path) for path in sorted(site.posts_dir.iterdir())}


def test_versions_of_one_story_are_one_post_shown_at_its_fullest(
    tmp_path: Path, store: Store
) -> None:
    site = make_site(tmp_path)
    first, placed = publish(store, site, BREAKING, T0)
    assert placed.placed is Placed.POST and placed.written
    name = placed.path.name

    _, copy = publish(store, site, COPY, T0 + timedelta(minutes=5))
    assert copy.placed is Placed.COVERED and not copy.written
    assert [*posts_of(site)] == [name]

    _, full = publish(store, site, FULL, T0 + timedelta(minutes=30))
    assert full.placed is Placed.VERSION and full.written and full.path.name == name
    posts = posts_of(site)
    assert [*posts] == [name]  # in place: same file name
    assert posts[name]["title"] == FULL.title
    assert posts[name]["source_url"] == FULL.url
    assert "대응 2단계" in posts[name].content

    _, other = publish(store, site, UNRELATED, T0 + timedelta(minutes=31))
    assert other.placed is Placed.POST and other.path.name != name

    write_site_feeds(store, site)
    atom = (site.feeds_dir / "atom.xml").read_text()
    assert atom.count("<entry>") == 2
    assert "대응 2단계" in atom and FULL.title in atom and BREAKING.title not in atom
    # The entry keeps the first version's id; its `updated` moved to the fuller version.
    assert quote(first.slug) in atom
    assert "2024-05-01T18:30:00+09:00" in atom


def test_first_shows_the_first_version_only(tmp_path: Path, store: Store) -> None:
    site = make_site(tmp_path, stories="first")
    publish(store, site, BREAKING, T0)
    _, full = publish(store, site, FULL, T0 + timedelta(minutes=30))
    assert full.placed is Placed.COVERED and not full.written
    (post,) = posts_of(site).values()
    assert post["title"] == BREAKING.title and "대응 2단계" not in post.content


def test_all_gives_every_version_its_own_post(tmp_path: Path, store: Store) -> None:
    site = make_site(tmp_path, stories="all")
    for number, item in enumerate((BREAKING, COPY, FULL)):
        _, placed = publish(store, site, item, T0 + timedelta(minutes=number))
        assert placed.placed is Placed.POST and placed.written
    assert len(posts_of(site)) == 3


def test_a_preferred_source_wins_over_a_longer_text(tmp_path: Path, store: Store) -> None:
    site = make_site(tmp_path, prefer_sources=["wire"])
    publish(store, site, FULL, T0)
    _, breaking = publish(store, site, BREAKING, T0 + timedelta(minutes=1))
    assert breaking.placed is Placed.VERSION
    (post,) = posts_of(site).values()
    assert post["source_url"] == BREAKING.url


def test_the_post_can_name_the_other_versions(tmp_path: Path, store: Store) -> None:
    site = make_site(tmp_path, also_reported_by=True)
    for number, item in enumerate((BREAKING, COPY, FULL)):
        publish(store, site, item, T0 + timedelta(minutes=number))
    (post,) = posts_of(site).values()
    assert post["source_url"] == FULL.url
    assert post["also_reported_by"] == [BREAKING.url, COPY.url]


def test_off_by_default_the_front_matter_has_no_also_reported_by(
    tmp_path: Path, store: Store
) -> None:
    site = make_site(tmp_path)
    for number, item in enumerate((BREAKING, COPY)):
        publish(store, site, item, T0 + timedelta(minutes=number))
    (post,) = posts_of(site).values()
    assert "also_reported_by" not in post.metadata


def test_an_edit_of_the_shown_version_re_renders_the_post(tmp_path: Path, store: Store) -> None:
    site = make_site(tmp_path)
    publish(store, site, BREAKING, T0)
    publish(store, site, FULL, T0 + timedelta(minutes=30))
    edited = dataclasses.replace(FULL, body_html=FULL.body_html + "<p>사망자 신원이 확인됐다.</p>")
    _, placed = publish(store, site, edited, T0 + timedelta(minutes=40))
    assert placed.placed is Placed.POST and placed.written
    (post,) = posts_of(site).values()
    assert "신원이 확인됐다" in post.content


def test_versions_are_not_pending_and_a_kill_before_recording_heals(
    tmp_path: Path, store: Store
) -> None:
    """A version stored but never published (its run was killed) is published by the next
    drain as its story says: covered, or shown in place; never a post of its own."""
    site = make_site(tmp_path)
    publish(store, site, BREAKING, T0)
    for item in (COPY, FULL):  # stored and placed in the story, the run killed before posts
        store_article(store, item, T0 + timedelta(minutes=30))
    assert [s.article.url for s in store.pending_posts(site.id, "paper")] == [FULL.url]

    config = _config(site)
    drained = publish_pending(store, config, T0 + timedelta(hours=1))
    assert drained.covered == 1 and len(drained.posts) == 1
    (post,) = posts_of(site).values()
    assert post["source_url"] == FULL.url
    for source in ("wire", "blog", "paper"):
        assert store.pending_posts(site.id, source) == []
    again = publish_pending(store, config, T0 + timedelta(hours=2))
    assert again.posts == [] and again.covered == 0


def test_a_story_survives_a_restart_of_the_store(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    first = open_store(tmp_path)
    publish(first, site, BREAKING, T0)
    first.close()
    second = open_store(tmp_path)
    _, copy = publish(second, site, COPY, T0 + timedelta(minutes=5))
    assert copy.placed is Placed.COVERED


def _publish_in_a_process(url: str, root: str, number: int, start: Any) -> None:
    store = Store(url)
    start.wait()
    item = (BREAKING, COPY, FULL)[number % 3]
    item = dataclasses.replace(item, url=f"{item.url}?copy={number}")
    publish(store, make_site(Path(root)), item, T0 + timedelta(minutes=number))
    store.close()


def test_versions_published_at_once_by_many_processes_are_one_post(
    tmp_path: Path, db_url: str
) -> None:
    """Six processes store and publish versions of one story at the same moment: one
    story, one post, showing the fullest version, the others covered."""
    Store(db_url).close()  # the schema, before the race
    context = multiprocessing.get_context("fork")
    start = context.Event()
    workers = [
        context.Process(target=_publish_in_a_process, args=(db_url, str(tmp_path), n, start))
        for n in range(6)
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    site = make_site(tmp_path)
    (post,) = posts_of(site).values()
    assert "대응 2단계" in post.content
    store = Store(db_url)
    try:
        stories = {store.story_of(stored.id) for stored in store.articles_for_sources(site.sources)}
        assert len(stories) == 1
        for source in site.sources:
            assert store.pending_posts(site.id, source) == []
    finally:
        store.close()


def _config(site: SiteConfig) -> Config:
    return Config.model_validate(
        {
            "site": [site.model_dump()],
            "source": [
                {"id": name, "kind": "feed", "start_urls": [f"https://{name}.example.kr/rss"]}
                for name in site.sources
            ],
        }
    )
