"""What every sokbo pipeline shares: the spider's context, dropping with a reason, and
reporting a failed stage in one line."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import ClassVar, NoReturn, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector
from sqlalchemy.exc import SQLAlchemyError

from sokbo import stats as stat_keys
from sokbo.crawl.spiders.base import SourceSpider
from sokbo.crawl.unavailable import stop_for_store
from sokbo.models import Article, Page

logger = logging.getLogger(__name__)


class SokboPipeline:
    """Holds the crawler; the source, config and store come from the running spider."""

    # A stage that writes the sites' files: not enabled on a crawl node, which leaves its
    # posts and feeds in the store's queue for the central node (sokbo.crawl.node).
    writes_sites: ClassVar[bool] = False

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._reported: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if cls.writes_sites and not crawler.settings.getbool("SOKBO_PUBLISH", True):
            raise NotConfigured  # said by no log line: every job on a node is this way
        return cls(crawler)

    @property
    def spider(self) -> SourceSpider:
        spider = self.crawler.spider
        if not isinstance(spider, SourceSpider):
            raise TypeError("sokbo pipelines run only under sokbo's source spiders")
        return spider

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    @property
    def store_down(self) -> bool:
        """The store refused a write this crawl, which is stopping (sokbo.crawl.unavailable):
        no stage waits on it again."""
        return bool(self.stats.get_value(stat_keys.FAILED_STORE))

    def drop(self, reason: str, item: Page | Article) -> NoReturn:
        """Count the reason (for the run summary), drop the item (Scrapy logs it) and
        remember the fetch, so an unchanged non-article is not fetched on every run."""
        self.stats.inc_value(stat_keys.dropped(reason))
        fingerprint: str | None
        if isinstance(item, Page):
            url, fetched, fingerprint = item.final_url, item.url, item.hint.fingerprint()
        else:
            url, fetched, fingerprint = item.url, item.fetched_url, item.fingerprint
        if fetched and not self.store_down:
            try:
                self.spider.store.record_fetch(fetched, datetime.now(UTC), fingerprint=fingerprint)
            except SQLAlchemyError as exc:
                self.store_failed(exc, url)
        raise DropItem(f"{reason}: {url}")

    def failed(self, counter: str, line: str) -> None:
        """Count a failure and log it at ERROR: once per distinct line, so a full disk is
        one line, not one per post (the summary gives the count)."""
        self.stats.inc_value(counter)
        if line not in self._reported:
            self._reported.add(line)
            logger.error("%s", line)

    def store_failed(self, exc: SQLAlchemyError, url: str) -> NoReturn:
        """The store refused a write: the crawl stops (sokbo.crawl.unavailable)."""
        stop_for_store(self.crawler, exc, "save articles")
        raise DropItem(f"not stored: {url}", log_level="DEBUG")
