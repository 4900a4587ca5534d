"""The plain records a site's feeds are built from: one per post, plus the site's own details."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class FeedEntry:
    """One published post as it appears in a feed."""

    title: str
    link: str  # the post's public URL on the destination site
    guid: str  # stable id (we pass the permalink; treat as opaque)
    published: datetime  # timezone-aware
    updated: datetime  # timezone-aware
    summary: str  # plain-text excerpt
    content_html: str  # full cleaned HTML of the post
    categories: tuple[str, ...] = ()
    image: str | None = None


@dataclass(frozen=True)
class FeedMeta:
    """The site-level details shared by its RSS and Atom feeds."""

    id: str  # site id
    title: str
    link: str  # site base URL
    description: str
    language: str  # e.g. "ko"
    self_url_rss: str  # public URL of the rss file
    self_url_atom: str
