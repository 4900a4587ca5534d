"""Write one site's post for a stored article, and remember it; shared by crawl and CLI."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sokbo.config import SiteConfig
from sokbo.files import write_if_changed
from sokbo.models import StoredArticle
from sokbo.post import post_filename, render_post
from sokbo.store import Store


def publish_post(
    store: Store, site: SiteConfig, stored: StoredArticle, now: datetime
) -> tuple[Path, bool]:
    """Render and write the post unless the file already holds exactly it; (path, written)."""
    name = post_filename(stored, site)
    path = site.posts_dir / name
    written = write_if_changed(path, render_post(stored, site).encode("utf-8"))
    store.record_post(site.id, stored.id, name, written, now)
    return path, written
