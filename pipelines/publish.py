"""Pipeline stage 4: one Jekyll post per destination site, written only when it changes."""

from __future__ import annotations

from datetime import UTC, datetime

from pipelines.common import SokboPipeline
from sokbo.files import write_if_changed
from sokbo.models import StoredArticle
from sokbo.post import post_filename, render_post


class PublishPipeline(SokboPipeline):
    def process_item(self, item: StoredArticle) -> StoredArticle:
        spider = self.spider
        now = datetime.now(UTC)
        for site in spider.config.sites_for(spider.source.id):
            name = post_filename(item, site)
            written = write_if_changed(site.posts_dir / name, render_post(item, site).encode())
            self.stats.inc_value("sokbo/posts/written" if written else "sokbo/posts/unchanged")
            if written:
                spider.logger.info("wrote %s", site.posts_dir / name)
            spider.store.record_post(site.id, item.id, name, written, now)
        return item
