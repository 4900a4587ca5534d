"""The base of every source spider: config, source and store, opened once per crawl."""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any, ClassVar, Self
from zoneinfo import ZoneInfo

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

from sokbo.config import Config, ConfigError, SourceConfig, load_config
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
        try:
            config, source = cls._configured_source(crawler, kwargs.get("source"))
        except (UsageError, ConfigError) as exc:
            # Raised, these would reach the user as an asyncio traceback ending in exit 1.
            # A mistake on the command line gets one line and the usage status instead.
            print(f"scrapy crawl {cls.name}: error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
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

    @classmethod
    def _configured_source(
        cls, crawler: Crawler, source_id: str | None
    ) -> tuple[Config, SourceConfig]:
        path = crawler.settings.get("SOKBO_CONFIG")
        # `-s SOKBO_CONFIG=...` wins, then the environment variable, then ./sokbo.toml.
        if (crawler.settings.getpriority("SOKBO_CONFIG") or 0) <= SETTINGS_PRIORITIES["project"]:
            path = os.environ.get("SOKBO_CONFIG") or path
        config = load_config(path)
        if not source_id:
            names = ", ".join(s.id for s in config.source if s.kind == cls.kind) or "none"
            raise UsageError(
                f"say which source to crawl: scrapy crawl {cls.name} -a source=<id> "
                f"({cls.kind} sources in {path}: {names})"
            )
        source = config.get_source(source_id)
        if source.kind != cls.kind:
            raise UsageError(f"source '{source_id}' is a {source.kind} source, not {cls.kind}")
        return config, source

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.source.timezone)

    def closed(self, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        self.store.record_run(self.source.id, self.started, datetime.now(UTC), reason, stats)
        self.store.close()
