"""Pipeline stage 5: queue the feeds each changed post reaches, rebuild them at the end."""

from __future__ import annotations

from datetime import UTC, datetime

from feeds.write import SITE_FEED, post_category_slugs, write_queued_feeds
from pipelines.common import SokboPipeline
from sokbo.models import StoredArticle


class FeedsPipeline(SokboPipeline):
    """Rebuilds, when the crawl ends, only the feeds that contain a new or changed post:
    the site feed of each site it is published on and the feeds of its categories (and of
    any category it just left). The store queues them as the posts arrive, so a crawl
    killed before its end leaves them to the next run; a crawl that changed nothing on a
    site builds nothing there."""

    def process_item(self, item: StoredArticle) -> StoredArticle:
        spider = self.spider
        now = datetime.now(UTC)
        for site in spider.config.sites_for(spider.source.id):
            slugs = post_category_slugs(item, site)
            # Kept for every site, per-category feeds or not, so that turning them on
            # later finds the index current.
            moved = spider.store.set_post_categories(site.id, item.id, item.published, slugs)
            if item.status != "unchanged":
                spider.store.queue_feeds(site.id, {SITE_FEED, *slugs, *moved}, now)
            elif moved:  # an unchanged post whose index rows were missing or stale
                spider.store.queue_feeds(site.id, {SITE_FEED, *moved}, now)
        return item

    def close_spider(self) -> None:
        spider = self.spider
        for site in spider.config.sites_for(spider.source.id):
            for path, written in write_queued_feeds(spider.store, site):
                self.stats.inc_value("sokbo/feeds/written" if written else "sokbo/feeds/unchanged")
                if written:
                    spider.logger.info("wrote %s", path)
