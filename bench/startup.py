"""The start-up cost of a scheduled poll: from the moment the scheduler starts a run to the
feed request, and to the first article page request, arriving at the source.

    python bench/startup.py [--runs 10] [--delay 1.0]

A small news site is served on 127.0.0.1 by a thread of this process (robots.txt with
validators, an RSS feed, article pages); before every run it publishes one new article,
so every run reads the feed (200) and fetches exactly one page. Each run is started the
way `sokbo schedule` starts it: `sokbo.schedule.runner.run_source`, which opens the run's
row, starts `crawl_command` as a process of its own, waits for it and records the run.
The clock starts just before that call (the run's scheduled moment) and stops when a
request arrives at the server.

In the same run, in turn, so that all see the same machine:

- new process, robots.txt fetched: as every poll ran before issue 16. The crawl is a new
  Python process (`python -m sokbo.cli crawl`), and the robots.txt cache
  (<state_dir>/robots) is removed before the run, so the crawl asks for robots.txt first
  and its politeness delay (randomised between 0.5 and 1.5 times `--delay`) then holds
  the feed request back;
- new process, robots.txt cached: the copy the previous run kept is used without a
  request, so the feed is the first request and goes at once;
- warm fork, robots.txt cached: as `sokbo schedule` runs now. The crawl is forked from
  the scheduler's warm process (sokbo.crawl.zygote, through sokbo.crawl.runner), which
  has imported Scrapy, Twisted, SQLAlchemy and sokbo once.

The warm-up runs (one of each) are not counted; the first warms the zygote up. The
figures are the median and the 90th percentile of `--runs` runs of each.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import logging
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sokbo.config import load_config  # noqa: E402
from sokbo.crawl.robots_cache import CACHE_FOLDER  # noqa: E402
from sokbo.schedule import runner  # noqa: E402
from sokbo.schedule.crawls import Crawls  # noqa: E402

SOURCE = "wire"
ROBOTS = b"User-agent: *\nDisallow: /private/\n"
PARAGRAPH = (
    "정부는 오늘 오전 긴급 브리핑을 열고 수도권 광역교통 대책의 세부 일정을 발표했다. "
    "관계 부처는 다음 달부터 단계적으로 시행하며 시민 의견을 받아 보완하겠다고 밝혔다. "
)


@dataclass
class Arrival:
    path: str
    at: float  # time.monotonic() when the request line arrived


class Site:
    """The served news site: a robots.txt, an RSS feed of the newest articles, their pages."""

    def __init__(self) -> None:
        self.articles: list[tuple[int, str]] = []  # (number, RFC 822 date), newest last
        self.arrivals: list[Arrival] = []
        self.lock = threading.Lock()
        self.base = ""

    def publish(self) -> None:
        with self.lock:
            number = len(self.articles) + 1
            self.articles.append((number, email.utils.formatdate(usegmt=True)))

    def feed(self) -> bytes:
        items = "".join(
            f"<item><title>속보 {n}: 광역교통 대책 발표</title>"
            f"<link>{self.base}/a/{n}.html</link><guid>{self.base}/a/{n}.html</guid>"
            f"<pubDate>{date}</pubDate><description>속보 {n}</description></item>\n"
            for n, date in reversed(self.articles[-5:])
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>속보 통신</title><link>{self.base}/</link><description>속보</description>\n"
            f"{items}</channel></rss>\n"
        ).encode()

    def page(self, number: int) -> bytes:
        date = dict(self.articles)[number]
        published = email.utils.parsedate_to_datetime(date).isoformat()
        body = "".join(f"<p>{PARAGRAPH * 3}</p>\n" for _ in range(6))
        return (
            f'<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8">'
            f"<title>속보 {number}: 광역교통 대책 발표</title>"
            f'<meta property="article:published_time" content="{published}"></head>'
            f"<body><article><h1>속보 {number}: 광역교통 대책 발표</h1>\n{body}</article>"
            "</body></html>\n"
        ).encode()

    def answer(self, path: str) -> tuple[int, str, bytes]:
        if path == "/robots.txt":
            return 200, "text/plain", ROBOTS
        if path == "/feed.xml":
            return 200, "application/rss+xml", self.feed()
        if path.startswith("/a/") and path.endswith(".html"):
            number = path[3:-5]
            if number.isdigit() and int(number) <= len(self.articles):
                return 200, "text/html; charset=utf-8", self.page(int(number))
        return 404, "text/plain", b"not found\n"

    def since(self, moment: float) -> list[Arrival]:
        with self.lock:
            return [a for a in self.arrivals if a.at >= moment]


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            arrived = time.monotonic()
            with site.lock:
                site.arrivals.append(Arrival(self.path, arrived))
                status, kind, body = site.answer(self.path)
            etag = f'"{hashlib.sha1(body).hexdigest()}"'
            if status == 200 and self.headers.get("If-None-Match") == etag:
                status, body = 304, b""
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            if status in (200, 304):
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve(site: Site) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site.base
    finally:
        server.shutdown()
        server.server_close()


def write_config(folder: Path, base: str, delay: float) -> Path:
    config = folder / "sokbo.toml"
    config.write_text(
        f"""[crawl]
delay = {delay}
user_agent = "sokbo-bench/0.1 (+https://example.invalid/contact)"

[[source]]
id = "{SOURCE}"
kind = "feed"
start_urls = ["{base}/feed.xml"]

[[site]]
id = "out"
title = "out"
base_url = "https://out.example"
posts_dir = "sites/out/_posts"
feeds_dir = "sites/out/feeds"
brand = "out"
sources = ["{SOURCE}"]
""",
        encoding="utf-8",
    )
    return config


@dataclass
class Timing:
    first: float  # seconds from the run's start to its first request (of any kind)
    feed: float
    article: float
    run: float  # to the end of the run, recorded


@dataclass(frozen=True)
class Kind:
    """How a run starts: forked from the warm process or not, robots.txt cached or not."""

    name: str
    warm: bool
    robots_cached: bool


KINDS = (
    Kind("new process, robots.txt fetched", warm=False, robots_cached=False),
    Kind("new process, robots.txt cached", warm=False, robots_cached=True),
    Kind("warm fork, robots.txt cached", warm=True, robots_cached=True),
)


def timed_run(site: Site, config_path: Path, kind: Kind) -> Timing:
    """One scheduled run of the source, with a new article published just before it."""
    site.publish()
    config = load_config(config_path)
    if not kind.robots_cached:
        shutil.rmtree(config.crawl.state_dir / CACHE_FOLDER, ignore_errors=True)
    runner.WARM_START = kind.warm
    start = time.monotonic()
    result = runner.run_source(config, config_path, SOURCE, Crawls())
    ended = time.monotonic() - start
    if result is None or result.exit_status != 0:
        raise SystemExit(f"the run failed: {result}")
    arrivals = site.since(start)
    feed = next(a.at for a in arrivals if a.path == "/feed.xml")
    article = next(a.at for a in arrivals if a.path.startswith("/a/"))
    return Timing(arrivals[0].at - start, feed - start, article - start, ended)


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="counted runs of each kind")
    parser.add_argument("--delay", type=float, default=1.0, help="the config's [crawl] delay")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    work = Path(tempfile.mkdtemp(prefix="sokbo-bench-startup-"))
    site = Site()
    try:
        with serve(site) as base:
            config_path = write_config(work, base, args.delay)
            for kind in KINDS:  # warm-up: the store, the disk's cache, the zygote
                timed_run(site, config_path, kind)
            timings: dict[str, list[Timing]] = {kind.name: [] for kind in KINDS}
            for _ in range(args.runs):
                for kind in KINDS:
                    timings[kind.name].append(timed_run(site, config_path, kind))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"{args.runs} runs of each, delay {args.delay:g} s; seconds from the run's start, "
        "median / p90"
    )
    print(f"  {'':<32} {'1st request':>13} {'feed request':>13} {'1st article':>13} {'run':>13}")
    for name, runs in timings.items():
        cells = []
        for column in ("first", "feed", "article", "run"):
            values = [getattr(t, column) for t in runs]
            cells.append(f"{statistics.median(values):5.2f} / {_p90(values):5.2f}")
        print(f"  {name:<32} " + " ".join(f"{c:>13}" for c in cells))


if __name__ == "__main__":
    main()
