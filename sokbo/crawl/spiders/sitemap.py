"""The `sitemap` spider: robots.txt -> sitemap indexes -> sitemaps (news, gzip) -> pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response

from sokbo import stats as stat_keys
from sokbo.crawl.robots import REUSE_ROBOTS
from sokbo.crawl.spiders.base import Candidate, SourceSpider
from sokbo.crawl.spiders.failures import quiet_robots_tracebacks, requested_url
from sokbo.extract.sitemap import SitemapError, parse_sitemap, sitemaps_from_robots
from sokbo.incremental import too_old
from sokbo.models import FeedHint


class SitemapSpider(SourceSpider):
    name = "sitemap"
    kind = "sitemap"

    async def start(self) -> AsyncIterator[Any]:
        quiet_robots_tracebacks()
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
        # sokbo's robots middleware has this file already (this run's or kept from an
        # earlier one) when it obeys robots.txt.
        request.meta[REUSE_ROBOTS] = True
        return request

    def parse_robots(self, response: Response, fallback: str | None) -> Iterator[scrapy.Request]:
        assert response.request is not None
        if self.not_modified(response):
            sitemaps = [t for t in [self.known_target(response)] if t]
        else:
            # An empty robots.txt is a fine one: it names no sitemap, nothing else.
            problem = self.unusable(response, empty_ok=True)
            if isinstance(problem, scrapy.Request):
                yield problem
                return
            if problem:
                yield from self.document_unavailable(response.request, problem)
                return
            text = response.body.decode("utf-8", errors="replace")
            sitemaps = sitemaps_from_robots(text, response.url)
        allowed = [url for url in sitemaps if self.on_allowed_domain(url)]
        for url in sitemaps:
            if url not in allowed:
                self.logger.warning(
                    "%s: sitemap %s is outside allowed_domains; skipped", response.url, url
                )
                self.stats.inc_value(stat_keys.skipped("sitemap outside allowed_domains"))
        if not allowed:
            why = "names no sitemap" if not sitemaps else "names no sitemap in allowed_domains"
            yield from self.document_unavailable(response.request, why)
            return
        for url in allowed:
            self.logger.info("%s: sitemap %s", response.url, url)
            yield self.document_request(url, self.parse_sitemap)

    def parse_sitemap(
        self, response: Response, robots: str | None = None
    ) -> Iterator[scrapy.Request]:
        """A sitemap or an index. `robots`: why the site's robots.txt named no sitemap,
        when this is the usual place tried instead."""
        assert response.request is not None
        if self.not_modified(response):
            return
        problem = self.unusable(response)
        if isinstance(problem, scrapy.Request):
            yield problem
            return
        if problem is None:
            try:
                sitemap = parse_sitemap(response.body, response.url)
            except SitemapError as exc:
                problem = str(exc)
        if problem is not None:
            yield from self.document_unavailable(response.request, problem)
            return
        self.remember_validators(response)
        if sitemap.kind == "index":
            now = datetime.now(UTC)
            for child in sitemap.entries:
                if not self.on_allowed_domain(child.loc):
                    self.logger.warning(
                        "%s: sitemap %s is outside allowed_domains; skipped",
                        response.url,
                        child.loc,
                    )
                    self.stats.inc_value(stat_keys.skipped("sitemap outside allowed_domains"))
                    continue
                # A child last changed before the age limit holds nothing young enough.
                if too_old(child.lastmod, now, self.source.max_age):
                    self.stats.inc_value(stat_keys.skipped("sitemap older than max_age"))
                    continue
                yield self.document_request(child.loc, self.parse_sitemap)
            return
        self.stats.inc_value(stat_keys.FEED_ENTRIES, len(sitemap.entries))
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

    def document_unavailable(self, request: scrapy.Request, why: str) -> Iterator[scrapy.Request]:
        """A site root's robots.txt that names no sitemap gives way to /sitemap.xml; when
        that fails too, the one line says what both answered."""
        url = requested_url(request)
        if "fallback" in request.cb_kwargs:  # a robots.txt
            fallback = request.cb_kwargs["fallback"]
            if fallback is None:
                self.document_error("robots.txt", url, why)
                return
            self.logger.info("%s: %s; trying %s", url, why, fallback)
            yield self.document_request(fallback, self.parse_sitemap, start=True, robots=why)
            return
        robots = request.cb_kwargs.get("robots")
        if robots is None:
            self.document_error("sitemap", url, why)
            return
        site, path = urljoin(url, "/"), urlsplit(url).path
        self.document_error("sitemap", site, f"no sitemap (robots.txt: {robots}; {path}: {why})")
