"""`sokbo preview`'s one-page crawl: fetch one URL (robots.txt obeyed) and extract it,
storing nothing; the command reads the outcome off the spider once the crawl ends.

Outside SPIDER_MODULES on purpose: it is no source kind, so neither `scrapy list`, the
scheduler nor `scrapy crawl` finds it; only `sokbo preview` runs it, passing the config."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from sokbo.config import Config, SourceConfig
from sokbo.crawl.settings import apply_crawl_config
from sokbo.crawl.spiders.failures import (
    REDIRECTS,
    failure_reason,
    follow_redirect,
    requested_url,
    status_text,
    tries,
)
from sokbo.extract.article import ExtractError
from sokbo.extract.page import clean_article
from sokbo.extract.presets import PRESETS
from sokbo.models import Article, FeedHint, Page
from sokbo.web.encoding import charset_from_content_type, decode_html
from sokbo.web.sniff import not_a_page

_PAGE_TYPES = ("html", "xml", "text/plain")  # as SourceSpider.parse_page accepts


class PreviewSpider(scrapy.Spider):
    """Fetches `url` once with `source`'s config; leaves `article` or `error` behind."""

    name = "preview"
    config: Config
    source: SourceConfig
    url: str
    allowed_domains: list[str]
    article: Article | None = None
    final_url: str | None = None
    error: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        config: Config = kwargs.pop("config")
        source: SourceConfig = kwargs.pop("source")
        apply_crawl_config(crawler.settings, config.crawl)
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = config
        spider.source = source
        # Redirects stay on the page's own site or the source's, as a crawl's do.
        own = urlsplit(spider.url).hostname or ""
        spider.allowed_domains = list(dict.fromkeys([own, *source.domains]))
        return spider

    async def start(self) -> Any:
        yield scrapy.Request(
            self.url,
            callback=self.parse_page,
            errback=self.failed,
            dont_filter=True,
            # Every answer comes to parse_page, redirects included: they are followed
            # there as a crawl follows a document's, refused in one line when they leave
            # the site, name no http(s) URL or loop.
            meta={"handle_httpstatus_all": True},
        )

    def _allowed(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith(f".{d}") for d in self.allowed_domains)

    def failed(self, failure: Failure) -> None:
        # Robots.txt refusing the page (Scrapy's robots middleware raises IgnoreRequest)
        # reads "forbidden by robots.txt", as every other failure, through failure_reason.
        timeout = self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT")
        self.error = f"not fetched: {failure_reason(failure, timeout)}"

    def parse_page(self, response: Response) -> Iterator[Any]:
        self.final_url = response.url
        if response.status in REDIRECTS:
            followed = follow_redirect(
                response,
                self._allowed,
                ", ".join(self.allowed_domains),
                self.settings.getint("REDIRECT_MAX_TIMES"),
            )
            if isinstance(followed, str):
                self.error = followed
            else:
                yield followed
            return
        if not 200 <= response.status < 300:
            self.error = f"answered {status_text(response.status)}{tries(response.meta)}"
            return
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        if content_type and not any(kind in content_type.lower() for kind in _PAGE_TYPES):
            self.error = f"not a web page ({content_type})"
            return
        declared = self.source.encoding or charset_from_content_type(content_type)
        found = not_a_page(response.body, declared)
        if found is not None:
            served = content_type.split(";")[0].strip().lower() if content_type else None
            how = f"served as {served}" if served else "served without a Content-Type"
            self.error = f"not a web page ({found.name} {how})"
            return
        decoded = decode_html(response.body, content_type or None, self.source.encoding)
        if decoded.mostly_undecodable:
            self.error = "not an article: mostly undecodable"
            return
        page = Page(
            source_id=self.source.id,
            url=requested_url(response),
            final_url=response.url,
            html=decoded.text,
            fetched_at=datetime.now(UTC),
            # A pasted URL is not vouched for by a feed: the page-type check decides.
            hint=FeedHint(speculative=True),
        )
        preset = PRESETS[self.source.preset].with_overrides(self.source.selectors)
        try:
            self.article = clean_article(
                page, preset, ZoneInfo(self.source.timezone), self.source.language
            )
        except ExtractError as exc:
            message = str(exc)
            self.error = message if message.startswith("not an") else f"not an article: {message}"
