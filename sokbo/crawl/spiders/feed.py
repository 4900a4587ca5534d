"""The `feed` spider: read an RSS/Atom/JSON feed (or find it from a home page), then fetch
every new or changed entry's page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response

from sokbo import stats as stat_keys
from sokbo.crawl.spiders.base import Candidate, SourceSpider
from sokbo.crawl.spiders.failures import quiet_robots_tracebacks, requested_url
from sokbo.extract.discovery import (
    FALLBACK_FEED_PATHS,
    describe_document,
    discover_feeds,
    known_feed_url,
    looks_like_feed,
    looks_like_html,
)
from sokbo.extract.feed import FeedError, FeedItem, SkippedEntry, parse_feed
from sokbo.push import inbox
from sokbo.web.encoding import decode_html, decode_xml, utf8_xml

_NO_LINKS = "an HTML page with no <link rel=alternate> feed; tried"
_LINKS_FAILED = "an HTML page whose <link rel=alternate> feeds failed:"
_KNOWN_FAILED = "an HTML page, unchanged since the last run, whose feed found then failed:"
# Above the feed's (0): Scrapy's queue is last in, first out among equals.
PUSHED_PRIORITY = 10


@dataclass(frozen=True)
class Discovery:
    """A feed looked for from a start URL that is a page: what is left to try, what
    the candidates tried so far answered, and how they were found (for the message
    when none is a feed)."""

    page: str  # the start URL, as configured
    found: str  # _NO_LINKS, _LINKS_FAILED or _KNOWN_FAILED
    candidates: tuple[str, ...]  # the first is the one being tried
    tried: tuple[tuple[str, str], ...] = ()  # (candidate, why it is no feed)


class FeedSpider(SourceSpider):
    name = "feed"
    kind = "feed"

    # The entries a hub pushed (sokbo.push.inbox), read by this run; removed when it ends.
    pushed: tuple[inbox.Pushed, ...] = ()

    async def start(self) -> AsyncIterator[Any]:
        quiet_robots_tracebacks()
        for request in self.pushed_requests():
            yield request
        for url in self.source.start_urls:
            feed = known_feed_url(url)
            if feed and feed != url:
                self.logger.info("%s: the platform's feed is %s", url, feed)
                url = feed
            yield self.document_request(url, self.parse_feed, start=True, discovery=None)

    def pushed_requests(self) -> Iterator[scrapy.Request]:
        """The pages of the entries hubs pushed since the last finished run, asked for
        ahead of the feed: the first is the run's first request, sent at once."""
        self.pushed = tuple(inbox.waiting(self.config.crawl.state_dir, self.source.id))
        for pushed in self.pushed:
            body = utf8_xml(decode_xml(pushed.body, None, self.source.encoding))
            try:
                if not looks_like_feed(body):
                    raise FeedError(f"not a feed ({describe_document(body, None)})")
                items, _skipped = parse_feed(body, pushed.topic)  # the feed's read says them
            except FeedError as exc:
                self.logger.info("pushed content from %s: %s; the feed is read", pushed.topic, exc)
                continue
            self.logger.info("pushed content from %s: %d entries", pushed.topic, len(items))
            self.stats.inc_value(stat_keys.PUSHED_ENTRIES, len(items))
            for request in self.page_requests(_candidates(items)):
                yield request.replace(priority=PUSHED_PRIORITY)

    def closed(self, reason: str) -> None:
        if reason == "finished":
            inbox.done(list(self.pushed))
        super().closed(reason)

    def parse_feed(
        self,
        response: Response,
        discovery: Discovery | None = None,
        origin: str | None = None,
        fallbacks: tuple[str, ...] = (),
    ) -> Iterator[scrapy.Request]:
        """A feed, or (for a start URL) a page to find the feed in; candidates in turn.

        The keyword arguments are read through discovery_of (`origin` and `fallbacks`
        come only with a request queued by an older sokbo, resumed from its JOBDIR).
        """
        assert response.request is not None
        search = self.discovery_of(response.request)
        if self.not_modified(response):
            known = self.known_target(response)
            if search is None and known:  # the page is unchanged, so is its feed link
                page = requested_url(response)
                yield from self.try_candidates(Discovery(page, _KNOWN_FAILED, (known,)))
            return
        problem = self.unusable(response)
        if isinstance(problem, scrapy.Request):
            yield problem
            return
        if problem is None:
            content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
            body = utf8_xml(self.decode(response, decode_xml))
            if looks_like_feed(body):
                try:
                    items, skipped = parse_feed(body, response.url)
                except FeedError as exc:
                    problem = str(exc)
                else:
                    self.remember_hub(response, body)
                    yield from self.read_feed(response, search, items, skipped)
                    return
            elif search is None and looks_like_html(body, content_type):
                yield from self.discover(response)
                return
            else:
                problem = f"not a feed ({describe_document(body, content_type)})"
        yield from self.document_unavailable(response.request, problem)

    def read_feed(
        self,
        response: Response,
        discovery: Discovery | None,
        items: list[FeedItem],
        skipped: list[SkippedEntry],
    ) -> Iterator[scrapy.Request]:
        if discovery is not None:
            self.logger.info("feed of %s: %s", discovery.page, response.url)
            self.remember_target(discovery.page, requested_url(response))
        self.remember_validators(response)
        for entry in skipped:
            self.logger.warning("%s: %s; skipped", response.url, entry)
            self.stats.inc_value(stat_keys.dropped(entry.reason))
        self.stats.inc_value(stat_keys.FEED_ENTRIES, len(items))
        yield from self.page_requests(_candidates(items))

    def discover(self, response: Response) -> Iterator[scrapy.Request]:
        """The start URL is a page: its <link rel=alternate> feeds, else the usual paths."""
        self.remember_validators(response)
        html = self.decode(response, decode_html).text
        page = requested_url(response)
        found = [url for url in discover_feeds(html, response.url) if url != page]
        if found:
            self.logger.info("%s: discovered feed %s", response.url, found[0])
            discovery = Discovery(page, _LINKS_FAILED, tuple(found))
        else:
            self.logger.info(
                "%s: no <link rel=alternate> feed; trying %s",
                response.url,
                ", ".join(FALLBACK_FEED_PATHS),
            )
            paths = [urljoin(response.url, path) for path in FALLBACK_FEED_PATHS]
            # Not the page itself again (a home page given as https://x/rss, say).
            paths = [url for url in dict.fromkeys(paths) if url not in (page, response.url)]
            discovery = Discovery(page, _NO_LINKS, tuple(paths))
        yield from self.try_candidates(discovery)

    def try_candidates(self, discovery: Discovery) -> Iterator[scrapy.Request]:
        """The first candidate on an allowed domain; when none is left, the one line that
        names the page's own problem and sums up what every candidate answered."""
        tried = list(discovery.tried)
        for index, url in enumerate(discovery.candidates):
            if self.on_allowed_domain(url):
                left = replace(discovery, candidates=discovery.candidates[index:], tried=(*tried,))
                # Outside Scrapy's duplicate filter: a candidate dropped as a duplicate (of
                # where an earlier one redirected) would end the search without a word.
                yield self.document_request(url, self.parse_feed, start=True, discovery=left)
                return
            tried.append((url, "outside allowed_domains"))
        answers = _answers(discovery.page, tried)
        self.document_error("feed", discovery.page, f"not a feed ({discovery.found} {answers})")

    def document_unavailable(self, request: scrapy.Request, why: str) -> Iterator[scrapy.Request]:
        """A start URL that is no feed fails the run at once; a candidate found through
        a page gives way to the next one."""
        discovery = self.discovery_of(request)
        if discovery is None:
            self.document_error("feed", requested_url(request), why)
            return
        candidate, rest = discovery.candidates[0], discovery.candidates[1:]
        self.logger.debug("%s: %s", candidate, why)
        tried = (*discovery.tried, (candidate, why))
        yield from self.try_candidates(replace(discovery, candidates=rest, tried=tried))

    def discovery_of(self, request: scrapy.Request) -> Discovery | None:
        """The search a candidate request belongs to; None for a start URL. A request
        queued by an older sokbo (resumed from its JOBDIR) says it as origin + fallbacks."""
        origin = request.cb_kwargs.get("origin")
        if origin is not None:
            candidates = (requested_url(request), *request.cb_kwargs.get("fallbacks", ()))
            return Discovery(origin, _NO_LINKS, candidates)
        discovery: Discovery | None = request.cb_kwargs.get("discovery")
        return discovery


def _candidates(items: list[FeedItem]) -> Iterator[Candidate]:
    return (Candidate(item.url, item.hint, changed=item.hint.updated) for item in items)


def _answers(page: str, tried: list[tuple[str, str]]) -> str:
    """`/rss, /feed/: answered 404 Not Found; /feed: redirected to …`: the candidates
    grouped by what they answered, in the order tried; paths for those on the page's site."""
    site = urlsplit(page)[:2]
    grouped: dict[str, list[str]] = {}
    for url, why in tried:
        parts = urlsplit(url)
        label = (parts.path + (f"?{parts.query}" if parts.query else "")) or "/"
        grouped.setdefault(why, []).append(label if parts[:2] == site else url)
    return "; ".join(f"{', '.join(urls)}: {why}" for why, urls in grouped.items())
