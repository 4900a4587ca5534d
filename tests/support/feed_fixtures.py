"""A site, articles and a store with posts, for the feed-writing tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sokbo.config import FeedSettings, SiteConfig
from sokbo.models import Article, StoredArticle
from sokbo.publish.feeds.write import post_category_slugs
from sokbo.publish.posts import publish_post
from sokbo.store import Store, post_categories

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def make_site(root: Path, **feeds: Any) -> SiteConfig:
    """A site that keeps each article's own categories; ``feeds`` are FeedSettings fields."""
    return SiteConfig(
        id="demo",
        title="데모 속보",
        base_url="https://news.example.kr",
        posts_dir=root / "_posts",
        feeds_dir=root / "feeds",
        brand="demo",
        footer='더 많은 속보는 <a href="https://news.example.kr">news.example.kr</a>',
        sources=["wire"],
        categories=[],
        attribution=True,
        feeds=FeedSettings(**feeds),
    )


def make_article(number: int, *categories: str, **changes: Any) -> Article:
    fields: dict[str, Any] = {
        "url": f"https://wire.example.com/news/{number}",
        "source_id": "wire",
        "title": f"속보 {number}: 기사 제목",
        "excerpt": f"요약 {number}",
        "body_html": f"<p>본문 {number}</p>",
        "published": T0 + timedelta(hours=number),
        "image": f"https://wire.example.com/img/{number}.jpg",
        "categories": categories or ("정치",),
        "authors": ("김기자",),
        "tags": ("속보",),
    }
    return Article(**(fields | changes))


def add(
    store: Store, site: SiteConfig, article: Article, now: datetime
) -> tuple[StoredArticle, set[str]]:
    """What the crawl does with one article: store it, write its post (which indexes its
    categories and queues its feeds).

    Returns the stored article and the category slugs of the feeds it is in.
    """
    stored = store.upsert(article, now)
    before = _post_slugs(store, site, stored)
    publish_post(store, site, stored, now)
    slugs = set(post_category_slugs(stored, site))
    return stored, slugs | (before - slugs)


def _post_slugs(store: Store, site: SiteConfig, stored: StoredArticle) -> set[str]:
    """The category slugs the store indexes the post under now."""
    rows = (post_categories.c.site_id == site.id) & (post_categories.c.article_id == stored.id)
    with store.engine.connect() as conn:
        return set(conn.execute(select(post_categories.c.slug).where(rows)).scalars())


def open_store(root: Path) -> Store:
    return Store(f"sqlite:///{root / 'store' / 'sokbo.db'}")
