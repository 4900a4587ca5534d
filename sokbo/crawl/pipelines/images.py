"""Pipeline stage 3½, between store and publish: the images of the sites that mirror them.

For each site of the item's source with `images = "mirror"`, the article's lead image and
its body's `<img src>` (the first `images_per_article`) that the site has no copy of yet
are fetched with Scrapy's media pipeline (ImagesPipeline, with Pillow). Its requests go
through the crawler's engine, so robots.txt, the per-host delay and concurrency,
AutoThrottle, the backoff on 429/503 and the User-Agent apply to them as to pages. Each
names the article as its Referer (as a browser does; some CDNs refuse images without
one), may leave the source's allowed_domains (images live on CDNs), follows redirects,
and is cut off at the site's images_max_bytes (Scrapy's `download_maxsize`).

The bytes decide what an image is (sokbo.web.imagebytes): a JPEG, PNG, WebP or GIF
within the site's bounds is written as it came, never re-encoded, into images_dir as
`<sha256 of the bytes>.<ext>` (one file per content, sokbo.publish.imagefiles) and
recorded in the store with its size in pixels; anything else is refused, with the reason
logged and counted. Nothing here fails an item or a run: a post shows the original URL of
every image it has no copy of, and a failure is recorded with its next try:

- an image refused for what it is (not an image, an SVG, too many bytes or pixels,
  damaged) or forbidden by robots.txt: a day later;
- any other failure (an HTTP error, a timeout, a refused connection): on the next run,
  then 1 h, 2 h, 4 h... after each further failure, at most a day apart.

An image is tried again when an article showing it passes again, and at the start of
each run, before the crawl begins, for the source's articles with images due. An image
already mirrored is never fetched again. Recording a copy marks the site's posts that
show the image as waiting to be published (Store.record_mirrored): the publish stage
right after re-renders the article passing through, the start of a run publishes the
posts whose images its retries brought at once, and any other (an article of another
source sharing the image) waits for its source's next run or `sokbo publish --pending`.

A crawl node (SOKBO_PUBLISH off) writes no files: this stage is off there, and the posts
it stores keep their images' original URLs until a run on the central node sees them.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, ClassVar, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.pipelines.files import FilesStoreProtocol, StatInfo
from scrapy.pipelines.images import ImagesPipeline
from scrapy.pipelines.media import FileInfo, FileInfoOrError, MediaPipeline
from scrapy.statscollectors import StatsCollector
from sqlalchemy.exc import SQLAlchemyError
from twisted.python.failure import Failure

from sokbo import stats as stat_keys
from sokbo.config import SiteConfig
from sokbo.crawl.imagerequests import (
    FOR_SITES,
    ORIGINAL_URL,
    UNWRITABLE,
    NotCopied,
    Outcome,
    Plan,
    image_request,
    out_of_bounds,
    retry_wait,
)
from sokbo.crawl.spiders.base import SourceSpider
from sokbo.crawl.spiders.failures import failure_reason, shorten, status_text
from sokbo.files import describe_write_error, remove_stale_temporaries
from sokbo.models import MirroredImage, StoredArticle
from sokbo.publish.imagefiles import image_name, write_image
from sokbo.publish.images import article_image_urls
from sokbo.publish.posts import publish_post
from sokbo.store import store_error
from sokbo.web.imagebytes import MIRRORED_FORMATS, NotMirrorable, inspect_image
from sokbo.web.sniff import HEADER_SIZE, sniff

# Articles whose failed images the start of a run tries again, at most (newest first).
RETRIES_AT_START = 200

_EXTENSIONS = dict(MIRRORED_FORMATS.values())  # media type -> extension


class SiteImagesStore:
    """Scrapy's file store for mirrored images: each file into the folder its `meta`
    names, written atomically and only once (sokbo.publish.imagefiles)."""

    def __init__(self, basedir: str) -> None:
        self.basedir = basedir  # Scrapy's store URI; the folders are the sites'

    def persist_file(
        self,
        path: str,
        buf: BytesIO,
        info: MediaPipeline.SpiderInfo,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        write_image(Path((meta or {})["folder"]), path, buf.getvalue())

    def stat_file(self, path: str, info: MediaPipeline.SpiderInfo) -> StatInfo:
        return {}  # never asked: the store says what is mirrored (media_to_download)


class ImagesMirrorPipeline(ImagesPipeline):
    STORE_SCHEMES: ClassVar[dict[str, type[FilesStoreProtocol]]] = {"sokbo": SiteImagesStore}
    # Every image is said once, in one line, by this class; none is an error.
    LOG_FAILED_RESULTS = False

    def __init__(self, store_uri: str, download_func: None = None, *, crawler: Crawler) -> None:
        super().__init__(store_uri, crawler=crawler)
        # Images move (http to https, a CDN's own host); Scrapy's redirect middleware
        # follows at most REDIRECT_MAX_TIMES, to http(s) only.
        self.allow_redirects = True
        self._handle_statuses(True)
        self._outcomes: dict[str, Outcome] = {}  # this run's, by original URL
        self._planned: dict[int, list[Request]] = {}  # by id() of the item being handled
        # URLs whose outcome is in the store, or on its way there: by the recording.
        self._recorded: dict[str, asyncio.Future[int]] = {}
        self._said: set[str] = set()  # lines logged once

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        # A crawl node writes no files (sokbo.crawl.pipelines.common, writes_sites).
        if not crawler.settings.getbool("SOKBO_PUBLISH", True):
            raise NotConfigured
        pipeline = cls("sokbo://images_dir", crawler=crawler)
        crawler.signals.connect(pipeline._retry_at_start, signal=signals.spider_opened)
        return pipeline

    @property
    def spider(self) -> SourceSpider:
        spider = self.crawler.spider
        if not isinstance(spider, SourceSpider):
            raise TypeError("sokbo pipelines run only under sokbo's source spiders")
        return spider

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    @functools.cached_property
    def sites(self) -> list[SiteConfig]:
        """The sites of the spider's source that mirror images."""
        sites = self.spider.config.sites_for(self.spider.source.id)
        return [site for site in sites if site.images == "mirror" and site.images_dir]

    def open_spider(self, spider: Spider | None = None) -> None:
        super().open_spider()
        for site in self.sites:
            assert site.images_dir is not None
            try:
                remove_stale_temporaries(site.images_dir)
            except OSError as exc:
                reason = describe_write_error(exc, site.images_dir)
                self.spider.logger.warning("site '%s': %s", site.id, reason)

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, StoredArticle) and self.sites:
            try:
                await self._mirror(item)
            except Exception:  # never the item's end: its post links the originals
                self.spider.logger.warning(
                    "images of %s not mirrored", item.article.url, exc_info=True
                )
        return item

    async def _retry_at_start(self) -> None:
        """Before the crawl: try again the due images of the source's articles, and publish
        at once the posts that now have them (a spider_opened handler: Scrapy waits for
        it before the crawl starts)."""
        if not self.sites:
            return
        try:
            await self._retry_due()
        except Exception:  # as for an item: no run fails for its images
            self.spider.logger.warning("failed images not tried again", exc_info=True)

    async def _retry_due(self) -> None:
        spider, now = self.spider, datetime.now(UTC)
        ids = [site.id for site in self.sites]
        try:
            due = await asyncio.to_thread(
                spider.store.articles_with_images_due, ids, spider.source.id, now, RETRIES_AT_START
            )
            articles = await asyncio.to_thread(spider.store.articles_by_id, due)
        except SQLAlchemyError as exc:
            self._store_trouble(exc)
            return
        if not articles:
            return
        spider.logger.info("trying again the failed images of %d articles", len(articles))
        marked = await asyncio.gather(*(self._mirror(article) for article in articles.values()))
        if sum(marked):
            await self._publish_waiting()

    async def _mirror(self, stored: StoredArticle) -> int:
        """Fetch and record the article's images its sites lack; the posts marked waiting."""
        now = datetime.now(UTC)
        try:
            plan = await asyncio.to_thread(self._plan, stored, now)
        except SQLAlchemyError as exc:
            self._store_trouble(exc)
            return 0
        counts = {
            stat_keys.IMAGES_ALREADY_MIRRORED: plan.already,
            stat_keys.IMAGES_WAITING: plan.waiting,
            stat_keys.image_failed("not a URL"): plan.invalid,
        }
        for key, count in counts.items():
            if count:  # a counter at 0 would still be listed
                self.stats.inc_value(key, count)
        if not plan.requests:
            return 0
        self._planned[id(stored)] = plan.requests
        await super().process_item(stored)  # the downloads: their outcomes land in _outcomes
        results = self._unrecorded(plan.requests)
        recording = asyncio.ensure_future(asyncio.to_thread(self._record, results, now))
        for url, _outcome in results:
            self._recorded[url] = recording
        # An image this article shares with another in flight (Scrapy downloads it once)
        # may be recorded by the other's item: the post must not be written before it is.
        urls = {request.meta[ORIGINAL_URL] for request in plan.requests}
        others = {self._recorded[url] for url in urls if url in self._recorded} - {recording}
        if others:
            await asyncio.wait(others)  # their failures are said by their own items
        try:
            return await recording
        except SQLAlchemyError as exc:
            self._store_trouble(exc)
            return 0

    def _plan(self, stored: StoredArticle, now: datetime) -> Plan:
        """Note the article's images in the store, and request those its sites lack and
        may try now (in a worker thread: it asks the store)."""
        store = self.spider.store
        urls = article_image_urls(stored.article)
        store.link_article_images(stored.id, urls)
        wanted: dict[str, list[SiteConfig]] = {}
        for site in self.sites:
            for url in urls[: site.images_per_article]:
                wanted.setdefault(url, []).append(site)
        copied, retry_after = store.image_states([site.id for site in self.sites], wanted)
        plan = Plan()
        for url, sites in wanted.items():
            lacking = [site for site in sites if (site.id, url) not in copied]
            due = [site for site in lacking if retry_after.get((site.id, url), now) <= now]
            if not lacking:
                plan.already += 1
            elif not due:
                plan.waiting += 1
            else:
                try:
                    plan.requests.append(image_request(url, due, stored.article.url))
                except ValueError:  # Scrapy will not request it (a bad port, say)
                    plan.invalid += 1
        return plan

    def _unrecorded(self, requests: list[Request]) -> list[tuple[str, Outcome]]:
        """The outcomes of these requests not in the store yet, each counted once (on the
        reactor's thread: Scrapy's stats are not thread-safe)."""
        results = []
        for request in requests:
            url = request.meta[ORIGINAL_URL]
            outcome = self._outcomes.get(url)
            if url in self._recorded or outcome is None:
                continue
            results.append((url, outcome))
            if outcome.copies:
                self.stats.inc_value(stat_keys.IMAGES_MIRRORED)
            elif outcome.failures:  # by the first site's reason: one count per image
                kind = next(iter(outcome.failures.values())).kind
                self.stats.inc_value(stat_keys.image_failed(kind))
        return results

    def _record(self, results: list[tuple[str, Outcome]], now: datetime) -> int:
        """Record each copy and failure (in a worker thread); the posts marked waiting."""
        store, marked = self.spider.store, 0
        for url, outcome in results:
            for site_id, image in outcome.copies.items():
                marked += store.record_mirrored(site_id, url, image, now)
            for site_id, failure in outcome.failures.items():
                wait = functools.partial(retry_wait, refused=failure.refused)
                store.record_image_failure(site_id, url, failure.reason, now, wait)
        return marked

    async def _publish_waiting(self) -> None:
        """Publish the source's posts waiting on each mirroring site, at once."""
        spider = self.spider
        for site in self.sites:
            try:
                waiting = await asyncio.to_thread(
                    spider.store.pending_posts, site.id, spider.source.id
                )
                for stored in waiting:
                    now = datetime.now(UTC)
                    published = await asyncio.to_thread(
                        publish_post, spider.store, site, stored, now
                    )
                    self.stats.inc_value(stat_keys.IMAGES_POSTS_UPDATED)
                    if published.written:
                        self.stats.inc_value(stat_keys.POSTS_WRITTEN)
                        spider.logger.info("wrote %s (with its mirrored images)", published.path)
            except OSError as exc:  # the post stays waiting for the next run
                reason = describe_write_error(exc, site.posts_dir)
                self.stats.inc_value(stat_keys.FAILED_POSTS)
                spider.logger.error("site '%s': cannot write posts: %s", site.id, reason)
            except SQLAlchemyError as exc:
                self._store_trouble(exc)
                return

    # Scrapy's media pipeline hooks.

    def get_media_requests(self, item: Any, info: MediaPipeline.SpiderInfo) -> list[Request]:
        return self._planned.pop(id(item), [])

    def media_to_download(
        self, request: Request, info: MediaPipeline.SpiderInfo, *, item: Any = None
    ) -> None:
        return None  # always download: _plan asked the store what is mirrored already

    async def media_downloaded(
        self,
        response: Response,
        request: Request,
        info: MediaPipeline.SpiderInfo,
        *,
        item: Any = None,
    ) -> FileInfo:
        if response.status != 200:
            why = f"answered {status_text(response.status)}"
            return self._failed(request, NotCopied(f"HTTP {response.status}", why, False))
        checksum = await self.image_downloaded(response, request, info, item=item)
        status = "downloaded" if checksum else "refused"
        return {"url": request.url, "path": "", "checksum": checksum or None, "status": status}

    async def image_downloaded(
        self,
        response: Response,
        request: Request,
        info: MediaPipeline.SpiderInfo,
        *,
        item: Any = None,
    ) -> str:
        """Inspect the bytes, then write a copy for each site whose bounds they keep; the
        SHA-256 of the bytes, or '' when no site got a copy."""
        sites = self._sites_of(request)
        body = response.body
        most = max(site.images_max_pixels for site in sites)
        try:
            facts = await asyncio.to_thread(
                inspect_image, body, most, self.min_width, self.min_height
            )
        except NotMirrorable as exc:
            self._failed(request, NotCopied(exc.kind, str(exc), True))
            return ""
        name = self.file_path(request, response=response, info=info, item=item)
        image = MirroredImage(name, facts.width, facts.height, facts.content_type, len(body))
        outcome = Outcome()
        for site in sites:
            refusal = out_of_bounds(site, image)
            if refusal is not None:
                outcome.failures[site.id] = refusal
                continue
            try:
                meta = {"folder": site.images_dir}
                await asyncio.to_thread(self.store.persist_file, name, BytesIO(body), info, meta)
            except OSError as exc:
                assert site.images_dir is not None
                why = f"cannot be written: {describe_write_error(exc, site.images_dir)}"
                outcome.failures[site.id] = NotCopied(UNWRITABLE, why, False)
                continue
            outcome.copies[site.id] = image
        self._say(request, outcome)
        return name.split(".")[0] if outcome.copies else ""

    # Scrapy logs an ERROR with a traceback for every exception raised here (through
    # MediaPipeline._process_request); an image not copied is no error in sokbo, so the
    # failure is answered (the result is then None), not raised.
    def media_failed(  # type: ignore[override]
        self, failure: Failure, request: Request, info: MediaPipeline.SpiderInfo
    ) -> None:
        error = failure.value
        if isinstance(error, IgnoreRequest):
            text = " ".join(str(error).split()) or "refused by a downloader middleware"
            robots = "robots.txt" in text
            kind = "forbidden by robots.txt" if robots else "not requested"
            self._failed(request, NotCopied(kind, text[:1].lower() + text[1:], True))
        elif isinstance(error, DownloadCancelledError) and "max size" in str(error):
            limit = request.meta.get("download_maxsize")
            why = f"more than {limit} bytes"
            self._failed(request, NotCopied("more than images_max_bytes", why, True))
        else:
            why = failure_reason(failure, self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT"))
            self._failed(request, NotCopied("download failed", why, False))

    def item_completed(
        self, results: list[FileInfoOrError], item: Any, info: MediaPipeline.SpiderInfo
    ) -> Any:
        return item  # the outcomes are recorded by _mirror, from _outcomes

    def file_path(
        self,
        request: Request,
        response: Response | None = None,
        info: MediaPipeline.SpiderInfo | None = None,
        *,
        item: Any = None,
    ) -> str:
        """`<sha256 of the bytes>.<ext>`: named by content, so that an image is kept once
        whatever its URLs; its name is known only once it has arrived."""
        if response is None:
            raise ValueError("a mirrored image is named by its bytes: none before they come")
        kind = sniff(response.body[:HEADER_SIZE]).mime
        return image_name(response.body, _EXTENSIONS.get(kind, ""))

    # What is said and kept of each image.

    def _sites_of(self, request: Request) -> list[SiteConfig]:
        wanted = set(request.meta[FOR_SITES])
        return [site for site in self.sites if site.id in wanted]

    def _failed(self, request: Request, failure: NotCopied) -> FileInfo:
        """No site got a copy: keep why (for _record), say it, answer a failed result."""
        outcome = Outcome(failures={site.id: failure for site in self._sites_of(request)})
        self._say(request, outcome)
        return {"url": request.url, "path": "", "checksum": None, "status": "failed"}

    def _say(self, request: Request, outcome: Outcome) -> None:
        url = request.meta[ORIGINAL_URL]
        self._outcomes[url] = outcome
        logger = self.spider.logger
        for site_id, image in outcome.copies.items():
            size = f"{image.width}×{image.height}"
            logger.info(
                "site '%s': mirrored %s as %s (%s)", site_id, shorten(url), image.file, size
            )
        for site_id, failure in outcome.failures.items():
            # A folder that cannot be written is the operator's to fix: said louder.
            say = logger.warning if failure.kind == UNWRITABLE else logger.info
            say(
                "site '%s': image not mirrored, its post links it: %s: %s",
                site_id,
                shorten(url),
                failure.reason,
            )

    def _store_trouble(self, exc: SQLAlchemyError) -> None:
        """The store failed: the article keeps its images' original URLs, and the stages
        after this one meet the store's trouble themselves (and stop the crawl)."""
        line = f"images not mirrored: store: {store_error(exc)}"
        if line not in self._said:
            self._said.add(line)
            self.spider.logger.warning("%s", line)
