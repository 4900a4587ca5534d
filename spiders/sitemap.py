"""The `sitemap` spider: robots.txt -> sitemap indexes -> sitemaps (news, gzip) -> pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response

from sokbo.extract.sitemap import SitemapError, parse_sitemap, sitemaps_from_robots
from sokbo.incremental import too_old
from sokbo.models import FeedHint
from sokbo.robots import REUSE_ROBOTS
from spiders.base import Candidate, SourceSpider


class SitemapSpider(SourceSpider):
    name = "sitemap"
    kind = "sitemap"

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            path = urlsplit(url).path
            if path.endswith("/robots.txt"):
                yield self.robots_request(url, fallback=None)
            elif path in ("", "/"):
                # A site root: its robots.txt names the sitemaps, else the usual place.
                yield self.robots_request(
                    urljoin(url, "/robots.txt"), fallback=urljoin(url, "/sitemap.xml")
                )
            else:
                yield self.document_request(url, self.parse_sitemap, start=True)

    def robots_request(self, url: str, fallback: str | None) -> scrapy.Request:
        request = self.document_request(url, self.parse_robots, start=True, fallback=fallback)
        # Scrapy's robots middleware has fetched this file already when it obeys robots.txt.
        request.meta[REUSE_ROBOTS] = True
        return request

    def parse_robots(self, response: Response, fallback: str | None) -> Iterator[scrapy.Request]:
        sitemaps: list[str] = []
        if response.status == 200:
            text = response.body.decode("utf-8", errors="replace")
            sitemaps = sitemaps_from_robots(text, response.url)
        elif response.status == 304:
            sitemaps = [t for t in [self.known_target(response)] if t]
        if not sitemaps and fallback:
            self.logger.info("%s: names no sitemap; trying %s", response.url, fallback)
            sitemaps = [fallback]
        if not sitemaps:
            self.logger.error("%s: names no sitemap (HTTP %s)", response.url, response.status)
            self.stats.inc_value("sokbo/feed_errors")
            return
        for url in sitemaps:
            self.logger.info("%s: sitemap %s", response.url, url)
            yield self.document_request(url, self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        if self.not_modified(response):
            return
        if response.status >= 400:
            self.logger.error("%s: sitemap not available (HTTP %s)", response.url, response.status)
            self.stats.inc_value("sokbo/feed_errors")
            return
        try:
            sitemap = parse_sitemap(response.body, response.url)
        except SitemapError as exc:
            self.logger.error("%s: %s", response.url, exc)
            self.stats.inc_value("sokbo/feed_errors")
            return
        self.remember_validators(response)
        if sitemap.kind == "index":
            now = datetime.now(UTC)
            for child in sitemap.entries:
                # A child last changed before the age limit holds nothing young enough.
                if too_old(child.lastmod, now, self.source.max_age):
                    self.stats.inc_value("sokbo/skipped/sitemap older than max_age")
                    continue
                yield self.document_request(child.loc, self.parse_sitemap)
            return
        self.stats.inc_value("sokbo/feed_entries", len(sitemap.entries))
        yield from self.page_requests(
            Candidate(
                entry.loc,
                FeedHint(
                    title=entry.news_title,
                    published=entry.news_published,
                    updated=entry.lastmod,
                    categories=entry.news_keywords,
                ),
                changed=entry.lastmod,
            )
            for entry in sitemap.entries
        )
