"""The `feed` spider: read an RSS/Atom/JSON feed (or find it from a home page), then fetch
every new or changed entry's page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response

from sokbo.encoding import decode_html, decode_xml, utf8_xml
from sokbo.extract.discovery import (
    FALLBACK_FEED_PATHS,
    discover_feeds,
    known_feed_url,
    looks_like_feed,
)
from sokbo.extract.feed import FeedError, parse_feed
from spiders.base import Candidate, SourceSpider


class FeedSpider(SourceSpider):
    name = "feed"
    kind = "feed"

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            feed = known_feed_url(url)
            if feed and feed != url:
                self.logger.info("%s: the platform's feed is %s", url, feed)
                url = feed
            yield self.document_request(url, self.parse_feed, start=True, origin=None, fallbacks=())

    def parse_feed(
        self, response: Response, origin: str | None, fallbacks: tuple[str, ...]
    ) -> Iterator[scrapy.Request]:
        """A feed, or (for a start URL) a page to find the feed in; fallbacks tried in turn."""
        if self.not_modified(response):
            known = self.known_target(response)
            if origin is None and known:  # the page is unchanged, so is its feed link
                yield self.document_request(
                    known, self.parse_feed, origin=response.url, fallbacks=()
                )
            return
        if response.status >= 400:
            yield from self.next_candidate(response, origin, fallbacks, f"HTTP {response.status}")
            return
        body = utf8_xml(self.decode(response, decode_xml))
        if not looks_like_feed(body):
            if origin is None:
                yield from self.discover(response)
            else:
                yield from self.next_candidate(response, origin, fallbacks, "not a feed")
            return
        try:
            items, problems = parse_feed(body, response.url)
        except FeedError as exc:
            yield from self.next_candidate(response, origin, fallbacks, str(exc))
            return
        if origin is not None:
            self.logger.info("feed of %s: %s", origin, response.url)
            self.remember_target(origin, response.url)
        self.remember_validators(response)
        for problem in problems:
            self.logger.warning("%s: %s; skipped", response.url, problem)
            self.stats.inc_value("sokbo/dropped/feed entry without a link")
        self.stats.inc_value("sokbo/feed_entries", len(items))
        yield from self.page_requests(
            Candidate(item.url, item.hint, changed=item.hint.updated) for item in items
        )

    def discover(self, response: Response) -> Iterator[scrapy.Request]:
        """The start URL is a page: its <link rel=alternate> feeds, else the usual paths."""
        self.remember_validators(response)
        html = self.decode(response, decode_html).text
        found = discover_feeds(html, response.url)
        if found:
            self.logger.info("%s: discovered feed %s", response.url, found[0])
            candidates = found
        else:
            self.logger.info(
                "%s: no <link rel=alternate> feed; trying %s",
                response.url,
                ", ".join(FALLBACK_FEED_PATHS),
            )
            candidates = [urljoin(response.url, path) for path in FALLBACK_FEED_PATHS]
        yield self.candidate_request(response.url, tuple(dict.fromkeys(candidates)))

    def candidate_request(self, origin: str, candidates: tuple[str, ...]) -> scrapy.Request:
        return self.document_request(
            candidates[0], self.parse_feed, origin=origin, fallbacks=candidates[1:]
        )

    def next_candidate(
        self, response: Response, origin: str | None, fallbacks: tuple[str, ...], why: str
    ) -> Iterator[scrapy.Request]:
        if origin is not None and fallbacks:
            self.logger.debug("%s: %s; trying %s", response.url, why, fallbacks[0])
            yield self.candidate_request(origin, fallbacks)
            return
        self.logger.error("%s: no feed found (%s)", origin or response.url, why)
        self.stats.inc_value("sokbo/feed_errors")
