"""What every sokbo pipeline shares: the spider's context and dropping with a reason."""

from __future__ import annotations

import logging
from typing import NoReturn, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from spiders.base import SourceSpider

logger = logging.getLogger(__name__)


class SokboPipeline:
    """Holds the crawler; the source, config and store come from the running spider."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
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

    def drop(self, reason: str, url: str) -> NoReturn:
        """Count the reason (for the run summary) and drop the item; Scrapy logs it."""
        self.stats.inc_value(f"sokbo/dropped/{reason}")
        raise DropItem(f"{reason}: {url}")
