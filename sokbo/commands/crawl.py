"""`sokbo crawl [SOURCE...]`: lock the sources, crawl them in this process (one Scrapy
crawler each), then print the summary."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from sqlalchemy.exc import SQLAlchemyError

from sokbo.commands.common import open_store
from sokbo.config import Config
from sokbo.exitcodes import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE
from sokbo.lock import SourceBusy, acquire_source_locks
from sokbo.ops.summary import format_summary
from sokbo.outcome import crawl_exit_status
from sokbo.store import store_error


def run(config: Config, path: Path, args: argparse.Namespace) -> int:
    sources = args.sources or [source.id for source in config.source]
    if args.run_id is not None and len(sources) != 1:
        print("sokbo crawl: --run-id needs exactly one source", file=sys.stderr)
        return EXIT_USAGE
    return crawl(
        config,
        path,
        sources,
        verbose=args.verbose,
        cache=args.cache,
        wait=args.wait,
        run_id=args.run_id,
    )


def crawl(
    config: Config,
    path: Path,
    sources: Sequence[str],
    verbose: bool = False,
    cache: bool = False,
    wait: float | None = None,
    run_id: int | None = None,
) -> int:
    """Lock the sources (one crawl of a source at a time, scheduled or not: see
    sokbo.lock), then crawl them; EXIT_LOCKED when one stays busy. `wait`: None to give
    up at once, else seconds to wait for a busy source (math.inf: until free)."""
    store = open_store(config)  # a store that cannot be opened: one line, before Scrapy
    if store is None:
        return EXIT_FAILED
    store.close()
    try:
        locks = acquire_source_locks(config, sources, wait)
    except SourceBusy as exc:
        print(f"sokbo crawl: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except SQLAlchemyError as exc:  # the locks live in a PostgreSQL store
        print(f"store: {store_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    with locks:
        return _crawl(config, path, sources, verbose, cache, run_id)


def _crawl(
    config: Config,
    path: Path,
    sources: Sequence[str],
    verbose: bool,
    cache: bool,
    run_id: int | None,
) -> int:
    """Run the sources' spiders in this process, one crawler each, then summarise."""
    settings = Settings()
    settings.setmodule("sokbo.crawl.settings", priority="project")
    settings.set("SOKBO_CONFIG", str(path.resolve()), priority="cmdline")
    settings.set("LOG_LEVEL", "INFO" if verbose else "WARNING", priority="cmdline")
    if not verbose:  # a few lines a person reads: no timestamps, no logger names
        settings.set("LOG_FORMAT", "%(levelname)s: %(message)s", priority="cmdline")
    if cache:
        settings.set("HTTPCACHE_ENABLED", True, priority="cmdline")
    # A live line per source, on a terminal only (sokbo.crawl.progress).
    settings.set("SOKBO_PROGRESS", sys.stdout.isatty(), priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers: dict[str, Any] = {}
    for source_id in sources:
        source = config.get_source(source_id)
        crawler = process.create_crawler(process.spider_loader.load(source.kind))
        process.crawl(crawler, source=source_id, run_id=run_id)
        crawlers[source_id] = crawler
    started = time.monotonic()
    process.start()
    runs = {name: dict(crawler.stats.get_stats()) for name, crawler in crawlers.items()}
    print(format_summary(config, runs, time.monotonic() - started))
    failed = [
        name for name, stats in runs.items() if crawl_exit_status(stats.get("finish_reason"), stats)
    ]
    return EXIT_FAILED if failed else EXIT_OK
