"""When the store stops answering in the middle of a crawl: say so once, stop the crawl.

Nothing fetched after that could be kept, and the next run fetches again whatever was
not stored (its fetch was never recorded), so stopping loses nothing and saves requests.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.exc import SQLAlchemyError

from sokbo.outcome import STORE_UNAVAILABLE
from sokbo.stats import FAILED_STORE
from sokbo.store import store_error

logger = logging.getLogger(__name__)


def stop_for_store(crawler: Crawler, exc: SQLAlchemyError, doing: str) -> None:
    """Count the failure; the first of a run is one ERROR line (`store: cannot save
    articles, stopping: database is locked ...`, or `record posts` when the publish
    stage met it first) and closes the spider."""
    assert crawler.stats is not None
    first = not crawler.stats.get_value(FAILED_STORE)
    crawler.stats.inc_value(FAILED_STORE)
    if not first:
        return
    logger.error("store: cannot %s, stopping: %s", doing, store_error(exc))
    engine = crawler.engine
    if engine is not None and engine.spider is not None:
        deferred_from_coro(engine.close_spider_async(reason=STORE_UNAVAILABLE))
