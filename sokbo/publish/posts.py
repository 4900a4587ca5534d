"""Write one site's post for a stored article, and record it; shared by crawl and CLI."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sokbo.config import SiteConfig
from sokbo.files import write_if_changed
from sokbo.models import StoredArticle
from sokbo.publish.feeds.write import post_category_slugs
from sokbo.publish.post import post_filename, render_post
from sokbo.store import Store


def publish_post(
    store: Store, site: SiteConfig, stored: StoredArticle, now: datetime
) -> tuple[Path, bool]:
    """Render and write the post unless the file already holds exactly it, then record it
    and queue the feeds it changes; (path, written).

    The file comes first: a kill between the two leaves the post unrecorded, so the next
    run finds it waiting (Store.pending_posts) and writes it again.
    """
    name = post_filename(stored, site)
    path = site.posts_dir / name
    written = write_if_changed(path, render_post(stored, site).encode("utf-8"))
    store.record_post(site.id, stored, name, post_category_slugs(stored, site), written, now)
    return path, written
