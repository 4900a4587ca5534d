"""A live progress display for `sokbo crawl` on a terminal: a line per source, updated in place.

A Scrapy extension (one instance per crawler) feeds one display per process (rich's Live):
every source crawled by the process gets a line with its requests, pages, articles and
posts, its request rate and its time so far, read from its crawler's stats twice a second
on the reactor thread (where the stats are written, so nothing is read half-updated).

The display goes to stdout, and only when stdout is a terminal: a crawl whose output goes
to a file, a pipe or CI prints nothing more than before. While it is shown, log lines
that would go to the same terminal on stderr are printed above it, whole, instead of
being overwritten by its next refresh; a stderr redirected elsewhere is left alone. It is
erased when the last source closes (or the reactor stops), before `sokbo crawl` prints
its summary, which gives the same figures.

Off unless the SOKBO_PROGRESS setting is true: `sokbo crawl` sets it on a terminal;
`scrapy crawl -s SOKBO_PROGRESS=true` asks for it.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, cast

from rich.console import Console
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.reactor import is_reactor_installed

from sokbo import stats as stat_keys
from sokbo.outcome import crawl_counts, stat_count

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.spiders import Spider
    from scrapy.statscollectors import StatsCollector

SETTING = "SOKBO_PROGRESS"
# Twice a second: lively enough to see a crawl move, and a few milliseconds of the
# reactor's time per second at most.
REFRESH_SECONDS = 0.5
# The rate of a running crawl is taken over its last seconds, so that it shows a crawl
# slowing down (a site backing off) rather than the average since it started.
RATE_WINDOW_SECONDS = 10.0
HEADERS = ("", "SOURCE", "REQUESTS", "PAGES", "ARTICLES", "NEW", "POSTS", "RATE", "ELAPSED")


@dataclass
class SourceLine:
    """One source's line: its crawler's stats, read on every refresh."""

    source_id: str
    stats: StatsCollector | None = None  # the crawler's, once it is open
    opened: float | None = None  # time.monotonic() at spider_opened
    closed: float | None = None  # ... at spider_closed
    reason: str | None = None  # Scrapy's close reason
    samples: deque[tuple[float, int]] = field(default_factory=deque)

    def cells(self, now: float) -> tuple[Any, ...]:

        stats = self.stats.get_stats() if self.stats is not None else {}
        counts = crawl_counts(stats)
        articles = counts["new"] + counts["updated"] + counts["unchanged"]
        if self.closed is None:
            state: Any = Spinner("dots", style="cyan")
        elif self.reason == "finished":
            state = Text("✓", style="green")
        else:
            state = Text("✗", style="red")
        return (
            state,
            self.source_id,
            str(counts["requests"]),
            str(counts["pages"]),
            str(articles),
            str(counts["new"]),
            str(stat_count(stats, stat_keys.POSTS_WRITTEN)),
            self.rate(counts["requests"], now),
            self.elapsed(now),
        )

    def rate(self, requests: int, now: float) -> str:
        """Requests a minute: over the last RATE_WINDOW_SECONDS while running, over the
        whole crawl once it is closed."""
        if self.opened is None:
            return "-"
        if self.closed is not None:
            seconds, sent = self.closed - self.opened, requests
        else:
            samples = self.samples
            samples.append((now, requests))
            while len(samples) > 2 and now - samples[1][0] >= RATE_WINDOW_SECONDS:
                samples.popleft()
            seconds, sent = now - samples[0][0], requests - samples[0][1]
        if seconds < 1:
            return "-"
        return f"{round(sent * 60 / seconds)}/min"

    def elapsed(self, now: float) -> str:
        if self.opened is None:
            return "-"
        end = now if self.closed is None else self.closed
        minutes, seconds = divmod(int(end - self.opened), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class ProgressDisplay:
    """The process's one live display: a line per source, refreshed on the reactor.

    Started when the first source opens; stopped (and erased) when every source that
    registered has closed, or when the reactor shuts down, whichever comes first.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.lines: list[SourceLine] = []
        self._live: Live | None = None
        self._task: Any = None  # a LoopingCall, Twisted's or Scrapy's asyncio one
        self._rerouted: list[tuple[logging.StreamHandler[Any], IO[str]]] = []

    def add(self, source_id: str) -> SourceLine:
        line = SourceLine(source_id)
        self.lines.append(line)
        return line

    def opened(self, line: SourceLine, stats: StatsCollector) -> None:
        line.stats, line.opened = stats, time.monotonic()
        if self._live is None:
            self.start()

    def closed(self, line: SourceLine, reason: str) -> None:
        line.closed, line.reason = time.monotonic(), reason
        if all(each.closed is not None for each in self.lines):
            self.stop()

    def render(self) -> Table:

        table = Table(box=None, pad_edge=False, header_style="bold")
        for header in HEADERS:
            right = header not in ("", "SOURCE")
            table.add_column(header, justify="right" if right else "left", no_wrap=True)
        now = time.monotonic()
        for line in self.lines:
            table.add_row(*line.cells(now))
        return table

    def refresh(self) -> None:
        if self._live is not None:
            self._live.update(self.render(), refresh=True)

    def start(self) -> None:
        same_terminal = _same_terminal(self.console.file, sys.stderr)
        if same_terminal:
            self._reroute_logs()
        self._live = Live(
            self.render(),
            console=self.console,
            auto_refresh=False,  # refreshed by the reactor, never from a thread of rich's
            transient=True,  # the summary printed next gives the same figures
            redirect_stdout=True,
            redirect_stderr=same_terminal,
        )
        self._live.start(refresh=True)
        self._task = create_looping_call(self.refresh)
        self._task.start(REFRESH_SECONDS, now=False)
        if is_reactor_installed():  # a crawl that never closed must not leave it behind
            from twisted.internet import reactor

            # Typed as a zope interface, whose methods mypy reads as taking no self.
            cast(Any, reactor).addSystemEventTrigger("before", "shutdown", self.stop)

    def stop(self) -> None:
        """Erase the display and give the log its stream back; idempotent."""
        global _display  # the next crawl in this process (if any) gets a new one
        if self._task is not None and self._task.running:
            self._task.stop()
        self._task = None
        if self._live is not None:
            live, self._live = self._live, None
            live.update(self.render())  # its last refresh shows the final figures
            live.stop()
        for handler, stream in self._rerouted:
            handler.setStream(stream)
        self._rerouted.clear()
        if _display is self:
            _display = None

    def _reroute_logs(self) -> None:
        """Log handlers writing to the terminal's stderr print through the display's
        console instead, which puts each line above the display."""
        above = _AboveDisplay(self.console)
        for handler in logging.root.handlers:
            if isinstance(handler, logging.FileHandler) or not isinstance(
                handler, logging.StreamHandler
            ):
                continue
            if handler.stream in (sys.stderr, sys.__stderr__):
                previous = handler.setStream(above)
                if previous is not None:
                    self._rerouted.append((handler, previous))


class _AboveDisplay(io.TextIOBase):
    """A text stream whose lines are printed through a console with a live display:
    above the display, as written (no markup, no highlighting, no wrapping of ours)."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        whole, _, self._partial = (self._partial + text).rpartition("\n")
        if whole or text.startswith("\n"):
            self.console.print(whole, markup=False, highlight=False, emoji=False, soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        pass  # a partial line waits for its end: printed alone it would be split


_display: ProgressDisplay | None = None


def shared_display() -> ProgressDisplay:
    """The display of this process, made by the first crawler that asks."""
    global _display  # one terminal, one display, however many crawlers
    if _display is None:
        _display = ProgressDisplay(Console(file=sys.stdout))
    return _display


def _same_terminal(one: IO[str], other: IO[str]) -> bool:
    """Both streams are the same terminal (stdout and stderr of a shell, as usual)."""
    try:
        return (
            one.isatty()
            and other.isatty()
            and os.path.samestat(os.fstat(one.fileno()), os.fstat(other.fileno()))
        )
    except (OSError, ValueError):  # no file descriptor: not a terminal of ours
        return False


class CrawlProgress:
    """The extension: registers its crawler's source with the process's display."""

    def __init__(self, crawler: Crawler, display: ProgressDisplay, line: SourceLine) -> None:
        self.crawler, self.display, self.line = crawler, display, line

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        if not crawler.settings.getbool(SETTING) or not sys.stdout.isatty():
            raise NotConfigured
        display = shared_display()
        source = getattr(crawler.spider, "source", None)
        name = getattr(source, "id", None) or getattr(crawler.spider, "name", "crawl")
        extension = cls(crawler, display, display.add(str(name)))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.display.opened(self.line, self.crawler.stats)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.display.closed(self.line, reason)
