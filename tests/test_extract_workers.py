"""The extract stage in worker processes: the same articles as in the crawl's own
process, small crawls never start a worker, and a worker that dies costs nothing."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from sokbo import stats as stat_keys
from sokbo.config import ConfigError, SourceConfig, load_config
from sokbo.crawl.pipelines.extract import ExtractPipeline
from sokbo.crawl.settings import apply_crawl_config
from sokbo.crawl.spiders.feed import FeedSpider
from sokbo.demo.server import SITE_ROOT
from sokbo.models import Article, Page
from sokbo.store import Store
from tests.support.cli import REPO
from tests.support.configs import VALID, write_text_config

FETCHED = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def pipeline(workers: int, inline: int) -> ExtractPipeline:
    spider = FeedSpider()
    spider.crawler = get_crawler(
        FeedSpider, {"SOKBO_EXTRACT_WORKERS": workers, "SOKBO_EXTRACT_INLINE": inline}
    )
    spider.source = SourceConfig.model_validate(
        {
            "id": "demo",
            "kind": "feed",
            "start_urls": ["http://127.0.0.1/rss.xml"],
            "preset": "tistory",
        }
    )
    spider.crawler.spider = spider
    return ExtractPipeline(spider.crawler)


def demo_page(number: int) -> Page:
    url = f"http://127.0.0.1/{number}.html"
    html = (Path(SITE_ROOT) / f"{number}.html").read_text("utf-8")
    return Page("demo", url, url, html, FETCHED)


def extract(stage: ExtractPipeline, pages: list[Page]) -> list[Article]:
    async def run() -> list[Article]:
        try:
            return [await stage.process_item(page) for page in pages]
        finally:
            stage.close_spider()

    return asyncio.run(run())


def test_workers_extract_exactly_what_the_crawl_process_does() -> None:
    pages = [demo_page(n) for n in range(1, 6)]
    in_process = extract(pipeline(workers=0, inline=0), pages)
    in_workers = extract(pipeline(workers=1, inline=0), pages)
    assert in_workers == in_process
    assert all(article.body_html for article in in_workers)


def test_a_small_crawl_starts_no_worker() -> None:
    stage = pipeline(workers=1, inline=5)
    extract(stage, [demo_page(n) for n in range(1, 6)])
    assert stage._pool is None


@pytest.mark.parametrize(
    "html",
    ["<title>t</title><p><script>x</script></p>", "<html><body></body></html>", "\x00"],
    ids=["markup only", "empty", "not html"],
)
def test_a_drop_in_a_worker_is_the_same_drop(html: str, tmp_path: Path) -> None:
    """The reason a worker gives is the reason counted, as in the crawl's process."""
    page = Page("demo", "http://127.0.0.1/x", "http://127.0.0.1/x", html, FETCHED)
    reasons = []
    for workers in (0, 1):
        stage = pipeline(workers=workers, inline=0)
        stage.spider.store = Store(f"sqlite:///{tmp_path}/{workers}.db")
        with pytest.raises(DropItem):
            extract(stage, [page])
        stage.spider.store.close()
        stats = stage.crawler.stats.get_stats()
        reasons.append(sorted(key for key in stats if key.startswith(stat_keys.dropped(""))))
    assert reasons[0] == reasons[1] and len(reasons[0]) == 1, reasons


def test_a_killed_worker_costs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """SIGKILL the worker between two pages: the second is extracted in the crawl's own
    process, and one line says so."""
    stage = pipeline(workers=1, inline=0)

    async def run() -> list[Article]:
        first = await stage.process_item(demo_page(1))
        assert stage._pool is not None
        for pid in list(stage._pool._processes):  # the worker processes, by pid
            os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.5)  # the pool notices the death
        second = await stage.process_item(demo_page(2))
        third = await stage.process_item(demo_page(3))
        stage.close_spider()
        return [first, second, third]

    with caplog.at_level(logging.WARNING):
        articles = asyncio.run(run())
    expected = extract(pipeline(workers=0, inline=0), [demo_page(n) for n in (1, 2, 3)])
    assert articles == expected
    lines = [r.getMessage() for r in caplog.records if "worker" in r.getMessage()]
    assert lines == ["an extraction worker process died; the crawl's own process extracts the rest"]


def test_a_worker_loads_no_crawl_machinery() -> None:
    """A worker runs extraction only: Scrapy, Twisted and the pipelines stay out of it
    (each would cost every worker memory for nothing)."""
    stage = pipeline(workers=1, inline=0)

    async def run() -> list[str]:
        await stage.process_item(demo_page(1))  # the worker has extracted a page
        assert stage._pool is not None
        loaded = "sorted(__import__('sys').modules)"  # eval pickles; a test function would not
        names: list[str] = await asyncio.wrap_future(stage._pool.submit(eval, loaded))
        stage.close_spider()
        return names

    names = asyncio.run(run())
    assert "sokbo.extract.page" in names
    assert not [n for n in names if n.split(".")[0] in {"scrapy", "twisted"}]
    assert "sokbo.crawl.pipelines.extract" not in names


def test_a_worker_ends_with_its_crawl(tmp_path: Path) -> None:
    """A crawl process killed with SIGKILL (nothing of it runs after) leaves no worker
    behind: each worker exits once its parent is gone."""
    script = tmp_path / "crawl.py"
    script.write_text(
        "import asyncio, os, sys, time\n"
        "from tests.test_extract_workers import demo_page, pipeline\n"
        "async def main():\n"
        "    stage = pipeline(workers=1, inline=0)\n"
        "    await stage.process_item(demo_page(1))\n"
        "    print(*stage._pool._processes, flush=True)\n"
        "    time.sleep(60)\n"
        "if __name__ == '__main__':\n"
        "    asyncio.run(main())\n"
    )
    crawl = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert crawl.stdout is not None
    workers = [int(pid) for pid in crawl.stdout.readline().split()]
    assert workers and all(_alive(pid) for pid in workers)
    crawl.kill()
    crawl.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "a worker outlived its crawl"


def _alive(pid: int) -> bool:
    """Running, not a zombie (an exited worker of a killed parent is reaped by init)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.parametrize(
    ("line", "workers"), [("", None), ("extract_workers = 0", 0), ("extract_workers = 3", 3)]
)
def test_the_config_sets_the_workers(tmp_path: Path, line: str, workers: int | None) -> None:
    text = VALID.replace("[store]", f"[crawl]\n{line}\n\n[store]", 1)
    config = load_config(write_text_config(tmp_path, text))
    settings = Settings()
    apply_crawl_config(settings, config.crawl)
    assert settings.get("SOKBO_EXTRACT_WORKERS") == workers


def test_a_negative_worker_count_is_refused_in_a_line(tmp_path: Path) -> None:
    text = VALID.replace("[store]", "[crawl]\nextract_workers = -1\n\n[store]", 1)
    with pytest.raises(ConfigError, match=r"crawl: extract_workers: .*greater than or equal to 0"):
        load_config(write_text_config(tmp_path, text))
