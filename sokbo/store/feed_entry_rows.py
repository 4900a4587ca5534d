"""Each post's serialised feed entry, kept between feed builds (sokbo/publish/feeds/cache.py decides
when one may be reused; this module only reads and writes the rows)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, func, select

from sokbo.store.schema import articles, feed_entries, posts


@dataclass(frozen=True)
class KeptEntry:
    """A serialised entry as the store keeps it (times in UTC)."""

    key: str
    guid: str
    published: datetime
    updated: datetime
    categories: tuple[str, ...]
    rss: str
    atom: str
    json: str


@dataclass(frozen=True)
class EntrySource:
    """What an article's entry is built from, and the entry kept for it on a site."""

    article_id: int
    content_hash: str
    first_seen: datetime
    changed: datetime
    kept: KeptEntry | None


class FeedEntryRows:
    engine: Engine

    def entry_sources(self, site_id: str, article_ids: Collection[int]) -> list[EntrySource]:
        """For each of these articles: its content marks and its kept entry on the site."""
        kept = feed_entries
        on_site = and_(kept.c.site_id == site_id, kept.c.article_id == articles.c.id)
        # A post that shows another version of its story is built from that version.
        post = and_(posts.c.site_id == site_id, posts.c.article_id == articles.c.id)
        version = articles.alias("version")
        shown = version.c.id == func.coalesce(posts.c.shows, articles.c.id)
        query = (
            select(
                articles.c.id,
                version.c.content_hash,
                articles.c.first_seen,
                version.c.changed,
                kept,
            )
            .select_from(
                articles.outerjoin(kept, on_site).outerjoin(posts, post).join(version, shown)
            )
            .where(articles.c.id.in_(list(article_ids)))
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        found = []
        for row in rows:
            data = row._mapping
            entry = None
            if data[kept.c.key] is not None:
                entry = KeptEntry(
                    key=data[kept.c.key],
                    guid=data[kept.c.guid],
                    published=data[kept.c.published],
                    updated=data[kept.c.updated],
                    categories=tuple(data[kept.c.categories]),
                    rss=data[kept.c.rss],
                    atom=data[kept.c.atom],
                    json=data[kept.c.json],
                )
            found.append(
                EntrySource(
                    data[articles.c.id],
                    data[version.c.content_hash],
                    data[articles.c.first_seen],
                    data[version.c.changed],
                    entry,
                )
            )
        return found

    def keep_entries(self, site_id: str, entries: Sequence[tuple[int, KeptEntry]]) -> None:
        """Replace the kept entries of these articles (article id, entry) on the site."""
        rows = [
            {
                "site_id": site_id,
                "article_id": article_id,
                "key": entry.key,
                "guid": entry.guid,
                "published": entry.published,
                "updated": entry.updated,
                "categories": list(entry.categories),
                "rss": entry.rss,
                "atom": entry.atom,
                "json": entry.json,
            }
            for article_id, entry in entries
        ]
        ids = [article_id for article_id, _ in entries]
        stale = (feed_entries.c.site_id == site_id) & feed_entries.c.article_id.in_(ids)
        with self.engine.begin() as conn:
            conn.execute(feed_entries.delete().where(stale))
            conn.execute(feed_entries.insert(), rows)
