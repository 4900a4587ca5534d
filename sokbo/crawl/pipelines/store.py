"""Pipeline stage 3: dedupe and store, and place the article in its story; an unchanged
article is noted, not rewritten."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from scrapy.exceptions import DropItem
from sqlalchemy.exc import SQLAlchemyError

from sokbo import stats as stat_keys
from sokbo.crawl.pipelines.common import SokboPipeline
from sokbo.extract.text import html_to_text
from sokbo.models import Article, StoredArticle
from sokbo.store import Store
from sokbo.stories import signature_of


class StorePipeline(SokboPipeline):
    async def process_item(self, item: Article) -> StoredArticle:
        if self.store_down:  # the crawl is stopping: no wait per item
            self.stats.inc_value(stat_keys.FAILED_STORE)
            raise DropItem(f"not stored: {item.url}", log_level="DEBUG")
        try:
            # Off the reactor's thread: the SQL waits on the database (and its locks).
            stored = await asyncio.to_thread(
                store_article, self.spider.store, item, datetime.now(UTC)
            )
        except SQLAlchemyError as exc:
            self.store_failed(exc, item.url)
        self.stats.inc_value(stat_keys.stored(stored.status))
        if stored.status == "new" and stored.story == stored.id:
            self.stats.inc_value(stat_keys.STORIES_NEW)
        return stored


def store_article(store: Store, item: Article, now: datetime) -> StoredArticle:
    """Store the article, its fetch and its place in a story in one transaction
    (Store.upsert with the article's story signature)."""
    signature = signature_of(item.title, html_to_text(item.body_html), item.published)
    return store.upsert(item, now, signature)
