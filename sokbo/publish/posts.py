"""Write one site's post for a stored article, and record it; shared by crawl and CLI."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sokbo.config import SiteConfig
from sokbo.files import write_if_changed
from sokbo.lock import held, story_lock
from sokbo.models import StoredArticle
from sokbo.publish.feeds.write import post_category_slugs
from sokbo.publish.images import post_images
from sokbo.publish.post import post_filename, render_post
from sokbo.publish.stories import Placed, fuller
from sokbo.store import Store

# Seconds a publisher waits for another one placing a version of a story on the same site
# (milliseconds of work each): longer means that one is stuck, and the post waits for the
# next run (a LockTimeout, reported as a post not written).
STORY_WAIT = 60.0


@dataclass(frozen=True)
class Publication:
    path: Path  # the post's file (for a covered version: its story's post)
    written: bool
    placed: Placed


def publish_post(
    store: Store, site: SiteConfig, stored: StoredArticle, now: datetime
) -> Publication:
    """Publish an article on a site as its story policy says (SiteConfig.stories): its own
    post, its story's post re-rendered in place with it, or nothing but a note that the
    story's post covers it.

    A story's post is claimed by its first article (Store.claim_story) and keeps that
    article's file name and feed id whichever version it shows. Files come before rows:
    a kill in between leaves the article waiting (Store.pending_posts) for the next run.
    """
    story = stored.story if stored.story is not None else store.story_of(stored.id)
    if story is None or site.stories == "all":
        return _write(store, site, stored, story, now, Placed.POST)
    url = store.engine.url.render_as_string(hide_password=False)
    with held(story_lock(url, site.id), f"the story posts of site '{site.id}'", STORY_WAIT):
        return _place(store, site, stored, story, now)


def _place(
    store: Store, site: SiteConfig, stored: StoredArticle, story: int, now: datetime
) -> Publication:
    """publish_post for a version of a story, under the site's story lock."""
    anchor = store.claim_story(site.id, story, stored.id)
    current = store.story_post(site.id, anchor)
    if current is None:  # the story's post is not written yet
        if anchor == stored.id:
            return _write(store, site, stored, story, now, Placed.POST)
        (post,) = store.articles_by_id([anchor]).values()
        shown = anchor
    else:
        post, shown = current
    if shown == stored.id:  # the version shown changed
        return _write(store, site, post.showing(stored), story, now, Placed.POST, stored.id)
    if site.stories == "update" and fuller(stored, post, site):
        published = _write(store, site, post.showing(stored), story, now, Placed.VERSION, stored.id)
        if shown != anchor:
            store.cover(site.id, shown, anchor, post.changed or now)
        return published
    if site.also_reported_by and current is not None:  # the post names this version now
        published = _write(store, site, post, story, now, Placed.COVERED, shown)
    else:
        published = Publication(site.posts_dir / post_filename(post, site), False, Placed.COVERED)
    if stored.id != anchor:
        store.cover(site.id, stored.id, anchor, stored.changed or now)
    return published


def _write(
    store: Store,
    site: SiteConfig,
    post: StoredArticle,
    story: int | None,
    now: datetime,
    placed: Placed,
    shows: int | None = None,
) -> Publication:
    """Render and write the post unless the file already holds exactly it, then record it
    and queue the feeds it changes."""
    if site.also_reported_by and story is not None:
        others = [url for url in store.story_urls(story) if url != post.article.url]
        post = replace(post, also_reported_by=tuple(others))
    name = post_filename(post, site)
    path = site.posts_dir / name
    # A mirroring site shows its copies of the images of the content shown (the version's).
    images = post_images(store, site, shows or post.id)
    written = write_if_changed(path, render_post(post, site, images).encode("utf-8"))
    version = None if shows == post.id else shows
    store.record_post(site.id, post, name, post_category_slugs(post, site), written, now, version)
    return Publication(path, written, placed)
