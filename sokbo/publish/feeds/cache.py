"""Serialised feed entries kept in the store, so that a feed build serialises only what changed.

A site's feed and its category feeds hold the same few posts build after build; serialising
each post's entry once per change instead of once per build is most of what makes one new
article's rebuild cheap (bench/feeds.py). An entry is reused only while its key is
unchanged, and the key names everything the entry is made from: the article (its content
hash and change time), the site's config, feedgen's version and ``ENTRY_FORMAT``, the
version of the code that turns a post into an entry, and on a site that mirrors images,
the copies of the post's images it serves (an image mirrored later changes the entry).

That code is spread over feeds/ and sokbo/ (post rendering, the site's templates, the
formats' serialisers), so no list of files could name it for certain; the version is
declared instead, and a golden test holds it to its word. Whoever changes an entry's bytes
(any format), its guid, dates or categories, for any article or site, raises
``ENTRY_FORMAT`` by one and refreshes the goldens:

    python -m pytest tests/test_feed_entry_format.py --update-golden

The test fails while the canonical entry's bytes differ from the goldens made with the
same version, and ``--update-golden`` rewrites them only for a raised one. A raised
version builds every entry again, so the cache can only save work, never show a stale
entry.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Collection, Mapping
from dataclasses import astuple, dataclass, field
from datetime import datetime
from importlib import metadata as package_metadata
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError, OperationalError

from sokbo.config import SiteConfig
from sokbo.models import MirroredImage
from sokbo.publish.feeds.model import BuiltEntry
from sokbo.store import KeptEntry, Store

__all__ = ["ENTRY_FORMAT", "Lookup", "lookup", "save"]

logger = logging.getLogger(__name__)

# The version of an entry's shape: raise it by one whenever the same article and site would
# give other bytes (see above). Read at every build, never copied, so a new value takes
# effect at once. Never lowered: an older version's key would find that version's entries.
ENTRY_FORMAT = 1


@dataclass(frozen=True)
class Lookup:
    """What the cache holds for a feed's posts: entries to reuse, and those to build."""

    found: dict[int, BuiltEntry]
    # article id -> (the key to save its new entry under, when sokbo saw its last edit)
    missing: dict[int, tuple[str, datetime | None]]
    # article id -> the copies of its images the site serves (images = "mirror"), by URL
    images: dict[int, dict[str, MirroredImage]] = field(default_factory=dict)


def lookup(store: Store, site: SiteConfig, article_ids: Collection[int]) -> Lookup:
    """Reusable entries of these posts on ``site``, and the keys of the rest."""
    site_key = _site_key(site)
    zone = ZoneInfo(site.timezone)  # the store keeps UTC; feeds show the site's time
    found: dict[int, BuiltEntry] = {}
    missing: dict[int, tuple[str, datetime | None]] = {}
    images = store.post_mirrored_images(site.id, article_ids) if site.images == "mirror" else {}
    for source in store.entry_sources(site.id, article_ids):
        copies = images.get(source.article_id, {})
        key = _entry_key(site_key, source.content_hash, source.changed, copies)
        kept = source.kept
        if kept is not None and kept.key == key:
            found[source.article_id] = BuiltEntry(
                guid=kept.guid,
                published=kept.published.astimezone(zone),
                updated=kept.updated.astimezone(zone),
                categories=kept.categories,
                rss=kept.rss,
                atom=kept.atom,
                json=kept.json,
            )
        else:
            edited = source.changed if source.changed > source.first_seen else None
            missing[source.article_id] = (key, edited)
    return Lookup(found, missing, images)


def save(store: Store, site_id: str, entries: Mapping[int, tuple[str, BuiltEntry]]) -> None:
    """Keep freshly built entries (article id -> (key, entry)) for the next build.

    Best effort: a crawl running beside this one may save the same entries first, and
    then this build's copies (equal to theirs) are not needed.
    """
    if not entries:
        return
    kept = [
        (
            article_id,
            KeptEntry(
                key,
                entry.guid,
                entry.published,
                entry.updated,
                tuple(entry.categories),
                entry.rss,
                entry.atom,
                entry.json,
            ),
        )
        for article_id, (key, entry) in entries.items()
    ]
    try:
        store.keep_entries(site_id, kept)
    except (IntegrityError, OperationalError) as exc:
        logger.info("feed entries of site '%s' not cached this time: %s", site_id, exc)


def _entry_key(
    site_key: str, content_hash: str, changed: datetime, images: Mapping[str, MirroredImage]
) -> str:
    text = f"{site_key}\n{content_hash}\n{changed.isoformat()}"
    if images:  # nothing mirrored keeps the key a hotlinking site has always had
        copies = sorted((url, astuple(image)) for url, image in images.items())
        text += f"\n{json.dumps(copies, ensure_ascii=False)}"
    return hashlib.sha256(text.encode()).hexdigest()


def _site_key(site: SiteConfig) -> str:
    text = f"{ENTRY_FORMAT}\n{_feedgen_version()}\n{site.model_dump_json()}"
    return hashlib.sha256(text.encode()).hexdigest()


@functools.cache  # an installed package's version does not change while sokbo runs
def _feedgen_version() -> str:
    return package_metadata.version("feedgen")
