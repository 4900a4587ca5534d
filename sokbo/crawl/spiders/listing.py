"""The `listing` spider: walk start pages and their pagination; follow links to articles."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import HtmlResponse, Response
from scrapy.linkextractors import LinkExtractor

from sokbo import stats as stat_keys
from sokbo.config import LinkRules
from sokbo.crawl.spiders.base import Candidate, SourceSpider
from sokbo.crawl.spiders.failures import quiet_robots_tracebacks, requested_url, shorten
from sokbo.extract.discovery import describe_document, looks_like_html
from sokbo.models import FeedHint
from sokbo.web.encoding import decode_html
from sokbo.web.urls import http_url


class ListingSpider(SourceSpider):
    """Which links are articles is decided by the source's `links.article` patterns when
    it has them; without them every link in the region is a candidate and the extractor
    decides (tag pages, about pages and logins are dropped with the reason logged)."""

    name = "listing"
    kind = "listing"
    listing_seen: set[str]

    @property
    def rules(self) -> LinkRules:
        return self.source.links or LinkRules()

    async def start(self) -> AsyncIterator[Any]:
        self.listing_seen = set()
        quiet_robots_tracebacks()
        for url in self.source.start_urls:
            yield self.listing_request(url, depth=0)

    def listing_request(self, url: str, depth: int) -> scrapy.Request | None:
        if url in self.listing_seen:
            return None
        if not self.on_allowed_domain(url):
            self.stats.inc_value(stat_keys.skipped("listing page on another domain"))
            return None
        if len(self.listing_seen) >= self.rules.max_pages:
            self.stats.inc_value(stat_keys.skipped("listing page beyond max_pages"))
            return None
        self.listing_seen.add(url)
        # Deduplicated here, not by Scrapy's filter: a page tried as an article candidate
        # (and refused) may turn out to be a listing page reached by pagination later.
        return self.document_request(
            url, self.parse_listing, start=depth == 0, dont_filter=True, depth=depth
        )

    def parse_listing(self, response: Response, depth: int) -> Iterator[scrapy.Request]:
        if self.not_modified(response):
            return
        problem = self.unusable(response)
        if isinstance(problem, scrapy.Request):
            yield problem
            return
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        if problem is None and not looks_like_html(response.body, content_type):
            problem = f"not an HTML page ({describe_document(response.body, content_type)})"
        if problem is not None:
            assert response.request is not None
            yield from self.document_unavailable(response.request, problem)
            return
        self.remember_validators(response)
        if depth == 0:  # a start page may declare WebSub hubs, as a feed does
            self.remember_hub(response, response.body)
        self.stats.inc_value(stat_keys.LISTING_PAGES)
        # Links are read from the decoded text, so an EUC-KR listing works like any other.
        page = HtmlResponse(
            response.url, body=self.decode(response, decode_html).text.encode(), encoding="utf-8"
        )
        rules = self.rules
        next_pages = {
            page.urljoin(href)
            for selector in rules.pagination
            for href in page.css(selector).xpath("@href").getall()
        }
        if depth < rules.max_depth:
            for url in sorted(next_pages):
                request = self.listing_request(url, depth + 1)
                if request is not None:
                    yield request
        not_http: dict[str, None] = {}

        def http_only(url: str) -> str | None:
            # javascript:, mailto:, tel:, data: (Scrapy would drop the first ones unseen).
            if http_url(url) is None:
                not_http[url] = None
                return None
            return url

        extractor = LinkExtractor(
            allow=rules.allow,
            deny=rules.deny,
            restrict_css=rules.region,
            restrict_xpaths=rules.region_xpath,
            unique=True,
            process_value=http_only,
        )
        patterns = [re.compile(pattern) for pattern in rules.article]
        candidates = []
        links = extractor.extract_links(page)
        if not_http:
            shown = ", ".join(shorten(url, 60) for url in list(not_http)[:3])
            self.logger.info(
                "%s: %d links that are not http(s) skipped (%s%s)",
                response.url,
                len(not_http),
                shown,
                ", …" if len(not_http) > 3 else "",
            )
            self.stats.inc_value(
                stat_keys.skipped("listing link that is not http(s)"), len(not_http)
            )
        for link in links:
            if link.url in next_pages or link.url in self.listing_seen:
                continue
            if not patterns:
                candidates.append(Candidate(link.url, FeedHint(speculative=True)))
            elif any(p.search(link.url) for p in patterns):
                self.logger.debug("%s: an article by the rules", link.url)
                candidates.append(Candidate(link.url, FeedHint()))
            elif depth < rules.max_depth:
                self.logger.debug(
                    "%s: not an article by the rules; followed as a listing", link.url
                )
                request = self.listing_request(link.url, depth + 1)
                if request is not None:
                    yield request
        yield from self.page_requests(candidates)

    def document_unavailable(self, request: scrapy.Request, why: str) -> Iterator[scrapy.Request]:
        self.document_error("listing page", requested_url(request), why)
        yield from ()
