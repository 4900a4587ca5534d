"""The `feed` spider: read an RSS/Atom feed, then fetch every entry's page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse

from sokbo.extract.feed import FeedError, parse_feed
from sokbo.models import FeedHint, Page
from spiders.base import SourceSpider


class FeedSpider(SourceSpider):
    name = "feed"
    kind = "feed"

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            yield scrapy.Request(url, callback=self.parse_feed, dont_filter=True)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        assert stats is not None
        try:
            items, problems = parse_feed(response.body, response.url)
        except FeedError as exc:
            self.logger.error("%s: %s", response.url, exc)
            stats.inc_value("sokbo/feed_errors")
            return
        for problem in problems:
            self.logger.warning("%s: %s; skipped", response.url, problem)
            stats.inc_value("sokbo/dropped/feed entry without a link")
        stats.inc_value("sokbo/feed_entries", len(items))
        for item in items:
            # The page is fetched even when the feed carries the full HTML: only the
            # page has og:description, og:image and the published time.
            yield response.follow(item.url, callback=self.parse_page, cb_kwargs={"hint": item.hint})

    def parse_page(self, response: Response, hint: FeedHint) -> Iterator[Page]:
        if not isinstance(response, TextResponse):
            self.logger.warning(
                "%s: not a text page (%s); skipped",
                response.url,
                response.headers.get("Content-Type"),
            )
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("sokbo/dropped/not a text page")
            return
        html = response.text
        if self.source.encoding:
            html = response.body.decode(self.source.encoding, errors="replace")
        yield Page(
            source_id=self.source.id,
            url=(response.meta.get("redirect_urls") or [response.url])[0],
            final_url=response.url,
            html=html,
            fetched_at=datetime.now(UTC),
            status=response.status,
            headers={
                k.decode("latin-1"): b", ".join(v).decode("latin-1")
                for k, v in response.headers.items()
            },
            hint=hint,
        )
