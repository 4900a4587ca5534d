"""The `sokbo` command: crawl, schedule, feeds, publish, prune, status, check, demo and preview."""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from sokbo.config import DEFAULT_CONFIG, Config, ConfigError, config_warnings, load_config
from sokbo.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from sokbo.ops.preflight import driver_problem, problems, store_problems


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
    publish = commands.add_parser(
        "publish",
        parents=[common],
        help="re-render every site's posts and feeds from the store",
        description="Re-render every post of every site from the store (after a template or "
        "config change) without crawling; files that would not change are left alone.",
    )
    publish.add_argument(
        "--pending",
        action="store_true",
        help="only what the sites do not show yet: posts of articles stored by crawl nodes "
        "(or by crawls that could not write them), then the queued feeds",
    )
    prune = commands.add_parser(
        "prune",
        parents=[common],
        help="remove the mirrored image files no post shows any more",
        description="In each site's images_dir, remove the image files sokbo mirrored that "
        "none of the site's posts shows any more, and forget them (files younger than an "
        "hour stay: a crawl may be recording them). Nothing else ever removes them.",
    )
    prune.add_argument("--dry-run", action="store_true", help="only say what would be removed")
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
    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="serve a read-only status web application (sources, runs, sites, /healthz)",
        description="Serve the status of every source and site as web pages and /healthz, "
        "read-only; a bind that is not a loopback address needs a token.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="the address (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8950, help="the port (default: 8950)")
    serve.add_argument(
        "--token",
        default=None,
        help="required of every request (?token= once, then a cookie, or Authorization: "
        "Bearer); default: $SOKBO_SERVE_TOKEN",
    )
    preview = commands.add_parser(
        "preview",
        parents=[common],
        help="fetch one URL and print the post each site would get; nothing is stored",
        description="Fetch URL once (robots.txt obeyed) and print, for each site, the post "
        "sokbo would write and where each field came from, without storing or writing "
        "anything.",
    )
    preview.add_argument("url", metavar="URL", help="an article page")
    preview.add_argument(
        "--source", metavar="ID", help="use this source's config (default: the one for the URL)"
    )
    preview.add_argument("--site", metavar="ID", help="only this site (default: the source's)")
    preview.add_argument("--json", action="store_true", help="print JSON for machines")
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
    elif args.command in ("status", "serve"):  # only read: a store not made yet is no problem
        missing = driver_problem(config.store.url)
        found = [f"{config_path}: store: url: {missing}"] if missing else []
    elif args.command == "preview":  # stores nothing: its store does not matter
        found = []
    elif not (args.command == "demo" and args.serve):  # the others open the store
        found = store_problems(config, config_path, jobstore=args.command == "schedule")
    if found:
        print("\n".join(found), file=sys.stderr)
        return EXIT_USAGE
    args.verbose = getattr(args, "verbose", False)
    if args.command == "check":
        print(describe(config, config_path))
        return EXIT_OK
    return _command(args.command)(config, config_path, args)


# Each subcommand by its module and function, imported only when it runs: Scrapy alone
# takes a quarter of a second to import, and `sokbo status` has no use for it.
COMMANDS = {
    "crawl": "sokbo.commands.crawl:run",
    "schedule": "sokbo.commands.schedule:run",
    "feeds": "sokbo.commands.publish:run_feeds",
    "publish": "sokbo.commands.publish:run_publish",
    "prune": "sokbo.commands.prune:run",
    "status": "sokbo.commands.status:run",
    "serve": "sokbo.commands.serve:run",
    "demo": "sokbo.commands.demo:run",
    "preview": "sokbo.commands.preview:run",
}

Command = Callable[[Config, Path, argparse.Namespace], int]


def _command(name: str) -> Command:
    module, function = COMMANDS[name].split(":")
    return cast(Command, getattr(importlib.import_module(module), function))


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


if __name__ == "__main__":
    sys.exit(main())
