"""Pipeline stage 4: one Jekyll post per destination site, written only when it changes."""

from __future__ import annotations

from datetime import UTC, datetime

from pipelines.common import SokboPipeline
from sokbo.models import StoredArticle
from sokbo.publish import publish_post


class PublishPipeline(SokboPipeline):
    def process_item(self, item: StoredArticle) -> StoredArticle:
        spider = self.spider
        now = datetime.now(UTC)
        for site in spider.config.sites_for(spider.source.id):
            path, written = publish_post(spider.store, site, item, now)
            self.stats.inc_value("sokbo/posts/written" if written else "sokbo/posts/unchanged")
            if written:
                spider.logger.info("wrote %s", path)
        return item
