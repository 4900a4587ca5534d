"""Publish what the store holds and the sites do not show yet: the posts of articles a crawl
stored without publishing (a crawl node writes no files; a crawl killed, or a folder that
refused a write), then the feeds waiting in the queue. What the central node runs after its
crawl nodes' jobs, and `sokbo publish --pending`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sokbo.config import Config
from sokbo.files import describe_write_error, remove_stale_temporaries
from sokbo.lock import LockTimeout
from sokbo.publish.feeds.write import write_queued_feeds
from sokbo.publish.posts import publish_post
from sokbo.publish.stories import Placed
from sokbo.store import Store


@dataclass
class Drained:
    """What one drain of the queue did."""

    posts: list[Path] = field(default_factory=list)  # written
    unchanged: int = 0  # posts whose file already held exactly them
    covered: int = 0  # versions of stories the sites already show (SiteConfig.stories)
    feeds: list[Path] = field(default_factory=list)  # written
    failures: list[str] = field(default_factory=list)  # one line per site that failed


def publish_pending(store: Store, config: Config, now: datetime) -> Drained:
    """Every site's pending posts, oldest article first, then its queued feeds, after
    removing the temporary files a killed publisher left. A site
    whose folder refuses a write is one line in `failures`; its posts stay pending and
    its feeds queued for the next drain, and the other sites are published."""
    drained = Drained()
    for site in config.site:
        try:
            for folder in (site.posts_dir, site.feeds_dir):  # what a killed write left
                remove_stale_temporaries(folder)
            for source_id in site.sources:
                for stored in store.pending_posts(site.id, source_id):
                    published = publish_post(store, site, stored, now)
                    if published.written:
                        drained.posts.append(published.path)
                    elif published.placed is Placed.COVERED:
                        drained.covered += 1
                    else:
                        drained.unchanged += 1
        except OSError as exc:
            reason = describe_write_error(exc, site.posts_dir)
            drained.failures.append(f"site '{site.id}': cannot write posts: {reason}")
            continue
        try:
            results = write_queued_feeds(store, site)
        except OSError as exc:
            reason = describe_write_error(exc, site.feeds_dir)
            drained.failures.append(f"site '{site.id}': cannot write feeds: {reason}")
            continue
        except LockTimeout as exc:
            drained.failures.append(f"site '{site.id}': feeds left queued: {exc}")
            continue
        drained.feeds += [path for path, written in results if written]
    return drained
