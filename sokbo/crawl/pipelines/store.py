"""Pipeline stage 3: dedupe and store; an unchanged article is noted, not rewritten."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from scrapy.exceptions import DropItem
from sqlalchemy.exc import SQLAlchemyError

from sokbo import stats as stat_keys
from sokbo.crawl.pipelines.common import SokboPipeline
from sokbo.models import Article, StoredArticle


class StorePipeline(SokboPipeline):
    async def process_item(self, item: Article) -> StoredArticle:
        if self.store_down:  # the crawl is stopping: no wait per item
            self.stats.inc_value(stat_keys.FAILED_STORE)
            raise DropItem(f"not stored: {item.url}", log_level="DEBUG")
        try:
            # Off the reactor's thread: the SQL waits on the database (and its locks).
            # The article and its fetch in one transaction (Store.upsert).
            stored = await asyncio.to_thread(self.spider.store.upsert, item, datetime.now(UTC))
        except SQLAlchemyError as exc:
            self.store_failed(exc, item.url)
        self.stats.inc_value(stat_keys.stored(stored.status))
        return stored
