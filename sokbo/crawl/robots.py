"""robots.txt obeyed with as few requests as RFC 9309 allows, and shared with the sitemap
spider.

Scrapy's robots middleware downloads a site's robots.txt before the first request to it
may pass, in every run: a request, and then the site's politeness delay before the feed.
This one takes its place. A source's crawl keeps each robots.txt between runs
(sokbo.crawl.robots_cache, in <state_dir>/robots) and uses a copy younger than 24 hours
without a request, so a poll's first request is its feed; an older copy is asked for
again with its validators, and when the site cannot be reached (no answer, a 5xx, a 429)
an older copy is obeyed rather than none. Without a copy it does what Scrapy's does.

The sitemap spider needs the same file for its `Sitemap:` lines: a spider request marked
with ``REUSE_ROBOTS`` is answered from the copy obeyed in this run instead of downloading
the file again.
"""

from __future__ import annotations

import logging
import time
from typing import Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.downloadermiddlewares.robotstxt import logger as scrapy_logger
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

from sokbo.crawl.robots_cache import (
    CACHE_FOLDER,
    KeptRobots,
    RobotsCache,
    kept_from_answer,
    storable,
)
from sokbo.crawl.spiders.base import SourceSpider
from sokbo.crawl.spiders.failures import failure_reason, status_text

logger = logging.getLogger(__name__)

# Request.meta key: answer this robots.txt request from the copy obeyed this run, if any.
REUSE_ROBOTS = "sokbo_reuse_robots"

# Stats: a kept copy used without a request; confirmed by a 304; obeyed because the site
# could not be reached.
CACHE_FRESH = "robotstxt/cache/fresh"
CACHE_NOT_MODIFIED = "robotstxt/cache/not_modified"
CACHE_UNREACHABLE = "robotstxt/cache/unreachable"


class CachedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots middleware, with robots.txt kept between runs and shared."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._cache = _cache_for(crawler)
        # By robots.txt URL: the copies obeyed in this run, which REUSE_ROBOTS requests are
        # answered from (none when there was no answer, or one that says nothing of the
        # rules: the spider then asks for itself).
        self._obeyed: dict[str, KeptRobots] = {}
        self._writes: list[Deferred[None]] = []
        crawler.signals.connect(self._writes_done, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    # Scrapy's declares None: this one may answer a REUSE_ROBOTS request itself.
    async def process_request(  # type: ignore[override]
        self, request: Request, spider: Spider | None = None
    ) -> Response | None:
        await super().process_request(request)
        kept = self._obeyed.get(request.url) if request.meta.get(REUSE_ROBOTS) else None
        if kept is None:
            return None
        return Response(
            kept.url,
            status=kept.status,
            headers={"Content-Type": "text/plain"},
            body=kept.body,
            request=request,
            flags=["robots.txt obeyed"],
        )

    async def robot_parser(self, request: Request) -> RobotParser | None:
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:  # the first request to the site in this run
            self._parsers[netloc] = Deferred()
            try:
                await self._settle(f"{url.scheme}://{netloc}/robots.txt", netloc, request)
            except Exception as exc:  # as Scrapy's: a robots.txt not had is no rules
                if not isinstance(exc, IgnoreRequest):
                    scrapy_logger.error(
                        "Error downloading %(request)s: %(f_exception)s",
                        {"request": request, "f_exception": exc},
                        exc_info=True,
                        extra={"spider": self.crawler.spider},
                    )
                self._robots_error(exc, netloc)
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    async def _settle(self, robots_url: str, netloc: str, request: Request) -> None:
        """Decide the rules of `netloc` for this run: a kept copy, or the site's answer."""
        kept = self._cache.load(robots_url) if self._cache is not None else None
        if kept is not None and kept.fresh(time.time()):
            self._stats.inc_value(CACHE_FRESH)
            await self._obey(kept, netloc, request)
            return
        asked = Request(
            robots_url,
            priority=self.DOWNLOAD_PRIORITY,
            headers=kept.validators() if kept is not None else None,
            meta={
                "dont_obey_robotstxt": True,
                # With a copy to fall back on, a site that cannot answer is no error.
                **({"give_up_log_level": logging.INFO} if kept is not None else {}),
            },
            callback=NO_CALLBACK,
        )
        self._stats.inc_value("robotstxt/request_count")
        try:
            assert self.crawler.engine is not None
            response = await self.crawler.engine.download_async(asked)
        except Exception as exc:
            if kept is None:
                raise
            failed = Failure(exc)  # type: ignore[no-untyped-call]
            failed.request = asked  # type: ignore[attr-defined]  # as Scrapy's errbacks see it
            why = failure_reason(failed, self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT"))
            await self._fall_back(kept, why, netloc, request)
            return
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        now, status = time.time(), response.status
        if status == 304 and kept is not None:
            self._stats.inc_value(CACHE_NOT_MODIFIED)
            kept = kept.revalidated(
                now,
                _header(response, "Cache-Control"),
                _header(response, "ETag"),
                _header(response, "Last-Modified"),
            )
            self._keep(kept)
            await self._obey(kept, netloc, request)
            return
        answer = kept_from_answer(
            robots_url,
            status,
            response.body,
            now,
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            cache_control=_header(response, "Cache-Control"),
        )
        if answer is not None:
            if storable(_header(response, "Cache-Control")):
                self._keep(answer)
            await self._obey(answer, netloc, request)
        elif kept is not None and (status >= 500 or status == 429):
            await self._fall_back(kept, f"answered {status_text(status)}", netloc, request)
        else:  # no copy to fall back on, or an answer that says nothing: as Scrapy reads it
            await self._parse(response.body, netloc, request)

    async def _fall_back(self, kept: KeptRobots, why: str, netloc: str, request: Request) -> None:
        """The site could not tell: RFC 9309 2.3.1.4 lets a crawler obey an older copy."""
        logger.warning("%s: %s; obeying %s", kept.url, why, kept.describe())
        self._stats.inc_value(CACHE_UNREACHABLE)
        await self._obey(kept, netloc, request)

    async def _obey(self, kept: KeptRobots, netloc: str, request: Request) -> None:
        self._obeyed[kept.url] = kept
        await self._parse(kept.body, netloc, request)

    async def _parse(self, body: bytes, netloc: str, request: Request) -> None:
        """The rules of `netloc` from `body`, to the requests waiting for them (a 4xx
        copy has an empty body: no rules)."""
        parser = build_from_crawler(self._parserimpl, self.crawler, body)
        await self.crawler.signals.send_catch_log_async(
            signal=signals.robots_parsed, robotparser=parser, request=request
        )
        waiting = self._parsers[netloc]
        assert isinstance(waiting, Deferred)
        self._parsers[netloc] = parser
        waiting.callback(parser)

    def _keep(self, kept: KeptRobots) -> None:
        """Write the copy in a thread (it is flushed to disk: not on the reactor's)."""
        if self._cache is None:
            return
        write: Deferred[None] = deferToThread(self._cache.save, kept)
        write.addErrback(_write_failed, kept.url)
        self._writes.append(write)

    async def _writes_done(self) -> None:
        """The crawl ends after its copies are written (a thread pool drops its queue)."""
        await maybe_deferred_to_future(DeferredList(self._writes))


def _cache_for(crawler: Crawler) -> RobotsCache | None:
    """A source's crawl keeps robots.txt in its state folder; any other (a preview,
    which stores nothing) and one with SOKBO_ROBOTS_CACHE off keep nothing."""
    spider = crawler.spider
    if not crawler.settings.getbool("SOKBO_ROBOTS_CACHE") or not isinstance(spider, SourceSpider):
        return None
    return RobotsCache(spider.config.crawl.state_dir / CACHE_FOLDER)


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _write_failed(failure: Failure, url: str) -> None:
    logger.warning("robots.txt cache: cannot keep %s: %s", url, failure.getErrorMessage())
