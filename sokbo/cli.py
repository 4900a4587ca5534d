"""The `sokbo` command: crawl, schedule, feeds, publish, status, check and demo."""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from sqlalchemy.exc import SQLAlchemyError

from sokbo.config import DEFAULT_CONFIG, Config, ConfigError, config_warnings, load_config
from sokbo.demo.server import SITE_ROOT, serve
from sokbo.exitcodes import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE
from sokbo.files import describe_write_error
from sokbo.lock import SourceBusy, acquire_source_locks
from sokbo.ops.preflight import driver_problem, problems, store_problems
from sokbo.ops.status import alerts_of, format_table, log_alerts, read_status, to_json
from sokbo.ops.summary import format_summary
from sokbo.outcome import crawl_exit_status
from sokbo.publish.feeds.write import write_site_feeds
from sokbo.publish.posts import publish_post
from sokbo.schedule import jobs
from sokbo.schedule.scheduler import run_scheduler
from sokbo.store import Store, store_error


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < math.inf:
        raise argparse.ArgumentTypeError(
            f"not a number of seconds: {value!r} (write --wait=SECONDS, or put --wait "
            "after the sources)"
        )
    return seconds


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        metavar="PATH",
        help=f"the config file (default: ./{DEFAULT_CONFIG})",
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show Scrapy's log at INFO level",
    )
    parser = argparse.ArgumentParser(
        prog="sokbo",
        description="Crawl breaking-news sources into Jekyll posts and RSS/Atom feeds.",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    crawl = commands.add_parser(
        "crawl",
        parents=[common],
        help="crawl sources (all when none is named)",
        description="Crawl the named sources (all when none is named), publish their posts "
        "and rebuild the feeds of the sites they feed.",
    )
    crawl.add_argument("sources", nargs="*", metavar="SOURCE", help="source ids from the config")
    crawl.add_argument(
        "--cache",
        action="store_true",
        help="development: keep every response in <state_dir>/httpcache and replay it "
        "(no request reaches a site twice)",
    )
    crawl.add_argument(
        "--wait",
        nargs="?",
        type=_seconds,
        const=math.inf,
        default=None,
        metavar="SECONDS",
        help="when a source is being crawled already (by the scheduler, say), wait until "
        "it is free (at most SECONDS) instead of exiting with status 3",
    )
    crawl.add_argument(
        "--run-id",
        type=int,
        # The scheduler's own: the run's row it opened for this crawl (one source only).
        help=argparse.SUPPRESS,
    )
    commands.add_parser(
        "schedule",
        parents=[common],
        help="run every source on its schedule until stopped (SIGTERM); SIGHUP reloads",
        description="Run every source on its own schedule, each crawl in a process of its "
        "own, until SIGTERM or Ctrl-C (running crawls may finish within [schedule] "
        "stop_grace). SIGHUP reloads the config. Logs go to stderr and [schedule] log_file.",
    )
    commands.add_parser(
        "feeds",
        parents=[common],
        help="rebuild every site's feeds from the store",
        description="Rebuild every site's feeds from the store; files that would not change "
        "are left alone.",
    )
    commands.add_parser(
        "publish",
        parents=[common],
        help="re-render every site's posts and feeds from the store",
        description="Re-render every post of every site from the store (after a template or "
        "config change) without crawling; files that would not change are left alone.",
    )
    status = commands.add_parser(
        "status",
        parents=[common],
        help="show how each source is doing: last run, articles, extraction health, alerts",
        description="Per source: the last run (when, how long, result, new/updated/dropped), "
        "articles in the last 24 h, extraction health, alerts and the next scheduled run.",
    )
    status.add_argument("--json", action="store_true", help="print JSON for machines")
    commands.add_parser(
        "check",
        parents=[common],
        help="validate the config and print what would run",
        description="Validate the config and print the sources and sites it defines.",
    )
    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="serve the bundled demo blog on 127.0.0.1 and crawl it",
        description="Serve the bundled demo blog at the address the config's sources name, "
        "crawl it and print where the posts and feeds are.",
    )
    demo.add_argument("--serve", action="store_true", help="only serve the demo blog until Ctrl-C")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`sokbo check | head -1`): nothing more to say to it, and
        # Python must not print a traceback when it flushes stdout on the way out.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    config_path = Path(getattr(args, "config", DEFAULT_CONFIG))
    try:
        config = load_config(config_path)
        if args.command == "crawl":
            for name in args.sources:
                config.get_source(name)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE

    if args.command in ("check", "crawl", "schedule"):
        # A crawl of named sources (each scheduled run is one) warns about those only.
        named = (args.sources or None) if args.command == "crawl" else None
        for warning in config_warnings(config, config_path, named):
            print(warning, file=sys.stderr)
    found: list[str] = []
    if args.command == "check":
        found = problems(config, config_path)
    elif args.command == "status":  # only reads: a store not made yet is no problem
        missing = driver_problem(config.store.url)
        found = [f"{config_path}: store: url: {missing}"] if missing else []
    elif not (args.command == "demo" and args.serve):  # the others open the store
        found = store_problems(config, config_path, jobstore=args.command == "schedule")
    if found:
        print("\n".join(found), file=sys.stderr)
        return EXIT_USAGE
    verbose = getattr(args, "verbose", False)
    if args.command == "check":
        print(describe(config, config_path))
        return EXIT_OK
    if args.command == "feeds":
        return rebuild_feeds(config)
    if args.command == "publish":
        return republish(config)
    if args.command == "status":
        return show_status(config, as_json=args.json)
    if args.command == "demo":
        return run_demo(config, config_path, serve_only=args.serve, verbose=verbose)
    if args.command == "schedule":
        return run_scheduler(config, config_path)
    sources = args.sources or [source.id for source in config.source]
    if args.run_id is not None and len(sources) != 1:
        print("sokbo crawl: --run-id needs exactly one source", file=sys.stderr)
        return EXIT_USAGE
    return crawl(
        config,
        config_path,
        sources,
        verbose=verbose,
        cache=args.cache,
        wait=args.wait,
        run_id=args.run_id,
    )


def describe(config: Config, path: Path) -> str:
    lines = [f"{path}: valid", f"store: {config.store.url}", "sources:"]
    for source in config.source:
        sites = ", ".join(site.id for site in config.sites_for(source.id)) or "no site"
        lines.append(
            f"  {source.id}: {source.kind} ({source.preset}) {', '.join(source.start_urls)}"
            f"  schedule '{source.schedule}'  feeds {sites}"
        )
    lines.append("sites:")
    for site in config.site:
        lines.append(
            f"  {site.id}: {site.base_url}  posts {site.posts_dir}  feeds {site.feeds_dir}"
            f"  ({', '.join(site.feeds.formats)}, {site.feeds.limit} entries)"
        )
    return "\n".join(lines)


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


def open_store(config: Config) -> Store | None:
    """The store, or None after saying in one line why it cannot be opened."""

    try:
        return Store.open(config.store)
    except SQLAlchemyError as exc:
        print(f"store: {store_error(exc)}", file=sys.stderr)
        return None


def rebuild_feeds(config: Config) -> int:
    """Rebuild every feed of every site from the store (the category index too); a site
    whose feeds cannot be written is said in one line and the others are still built."""

    store = open_store(config)
    if store is None:
        return EXIT_FAILED
    failed = False
    try:
        for site in config.site:
            try:
                results = write_site_feeds(store, site)
            except OSError as exc:
                reason = describe_write_error(exc, site.feeds_dir)
                print(f"site '{site.id}': cannot write feeds: {reason}", file=sys.stderr)
                failed = True
                continue
            for file, written in results:
                print(f"{'wrote' if written else 'unchanged'}  {file}")
    finally:
        store.close()
    return EXIT_FAILED if failed else EXIT_OK


def republish(config: Config) -> int:
    """Re-render every post from the store, then rebuild every feed (which re-reads the
    posts' categories, so a change of a site's categories reaches its category feeds).
    A site whose posts cannot be written is said in one line; the others are written."""

    store = open_store(config)
    if store is None:
        return EXIT_FAILED
    written = unchanged = 0
    failed = False
    try:
        now = datetime.now(UTC)
        for site in config.site:
            try:
                for stored in store.articles_for_sources(site.sources):
                    path, changed = publish_post(store, site, stored, now)
                    if changed:
                        print(f"wrote  {path}")
                    written, unchanged = written + changed, unchanged + (not changed)
            except OSError as exc:
                reason = describe_write_error(exc, site.posts_dir)
                print(f"site '{site.id}': cannot write posts: {reason}", file=sys.stderr)
                failed = True
    finally:
        store.close()
    print(f"posts: {written} written, {unchanged} unchanged")
    feeds = rebuild_feeds(config)
    return EXIT_FAILED if failed else feeds


def show_status(config: Config, as_json: bool) -> int:
    """Print the status table (or JSON); each alert is also logged at WARNING. Creates
    nothing: a store not made yet is said in a line (`no runs yet: ...`), exit 0."""

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    now = datetime.now(UTC)
    try:
        overview = read_status(config, jobs, now)
    except SQLAlchemyError as exc:
        print(f"store: {store_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    print(to_json(overview) if as_json else format_table(overview, now))
    log_alerts(alerts_of(overview.sources))
    return EXIT_OK


def run_demo(config: Config, path: Path, serve_only: bool, verbose: bool) -> int:
    """Serve the bundled blog where the config's sources expect it, then crawl it."""

    addresses = {urlsplit(url).netloc for source in config.source for url in source.start_urls}
    if len(addresses) != 1:
        print(
            f"{path}: the demo serves one address; the sources name {sorted(addresses)}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    address = urlsplit(f"http://{addresses.pop()}")
    if address.hostname not in ("127.0.0.1", "localhost") or address.port is None:
        print(
            f"{path}: the demo serves on 127.0.0.1:<port> only, not {address.netloc}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        with serve(SITE_ROOT, "127.0.0.1", address.port) as base:
            print(f"demo blog: {base}/ (rss at {base}/rss)")
            if serve_only:
                print(
                    "serving until Ctrl-C; crawl by hand with "
                    f"`scrapy crawl feed -a source={config.source[0].id} -s SOKBO_CONFIG={path}`"
                )
                try:
                    while True:
                        time.sleep(3600)
                except KeyboardInterrupt:
                    return EXIT_OK
            code = crawl(config, path, [source.id for source in config.source], verbose)
    except OSError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if code == EXIT_OK:
        print(
            "next: to keep crawling on the source's schedule, run `make serve-demo` in one "
            f"terminal and `sokbo --config {path} schedule` in another; "
            f"`sokbo --config {path} status` shows every run (sokbo is .venv/bin/sokbo in "
            "a checkout)"
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
