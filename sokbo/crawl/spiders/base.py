"""The base of every source spider: config, store, conditional and incremental fetching."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.statscollectors import StatsCollector
from sqlalchemy.exc import SQLAlchemyError
from twisted.python.failure import Failure

from sokbo import stats as stat_keys
from sokbo.config import Config, ConfigError, SourceConfig, load_config
from sokbo.crawl.jobdir import claim_job, forget_job, mark_clean_stop
from sokbo.crawl.node import node_config
from sokbo.crawl.settings import apply_crawl_config
from sokbo.crawl.spiders.failures import (
    REDIRECTS,
    failure_reason,
    follow_redirect,
    requested_url,
    status_text,
    tries,
)
from sokbo.exitcodes import EXIT_FAILED, EXIT_LOCKED
from sokbo.extract.discovery import article_page_url
from sokbo.incremental import fetch_reason, too_old
from sokbo.lock import Holder, source_lock
from sokbo.models import FeedHint, Page
from sokbo.outcome import cleanly_stopped, crawl_errors, crawl_exit_status
from sokbo.push.discovery import find_hub
from sokbo.store import DocumentState, Store, store_error
from sokbo.web.encoding import Decoded, charset_from_content_type, decode_html
from sokbo.web.sniff import not_a_page

logger = logging.getLogger(__name__)

# Content types a page may come with and still be an article page.
_PAGE_TYPES = ("html", "xml", "text/plain")


@dataclass(frozen=True)
class Candidate:
    """An article URL found by discovery, with what the source said about it."""

    url: str
    hint: FeedHint
    changed: datetime | None = None  # when the source says the entry last changed


class SourceSpider(scrapy.Spider):
    """Crawls one configured source (`-a source=<id>`); subclasses discover and fetch."""

    kind: ClassVar[str]
    allowed_domains: list[str]
    config: Config
    source: SourceConfig
    store: Store
    started: datetime
    # The run's row the scheduler opened for this crawl (`-a run_id=N`); None: a crawl
    # run by hand, which records a row of its own when it closes.
    run_id: int | None
    jobdir: Path | None
    # Validators of the feeds and sitemaps read in this run, saved only when the run
    # finishes: a crawl stopped half-way must not make the next one believe (after a
    # 304) that every entry was already fetched.
    documents: dict[str, DocumentState]
    # What to do with the JOBDIR once the engine has stopped (see _settle_job).
    _job_end: Callable[[], None]

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        try:
            config_id = kwargs.pop("config_id", None)
            config, source = cls._configured_source(crawler, kwargs.get("source"), config_id)
            run_id = _run_id(kwargs.pop("run_id", None))
        except (UsageError, ConfigError) as exc:
            # Raised, these would reach the user as an asyncio traceback ending in exit 1.
            # A mistake on the command line gets one line and the usage status instead.
            print(f"scrapy crawl {cls.name}: error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        # The spider is created before Scrapy freezes the settings, so the config's
        # politeness values can still apply (below any -s given on the command line).
        apply_crawl_config(crawler.settings, config.crawl)
        if config_id is not None:  # a crawl node: the central node writes posts and feeds
            crawler.settings.set("SOKBO_PUBLISH", False, priority="spider")
        state = config.crawl.state_dir
        jobdir = state / "jobs" / source.id if config.crawl.resume else None
        if jobdir is not None:
            crawler.settings.set("JOBDIR", str(jobdir), priority="spider")
        crawler.settings.set("HTTPCACHE_DIR", str(state / "httpcache"), priority="spider")
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = config
        spider.source = source
        spider.allowed_domains = source.domains
        try:
            spider.store = Store.open(config.store)
        except SQLAlchemyError as exc:
            print(f"source '{source.id}': store: {store_error(exc)}", file=sys.stderr)
            raise SystemExit(1) from None
        if config_id is not None:
            _lock_for_the_job(crawler, config, source.id, spider.store, run_id)
        spider.started = datetime.now(UTC)
        spider.run_id = run_id
        spider.jobdir = Path(crawler.settings["JOBDIR"]) if crawler.settings["JOBDIR"] else None
        spider.documents = {}
        if spider.jobdir is not None:
            discarded = claim_job(spider.jobdir)
            if discarded:
                spider.logger.warning(
                    "source '%s': discarded the queue in %s, %s; fetching what the store "
                    "does not have",
                    source.id,
                    spider.jobdir,
                    discarded,
                )
        crawler.signals.connect(spider._count_resumed, signal=signals.spider_opened)
        return spider

    @classmethod
    def _configured_source(
        cls, crawler: Crawler, source_id: str | None, config_id: str | None
    ) -> tuple[Config, SourceConfig]:
        """The config and the source to crawl: from the config file (SOKBO_CONFIG), or,
        on a crawl node, from the store (`-a config_id=N`; sokbo.crawl.node)."""
        if config_id is not None:
            state = _setting_or_environment(crawler, "SOKBO_STATE_DIR")
            config = node_config(config_id, _setting_or_environment(crawler, "SOKBO_STORE"), state)
            where = f"config {config_id}"
        else:
            where = _setting_or_environment(crawler, "SOKBO_CONFIG")
            config = load_config(where)
        if not source_id:
            names = ", ".join(s.id for s in config.source if s.kind == cls.kind) or "none"
            raise UsageError(
                f"say which source to crawl: scrapy crawl {cls.name} -a source=<id> "
                f"({cls.kind} sources in {where}: {names})"
            )
        source = config.get_source(source_id)
        if source.kind != cls.kind:
            raise UsageError(f"source '{source_id}' is a {source.kind} source, not {cls.kind}")
        return config, source

    def on_allowed_domain(self, url: str) -> bool:
        """As Scrapy's offsite filter decides: the host or a subdomain of an allowed one."""
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith(f".{d}") for d in self.allowed_domains)

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.source.timezone)

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    # -- feeds and sitemaps: conditional requests ------------------------------------

    def document_request(
        self,
        url: str,
        callback: Callable[..., Any],
        *,
        start: bool = False,
        dont_filter: bool | None = None,
        **cb_kwargs: Any,
    ) -> scrapy.Request:
        """A request for a feed, sitemap or listing that the server may answer with 304.

        `start`: the document is where the source starts (a start URL, or what stands in
        for one), so even robots.txt refusing it is a failure. `dont_filter` (by default
        `start`): skip Scrapy's duplicate filter, and its offsite filter, so the caller
        checks allowed_domains itself. The callback sees every answer and passes it
        through `unusable` (redirects are followed there); a download that fails goes to
        `document_failed`. Either way a document that cannot be read ends in
        `document_unavailable`, which says why in one line.
        """
        known = self.store.document(url)
        headers = {}
        if known.etag:
            headers["If-None-Match"] = known.etag
        if known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.document_failed,
            headers=headers,
            cb_kwargs=cb_kwargs,
            dont_filter=start if dont_filter is None else dont_filter,
            meta={
                self.START_DOCUMENT: start,
                # Scrapy's redirect middleware hands back a redirect to a non-http(s) or
                # missing Location as a bare 3xx, and its offsite filter follows a start
                # URL anywhere (dont_filter) or drops any other document without a word:
                # `unusable` follows redirects instead, refusing those with a reason.
                "handle_httpstatus_all": True,
                # document_unavailable says it once, with the number of tries.
                "give_up_log_level": logging.INFO,
            },
        )

    def not_modified(self, response: Response) -> bool:
        """True (and counted) when the server says the document has not changed."""
        if response.status != 304:
            return False
        self.logger.info("%s: not modified since the last run", response.url)
        self.stats.inc_value(stat_keys.NOT_MODIFIED)
        return True

    def remember_validators(self, response: Response) -> None:
        etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
        state = self.documents.setdefault(requested_url(response), DocumentState())
        state.etag = etag.decode("latin-1") if etag else None
        state.last_modified = modified.decode("latin-1") if modified else None

    def remember_target(self, url: str, target: str) -> None:
        """The feed found through page `url`, used when the page answers 304 next time."""
        self.documents.setdefault(url, DocumentState()).target = target

    def known_target(self, response: Response) -> str | None:
        return self.store.document(requested_url(response)).target

    def remember_hub(self, response: Response, body: bytes) -> None:
        """The WebSub hubs a feed or a listing's start page names (or that it names none),
        for `sokbo schedule` to subscribe to (sokbo.push)."""
        links = [value.decode("latin-1") for value in response.headers.getlist("Link")]
        found = find_hub(body, links, response.url)
        hub, topic, more = (found.hub, found.topic, found.more) if found else (None, None, ())
        now = datetime.now(UTC)
        self.store.record_push_hub(self.source.id, requested_url(response), hub, topic, now, more)

    # -- article pages: incremental ------------------------------------------------

    def page_requests(self, candidates: Iterable[Candidate]) -> Iterator[scrapy.Request]:
        """Requests for the candidates that are new, changed or due for a re-check."""
        candidates = list(candidates)
        now = datetime.now(UTC)
        known = self.store.fetch_records([c.url for c in candidates])
        for candidate in candidates:
            if too_old(candidate.hint.published or candidate.changed, now, self.source.max_age):
                self.stats.inc_value(stat_keys.skipped("older than max_age"))
                continue
            fingerprint = candidate.hint.fingerprint()
            previous = known.get(candidate.url)
            reason = fetch_reason(
                previous, candidate.changed, fingerprint, now, self.source.recheck_after
            )
            if reason is None:
                self.stats.inc_value(stat_keys.skipped("unchanged since the last fetch"))
                continue
            # Counted by parse_page when the page arrives: a request may yet be refused by
            # robots.txt, fail, leave allowed_domains or stay queued when the run stops.
            yield scrapy.Request(
                article_page_url(candidate.url),
                callback=self.parse_page,
                errback=self.page_failed,
                cb_kwargs={"hint": candidate.hint, "reason": reason},
            )

    def page_failed(self, failure: Failure) -> None:
        """An article page that could not be fetched: counted, and the run's feed and
        sitemap validators are then not saved, so the next run sees the entry again.
        A page we chose not to fetch (robots.txt, another domain) is no failure."""
        request = getattr(failure, "request", None)
        url = request.url if request else "?"
        # HttpError (a 4xx/5xx answer) is an IgnoreRequest too, but a real failure.
        if isinstance(failure.value, IgnoreRequest) and not isinstance(failure.value, HttpError):
            self.logger.info("%s: not fetched: %s", url, failure.value)
            self.stats.inc_value(stat_keys.skipped(str(failure.value).lower() or "ignored"))
            return
        self.logger.warning("%s: not fetched: %s", url, failure.value)
        self.stats.inc_value(stat_keys.PAGE_ERRORS)

    def parse_page(
        self, response: Response, hint: FeedHint, reason: str | None = None
    ) -> Iterator[Page]:
        """Decode an article page (Korean encodings included) and hand it to the pipelines.

        `reason` is why page_requests asked for it ("new", "changed", "recheck"); a request
        queued by an older sokbo (resumed from its JOBDIR) has none and is not counted.
        """
        if reason is not None:
            self.stats.inc_value(stat_keys.fetched(reason))
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        if content_type and not any(kind in content_type.lower() for kind in _PAGE_TYPES):
            self.logger.warning("%s: not a web page (%s); skipped", response.url, content_type)
            self.stats.inc_value(stat_keys.dropped("not a web page"))
            return
        # The bytes decide before any decoding: an image or a PDF served as text/html
        # decodes to a page of garbage that no later stage can tell from an article.
        declared = self.source.encoding or charset_from_content_type(content_type)
        found = not_a_page(response.body, declared)
        if found is not None:
            served = content_type.split(";")[0].strip().lower() if content_type else None
            self.logger.warning(
                "%s: not a web page (%s %s); skipped",
                response.url,
                found.name,
                f"served as {served}" if served else "served without a Content-Type",
            )
            self.stats.inc_value(stat_keys.dropped("not a web page"))
            return
        decoded = self.decode(response, decode_html)
        if decoded.mostly_undecodable:
            # decode() has said how it read the page; this says what became of it.
            self.logger.warning(
                "%s: not an article: mostly undecodable (%d of %d characters); skipped",
                response.url,
                decoded.undecodable,
                decoded.undecodable + len(decoded.text),
            )
            self.stats.inc_value(stat_keys.dropped("mostly undecodable"))
            return
        yield Page(
            source_id=self.source.id,
            url=requested_url(response),
            final_url=response.url,
            html=decoded.text,
            fetched_at=datetime.now(UTC),
            hint=hint,
        )

    def decode(
        self, response: Response, decoder: Callable[[bytes, str | None, str | None], Decoded]
    ) -> Decoded:
        """Decode a body; characters that still fail are left out (never turned into
        U+FFFD), logged once and counted, never hidden."""
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1") or None
        decoded = decoder(response.body, content_type, self.source.encoding)
        if decoded.cut_at_end:
            # The transfer ended inside a character: no fault of the page's encoding.
            self.logger.debug(
                "%s: ends inside a character; its %d bytes left out",
                response.url,
                decoded.cut_at_end,
            )
            self.stats.inc_value(stat_keys.DECODE_CUT_AT_END)
        if decoded.undecodable:
            self.logger.warning(
                "%s: %d %s could not be decoded (left out; read as %s, chosen by %s)",
                response.url,
                decoded.undecodable,
                "character" if decoded.undecodable == 1 else "characters",
                decoded.encoding,
                decoded.source,
            )
            self.stats.inc_value(stat_keys.DECODE_ERROR_PAGES)
            self.stats.inc_value(stat_keys.DECODE_ERROR_CHARACTERS, decoded.undecodable)
        return decoded

    def _count_resumed(self) -> None:
        """How many requests this run took over from a stopped one's queue."""
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        resumed = len(scheduler) if isinstance(scheduler, Sized) else 0
        self.stats.set_value(stat_keys.RESUMED_REQUESTS, resumed)

    def queued_requests(self) -> int:
        """Requests still in the queue: resumed, plus queued in this run, less taken out."""
        stats = self.stats
        return max(
            0,
            int(stats.get_value(stat_keys.RESUMED_REQUESTS, 0))
            + int(stats.get_value("scheduler/enqueued", 0))
            - int(stats.get_value("scheduler/dequeued", 0)),
        )

    def closed(self, reason: str) -> None:
        now = datetime.now(UTC)
        stats = self.stats.get_stats()
        errors = crawl_errors(reason, stats)
        # Validators only after a run in which every stage of every entry succeeded: the
        # next run must read the feed again (200, not 304) to find what this one missed.
        if errors is None:
            try:
                for url, document in self.documents.items():
                    self.store.record_fetch(url, now, document=document)
            except SQLAlchemyError as exc:
                self.logger.error("store: cannot save the feeds' validators: %s", store_error(exc))
        if reason != "finished":
            self.stats.set_value(stat_keys.QUEUED_AT_STOP, self.queued_requests())
        self._settle_job(reason)
        stats = self.stats.get_stats()
        try:
            self._record_run(now, reason, stats)
        except SQLAlchemyError as exc:
            self.logger.error("store: cannot record this run: %s", store_error(exc))
        self.store.close()

    def _record_run(self, now: datetime, reason: str, stats: dict[str, Any]) -> None:
        """On the row opened for this run, else (run by hand, or that row is gone) on a
        row of its own."""
        exit_status, errors = crawl_exit_status(reason, stats), crawl_errors(reason, stats)
        if self.run_id is not None and self.store.complete_run(
            self.run_id, self.started, now, reason, stats, exit_status=exit_status, errors=errors
        ):
            return
        self.store.record_run(
            self.source.id, self.started, now, reason, stats, exit_status=exit_status, errors=errors
        )

    def _settle_job(self, reason: str) -> None:
        """Once the engine has stopped (after Scrapy's own extensions have written their
        last state into it): a finished job is removed, and a cleanly stopped one marked
        as safe to resume. Any other job is left unmarked, so the next run discards it."""
        jobdir = self.jobdir
        if jobdir is None:
            return
        if reason == "finished":
            self._job_end = functools.partial(forget_job, jobdir)
            self.crawler.signals.connect(self._end_job, signals.engine_stopped)
            return
        queued = self.queued_requests()
        if cleanly_stopped(reason, self.stats.get_stats()):
            stopped = datetime.now(UTC)
            self._job_end = functools.partial(mark_clean_stop, jobdir, stopped, reason, queued)
            self.crawler.signals.connect(self._end_job, signals.engine_stopped)
            self.logger.warning(
                "crawl stopped (%s); the next run of source '%s' resumes its %d queued "
                "requests from %s",
                reason,
                self.source.id,
                queued,
                jobdir,
            )
        else:
            self.logger.warning(
                "crawl stopped (%s) after failures; the next run of source '%s' starts "
                "over and fetches what the store does not have",
                reason,
                self.source.id,
            )

    def _end_job(self) -> None:
        self._job_end()

    # -- documents that cannot be read: one line that says why ------------------------

    # Request.meta key: the document is where the source starts (see document_request).
    START_DOCUMENT: ClassVar[str] = "sokbo_start_document"

    def unusable(
        self, response: Response, *, empty_ok: bool = False
    ) -> scrapy.Request | str | None:
        """For a document's answer: the request that follows its redirect, or why it
        cannot be read (a redirect refused, an error status, an empty body unless
        `empty_ok`); None when it can be read (a 304 included: see not_modified)."""
        status = response.status
        if status in REDIRECTS:
            followed = follow_redirect(
                response,
                self.on_allowed_domain,
                ", ".join(self.allowed_domains),
                self.settings.getint("REDIRECT_MAX_TIMES"),
            )
            if not isinstance(followed, str):
                self.logger.debug("%s: redirected (%d) to %s", response.url, status, followed.url)
            return followed
        if status == 304:
            return None
        if not 200 <= status < 300:
            return f"answered {status_text(status)}{tries(response.meta)}"
        if not empty_ok and not response.body.strip():
            return f"answered {status} with an empty body"
        return None

    def document_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """The errback of document requests: a download that failed, said in words.
        A document the crawl chose not to fetch (robots.txt) is no failure, unless the
        source starts there."""
        request = failure.request  # type: ignore[attr-defined]  # set by Scrapy
        why = failure_reason(failure, self.settings.getfloat("DOWNLOAD_TIMEOUT"))
        if isinstance(failure.value, IgnoreRequest) and not request.meta.get(self.START_DOCUMENT):
            self.logger.info("%s: not fetched: %s", request.url, why)
            self.stats.inc_value(stat_keys.skipped(why))
            return
        yield from self.document_unavailable(request, why)

    def document_unavailable(self, request: scrapy.Request, why: str) -> Iterator[scrapy.Request]:
        """A document that cannot be read. Here: the error line that fails the run;
        a spider with something else to try (another candidate feed) overrides this."""
        self.document_error(self.kind, requested_url(request), why)
        yield from ()

    def document_error(self, what: str, url: str, why: str) -> None:
        """`feed https://x/rss: answered 404 Not Found`: a start that yields nothing is
        an error (counted, and any ERROR line makes the run fail: sokbo.outcome)."""
        self.logger.error("%s %s: %s", what, url, why)
        self.stats.inc_value(stat_keys.FEED_ERRORS)


def _lock_for_the_job(
    crawler: Crawler, config: Config, source_id: str, store: Store, run_id: int | None
) -> None:
    """A crawl node's job holds its source's lock (in the database, when the store is
    PostgreSQL: across nodes) until its engine stops. A job whose source another crawl
    holds ends at once with one line and EXIT_LOCKED, and removes the run's row the
    scheduler opened for it: the run did not happen. (`sokbo crawl` takes the lock before
    it starts Scrapy.)"""
    lock = source_lock(config, source_id)
    try:
        taken = lock.try_acquire()
        if not taken and run_id is not None:
            store.discard_run(run_id)
    except SQLAlchemyError as exc:
        print(f"source '{source_id}': store: {store_error(exc)}", file=sys.stderr)
        raise SystemExit(EXIT_FAILED) from None
    if not taken:
        holder = (lock.holder() or Holder(None, None)).describe()
        lock.release()
        store.close()
        print(f"source '{source_id}' is being crawled already ({holder})", file=sys.stderr)
        raise SystemExit(EXIT_LOCKED)
    crawler.signals.connect(lambda: lock.release(), signals.engine_stopped, weak=False)


def _setting_or_environment(crawler: Crawler, name: str) -> str:
    """A sokbo setting: `-s NAME=...` wins, then the environment variable, then the
    project's default (sokbo.crawl.settings)."""
    value = crawler.settings.get(name)
    if (crawler.settings.getpriority(name) or 0) <= SETTINGS_PRIORITIES["project"]:
        value = os.environ.get(name) or value
    return str(value) if value is not None else ""


def _run_id(value: object) -> int | None:
    """`-a run_id=N` as a number; None when not given."""
    if value is None or value == "":
        return None
    try:
        return int(str(value))
    except ValueError:
        raise UsageError(f"run_id: not a run id: {value!r}") from None
