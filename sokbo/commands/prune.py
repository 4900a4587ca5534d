"""`sokbo prune`: remove the mirrored image files that no post shows any more, and forget
them; `--dry-run` says what would go and removes nothing."""

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
from sokbo.publish.imagefiles import prune_images
from sokbo.store import store_error


def run(config: Config, _path: Path, args: argparse.Namespace) -> int:
    """Prune every site with an images_dir; a site that fails is said in one line and the
    others are still pruned."""
    store = open_store(config)
    if store is None:
        return EXIT_FAILED
    verb = "would remove" if args.dry_run else "removed"
    failed = False
    now = datetime.now(UTC)
    try:
        for site in config.site:
            if site.images_dir is None:
                continue
            try:
                pruned = prune_images(store, site, now, dry_run=args.dry_run)
            except OSError as exc:
                reason = describe_write_error(exc, site.images_dir)
                print(f"site '{site.id}': cannot prune images: {reason}", file=sys.stderr)
                failed = True
                continue
            for file in pruned.files:
                print(f"{verb}  {file}")
            print(
                f"site '{site.id}': {verb} {len(pruned.files)} image files no post shows "
                f"({pruned.size} bytes), {pruned.forgotten} image records"
            )
    except SQLAlchemyError as exc:
        print(f"store: {store_error(exc)}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.close()
    return EXIT_FAILED if failed else EXIT_OK
