"""Mirrored images (`images = "mirror"`): which a site serves itself, which failed and when
to try them again, and which images each article shows."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from sokbo.models import MirroredImage
from sokbo.store.schema import (
    article_images,
    articles,
    image_failures,
    mirrored_images,
    posts,
    require_aware,
    update_or_insert,
)

# A post marked as rendered from this version is older than any article: Store.pending_posts
# lists it again, and the next publish re-renders it (with the images mirrored since).
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)

# A post's content is its own article's, or another version's it shows (posts.shows).
_SHOWN = func.coalesce(posts.c.shows, posts.c.article_id)

Pair = tuple[str, str]  # (site id, image URL)


class ImageRows:
    """Mirrored images per site and URL, failed ones with their next try, and the images
    of each article (lead first) as the images stage last saw it."""

    engine: Engine

    def link_article_images(self, article_id: int, urls: Sequence[str]) -> None:
        """Make the article's images exactly `urls` (its lead image and its body's)."""
        wanted = set(urls)
        key = article_images.c.article_id == article_id
        with self.engine.begin() as conn:
            known = set(conn.execute(select(article_images.c.url).where(key)).scalars())
            if known - wanted:
                conn.execute(
                    article_images.delete().where(key & article_images.c.url.in_(known - wanted))
                )
            if wanted - known:
                rows = [{"article_id": article_id, "url": url} for url in sorted(wanted - known)]
                conn.execute(article_images.insert(), rows)

    def image_states(
        self, site_ids: Collection[str], urls: Collection[str]
    ) -> tuple[set[Pair], dict[Pair, datetime]]:
        """Of these sites and URLs: the pairs mirrored, and the failed ones with the time
        after which they may be tried again."""
        if not site_ids or not urls:
            return set(), {}
        mirrored = select(mirrored_images.c.site_id, mirrored_images.c.url).where(
            mirrored_images.c.site_id.in_(list(site_ids)) & mirrored_images.c.url.in_(list(urls))
        )
        failed = select(
            image_failures.c.site_id, image_failures.c.url, image_failures.c.retry_after
        ).where(image_failures.c.site_id.in_(list(site_ids)) & image_failures.c.url.in_(list(urls)))
        with self.engine.connect() as conn:
            done = {(row.site_id, row.url) for row in conn.execute(mirrored)}
            waiting = {(row.site_id, row.url): row.retry_after for row in conn.execute(failed)}
        return done, waiting

    def record_mirrored(self, site_id: str, url: str, image: MirroredImage, now: datetime) -> int:
        """Remember that the site serves `url` as `image.file`, forget its failure, and mark
        the site's posts that show it as waiting to be published again, in one transaction;
        the number of posts marked (published before the image was had)."""
        require_aware(now)
        values = {
            "file": image.file,
            "width": image.width,
            "height": image.height,
            "content_type": image.content_type,
            "bytes": image.size,
            "mirrored": now,
        }
        showing = select(article_images.c.article_id).where(article_images.c.url == url)
        with self.engine.begin() as conn:
            update_or_insert(conn, mirrored_images, {"site_id": site_id, "url": url}, values)
            conn.execute(
                image_failures.delete().where(
                    (image_failures.c.site_id == site_id) & (image_failures.c.url == url)
                )
            )
            marked = conn.execute(
                posts.update()
                .where((posts.c.site_id == site_id) & _SHOWN.in_(showing))
                .values(article_changed=_NEVER)
            )
        return int(marked.rowcount or 0)

    def record_image_failure(
        self, site_id: str, url: str, reason: str, now: datetime, wait: Callable[[int], timedelta]
    ) -> int:
        """Count a failed try of `url` for the site; the next may come `wait(tries)` later.
        The number of tries so far."""
        require_aware(now)
        key = (image_failures.c.site_id == site_id) & (image_failures.c.url == url)
        with self.engine.begin() as conn:
            before = conn.execute(select(image_failures.c.attempts).where(key)).scalar()
            attempts = (before or 0) + 1
            values = {
                "reason": reason,
                "attempts": attempts,
                "last_attempt": now,
                "retry_after": now + wait(attempts),
            }
            update_or_insert(conn, image_failures, {"site_id": site_id, "url": url}, values)
        return attempts

    def articles_with_images_due(
        self, site_ids: Collection[str], source_id: str, now: datetime, limit: int
    ) -> list[int]:
        """The source's articles (newest first, at most `limit`) showing an image that
        failed on one of these sites and may be tried again now."""
        require_aware(now)
        query = (
            select(article_images.c.article_id)
            .join(image_failures, image_failures.c.url == article_images.c.url)
            .join(articles, articles.c.id == article_images.c.article_id)
            .where(image_failures.c.site_id.in_(list(site_ids)))
            .where(image_failures.c.retry_after <= now)
            .where(articles.c.source_id == source_id)
            .distinct()
            .order_by(article_images.c.article_id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def article_mirrored_images(
        self, site_id: str, article_ids: Collection[int]
    ) -> dict[int, dict[str, MirroredImage]]:
        """The images of these articles that the site serves itself, by article and URL."""
        query = (
            select(article_images.c.article_id, mirrored_images)
            .join(mirrored_images, mirrored_images.c.url == article_images.c.url)
            .where(mirrored_images.c.site_id == site_id)
            .where(article_images.c.article_id.in_(list(article_ids)))
        )
        with self.engine.connect() as conn:
            return _by_article(conn.execute(query).all())

    def post_mirrored_images(
        self, site_id: str, article_ids: Collection[int]
    ) -> dict[int, dict[str, MirroredImage]]:
        """The same for the site's posts of these articles: the images of the content each
        post shows (its own article's, or the story version's it shows), by post."""
        query = (
            select(posts.c.article_id, mirrored_images)
            .join(article_images, article_images.c.article_id == _SHOWN)
            .join(
                mirrored_images,
                (mirrored_images.c.site_id == posts.c.site_id)
                & (mirrored_images.c.url == article_images.c.url),
            )
            .where(posts.c.site_id == site_id)
            .where(posts.c.article_id.in_(list(article_ids)))
        )
        with self.engine.connect() as conn:
            return _by_article(conn.execute(query).all())

    def site_mirrored_images(self, site_id: str) -> dict[str, MirroredImage]:
        """Every image the site serves itself, by URL."""
        query = select(mirrored_images).where(mirrored_images.c.site_id == site_id)
        with self.engine.connect() as conn:
            return {row.url: _image(row) for row in conn.execute(query)}

    def shown_image_urls(self, site_id: str) -> set[str]:
        """The URLs of the images the site's posts show (by their articles' images)."""
        query = (
            select(article_images.c.url)
            .join(posts, article_images.c.article_id == _SHOWN)
            .where(posts.c.site_id == site_id)
            .distinct()
        )
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def image_urls(self, site_id: str, before: datetime) -> set[str]:
        """The URLs of the site's images mirrored, or last tried, before `before`."""
        mirrored = select(mirrored_images.c.url).where(
            (mirrored_images.c.site_id == site_id) & (mirrored_images.c.mirrored < before)
        )
        failed = select(image_failures.c.url).where(
            (image_failures.c.site_id == site_id) & (image_failures.c.last_attempt < before)
        )
        with self.engine.connect() as conn:
            return set(conn.execute(mirrored).scalars()) | set(conn.execute(failed).scalars())

    def forget_images(self, site_id: str, urls: Collection[str], before: datetime) -> None:
        """Forget the site's copies and failures of these URLs recorded before `before`
        (sokbo prune): a record made since belongs to a crawl still going."""
        require_aware(before)
        tables = (
            (mirrored_images, mirrored_images.c.mirrored),
            (image_failures, image_failures.c.last_attempt),
        )
        with self.engine.begin() as conn:
            for table, recorded in tables:
                for chunk in _chunks(sorted(urls)):
                    mine = (table.c.site_id == site_id) & table.c.url.in_(chunk)
                    conn.execute(table.delete().where(mine & (recorded < before)))


def _by_article(rows: Sequence[Any]) -> dict[int, dict[str, MirroredImage]]:
    """Rows of (article_id, mirrored_images) as {article id: {URL: image}}."""
    found: dict[int, dict[str, MirroredImage]] = {}
    for row in rows:
        found.setdefault(row.article_id, {})[row.url] = _image(row)
    return found


def _image(row: Any) -> MirroredImage:
    return MirroredImage(row.file, row.width, row.height, row.content_type, row.bytes)


def _chunks(values: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    # SQLite caps the bound parameters of one statement; a prune may name thousands.
    return [values[start : start + size] for start in range(0, len(values), size)]
