"""Pipeline stage 3: dedupe and store; an unchanged article is noted, not rewritten."""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy.exceptions import DropItem
from sqlalchemy.exc import SQLAlchemyError

from pipelines.common import SokboPipeline
from sokbo import stats as stat_keys
from sokbo.models import Article, StoredArticle
from sokbo.stats import FAILED_STORE


class StorePipeline(SokboPipeline):
    def process_item(self, item: Article) -> StoredArticle:
        store, now = self.spider.store, datetime.now(UTC)
        if self.stats.get_value(FAILED_STORE):  # the crawl is stopping: no wait per item
            self.stats.inc_value(FAILED_STORE)
            raise DropItem(f"not stored: {item.url}", log_level="DEBUG")
        try:
            stored = store.upsert(item, now)
            if item.fetched_url:
                store.record_fetch(item.fetched_url, now, fingerprint=item.fingerprint)
        except SQLAlchemyError as exc:
            self.store_failed(exc, item.url)
        self.stats.inc_value(stat_keys.stored(stored.status))
        return stored
