"""Feed I/O: read a site's newest posts from the store, write its feed files atomically."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urljoin
from zoneinfo import ZoneInfo

from sokbo.config import SiteConfig
from sokbo.files import write_if_changed
from sokbo.lock import feed_lock, held
from sokbo.models import MirroredImage, StoredArticle
from sokbo.publish.feeds import cache
from sokbo.publish.feeds.build import atom_document, atom_entry, rss_document, rss_item
from sokbo.publish.feeds.jsonfeed import json_document, json_item
from sokbo.publish.feeds.model import BuiltEntry, FeedEntry, FeedMeta
from sokbo.publish.feeds.prepare import built_entry, xml_safe
from sokbo.publish.feeds.websub import publish_to_hub
from sokbo.publish.images import NO_IMAGES, mirrored_url
from sokbo.publish.post import post_categories, post_url, render_body
from sokbo.slug import slugify
from sokbo.store import SITE_FEED, Store

__all__ = [
    "CATEGORIES_DIR",
    "FEED_FILES",
    "SITE_FEED",
    "category_slug",
    "feed_entry",
    "feed_meta",
    "post_category_slugs",
    "write_queued_feeds",
    "write_site_feeds",
]

FEED_FILES = {"rss": "rss.xml", "atom": "atom.xml", "json": "feed.json"}
_DOCUMENTS: dict[str, Callable[[FeedMeta, Sequence[BuiltEntry]], bytes]] = {
    "rss": rss_document,
    "atom": atom_document,
    "json": json_document,
}
CATEGORIES_DIR = "categories"  # <feeds_dir>/categories/<slug>/rss.xml, ...


def category_slug(category: str) -> str:
    """The folder name of a category's feeds: Hangul kept, safe on every file system.

    The category itself seeds the fallback, so a name with no letter or digit still gets
    the same folder on every run.
    """
    return slugify(category, category)


def post_category_slugs(stored: StoredArticle, site: SiteConfig) -> list[str]:
    """The slugs of the category feeds a post belongs to on ``site``, in order."""
    return _slugs(post_categories(stored, site))


def feed_entry(
    stored: StoredArticle,
    site: SiteConfig,
    edited: datetime | None = None,
    images: Mapping[str, MirroredImage] = NO_IMAGES,
) -> FeedEntry:
    """One post as a feed entry; ``edited``: when sokbo saw its last edit, if it saw one;
    ``images``: the copies of its images a mirroring site serves, by original URL.

    ``site.default_image`` and ``site.images_url`` should be absolute (write_site_feeds
    makes them so).
    """
    article = stored.article
    url = post_url(stored, site)
    zone = ZoneInfo(site.timezone)
    published = _whole_seconds(stored.published)
    # First seen, an entry is as new as its source says, so two stores that crawl the same
    # source publish the same feed. An edit sokbo sees later moves `updated` forward and
    # nothing else: the id is the post URL, fixed at first sight with the slug and date.
    updated = max(published, _whole_seconds(article.modified or published))
    if edited is not None:
        updated = max(updated, _whole_seconds(edited))
    image = article.image or site.default_image
    # The site's own copy of the lead image: its type and size are known, not guessed.
    mirrored = images.get(image) if image else None
    if mirrored is not None:
        image = mirrored_url(site, mirrored)
    return FeedEntry(
        title=article.title,
        link=url,
        guid=url,
        published=published.astimezone(zone),
        updated=updated.astimezone(zone),
        summary=article.excerpt,
        content_html=render_body(stored, site, images).strip(),
        categories=tuple(post_categories(stored, site)),
        image=urljoin(site.base_url, image) if image else None,
        # Without attribution the site speaks for its posts: no source's author is named.
        authors=article.authors if site.attribution else (),
        tags=article.tags,
        source_url=article.url if site.attribution else None,
        image_type=mirrored.content_type if mirrored else None,
        image_length=mirrored.size if mirrored else None,
    )


def feed_meta(site: SiteConfig, slug: str | None = None, name: str | None = None) -> FeedMeta:
    """The site feed's details, or those of the category feed ``slug`` (called ``name``)."""
    base = site.feed_base_url + "/"
    title = site.title
    if slug is not None:
        base += quote(f"{CATEGORIES_DIR}/{slug}/")
        title = f"{site.title} — {name or slug}"
    urls = {fmt: base + file for fmt, file in FEED_FILES.items()}
    return FeedMeta(
        id=site.id,
        title=title,
        link=site.base_url,
        description=title,
        language=site.language,
        self_url_rss=urls["rss"],
        self_url_atom=urls["atom"],
        self_url_json=urls["json"],
        # The site feed keeps the site's URL as its Atom id; a category feed is its own.
        atom_id="" if slug is None else urls["atom"],
        hub=site.feeds.hub,
    )


def write_site_feeds(
    store: Store, site: SiteConfig, categories: Collection[str] | None = None
) -> list[tuple[Path, bool]]:
    """Build and write a site's feeds in every configured format; (path, written) each.

    ``categories`` None is a full rebuild: the category index is brought in step with the
    posts and every category feed is built. Otherwise the site feed is built with the
    category feeds of just those slugs (the ones a changed post is, or was, in).
    Afterwards the WebSub hub, if any, hears of every feed file that changed.
    """
    with _building(store, site):
        queued = None
        if categories is None:
            queued = store.queued_feeds(site.id)  # a full build does whatever was pending
            categories = _reindex(store, site)
        results = _write_feeds(store, site, categories)
        if queued:
            store.unqueue_feeds(site.id, queued)
    _announce(site, results)
    return results


def write_queued_feeds(
    store: Store, site: SiteConfig, wait: float = math.inf
) -> list[tuple[Path, bool]]:
    """Rebuild the site's feeds that crawls queued (store.queue_feeds), then clear them.

    The queue outlives a crawl killed before its feed stage: the next run's build (or
    ``sokbo feeds``) does the work it left. Nothing queued, nothing built. LockTimeout
    when another build of the site holds it for longer than `wait` seconds (the queue
    stays for the next build).
    """
    with _building(store, site, wait):
        queued = store.queued_feeds(site.id)
        if not queued:
            return []
        results = _write_feeds(store, site, set(queued) - {SITE_FEED})
        store.unqueue_feeds(site.id, queued)
    _announce(site, results)
    return results


def _building(
    store: Store, site: SiteConfig, wait: float = math.inf
) -> AbstractContextManager[None]:
    """One feed build of a site at a time, across processes: reading the store and
    writing the files it read are one step (see sokbo.lock.feed_lock)."""
    url = store.engine.url.render_as_string(hide_password=False)
    return held(feed_lock(url, site.id), f"the feed build of site '{site.id}'", wait)


def _write_feeds(
    store: Store, site: SiteConfig, categories: Collection[str]
) -> list[tuple[Path, bool]]:
    """The site feed, then the category feeds of ``categories`` (if the site has them)."""
    # Feed readers have no base URL for a relative image URL: resolve them once here.
    if site.default_image:
        absolute = urljoin(site.base_url, site.default_image)
        site = site.model_copy(update={"default_image": absolute})
    if site.images_url:  # the mirrored images' too
        absolute = urljoin(site.base_url, site.images_url)
        site = site.model_copy(update={"images_url": absolute})
    results = _write_feed(store, site, None)
    if site.feeds.per_category:
        for slug in sorted(categories):
            results += _write_feed(store, site, slug)
    return results


def _announce(site: SiteConfig, results: list[tuple[Path, bool]]) -> None:
    """Tell the WebSub hub, if any, of every feed file that changed (after the lock)."""
    changed = [path for path, written in results if written]
    if site.feeds.hub and changed:
        publish_to_hub(site.feeds.hub, [_public_url(site, path) for path in changed])


def _reindex(store: Store, site: SiteConfig) -> set[str]:
    """Bring the site's category index in step with its posts; every slug to rebuild."""
    # post_categories()'s rule (the site's fixed categories, else the article's), applied
    # to the bare category lists so that no article body has to be read.
    fixed = _slugs(site.categories)
    rows = (
        (article_id, published, fixed or _slugs(names))
        for article_id, published, names in store.site_post_categories(site.id)
    )
    moved = store.sync_post_categories(site.id, rows)
    # A slug that just lost its last post is rebuilt too, as an empty feed.
    return set(store.site_category_slugs(site.id)) | moved


def _write_feed(store: Store, site: SiteConfig, slug: str | None) -> list[tuple[Path, bool]]:
    """Write one feed (the site's, or one category's) in each configured format."""
    entries = _entries(store, site, store.newest_post_ids(site.id, site.feeds.limit, slug))
    folder = site.feeds_dir
    name = None
    if slug is not None:
        folder = folder / CATEGORIES_DIR / slug
        # The name as the newest post spells it (two spellings may share one slug).
        names = (n for entry in entries for n in entry.categories if _slugs([n]) == [slug])
        name = next(names, None)
    meta = feed_meta(site, slug, name)
    results = []
    for fmt in site.feeds.formats:
        path = folder / FEED_FILES[fmt]
        results.append((path, write_if_changed(path, _DOCUMENTS[fmt](meta, entries))))
    return results


def _entries(store: Store, site: SiteConfig, article_ids: Sequence[int]) -> list[BuiltEntry]:
    """These posts' entries, newest first: from the cache, serialised afresh where stale."""
    found = cache.lookup(store, site, article_ids)
    fresh: dict[int, tuple[str, BuiltEntry]] = {}
    if found.missing:
        for article_id, stored in store.post_articles(site.id, found.missing).items():
            key, edited = found.missing[article_id]
            images = found.images.get(article_id, NO_IMAGES)
            entry = feed_entry(stored, site, edited, images)
            fresh[article_id] = (key, _serialised(entry, site))
        cache.save(store, site.id, fresh)
    built = found.found | {article_id: entry for article_id, (_key, entry) in fresh.items()}
    return [built[article_id] for article_id in article_ids if article_id in built]


def _serialised(entry: FeedEntry, site: SiteConfig) -> BuiltEntry:
    """``entry`` in each of the site's formats; its author is the site when it has none."""
    formats = site.feeds.formats
    return built_entry(
        entry,
        rss=functools.partial(rss_item, site_title=site.title) if "rss" in formats else None,
        atom=functools.partial(atom_entry, site_title=site.title) if "atom" in formats else None,
        json=json_item if "json" in formats else None,
    )


def _slugs(categories: Iterable[str]) -> list[str]:
    """Category names -> feed slugs, in order, without blanks and repeats."""
    names = (xml_safe(name).strip() for name in categories)
    return list(dict.fromkeys(category_slug(name) for name in names if name))


def _public_url(site: SiteConfig, path: Path) -> str:
    relative = PurePosixPath(*path.relative_to(site.feeds_dir).parts)
    return f"{site.feed_base_url}/{quote(str(relative))}"


def _whole_seconds(value: datetime) -> datetime:
    # Feeds show seconds (RSS cannot show less); the same instant in every format.
    return value.replace(microsecond=0)
