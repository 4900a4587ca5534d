"""The base of every source spider: config, source and store, opened once per crawl."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, ClassVar, Self
from zoneinfo import ZoneInfo

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from sokbo.config import Config, SourceConfig, load_config
from sokbo.settings import apply_crawl_config
from sokbo.store import Store

logger = logging.getLogger(__name__)


class SourceSpider(scrapy.Spider):
    """Crawls one configured source (`-a source=<id>`); subclasses discover and fetch."""

    kind: ClassVar[str]
    allowed_domains: list[str]
    config: Config
    source: SourceConfig
    store: Store
    started: datetime

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        source_id = kwargs.get("source")
        if not source_id:
            raise UsageError(f"say which source to crawl: scrapy crawl {cls.name} -a source=<id>")
        config = load_config(crawler.settings.get("SOKBO_CONFIG"))
        source = config.get_source(source_id)
        if source.kind != cls.kind:
            raise UsageError(f"source '{source_id}' is a {source.kind} source, not {cls.kind}")
        # The spider is created before Scrapy freezes the settings, so the config's
        # politeness values can still apply (below any -s given on the command line).
        apply_crawl_config(crawler.settings, config.crawl)
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = config
        spider.source = source
        spider.allowed_domains = source.domains
        spider.store = Store(config.store.url)
        spider.started = datetime.now(UTC)
        return spider

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.source.timezone)

    def closed(self, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        self.store.record_run(self.source.id, self.started, datetime.now(UTC), reason, stats)
        self.store.close()
