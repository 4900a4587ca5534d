"""Pipeline stage 3: dedupe and store; an unchanged article is noted, not rewritten."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError

from pipelines.common import SokboPipeline
from sokbo.models import Article, StoredArticle


class StorePipeline(SokboPipeline):
    def process_item(self, item: Article) -> StoredArticle:
        store, now = self.spider.store, datetime.now(UTC)
        try:
            stored = store.upsert(item, now)
            if item.fetched_url:
                store.record_fetch(item.fetched_url, now, fingerprint=item.fingerprint)
        except SQLAlchemyError as exc:
            self.store_failed(exc, item.url)
        self.stats.inc_value(f"sokbo/articles/{stored.status}")
        return stored
