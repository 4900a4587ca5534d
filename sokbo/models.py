"""The records that travel through the pipeline: a fetched page, then an article."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

# Evidence sources that are not the page itself: the feed entry that named the page, and
# the crawl's own time standing in for a date nobody gave (extraction health counts a
# field as found only when it came from elsewhere).
FROM_FEED = "feed"
FROM_CRAWL_TIME = "crawl time"


@dataclass(frozen=True)
class FeedHint:
    """What a feed (or sitemap) said about an entry before its page was fetched."""

    title: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    summary: str | None = None
    categories: tuple[str, ...] = ()
    content_html: str | None = None
    # Found by following links rather than listed as an article by the source: the
    # extractor must itself be sure the page is an article.
    speculative: bool = False

    def fingerprint(self) -> str:
        """What the source said about the entry, hashed: a change means a new version."""
        parts = [
            self.title or "",
            self.summary or "",
            self.content_html or "",
            self.published.isoformat() if self.published else "",
            self.updated.isoformat() if self.updated else "",
        ]
        return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Page:
    """A fetched, decoded article page as a spider yields it; extraction starts here."""

    source_id: str
    url: str
    final_url: str
    html: str
    fetched_at: datetime
    hint: FeedHint = field(default_factory=FeedHint)


@dataclass(frozen=True)
class Article:
    """One article as extracted and cleaned: the unit the store keeps and the sites publish.

    ``image`` is the article's own lead image; a site's default image is applied when a
    post is rendered, so that each destination can brand articles that have none.
    """

    url: str
    source_id: str
    title: str
    excerpt: str
    body_html: str
    published: datetime
    image: str | None = None
    modified: datetime | None = None
    categories: tuple[str, ...] = ()
    language: str | None = None
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    # Where each field came from ("og:title", "json-ld:NewsArticle.datePublished", ...),
    # for debugging a source and for extraction health figures.
    evidence: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    # Provenance, not content: the URL requested and the discovery fingerprint, so the
    # store can tell the next crawl this page needs no new fetch.
    fetched_url: str = field(default="", compare=False)
    fingerprint: str | None = field(default=None, compare=False)

    def content_hash(self) -> str:
        """A fingerprint of everything a reader sees; equal hashes mean nothing to re-render."""
        payload = {
            "title": self.title,
            "excerpt": self.excerpt,
            "body_html": self.body_html,
            "image": self.image,
            "categories": list(self.categories),
            "authors": list(self.authors),
            "tags": list(self.tags),
            # The instant, not its spelling: the same time in another zone is no change.
            "published": self.published.astimezone(UTC).isoformat(),
        }
        blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()


@dataclass(frozen=True)
class StoredArticle:
    """An article as the store holds it, with the identity fixed at first sight.

    ``slug`` and ``published`` decide the post's file name; they never change once
    stored, so an edited article re-renders in place.
    """

    id: int
    article: Article
    slug: str
    published: datetime
    status: str  # "new", "updated" or "unchanged"
    # When sokbo last saw the content change (first sight, or the last real edit): the
    # entry's `updated` in the feeds, so an edit moves it forward without a new entry.
    changed: datetime | None = None
    # The URLs of the story's other versions, for the front matter's `also_reported_by`.
    also_reported_by: tuple[str, ...] = ()
    # Its story (the id of the story's first article), when the store said; None: ask it.
    story: int | None = None

    def showing(self, version: StoredArticle) -> StoredArticle:
        """This post showing another version of its story: its own identity (id, slug,
        date and categories, so the file name and the feed id stay) with the version's
        content, and the version's change time (the feeds' `updated`)."""
        article = replace(version.article, categories=self.article.categories)
        return replace(self, article=article, changed=version.changed)


@dataclass(frozen=True)
class MirroredImage:
    """An image a site serves itself (`images = "mirror"`): the file under the site's
    `images_dir`, named by the SHA-256 of its bytes, and what a page needs to show it."""

    file: str  # "<sha256>.jpg": the name under images_dir and images_url
    width: int  # as a browser shows it (EXIF orientation applied)
    height: int
    content_type: str  # "image/jpeg", "image/png", "image/webp" or "image/gif"
    size: int  # bytes
