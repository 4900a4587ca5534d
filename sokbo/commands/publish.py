"""`sokbo feeds` and `sokbo publish`: every site's feeds, or posts and feeds, written again
from the store without crawling; `sokbo publish --pending` only what waits to be."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from sokbo.commands.common import open_store
from sokbo.config import Config
from sokbo.exitcodes import EXIT_FAILED, EXIT_OK
from sokbo.files import describe_write_error
from sokbo.publish.feeds.write import write_site_feeds
from sokbo.publish.posts import publish_post
from sokbo.publish.queue import publish_pending
from sokbo.publish.stories import Placed
from sokbo.store import store_error


def run_feeds(config: Config, _path: Path, _args: argparse.Namespace) -> int:
    return rebuild_feeds(config)


def run_publish(config: Config, _path: Path, args: argparse.Namespace) -> int:
    return publish_queue(config) if args.pending else republish(config)


def publish_queue(config: Config) -> int:
    """Publish the posts the sites do not show yet and build the queued feeds."""
    store = open_store(config)
    if store is None:
        return EXIT_FAILED
    try:
        drained = publish_pending(store, config, datetime.now(UTC))
    except SQLAlchemyError as exc:
        print(f"store: {store_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.close()
    for path in [*drained.posts, *drained.feeds]:
        print(f"wrote  {path}")
    for line in drained.failures:
        print(line, file=sys.stderr)
    covered = f", {drained.covered} covered by their story's post" if drained.covered else ""
    print(f"posts: {len(drained.posts)} written, {drained.unchanged} unchanged{covered}")
    return EXIT_FAILED if drained.failures else EXIT_OK


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
                    published = publish_post(store, site, stored, now)
                    if published.written:
                        print(f"wrote  {published.path}")
                    elif published.placed is not Placed.COVERED:
                        unchanged += 1
                    written += published.written
            except OSError as exc:
                reason = describe_write_error(exc, site.posts_dir)
                print(f"site '{site.id}': cannot write posts: {reason}", file=sys.stderr)
                failed = True
    finally:
        store.close()
    print(f"posts: {written} written, {unchanged} unchanged")
    feeds = rebuild_feeds(config)
    return EXIT_FAILED if failed else feeds
