"""End-to-end latency of a bursty source: from the moment an article appears in the
source's feed to its post file in the site's posts folder and to its entry in the site's
feed files, with a real `sokbo schedule` polling (or pushed to), and the requests per
article the source receives (issue 16).

    python bench/latency.py [--minutes 9] [--push-minutes 3] [--seed 1]
                            [--modes adaptive,fixed,push] [--drain 330]
                            [--history-articles 3000] [--fixed-every N] [--keep]

Everything runs for real on 127.0.0.1: the source is a Tistory-like blog served by a
thread of this process (bench/_live_source.py: robots.txt, an RSS feed of its newest 20
articles, a page per article), publishing on a bursty timeline (a quiet 60-150 s, then
3-6 articles 10-45 s apart); `sokbo schedule` is a process of its own with its crawls, as
in production; a WebSub hub (tests/support/websub_hub.py) is another thread. Each mode is
its own run, in its own folder (config, SQLite store, state, site), on the same timeline:
the same seed gives the same articles at the same offsets from the run's start.

1. adaptive: the source with `schedule = "adaptive"`, `min_interval = "10s"`,
   `max_interval = "5m"` (the default jitter, which an adaptive job caps at a tenth of
   its interval).
2. fixed: `schedule = "every Ns"`, `jitter = "0s"`, N the run's length over the adaptive
   run's feed requests in it (the same number of polls), rounded to a second.
3. push: the adaptive source whose feed names the hub (`<atom:link rel="hub">`), with
   `[push]` enabled (host, port and callback_url on 127.0.0.1). The moment the source
   publishes an article it pings the hub (`hub.mode=publish`); the hub fetches the feed and
   delivers it to sokbo's callback, which runs the source. The polls go on as the safety
   net ([push] safety_interval once the hub delivers).

A source that has been followed for weeks has its arrivals in the store, and the adaptive
policy learns from them; a fresh store has none. So before each run the store is seeded,
through sokbo's Store API, with the 14 days of articles the same burst process gives
before the run (the same seed; about 1,900 a day). The policy reads the newest 3,000
arrivals of the 14 days at most (sokbo.schedule.adaptive.HISTORY), so by default only
those are stored (`--history-articles`, 0 for all 14 days, about 27,000: slower to seed,
the same history to the policy; before the posts indexes of issue 16 such a store made
each run spend minutes in Store.pending_posts and Store.post_delays, see
bench/store_queries.py). Each one is stored as first seen at its publication,
with its post on record (as a post file its owner deleted, so that no run catches it up)
and its fetch recorded (so that the feed's newest entries, which are these articles when
the run starts, are not fetched again). Their URLs (articles 1..H) are the source's
own; the run's articles follow (H+1...), so none collides. Then one `sokbo crawl` reads
the feed as the weeks of polling would have left things (robots.txt cached, the feed's
validators kept; with push, the hub found), and the scheduler starts. The run's clock
starts when the scheduler is started (push: once it has subscribed at the hub); the
history ends where the timeline puts it before the run's start plus the seconds the
seeding of its last hour and that crawl took (printed).

The source's server logs every request (robots, feed, page; sokbo's or the hub's). This
process watches the posts folder and the feed files (rss.xml, atom.xml, feed.json) every
0.1 s: a post counts from its file's mtime (written atomically: when it was written); a
feed entry, found by its source link (RSS `<source url>`, Atom `<link rel="via">`, JSON
`external_url`), counts from the mtime of the first version of each file that has it,
the latest of the three. After the run each entry's GUID is checked against the post's
URL (sokbo's post_url for the stored article) in all three feeds.

The run publishes for `--minutes` (push: `--push-minutes`); then the source goes quiet
and the run goes on until every article has its post and its feed entries, at most
`--drain` seconds; an article still missing then is counted and listed as never arrived.
Polls and requests per article count the requests of the run's length only (the drain's
are printed apart). The scheduler gets SIGTERM at the end and is waited for; this
process is the child subreaper of everything it starts, so that no crawl or warm process
outlives it, even after Ctrl-C or an error.

Goals (issue 16): the adaptive policy's median at most 0.6 of the fixed interval's with
the same number of polls, its p90 no worse; push: a median of at most 3 s from the
source's publication to the post and to the feed entry. A run is short: a few bursts,
a few dozen articles at most; read its medians as such.

A short run is one path through a few dozen articles, so the adaptive run is also
replayed in the simulation (bench/_window.py): whether each of its waits was the one the
policy chooses (bench/polling.py's Adaptive, asked when the run ended), and the spread
(10th, 50th, 90th percentile) of the latency to the feed request that lists an article
over 200 replays of the same window, each run's overhead drawn from this run's and each
wait's jitter drawn as the scheduler draws it, against the fixed interval at each phase.
A live ratio within that spread is the window's luck, not the live system's.

Where the time goes, per article (median and max): for polling, from its publication to
the first feed request that lists it (the poll's wait), from the run's start (the
scheduler's `run started` line, stamped as it is read) to the run's first request, then
to the page request (the politeness delay), the post file and the feed entry; for push,
from the ping to the hub's read of the feed, to the callback's `new content` line, to
the run's start, to its first request (the page, read from the pushed body), the post
and the feed entry, and apart, from the page request to the run's own read of the feed
(after which the crawl builds the feeds).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from types import FrameType
from typing import IO

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._live_source import (  # noqa: E402
    Hit,
    LiveSource,
    burst_timeline,
    image_url,
    make_post,
    ping_hub,
    serve,
)
from bench._window import Bounds, LiveRead, p90, waits_kept, window_spread  # noqa: E402
from sokbo.config import Config, SiteConfig, load_config  # noqa: E402
from sokbo.config_values import parse_interval  # noqa: E402
from sokbo.models import Article  # noqa: E402
from sokbo.publish.feeds.write import post_category_slugs  # noqa: E402
from sokbo.publish.post import post_filename, post_url  # noqa: E402
from sokbo.schedule.adaptive import HISTORY  # noqa: E402
from sokbo.store import Store  # noqa: E402
from tests.support.websub_hub import Hub, serve_hub  # noqa: E402

SOURCE = "tistory"
SITE = "out"
HISTORY_DAYS = 14
DAY = 86_400.0
RECENT = 3600.0  # the history's last hour is seeded against the clock after the rest
MODES = ("adaptive", "fixed", "push")
FEEDS = {"rss": "rss.xml", "atom": "atom.xml", "json": "feed.json"}
ATOM = "{http://www.w3.org/2005/Atom}"
USER_AGENT = "sokbo-bench/0.1 (+https://example.invalid/contact)"
PR_SET_CHILD_SUBREAPER = 36
SCAN = 0.1  # seconds between looks at the posts folder and the feeds


# -- processes -----------------------------------------------------------------------------


def become_subreaper() -> bool:
    """Linux: orphans of the processes this one starts become its children (not init's),
    so that none can outlive the benchmark unseen."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def children() -> dict[int, str]:
    """This process's child processes (pid -> state letter), read from /proc."""
    found = {}
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses.
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == me:
            found[int(entry.name)] = fields[0]
    return found


def end_leftovers(grace: float = 5.0) -> list[int]:
    """Reap this process's children that already exited; give the live ones `grace`
    seconds to exit by themselves, then SIGKILL them, each by its pid. The pids killed."""
    killed: list[int] = []
    deadline = time.monotonic() + grace
    while True:
        live = [pid for pid, state in children().items() if state != "Z"]
        for pid, state in children().items():
            if state == "Z":
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
        if not live:
            return killed
        if time.monotonic() > deadline:
            for pid in live:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
                killed.append(pid)
            return killed
        time.sleep(0.2)


class Scheduler:
    """`sokbo schedule` as a process of its own (its own session, so that a Ctrl-C here is
    not sent to it too), each line of its log stamped with time.time() as it comes."""

    def __init__(self, config: Path) -> None:
        self.lines: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._out = (config.parent / "scheduler.out").open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sokbo", "--config", str(config), "schedule"],
            cwd=config.parent,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        assert self.process.stdout is not None
        self._reader = threading.Thread(
            target=self._read, args=(self.process.stdout,), name="scheduler-log", daemon=True
        )
        self._reader.start()

    def _read(self, stream: IO[bytes]) -> None:
        for raw in stream:
            stamp = time.time()
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                self.lines.append((stamp, line))
            self._out.write(f"{stamp:.3f} {line}\n")
            self._out.flush()

    def matches(self, pattern: str, since: float = 0.0) -> list[tuple[float, re.Match[str]]]:
        compiled = re.compile(pattern)
        with self._lock:
            lines = list(self.lines)
        found = []
        for stamp, line in lines:
            if stamp >= since and (match := compiled.search(line)):
                found.append((stamp, match))
        return found

    def tail(self, count: int = 30) -> str:
        with self._lock:
            return "\n".join(line for _, line in self.lines[-count:])

    def alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"the scheduler exited ({self.process.returncode}):\n{self.tail()}")

    def wait_for(self, pattern: str, timeout: float) -> float:
        """The stamp of the first log line matching `pattern`, waiting for it."""
        deadline = time.monotonic() + timeout
        while not (found := self.matches(pattern)):
            self.alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"no {pattern!r} in the scheduler's log:\n{self.tail()}")
            time.sleep(0.1)
        return found[0][0]

    def stop(self, timeout: float = 90.0) -> int:
        """SIGTERM, then wait (SIGKILL to its process group after `timeout`); its status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._reader.join(timeout=10)
        self._out.close()
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> Scheduler:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.process.poll() is None:
                self.stop(timeout=30)
        finally:
            self.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# -- the site's output, watched ------------------------------------------------------------


@dataclass
class Seen:
    """When an article reached the site: its post and each feed's entry (time.time())."""

    post: float | None = None
    entries: dict[str, tuple[float, str]] = field(default_factory=dict)  # format -> (t, guid)

    @property
    def entry(self) -> float | None:
        """When the last of the feeds had its entry (None until all have)."""
        if len(self.entries) < len(FEEDS):
            return None
        return max(at for at, _ in self.entries.values())


SOURCE_URL = re.compile(r"^source_url:\s*['\"]?(.*?)['\"]?\s*$", re.MULTILINE)


def feed_entries(kind: str, data: bytes) -> list[tuple[str, str]]:
    """(source URL, GUID) of each entry of a feed written by sokbo."""
    found = []
    if kind == "json":
        for item in json.loads(data).get("items", []):
            found.append((str(item.get("external_url", "")), str(item.get("id", ""))))
        return found
    root = etree.fromstring(data)
    if kind == "rss":
        for item in root.iterfind("channel/item"):
            source = item.find("source")
            url = source.get("url", "") if source is not None else ""
            found.append((url, item.findtext("guid") or ""))
        return found
    for entry in root.iterfind(f"{ATOM}entry"):
        via = next(
            (
                link.get("href", "")
                for link in entry.iterfind(f"{ATOM}link")
                if link.get("rel") == "via"
            ),
            "",
        )
        found.append((via, entry.findtext(f"{ATOM}id") or ""))
    return found


class Watcher:
    """Looks at the posts folder and the feed files every SCAN seconds, in a thread."""

    def __init__(self, posts: Path, feeds: Path, urls: dict[str, int]) -> None:
        self.posts_dir, self.feeds_dir, self.urls = posts, feeds, urls
        self.seen: dict[int, Seen] = {number: Seen() for number in urls.values()}
        self._names: set[str] = set()
        self._versions: dict[str, tuple[int, int, int]] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._run, name="watcher", daemon=True)

    def start(self) -> None:
        self._scan_posts(initial=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._scan()  # what came in the last moments

    def complete(self) -> bool:
        with self._lock:
            return all(s.post is not None and s.entry is not None for s in self.seen.values())

    def arrived(self) -> tuple[int, int]:
        with self._lock:
            posts = sum(s.post is not None for s in self.seen.values())
            entries = sum(s.entry is not None for s in self.seen.values())
        return posts, entries

    def _run(self) -> None:
        while not self._stop.wait(SCAN):
            self._scan()

    def _scan(self) -> None:
        try:
            self._scan_posts()
            self._scan_feeds()
        except Exception as exc:  # reported, and the next look tries again
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def _scan_posts(self, initial: bool = False) -> None:
        if not self.posts_dir.is_dir():
            return
        with os.scandir(self.posts_dir) as entries:
            for entry in entries:
                if entry.name in self._names or not entry.name.endswith(".md"):
                    continue
                try:
                    stat = entry.stat()
                    head = Path(entry.path).read_text("utf-8")[:4000]
                except OSError:
                    continue  # replaced meanwhile: the next look
                self._names.add(entry.name)
                match = SOURCE_URL.search(head)
                number = self.urls.get(match.group(1)) if match else None
                if number is not None and not initial:
                    with self._lock:
                        if self.seen[number].post is None:
                            self.seen[number].post = stat.st_mtime

    def _scan_feeds(self) -> None:
        for kind, name in FEEDS.items():
            path = self.feeds_dir / name
            try:
                stat = path.stat()
                version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
                if self._versions.get(kind) == version:
                    continue
                data = path.read_bytes()
                if os.stat(path).st_ino != stat.st_ino:
                    continue  # replaced while read: the next look
                found = feed_entries(kind, data)
            except (OSError, ValueError, etree.XMLSyntaxError):
                continue
            self._versions[kind] = version
            with self._lock:
                for url, guid in found:
                    number = self.urls.get(url)
                    if number is not None and kind not in self.seen[number].entries:
                        self.seen[number].entries[kind] = (stat.st_mtime, guid)


# -- a mode's run ------------------------------------------------------------------------


@dataclass
class Run:
    """What one mode's run gave."""

    mode: str
    minutes: float
    t0: float
    end: float  # publishing stopped
    stopped: float  # the scheduler was told to stop
    every: int | None
    live: dict[int, float]  # article number -> published (time.time())
    history: list[float]  # the seeded articles' publication (time.time())
    stored: list[float]  # the arrivals the store held after the run (to the second)
    bounds: Bounds  # the source's min_interval, max_interval and jitter
    urls: dict[int, str]
    seen: dict[int, Seen]
    hits: list[Hit]
    log: list[tuple[float, str]]
    pings: list[float]
    exit_status: int
    notes: list[str]
    guid_problems: list[str]
    watch_errors: list[str]


def write_config(folder: Path, base: str, schedule: str, push_port: int | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    push = (
        f'\n[push]\nenabled = true\nhost = "127.0.0.1"\nport = {push_port}\n'
        f'callback_url = "http://127.0.0.1:{push_port}/websub"\n'
        if push_port
        else ""
    )
    path = folder / "sokbo.toml"
    path.write_text(
        f"""[store]
url = "sqlite:///{folder / "data" / "sokbo.db"}"

[crawl]
state_dir = "data"
user_agent = "{USER_AGENT}"

[schedule]
stop_grace = "20s"
kill_grace = "10s"

[[source]]
id = "{SOURCE}"
kind = "feed"
start_urls = ["{base}/rss"]
preset = "tistory"
{schedule}

[[site]]
id = "{SITE}"
title = "out"
base_url = "https://out.example"
posts_dir = "sites/out/_posts"
feeds_dir = "sites/out/feeds"
brand = "out"
sources = ["{SOURCE}"]
# Every article of this source is its own story; `all` rules out that two generated
# articles are ever shown as one post (a bench artefact, not a latency).
stories = "all"
{push}""",
        encoding="utf-8",
    )
    return path


def seed_store(
    config: Config, source: LiveSource, history: Sequence[float], keep: int
) -> tuple[list[float], int]:
    """The history's articles (the newest `keep`; 0: all) in the store, each first seen at
    its publication and posted (on record; no file). Their times are placed against the
    clock as it is when they are stored, the last hour's after the rest. The publication
    times (time.time()) of the whole history, oldest first, and how many were stored."""
    (site,) = config.site
    store = Store.open(config.store)
    times: list[float] = []
    skipped = max(0, len(history) - keep) if keep else 0
    recent = max(bisect_left(history, -RECENT), skipped)
    try:
        anchor = time.time()
        for number, offset in enumerate(history, start=1):
            if number - 1 == recent:
                anchor = time.time()  # the last hour: against the clock as it is now
            times.append(anchor + offset)
            if number > skipped:
                _seed_one(store, site, source, number, datetime.fromtimestamp(times[-1], UTC))
    finally:
        store.close()
    return times, len(history) - skipped


def _seed_one(
    store: Store, site: SiteConfig, source: LiveSource, number: int, when: datetime
) -> None:
    post = make_post(source.seed, number)
    url = source.url(number)
    article = Article(
        url=url,
        source_id=SOURCE,
        title=post.title,
        excerpt=post.excerpt,
        body_html=f"<p>{post.excerpt}</p>",
        published=when.replace(microsecond=0),
        image=image_url(number),
        categories=("뉴스",),
        language="ko",
        evidence=(
            ("body", "preset:tistory .tt_article_useless_p_margin"),
            ("image", "og:image"),
            ("published", "meta:article:published_time"),
            ("title", "preset:tistory .area_title h1"),
        ),
        fetched_url=url,
    )
    stored = store.upsert(article, when)
    slugs = post_category_slugs(stored, site)
    store.record_post(site.id, stored, post_filename(stored, site), slugs, False, when)


def initial_crawl(config_path: Path) -> tuple[int, float, str]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "sokbo", "--config", str(config_path), "crawl", SOURCE],
        cwd=config_path.parent,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        start_new_session=True,
    )
    return done.returncode, time.monotonic() - started, (done.stdout + done.stderr).strip()


def stored_arrivals(config: Config, since: float) -> list[float]:
    """The source's arrival times (time.time()) as the store holds them: what the adaptive
    policy read (the feed dates its articles to the second)."""
    store = Store(config.store.url, create=False)
    try:
        found = store.article_arrivals(SOURCE, datetime.fromtimestamp(since, UTC))
    finally:
        store.close()
    return [moment.timestamp() for moment in found]


def check_guids(config: Config, urls: dict[int, str], seen: dict[int, Seen]) -> list[str]:
    """Each feed entry's GUID against the post's URL of the stored article: the problems,
    the last line the count checked."""
    (site,) = config.site
    problems = []
    checked = 0
    store = Store(config.store.url, create=False)
    try:
        for number, what in seen.items():
            if not what.entries:
                continue
            stored = store.get_by_url(urls[number])
            if stored is None:
                problems.append(f"article {number}: in the feeds, not in the store")
                continue
            expected = post_url(stored, site)
            for kind, (_, guid) in sorted(what.entries.items()):
                checked += 1
                if guid != expected:
                    problems.append(f"article {number}: {kind} GUID {guid} is not {expected}")
    finally:
        store.close()
    return [*problems, f"{checked} feed entries checked against their posts' URLs"]


def run_mode(
    mode: str, args: argparse.Namespace, work: Path, every: int | None, say: Callable[[str], None]
) -> Run:
    minutes = args.push_minutes if mode == "push" else args.minutes
    duration = minutes * 60.0
    folder = work / mode
    history = burst_timeline(args.seed, -HISTORY_DAYS * DAY, 0.0)
    live_offsets = burst_timeline(args.seed, -HISTORY_DAYS * DAY, duration)[len(history) :]
    notes: list[str] = []
    source = LiveSource(args.seed)
    with contextlib.ExitStack() as stack:
        stack.enter_context(serve(source))
        hub: Hub | None = None
        push_port = None
        if mode == "push":
            hub = stack.enter_context(serve_hub())
            source.hub = hub.url
            push_port = free_port()
        if mode == "fixed":
            assert every is not None
            schedule = f'schedule = "every {every}s"\njitter = "0s"'
        else:
            schedule = 'schedule = "adaptive"\nmin_interval = "10s"\nmax_interval = "5m"'
        config_path = write_config(folder, source.base, schedule, push_port)
        config = load_config(config_path)
        source_config = config.source[0]

        started = time.monotonic()
        times, in_store = seed_store(config, source, history, args.history_articles)
        source.place(times)
        seeded = time.monotonic() - started
        status, took, output = initial_crawl(config_path)
        if status != 0:
            raise RuntimeError(f"the first crawl exited {status}:\n{output}")
        notes.append(
            f"history: {len(history)} articles in {HISTORY_DAYS} days "
            f"({len(history) / HISTORY_DAYS:.0f} a day), the newest {in_store} stored in "
            f"{seeded:.0f} s; the first crawl took {took:.1f} s"
        )

        first = len(history) + 1
        with Scheduler(config_path) as scheduler:
            if mode == "push":
                scheduler.wait_for(rf"push: {SOURCE}: subscribed to ", timeout=90)
            t0 = time.time()
            live = {first + i: t0 + offset for i, offset in enumerate(live_offsets)}
            source.place(times + list(live.values()))
            urls = {number: source.url(number) for number in live}
            notes.append(
                f"the history's newest article came {t0 - times[-1]:.0f} s before the run "
                f"(the timeline: {-history[-1]:.0f} s); the run's first {live_offsets[0]:.0f} s "
                "after its start"
                if live_offsets
                else "no article in the run"
            )
            stop_pinging = threading.Event()
            pings = ping_hub(source, hub.url, first, stop_pinging) if hub else []
            watcher = Watcher(
                folder / "sites/out/_posts",
                folder / "sites/out/feeds",
                {url: number for number, url in urls.items()},
            )
            watcher.start()
            end = t0 + duration
            next_say = t0 + 60
            try:
                while (now := time.time()) < end:
                    scheduler.alive()
                    if now >= next_say:
                        posts, entries = watcher.arrived()
                        published = source.public(now) - len(history)
                        say(
                            f"  {mode}: {(now - t0) / 60:.0f} of {minutes:g} min: {published} "
                            f"published, {posts} posts, {entries} feed entries"
                        )
                        next_say += 60
                    time.sleep(min(0.5, max(0.0, end - now)))
                drain_until = end + args.drain
                while time.time() < drain_until and not watcher.complete():
                    scheduler.alive()
                    time.sleep(0.5)
            finally:
                stop_pinging.set()
                stopped = time.time()
                exit_status = scheduler.stop()
                watcher.stop()
            lines = list(scheduler.lines)
        with source.lock:
            hits = list(source.requests)
    guid_problems = check_guids(config, urls, watcher.seen)
    arrivals = stored_arrivals(config, times[0])
    return Run(
        mode,
        minutes,
        t0,
        end,
        stopped,
        every,
        live,
        times,
        arrivals,
        Bounds(
            source_config.min_interval.total_seconds(),
            source_config.max_interval.total_seconds(),
            source_config.jitter.total_seconds(),
        ),
        urls,
        watcher.seen,
        hits,
        lines,
        list(pings),
        exit_status,
        notes,
        guid_problems,
        watcher.errors,
    )


# -- the report ------------------------------------------------------------------------


def secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def in_run(run: Run, hit: Hit) -> bool:
    return run.t0 <= hit.at < run.end


def polls(run: Run) -> list[Hit]:
    return [h for h in run.hits if in_run(run, h) and h.kind == "feed" and h.agent == "sokbo"]


def equal_cost_every(run: Run) -> int:
    """The fixed interval (whole seconds) with as many polls as `run` made."""
    return max(1, round(run.minutes * 60 / max(1, len(polls(run)))))


def waits(run: Run) -> tuple[list[float], list[float]]:
    post = [s.post - run.live[n] for n, s in run.seen.items() if s.post is not None]
    entry = [s.entry - run.live[n] for n, s in run.seen.items() if s.entry is not None]
    return post, entry


def row(run: Run) -> tuple[str, dict[str, float]]:
    post, entry = waits(run)
    missing = sum(s.post is None or s.entry is None for s in run.seen.values())
    articles = str(len(run.live)) + (f" ({missing} never arrived)" if missing else "")
    requests = sum(in_run(run, h) for h in run.hits)
    per_article = requests / len(run.live) if run.live else float("nan")
    figures = {
        "post median": statistics.median(post) if post else float("nan"),
        "post p90": p90(post) if post else float("nan"),
        "entry median": statistics.median(entry) if entry else float("nan"),
        "entry p90": p90(entry) if entry else float("nan"),
    }
    cells = [
        f"{run.mode} (every {run.every}s)" if run.mode == "fixed" else run.mode,
        articles,
        str(len(polls(run))),
        f"{per_article:.2f}",
        secs(statistics.median(post) if post else None),
        secs(p90(post) if post else None),
        secs(max(post) if post else None),
        secs(statistics.median(entry) if entry else None),
        secs(p90(entry) if entry else None),
    ]
    return "| " + " | ".join(cells) + " |", figures


def first(values: Iterator[float]) -> float | None:
    return next(values, None)


def stages(run: Run) -> list[tuple[str, list[float]]]:
    """Per article, the time spent at each step from its publication to its feed entry,
    read from the source's request log, the hub's pings and the scheduler's log. The run
    of an article is the one that asked for its page (the newest started before)."""
    started = [at for at, line in run.log if re.search(rf"{SOURCE}: run started \(pid", line)]
    notified = [at for at, line in run.log if re.search(rf"push: {SOURCE}: new content", line)]
    ours = sorted((h for h in run.hits if h.agent == "sokbo"), key=lambda h: h.at)
    hub_reads = [h for h in run.hits if h.agent == "hub" and h.kind == "feed" and h.status == 200]
    found: dict[str, list[float]] = {}
    for number, published in run.live.items():
        seen = run.seen[number]
        feed = first(
            h.at
            for h in ours
            if h.kind == "feed" and h.status == 200 and h.number >= number and h.at >= published
        )
        page = first(h.at for h in ours if h.kind == "page" and h.number == number)
        run_start = max((at for at in started if page is not None and at <= page), default=None)
        opened = first(h.at for h in ours if run_start is not None and h.at >= run_start)
        steps: list[tuple[str, float | None, float | None]]
        if run.mode == "push":
            hub = first(h.at for h in hub_reads if h.number >= number and h.at >= published)
            told = first(at for at in notified if hub is not None and at >= hub)
            pushed_run = run_start if run_start and told and run_start >= told else None
            reread = first(h.at for h in ours if h.kind == "feed" and page and h.at >= page)
            steps = [
                ("ping -> the hub reads the feed", published, hub),
                ("hub read -> the callback logs it", hub, told),
                ("callback -> run started", told, pushed_run),
                ("run started -> its first request", run_start, opened),
                ("page request -> post written", page, seen.post),
                ("post written -> feed entry", seen.post, seen.entry),
                ("(page request -> the run's feed request)", page, reread),
            ]
        else:
            steps = [
                ("published -> a feed request lists it", published, feed),
                ("run started -> its first request", run_start, opened),
                ("feed request -> page request", feed, page),
                ("page request -> post written", page, seen.post),
                ("post written -> feed entry", seen.post, seen.entry),
            ]
        for name, begin, done in steps:
            values = found.setdefault(name, [])
            if begin is not None and done is not None:
                values.append(done - begin)
    return list(found.items())


LISTED = "published -> a feed request lists it"


def stage(run: Run, name: str) -> list[float]:
    return dict(stages(run)).get(name, [])


def window(run: Run, every: int) -> list[str]:
    """A polling run's window in the simulation (bench/_window.py): whether each wait
    was the policy's, and the spread the policy and the fixed interval get on these
    articles, against this run's own figures."""
    ended = [at for at, line in run.log if re.search(rf"{SOURCE}: run ended in ", line)]
    changed = [
        (at, found[1])
        for at, line in run.log
        if (found := re.search(rf"{SOURCE}: adaptive interval \S+ -> (\S+)", line))
    ]
    reads: list[LiveRead] = []
    newest = min(run.live, default=1) - 1  # the history's newest article
    chosen = math.nan  # the interval in force: unknown until the scheduler says one
    hits = polls(run)
    for hit, after in zip(hits, [*hits[1:], None], strict=True):
        decided = first(at for at in ended if at >= hit.at)
        if decided is None:
            break
        until = math.inf if after is None else after.at
        change = next(((at, text) for at, text in changed if decided <= at < until), None)
        if change is not None:
            decided, chosen = change[0], (parse_interval(change[1]) or timedelta()).total_seconds()
        reads.append(LiveRead(hit.at, decided, chosen, hit.number > newest))
        newest = max(newest, hit.number)
    steps = dict(stages(run))
    listed = steps.get(LISTED, [])
    if len(reads) < 2 or len(listed) < 2:
        return []
    published = sorted(run.history + list(run.live.values()))
    kept = waits_kept(run.stored, reads, run.bounds)
    starts = steps["run started -> its first request"]
    spread = window_spread(
        published, run.stored, reads, run.t0, run.end, run.bounds, every, statistics.median(starts)
    )
    return [
        f"  this window in the simulation ({LISTED}; p10 / p50 / p90 over 200 replays of the "
        f"policy with this run's overheads and jitter, and over each phase of every {every} s):",
        f"    of {kept.waits} waits the scheduler chose, {kept.chosen} were the policy's "
        f"(within 1 s); after {kept.waited} the next poll came when due (plus the jitter)",
        f"    policy: median {spread['policy median'].show()} s (this run: "
        f"{statistics.median(listed):.1f} s), p90 {spread['policy p90'].show()} s (this run: "
        f"{p90(listed):.1f} s)",
        f"    fixed every {every} s: median {spread['fixed median'].show()} s, "
        f"p90 {spread['fixed p90'].show()} s",
        f"    policy / fixed: median x{spread['median x'].show(2)}, p90 x{spread['p90 x'].show(2)}",
    ]


def details(run: Run) -> list[str]:
    lines = [
        f"{run.mode}: {run.minutes:g} min published, then quiet until all arrived "
        f"({run.stopped - run.end:.0f} s more); scheduler exit {run.exit_status}"
    ]
    lines += [f"  {note}" for note in run.notes]
    for label, chosen in (
        ("in the run", lambda h: in_run(run, h)),
        ("after it (drain)", lambda h: run.end <= h.at <= run.stopped + 60),
        ("before it (setup)", lambda h: h.at < run.t0),
    ):
        hits = [h for h in run.hits if chosen(h)]
        feed = [h for h in hits if h.kind == "feed" and h.agent == "sokbo"]
        parts = [
            f"feed {len(feed)} ({sum(h.status == 304 for h in feed)} answered 304)",
            f"page {sum(h.kind == 'page' for h in hits)}",
            f"robots {sum(h.kind == 'robots' for h in hits)}",
        ]
        if run.mode == "push":
            parts.append(f"hub's feed fetches {sum(h.agent == 'hub' for h in hits)}")
        parts.append(f"other {sum(h.kind == 'other' for h in hits)}")
        lines.append(f"  requests {label}: " + ", ".join(parts))
    moments = [h.at for h in polls(run)]
    gaps = [b - a for a, b in pairwise(moments)]
    if gaps:
        lines.append(
            f"  feed requests {len(moments)} in {run.minutes:g} min, apart: min {min(gaps):.1f} s, "
            f"median {statistics.median(gaps):.1f} s, max {max(gaps):.1f} s"
        )
        lines.append(
            "  feed requests at (s into the run): "
            + " ".join(f"{at - run.t0:.1f}" for at in moments)
        )
    runs = [at for at, line in run.log if re.search(rf"{SOURCE}: run started \(pid", line)]
    pushed = [at for at, line in run.log if re.search(rf"{SOURCE}: pushed; running it now", line)]
    again = [at for at, line in run.log if re.search(rf"{SOURCE}: pushed during a run", line)]
    lines.append(
        f"  runs started in the run: {sum(run.t0 <= at < run.end for at in runs)}"
        + (
            f" ({len(pushed)} on a push, {len(again)} pushes during a run)"
            if run.mode == "push"
            else ""
        )
    )
    if run.mode == "push":
        lines.append(f"  hub pings: {len(run.pings)} of {len(run.live)} articles")
    lines.append("  where the time goes (median / max over the articles, seconds):")
    for name, values in stages(run):
        if values:
            lines.append(
                f"    {name:<46} {statistics.median(values):6.2f} / {max(values):6.2f}"
                f"  ({len(values)})"
            )
    for number, seen in sorted(run.seen.items()):
        if seen.post is None or seen.entry is None:
            missing = [
                what
                for what, gone in (("post", seen.post is None), ("feed entry", seen.entry is None))
                if gone
            ]
            missing += [f"{k} entry" for k in FEEDS if seen.post and k not in seen.entries]
            lines.append(
                f"  NEVER ARRIVED: article {number} ({run.urls[number]}), published "
                f"{run.live[number] - run.t0:.0f} s into the run: no {', no '.join(missing)}"
            )
    lines += [f"  GUIDs: {problem}" for problem in run.guid_problems]
    lines += [f"  watcher: {error}" for error in sorted(set(run.watch_errors))]
    warnings = [line for _, line in run.log if " WARNING " in line or " ERROR " in line]
    if warnings:
        lines.append(f"  scheduler log: {len(warnings)} WARNING/ERROR lines, e.g. {warnings[0]}")
    if any("Traceback" in line for _, line in run.log):
        lines.append("  scheduler log: has a Traceback")
    return lines


def report(runs: Sequence[Run], seed: int) -> None:
    print(f"\nseed {seed}; latency from the article's publication in the source's feed")
    print(
        "| mode | articles | polls | requests/article | post median | post p90 | post max "
        "| feed-entry median | feed-entry p90 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    figures = {}
    for run in runs:
        line, figures[run.mode] = row(run)
        print(line)
    print()
    if "adaptive" in figures and "fixed" in figures:
        ours, theirs = figures["adaptive"], figures["fixed"]
        for what, name in (("post", "post"), ("entry", "feed entry")):
            median = ours[f"{what} median"] / theirs[f"{what} median"]
            tail = ours[f"{what} p90"] / theirs[f"{what} p90"]
            print(
                f"adaptive/fixed, {name}: median x{median:.2f} "
                f"(goal <= 0.6: {'met' if median <= 0.6 else 'MISSED'}), "
                f"p90 x{tail:.2f} (goal <= 1: {'met' if tail <= 1.0 else 'MISSED'})"
            )
        policy, fixed = (stage(run, LISTED) for run in runs if run.mode in ("adaptive", "fixed"))
        print(
            f"adaptive/fixed, {LISTED}: "
            f"median x{statistics.median(policy) / statistics.median(fixed):.2f}, "
            f"p90 x{p90(policy) / p90(fixed):.2f}"
        )
    if "push" in figures:
        push = figures["push"]
        for what, name in (("post", "post"), ("entry", "feed entry")):
            median = push[f"{what} median"]
            print(
                f"push, {name}: median {median:.1f} s (goal <= 3 s: "
                f"{'met' if median <= 3.0 else 'MISSED'})"
            )
    for run in runs:
        print()
        print("\n".join(details(run)))
        if run.mode == "adaptive":
            print("\n".join(window(run, equal_cost_every(run))))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=9, help="publishing, polling modes")
    parser.add_argument("--push-minutes", type=float, default=3, help="publishing, push mode")
    parser.add_argument("--seed", type=int, default=1, help="of the publishing timeline")
    parser.add_argument("--modes", default=",".join(MODES), help="of adaptive,fixed,push")
    parser.add_argument(
        "--drain", type=float, default=330, help="seconds, at most, for the last articles"
    )
    parser.add_argument(
        "--fixed-every", type=int, help="the fixed interval (s), when adaptive does not run"
    )
    parser.add_argument(
        "--history-articles",
        type=int,
        default=HISTORY,
        help="the newest this many of the 14 days' articles are stored (0: all); the "
        f"default, {HISTORY}, is what the adaptive policy reads",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(MODES)
    if unknown or not modes:
        parser.error(f"--modes: of {', '.join(MODES)}")
    if "fixed" in modes and "adaptive" not in modes and not args.fixed_every:
        parser.error("fixed needs the adaptive run's polls, or --fixed-every")
    modes = [m for m in MODES if m in modes]  # adaptive before fixed

    def on_term(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    # SIGINT too: a shell starts a background job with SIGINT ignored, which Python keeps.
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    if not become_subreaper():
        print("warning: not a child subreaper; leftovers of the scheduler may go unseen")
    work = Path(tempfile.mkdtemp(prefix="sokbo-bench-latency-"))
    started = time.monotonic()
    runs: list[Run] = []
    every = args.fixed_every

    def say(text: str) -> None:
        print(text, flush=True)

    try:
        for mode in modes:
            minutes = args.push_minutes if mode == "push" else args.minutes
            say(f"{mode}: seeding the store, a first crawl, then {minutes:g} min ...")
            run = run_mode(mode, args, work, every, say)
            runs.append(run)
            if mode == "adaptive" and not args.fixed_every:
                every = equal_cost_every(run)
            leftovers = end_leftovers()
            if leftovers:
                run.notes.append(f"processes left after the scheduler exited, killed: {leftovers}")
    except KeyboardInterrupt:
        print("\ninterrupted; the runs done so far:", file=sys.stderr)
    finally:
        leftovers = end_leftovers()
        if leftovers:
            print(f"killed leftover processes: {leftovers}", file=sys.stderr)
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if runs:
        report(runs, args.seed)
    print(f"\nwall time {(time.monotonic() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
