"""Feed I/O: read a site's articles from the store, write its feed files atomically."""

from __future__ import annotations

from pathlib import Path

from feeds.build import build_atom, build_rss
from feeds.model import FeedEntry, FeedMeta
from sokbo.config import SiteConfig
from sokbo.files import write_if_changed
from sokbo.models import StoredArticle
from sokbo.post import post_categories, post_url, render_body
from sokbo.store import Store

FEED_FILES = {"rss": "rss.xml", "atom": "atom.xml"}
_BUILDERS = {"rss": build_rss, "atom": build_atom}


def feed_entry(stored: StoredArticle, site: SiteConfig) -> FeedEntry:
    article = stored.article
    url = post_url(stored, site)
    modified = article.modified
    return FeedEntry(
        title=article.title,
        link=url,
        guid=url,
        published=stored.published,
        updated=modified if modified and modified > stored.published else stored.published,
        summary=article.excerpt,
        content_html=render_body(stored, site).strip(),
        categories=tuple(post_categories(stored, site)),
        image=article.image or site.default_image,
    )


def feed_meta(site: SiteConfig) -> FeedMeta:
    return FeedMeta(
        id=site.id,
        title=site.title,
        link=site.base_url,
        description=site.title,
        language=site.language,
        self_url_rss=f"{site.feed_base_url}/{FEED_FILES['rss']}",
        self_url_atom=f"{site.feed_base_url}/{FEED_FILES['atom']}",
    )


def write_site_feeds(store: Store, site: SiteConfig) -> list[tuple[Path, bool]]:
    """Build every configured format for one site; (path, written) for each file."""
    stored = store.site_articles(site.id, limit=site.feeds.limit)
    entries = [feed_entry(item, site) for item in stored]
    meta = feed_meta(site)
    results = []
    for fmt in site.feeds.formats:
        path = site.feeds_dir / FEED_FILES[fmt]
        results.append((path, write_if_changed(path, _BUILDERS[fmt](meta, entries))))
    return results
