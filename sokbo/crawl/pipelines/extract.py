"""Pipeline stage 1: a fetched page becomes a clean Article (sokbo.extract.page).

Extraction is the crawl's heaviest work per page, and it is pure, so a large crawl runs
it in worker processes while the reactor goes on fetching, storing and publishing. A
small one (a poll that finds a few new articles, the usual case) never starts them: the
first SOKBO_EXTRACT_INLINE pages of a crawl are extracted in its own process, and only
the pages after them go to the SOKBO_EXTRACT_WORKERS workers (0: never).

The workers are the crawl's own children (`spawn`). They ignore SIGINT (the crawl's own
stop decides what is left to do), and end with the crawl however it ends: a crawl killed
with SIGKILL leaves no worker behind, holding its output open. A worker that dies
(killed, out of memory) costs nothing: the page it held and every later one are
extracted in the crawl's process, and one line says so.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from scrapy.crawler import Crawler

from sokbo.crawl import extract_workers
from sokbo.crawl.pipelines.common import SokboPipeline
from sokbo.extract.article import ExtractError
from sokbo.extract.page import clean_article
from sokbo.extract.presets import PRESETS, Preset
from sokbo.models import Article, Page

logger = logging.getLogger(__name__)

WORKERS = "SOKBO_EXTRACT_WORKERS"
INLINE = "SOKBO_EXTRACT_INLINE"


def default_workers() -> int:
    """One worker per core but the one the reactor needs, and at least one."""
    return max(1, (os.cpu_count() or 2) - 1)


class ExtractPipeline(SokboPipeline):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._workers = max(0, crawler.settings.getint(WORKERS, default_workers()))
        self._inline = max(0, crawler.settings.getint(INLINE, 20))
        self._pool: ProcessPoolExecutor | None = None
        self._seen = 0

    @functools.cached_property
    def _preset(self) -> Preset:
        """The source's preset with its own selectors first: the same for every page."""
        source = self.spider.source
        return PRESETS[source.preset].with_overrides(source.selectors)

    async def process_item(self, item: Page) -> Article:
        args = (item, self._preset, self.spider.timezone, self.spider.source.language)
        self._seen += 1
        try:
            if self._workers and self._seen > self._inline:
                try:
                    return await asyncio.wrap_future(self._started().submit(clean_article, *args))
                except BrokenProcessPool:
                    self._lost_workers()
            return clean_article(*args)
        except ExtractError as exc:
            self.drop(str(exc), item)

    def close_spider(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: fresh interpreters, not forks of this process with its reactor and
            # threads, and children of this process, so that they can watch it.
            self._pool = ProcessPoolExecutor(
                self._workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=extract_workers.serve,
                initargs=(os.getpid(),),
            )
            self.spider.logger.info("extracting in %d worker process(es)", self._workers)
        return self._pool

    def _lost_workers(self) -> None:
        if self._workers:
            self._workers = 0
            self.spider.logger.warning(
                "an extraction worker process died; the crawl's own process extracts the rest"
            )
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
