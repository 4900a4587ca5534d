"""Pipeline stage 5: when the crawl ends, rebuild the feeds of the sites it feeds."""

from __future__ import annotations

from feeds.write import write_site_feeds
from pipelines.common import SokboPipeline


class FeedsPipeline(SokboPipeline):
    def process_item(self, item: object) -> object:
        return item

    def close_spider(self) -> None:
        spider = self.spider
        for site in spider.config.sites_for(spider.source.id):
            for path, written in write_site_feeds(spider.store, site):
                self.stats.inc_value("sokbo/feeds/written" if written else "sokbo/feeds/unchanged")
                if written:
                    spider.logger.info("wrote %s", path)
