"""`sokbo demo [--serve]`: serve the bundled demo blog on 127.0.0.1 and crawl it."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from sokbo.commands.crawl import crawl
from sokbo.config import Config
from sokbo.demo.server import SITE_ROOT, serve
from sokbo.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_USAGE


def run(config: Config, path: Path, args: argparse.Namespace) -> int:
    """Serve the bundled blog where the config's sources expect it, then crawl it."""
    serve_only, verbose = args.serve, args.verbose
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
            f"`sokbo --config {path} status` shows every run, and `sokbo --config {path} "
            "serve` the same at http://127.0.0.1:8950/ (sokbo is .venv/bin/sokbo in a checkout)"
        )
    return code
