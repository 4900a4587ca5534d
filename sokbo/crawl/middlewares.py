"""Back off from a site that says it is overloaded (429/503), honouring Retry-After; stop
a crawl whose store stops answering while a spider reads it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from sqlalchemy.exc import SQLAlchemyError

from sokbo import stats as stat_keys
from sokbo.crawl.unavailable import stop_for_store
from sokbo.web.httpdates import parse_http_date

BACKOFF_STATUSES = (429, 503)
logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | None, now: datetime) -> float | None:
    """`Retry-After` as seconds: a number of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    when = parse_http_date(text)
    if when is None:
        return None
    return max(0.0, (when - now).total_seconds())


class BackoffMiddleware:
    """Doubles the delay of a site's download slot on 429/503 (at least Retry-After,
    at most the AutoThrottle ceiling); Scrapy's RetryMiddleware then retries the request
    later, and AutoThrottle brings the delay back down as the site recovers."""

    def __init__(self, max_delay: float) -> None:
        self.max_delay = max_delay

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        instance = cls(crawler.settings.getfloat("AUTOTHROTTLE_MAX_DELAY", 60.0))
        instance.crawler = crawler
        return instance

    crawler: Crawler

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in BACKOFF_STATUSES:
            return response
        engine = self.crawler.engine
        slot_key = request.meta.get("download_slot")
        if engine is None or slot_key not in engine.downloader.slots:
            return response
        slot = engine.downloader.slots[slot_key]
        wanted = retry_after_seconds(response.headers.get("Retry-After"), datetime.now(UTC))
        delay = max(slot.delay * 2, 1.0, wanted or 0.0)
        slot.delay = min(delay, self.max_delay)
        logger.warning(
            "%s answered %s: waiting %.1f s between its requests",
            slot_key,
            response.status,
            slot.delay,
        )
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(stat_keys.BACKOFF)
        return response


class StoreFailureMiddleware:
    """A spider callback that cannot read the store (what was fetched before, a feed's
    validators) ends the crawl with one line, not a traceback per response."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_spider_exception(
        self, response: Response, exception: Exception
    ) -> Iterable[Any] | None:
        if not isinstance(exception, SQLAlchemyError):
            return None
        stop_for_store(self.crawler, exception, f"read what {response.url} needs")
        return ()
