"""Pipeline stage 5: rebuild, when the crawl ends, the feeds its posts queued.

Publishing a post queues the feeds it changes (the site feed and the feeds of the
categories it is in, or just left) in the same transaction that records it, so a crawl
killed before this stage leaves the work queued for the next run; a crawl that changed
nothing on a site builds nothing there. A site whose feeds cannot be written keeps its
queue and costs no other site its feeds.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.exc import SQLAlchemyError

from sokbo import stats as stat_keys
from sokbo.crawl.pipelines.common import SokboPipeline
from sokbo.files import describe_write_error
from sokbo.lock import LockTimeout
from sokbo.publish.feeds.write import write_queued_feeds
from sokbo.store import store_error


class FeedsPipeline(SokboPipeline):
    writes_sites = True

    async def close_spider(self) -> None:
        if self.store_down:
            return  # the store stopped answering (said once): the queue waits in it
        wait = self.crawler.settings.getfloat("SOKBO_FEED_LOCK_WAIT")
        for site in self.spider.config.sites_for(self.spider.source.id):
            # Off the reactor's thread: a build waits for the site's feed lock and writes
            # files, while the other spiders of this process keep crawling. The counting
            # and the log lines stay on the reactor (Scrapy's stats are not thread-safe).
            try:
                store = self.spider.store
                results = await asyncio.to_thread(write_queued_feeds, store, site, wait)
            except LockTimeout as exc:
                self.spider.logger.warning(
                    "site '%s': feeds not built: %s; they stay queued for the next build",
                    site.id,
                    exc,
                )
                continue
            except OSError as exc:
                reason = describe_write_error(exc, site.feeds_dir)
                self._failed(f"site '{site.id}': cannot write feeds: {reason}")
                continue
            except SQLAlchemyError as exc:
                self._failed(f"site '{site.id}': cannot build feeds: {store_error(exc)}")
                continue
            for path, written in results:
                key = stat_keys.FEEDS_WRITTEN if written else stat_keys.FEEDS_UNCHANGED
                self.stats.inc_value(key)
                if written:
                    self.spider.logger.info("wrote %s", path)

    def _failed(self, line: str) -> None:
        self.failed(stat_keys.FAILED_FEEDS, line)
