"""The plain records a site's feeds are built from: one per post, plus the feed's own details."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class FeedEntry:
    """One published post as it appears in a feed."""

    title: str
    link: str  # the post's public URL on the destination site
    guid: str  # stable id (we pass the permalink; treat as opaque)
    published: datetime  # timezone-aware: the post's date
    updated: datetime  # timezone-aware: the source's last change, or a later edit sokbo saw
    summary: str  # plain-text excerpt
    content_html: str  # full cleaned HTML of the post
    categories: tuple[str, ...] = ()
    image: str | None = None  # absolute URL of the lead image
    authors: tuple[str, ...] = ()  # names; empty when the source named nobody
    tags: tuple[str, ...] = ()  # the source's keywords, published beside the categories
    source_url: str | None = None  # the original article, credited as a separate link
    # The image's media type and size in bytes, when something already knows them; sokbo
    # never fetches an image to find out (the type is otherwise guessed from its name).
    image_type: str | None = None
    image_length: int | None = None


@dataclass(frozen=True)
class FeedMeta:
    """The details shared by one feed's RSS, Atom and JSON Feed documents."""

    id: str  # site id
    title: str
    link: str  # site base URL
    description: str
    language: str  # e.g. "ko"
    self_url_rss: str  # public URL of the rss file
    self_url_atom: str
    self_url_json: str = ""
    # The Atom feed id; empty means the site's URL (the site feed). A category feed needs
    # an id of its own, or readers would take it for the site feed.
    atom_id: str = ""
    hub: str | None = None  # WebSub hub named in every format


@dataclass(frozen=True)
class BuiltEntry:
    """One entry already serialised, in the formats asked for: what documents are made of.

    ``guid``, ``published`` and ``updated`` order the entries and date the feed without
    reading the XML; ``categories`` name the category feeds it is in.
    """

    guid: str
    published: datetime
    updated: datetime
    categories: tuple[str, ...] = ()
    rss: str = ""  # the <item> element
    atom: str = ""  # the <entry> element
    json: str = ""  # the item object, on one line
