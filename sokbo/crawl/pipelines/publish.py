"""Pipeline stage 4: one Jekyll post per destination site, written only when it changes.

A site whose folder cannot be written (full, read-only, not a folder) costs only its own
posts: the other sites are written, the failure is one line, and the post stays waiting in
the store (Store.pending_posts) for the next run, which publishes it before anything else.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from sqlalchemy.exc import SQLAlchemyError

from sokbo import stats as stat_keys
from sokbo.config import SiteConfig
from sokbo.crawl.pipelines.common import SokboPipeline
from sokbo.crawl.unavailable import stop_for_store
from sokbo.files import describe_write_error, remove_stale_temporaries
from sokbo.models import StoredArticle
from sokbo.publish.posts import publish_post
from sokbo.publish.stories import Placed
from sokbo.store import store_error


class PublishPipeline(SokboPipeline):
    writes_sites = True

    def open_spider(self) -> None:
        """Finish what an earlier run left: posts it stored but never wrote (killed, a full
        disk, a folder fixed since), and temporary files a killed write left behind."""
        spider = self.spider
        for site in spider.config.sites_for(spider.source.id):
            for folder in (site.posts_dir, site.feeds_dir):
                try:
                    remove_stale_temporaries(folder)
                except OSError as exc:
                    spider.logger.warning(
                        "site '%s': %s", site.id, describe_write_error(exc, folder)
                    )
            try:
                pending = spider.store.pending_posts(site.id, spider.source.id)
            except SQLAlchemyError as exc:
                self.failed(
                    stat_keys.FAILED_POSTS,
                    f"store: cannot read the posts to publish: {store_error(exc)}",
                )
                continue
            if pending:
                spider.logger.info(
                    "site '%s': publishing %d posts of articles stored earlier",
                    site.id,
                    len(pending),
                )
            for stored in pending:
                if self.store_down:
                    return
                if self._count(self._publish(site, stored)):
                    self.stats.inc_value(stat_keys.POSTS_PENDING)

    async def process_item(self, item: StoredArticle) -> StoredArticle:
        # Off the reactor's thread: rendering, the atomic write (fsync) and the SQL. The
        # counting and the log lines stay on it (Scrapy's stats are not thread-safe).
        sites = self.spider.config.sites_for(self.spider.source.id)
        for site in sites:
            if self.store_down:  # stopping: no wait per post
                break
            self._count(await asyncio.to_thread(self._publish, site, item))
        return item

    def _publish(self, site: SiteConfig, stored: StoredArticle) -> Published:
        """Publish on one site; a failure is returned in a line, never raised."""
        try:
            published = publish_post(self.spider.store, site, stored, datetime.now(UTC))
        except OSError as exc:
            reason = describe_write_error(exc, site.posts_dir)
            return Published(None, False, f"site '{site.id}': cannot write posts: {reason}")
        except SQLAlchemyError as exc:  # the store, not the site: the crawl stops
            return Published(None, False, None, exc)
        return Published(published.path, published.written, None, placed=published.placed)

    def _count(self, result: Published) -> bool:
        """Count and say what publishing did; True when the post is published. A post
        the store could not record waits for the next run (Store.pending_posts)."""
        if result.store_failure is not None:
            stop_for_store(self.crawler, result.store_failure, "record posts")
            return False
        if result.failure is not None:
            self.failed(stat_keys.FAILED_POSTS, result.failure)
            return False
        if result.placed is Placed.VERSION:
            self.stats.inc_value(stat_keys.STORY_VERSIONS)
        if result.placed is Placed.COVERED:
            self.stats.inc_value(stat_keys.STORY_DUPLICATES)
        else:
            self.stats.inc_value(
                stat_keys.POSTS_WRITTEN if result.written else stat_keys.POSTS_UNCHANGED
            )
        if result.written:
            self.spider.logger.info("wrote %s", result.path)
        return True


class Published(NamedTuple):
    path: Path | None
    written: bool
    failure: str | None  # the line saying why it was not published
    store_failure: SQLAlchemyError | None = None  # the store refused: the crawl stops
    placed: Placed = Placed.POST
