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
        if self.stats.get_value(stat_keys.FAILED_STORE):  # the crawl is stopping: no wait per item
            self.stats.inc_value(stat_keys.FAILED_STORE)
            raise DropItem(f"not stored: {item.url}", log_level="DEBUG")
        try:
            # Off the reactor's thread: the SQL waits on the database (and its locks).
            stored = await asyncio.to_thread(self._save, item, datetime.now(UTC))
        except SQLAlchemyError as exc:
            self.store_failed(exc, item.url)
        self.stats.inc_value(stat_keys.stored(stored.status))
        return stored

    def _save(self, item: Article, now: datetime) -> StoredArticle:
        store = self.spider.store
        stored = store.upsert(item, now)
        if item.fetched_url:
            store.record_fetch(item.fetched_url, now, fingerprint=item.fingerprint)
        return stored
