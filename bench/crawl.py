"""Crawl throughput: sokbo's whole pipeline against bare Scrapy on the same served site.

    python bench/crawl.py [--pages 2000] [--concurrency 8] [--repeat 2] [--scale 20000]
                          [--resume]

A generated site of Tistory-like article pages (about 56 KB each, the demo blog's pages
with a per-page headline, date and paragraph and a long sidebar) is served on 127.0.0.1 by
a separate process (Python's http.server), with a robots.txt naming its sitemap. In the
same run, alternating:

- bare Scrapy: a `scrapy.spiders.SitemapSpider` that fetches every page and does nothing
  with it, at the same concurrency, robots.txt obeyed, no delay, no autothrottle;
- sokbo: `sokbo crawl` of one sitemap source (the tistory preset) feeding one destination
  site, on a fresh SQLite store: fetch, decode, extract, clean, store, write the posts and
  the feeds.

Each crawl is its own process, timed from its start to its exit (start-up included); the
best of `--repeat` runs counts. Peak memory is the most the crawl's process tree (its
extraction workers included) held resident at once, sampled every 0.1 s. `--scale N`
crawls a site of N pages with both once more, to show how sokbo's memory grows with the
site against bare Scrapy's. By default both keep their queue of requests in memory
(sokbo's `resume = false`), so both grow with the site; `--resume` puts it on disk for
both (sokbo's default, `resume = true`; Scrapy's `JOBDIR`). The posts sokbo wrote are
counted: a run that wrote fewer than every page is reported as a failure, not a speed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "sokbo" / "demo" / "site").glob("[0-9].html"))
PAGE_SIZE = 56_000
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _sidebar(number: int, size: int) -> str:
    """Links to other posts, as a blog's sidebar and footer lists hold them."""
    items, length, other = [], 0, number
    while length < size:
        other = (other * 7919 + 17) % 100_000
        item = f'<li><a href="/entry/{other}.html">지난 소식 {other}: 도심 발표</a></li>\n'
        items.append(item)
        length += len(item.encode())
    return '<aside class="sidebar"><ul>\n' + "".join(items) + "</ul></aside>\n"


def article_page(template: tuple[str, str], number: int, base: str) -> str:
    """Page `number`: a template (its name, its text) with the page's own address,
    headline, date and lead paragraph, padded to PAGE_SIZE."""
    name, page = template
    published = (EPOCH + timedelta(minutes=number)).strftime("%Y-%m-%dT%H:%M:%S+09:00")
    title = f"속보 {number}호: 도심 발표 소식"
    own = re.search(r'property="article:published_time" content="([^"]*)', page)
    assert own, name
    page = page.replace(own.group(1), published)
    page = page.replace(f'__BASE__/{name}"', f'{base}/entry/{number}.html"')
    page = page.replace("__BASE__", base)
    page = re.sub(r"<title>.*?</title>", f"<title>{title} :: 속보 데모 블로그</title>", page)
    page = re.sub(r'(property="og:title" content=")[^"]*', rf"\g<1>{title}", page)
    # The headline the tistory preset reads: the templates' own would give 2,000 pages
    # five titles, and every later article a slug taken by an earlier one.
    page, headlines = re.subn(r'(<h1 class="tit_post">)[^<]*', rf"\g<1>{title}", page)
    assert headlines == 1, name
    lead = f'<p data-ke-size="size16">{number}번째 소식입니다. 관계자는 추가 발표를 예고했다.</p>'
    page = page.replace('contents_style">', f'contents_style">{lead}', 1)
    missing = PAGE_SIZE - len(page.encode())
    if missing > 0:
        page = page.replace("</body>", _sidebar(number, missing) + "</body>", 1)
    return page


def write_site(root: Path, count: int, base: str) -> None:
    templates = [(path.stem, path.read_text(encoding="utf-8")) for path in TEMPLATES]
    (root / "entry").mkdir(parents=True)
    urls = []
    for number in range(count):
        page = article_page(templates[number % len(templates)], number, base)
        (root / "entry" / f"{number}.html").write_text(page, encoding="utf-8")
        lastmod = (EPOCH + timedelta(minutes=number)).strftime("%Y-%m-%dT%H:%M:%SZ")
        urls.append(f"<url><loc>{base}/entry/{number}.html</loc><lastmod>{lastmod}</lastmod></url>")
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(urls)
        + "\n</urlset>\n",
        encoding="utf-8",
    )
    (root / "robots.txt").write_text(f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n")


def sokbo_config(folder: Path, base: str, concurrency: int, resume: bool = False) -> Path:
    config = folder / "sokbo.toml"
    config.write_text(
        f"""[store]
url = "sqlite:///{folder}/sokbo.db"

[crawl]
delay = 0.0
autothrottle = false
concurrent_per_domain = {concurrency}
state_dir = "{folder}/state"
resume = {str(resume).lower()}

[[source]]
id = "bench"
kind = "sitemap"
start_urls = ["{base}/sitemap.xml"]
preset = "tistory"
{site_table(folder, ["bench"])}""",
        encoding="utf-8",
    )
    return config


def site_table(folder: Path, sources: list[str]) -> str:
    """The one destination site of a bench crawl, publishing `sources` under `folder`."""
    names = ", ".join(f'"{name}"' for name in sources)
    return f"""
[[site]]
id = "blog"
title = "bench"
base_url = "https://blog.example"
posts_dir = "{folder}/site/_posts"
feeds_dir = "{folder}/site/feeds"
brand = "bench"
footer = 'bench'
sources = [{names}]
"""


BARE_SPIDER = """
import sys
from scrapy.crawler import CrawlerProcess
from scrapy.spiders import SitemapSpider

class Bare(SitemapSpider):
    name = "bare"
    sitemap_urls = [sys.argv[1]]

    def parse(self, response):
        self.crawler.stats.inc_value("bench/pages")

process = CrawlerProcess({
    "ROBOTSTXT_OBEY": True,
    "DOWNLOAD_DELAY": 0.0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": int(sys.argv[2]),
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    "JOBDIR": sys.argv[3] if len(sys.argv) > 3 else None,
})
crawler = process.create_crawler(Bare)
process.crawl(crawler)
process.start()
print("pages", crawler.stats.get_value("bench/pages", 0))
"""


@dataclass
class Result:
    seconds: float
    peak_mb: float
    pages: int

    @property
    def rate(self) -> float:
        return self.pages / self.seconds


def _tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and all its descendants (its extraction workers), from
    /proc; 0 once it is gone."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending += [int(child) for child in children.read().split()]
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def _timed(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run `command`; its wall seconds, the peak resident MB of its process tree (sampled
    every 0.1 s, workers included) and its output."""
    out = cwd / "out.txt"
    peak = 0
    with out.open("w") as sink:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT)
        while child.poll() is None:
            peak = max(peak, _tree_rss(child.pid))
            time.sleep(0.1)
        seconds = time.perf_counter() - start
    text = out.read_text(errors="replace")
    if child.returncode != 0:
        sys.exit(f"{command[0]} exited {child.returncode}:\n{text[-3000:]}")
    return seconds, peak / 2**20, text


def run_bare(folder: Path, base: str, concurrency: int, resume: bool) -> Result:
    folder.mkdir(parents=True)
    script = folder / "bare.py"
    script.write_text(BARE_SPIDER)
    command = [sys.executable, str(script), f"{base}/sitemap.xml", str(concurrency)]
    seconds, peak, text = _timed(command + ([str(folder / "job")] if resume else []), folder)
    match = re.search(r"^pages (\d+)$", text, re.M)
    return Result(seconds, peak, int(match.group(1)) if match else 0)


def run_sokbo(folder: Path, base: str, concurrency: int, resume: bool) -> Result:
    folder.mkdir(parents=True)
    config = sokbo_config(folder, base, concurrency, resume)
    sokbo = Path(sys.executable).with_name("sokbo")
    seconds, peak, _ = _timed([str(sokbo), "--config", str(config), "crawl", "bench"], folder)
    posts = sum(1 for _ in (folder / "site" / "_posts").glob("*.md"))
    return Result(seconds, peak, posts)


class Server:
    """A site of `count` pages served by http.server in its own process."""

    def __init__(self, folder: Path, count: int) -> None:
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.count = count
        write_site(folder, count, self.base)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the site server did not start")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait()


def _check(result: Result, count: int, who: str) -> None:
    if result.pages < count:
        sys.exit(f"{who} got {result.pages} of {count} pages: not a valid run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8, help="requests per domain")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best counts")
    parser.add_argument("--scale", type=int, help="also crawl a site of this many pages")
    parser.add_argument(
        "--resume", action="store_true", help="both keep their request queue on disk"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sokbo-bench-crawl-"))
    try:
        server = Server(work / "site", args.pages)
        try:
            bare: list[Result] = []
            whole: list[Result] = []
            crawl = (server.base, args.concurrency, args.resume)
            for attempt in range(args.repeat):
                bare.append(run_bare(work / f"bare{attempt}", *crawl))
                _check(bare[-1], args.pages, "bare Scrapy")
                whole.append(run_sokbo(work / f"sokbo{attempt}", *crawl))
                _check(whole[-1], args.pages, "sokbo")
        finally:
            server.close()
        best_bare = min(bare, key=lambda r: r.seconds)
        best = min(whole, key=lambda r: r.seconds)
        page_kb = (work / "site" / "entry" / "1.html").stat().st_size / 1024
        queue = "on disk" if args.resume else "in memory"
        print(
            f"{args.pages} pages of {page_kb:.0f} KB, {args.concurrency} requests per domain, "
            f"request queue {queue}"
        )
        print(f"  {'crawler':<12} {'seconds':>8} {'pages/s':>8} {'peak MB':>8}")
        for name, r in (("bare Scrapy", best_bare), ("sokbo", best)):
            print(f"  {name:<12} {r.seconds:8.1f} {r.rate:8.1f} {r.peak_mb:8.0f}")
        print(f"  sokbo / bare Scrapy pages/s: {best.rate / best_bare.rate:.2f}x")
        if args.scale:
            big = Server(work / "big", args.scale)
            try:
                grown_bare = run_bare(work / "bare-big", big.base, args.concurrency, args.resume)
                _check(grown_bare, args.scale, "bare Scrapy")
                grown = run_sokbo(work / "sokbo-big", big.base, args.concurrency, args.resume)
                _check(grown, args.scale, "sokbo")
            finally:
                big.close()
            for name, at_scale, at_pages in (
                ("bare Scrapy", grown_bare, best_bare),
                ("sokbo", grown, best),
            ):
                print(
                    f"  {name} at {args.scale} pages: {at_scale.rate:.1f} pages/s, peak "
                    f"{at_scale.peak_mb:.0f} MB (at {args.pages}: {at_pages.peak_mb:.0f} MB)"
                )
    finally:
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
