"""What the fault tests share: a two-site config over a bulk site, a crawl to interrupt,
and the checks that nothing was lost, doubled or torn."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import feedparser
import frontmatter

from tests.support.bulk_site import FEED_PATH

SITES = ("alpha", "beta")


def write_fault_config(folder: Path, base: str, *, resume: bool = True, extra: str = "") -> Path:
    """One feed source over the bulk site, published on two sites."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sokbo.toml"
    sites = "".join(
        f"""
[[site]]
id = "{site}"
title = "{site}"
base_url = "https://{site}.example"
posts_dir = "sites/{site}/_posts"
feeds_dir = "sites/{site}/feeds"
brand = "{site}"
sources = ["bulk"]
feeds.limit = 20
"""
        for site in SITES
    )
    path.write_text(
        f"""[crawl]
delay = 0.0
autothrottle = false
concurrent_per_domain = 4
resume = {str(resume).lower()}
user_agent = "sokbo-test/0.1 (+https://example.invalid/contact)"
{extra}
[[source]]
id = "bulk"
kind = "feed"
start_urls = ["{base}{FEED_PATH}"]
recheck_after = "1d"
{sites}""",
        encoding="utf-8",
    )
    return path


def start_crawl(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sokbo", "--config", str(config), "crawl", *args],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_while_running(
    process: subprocess.Popen[str], ready: Callable[[], bool], timeout: float = 60
) -> bool:
    """Wait until `ready()` holds while `process` runs; False when it ended first."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the crawl never reached the point waited for"
        time.sleep(0.01)
    return True


def kill_when(
    process: subprocess.Popen[str], ready: Callable[[], bool], timeout: float = 60
) -> bool:
    """SIGKILL `process` once `ready()` holds; False when it ended first."""
    reached = wait_while_running(process, ready, timeout)
    if reached:
        process.send_signal(signal.SIGKILL)
    process.communicate()
    return reached


def posts_by_source(folder: Path, site: str) -> Counter[str]:
    """How many post files of `site` show each source article (by its URL path)."""
    found: Counter[str] = Counter()
    for path in (folder / "sites" / site / "_posts").glob("*.md"):
        url = str(frontmatter.load(path)["source_url"])
        found[url[url.index("/", len("http://")) :]] += 1
    return found


def temporary_files(folder: Path) -> list[Path]:
    """Left-over temporary files of atomic writes anywhere under the sites."""
    return sorted(path for path in (folder / "sites").rglob("*.tmp"))


def store_integrity(folder: Path) -> str:
    with sqlite3.connect(folder / "data" / "sokbo.db") as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def feed_titles(folder: Path, site: str) -> dict[str, list[str]]:
    """The entry titles of each of a site's feeds (rss, atom, json), in the feeds' order;
    a feed that does not parse fails the test."""
    titles = {}
    feeds = folder / "sites" / site / "feeds"
    for name in ("rss.xml", "atom.xml"):
        parsed = feedparser.parse((feeds / name).read_bytes())
        assert not parsed.bozo, (name, parsed.get("bozo_exception"))
        titles[name] = [str(entry["title"]) for entry in parsed.entries]
    document = json.loads((feeds / "feed.json").read_text(encoding="utf-8"))
    titles["feed.json"] = [str(item["title"]) for item in document["items"]]
    return titles


def posts_parse(folder: Path, site: str) -> bool:
    """Every post file of the site reads as front matter and a body (none is torn)."""
    for path in (folder / "sites" / site / "_posts").glob("*.md"):
        post = frontmatter.load(path)
        assert post["title"] and post.content.strip(), path
    return True
