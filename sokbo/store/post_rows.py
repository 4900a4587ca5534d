"""Posts on the destination sites, their category index and the feeds waiting for a build."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, bindparam, exists, func, select

from sokbo.models import StoredArticle
from sokbo.store.article_rows import ArticleRows, stored_article
from sokbo.store.schema import (
    articles,
    covered_articles,
    feed_queue,
    post_categories,
    posts,
    require_aware,
    update_or_insert,
)

# The site feed's key in the feed queue (no category slug is empty).
SITE_FEED = ""

# Posts again, to find the post that shows an article other than its own.
posts_shown = posts.alias("posts_shown")
# Articles again: the version a post shows.
shown_articles = articles.alias("shown_articles")


class PostRows(ArticleRows):
    """Which article each site shows, and which of its feeds must be built again."""

    def record_post(
        self,
        site_id: str,
        stored: StoredArticle,
        path: str,
        slugs: Collection[str],
        written: bool,
        now: datetime,
        shows: int | None = None,
    ) -> bool:
        """Remember which file shows an article on a site (and what it was rendered from),
        put the post in its category feeds' index and queue the feeds it changes, in one
        transaction: a kill either leaves the post waiting to be published, or recorded
        with its feeds queued. True when feeds were queued.

        ``shows``: the article whose content the post shows, when it is another version
        of the story than the post's own (``stored.changed`` is then that version's).
        """
        require_aware(now)
        key = (posts.c.site_id == site_id) & (posts.c.article_id == stored.id)
        with self.engine.begin() as conn:
            known = conn.execute(
                select(posts.c.path, posts.c.article_changed, posts.c.shows).where(key)
            ).first()
            moved_file = known is None or known.path != path
            stale = (
                moved_file
                or known is None
                or known.article_changed != stored.changed
                or known.shows != shows
            )
            values: dict[str, object] = {
                "path": path,
                "article_changed": stored.changed,
                "shows": shows,
            }
            if written or moved_file:
                values["rendered"] = now
            if known is None:
                values["first_written"] = now
                update_or_insert(conn, posts, {"site_id": site_id, "article_id": stored.id}, values)
            elif stale or written:
                conn.execute(posts.update().where(key).values(**values))
            moved = _replace_categories(conn, site_id, stored.id, stored.published, slugs)
            if stale or written:
                queue = {SITE_FEED, *slugs, *moved}
            else:  # an unchanged post whose index rows were missing or stale
                queue = {SITE_FEED, *moved} if moved else set()
            _queue(conn, site_id, queue, now)
        return bool(queue)

    def post_delays(self, source_id: str, since: datetime) -> list[tuple[datetime, datetime]]:
        """(published, first posted) of the source's articles first posted at or after
        `since`, on whichever site had them first; oldest first."""
        require_aware(since)
        first = func.min(posts.c.first_written)
        query = (
            select(articles.c.published, first)
            .join(posts, posts.c.article_id == articles.c.id)
            .where((articles.c.source_id == source_id) & (posts.c.first_written.is_not(None)))
            .group_by(articles.c.id, articles.c.published)
            .having(first >= since)
            .order_by(first)
        )
        with self.engine.connect() as conn:
            return [(row[0], row[1]) for row in conn.execute(query)]

    def pending_posts(self, site_id: str, source_id: str) -> list[StoredArticle]:
        """The source's articles the site does not show yet, or shows as an older version:
        stored by a run that was stopped, or whose write failed, before the post was
        recorded. Posts recorded by an older sokbo (no `article_changed`) count as shown.

        A version of a story the site shows through another article's post counts as
        shown, until it changes; the version a post shows is pending when it changes."""
        on_site = (posts.c.site_id == site_id) & (posts.c.article_id == articles.c.id)
        covered = (covered_articles.c.site_id == site_id) & (
            covered_articles.c.article_id == articles.c.id
        )
        shown = posts_shown.c
        shown_here = (shown.site_id == site_id) & (shown.shows == articles.c.id)
        no_post = (
            posts.c.article_id.is_(None)
            & ~exists().where(shown_here)
            & (
                covered_articles.c.article_id.is_(None)
                | (covered_articles.c.article_changed < articles.c.changed)
            )
        )
        own_post_stale = posts.c.shows.is_(None) & (posts.c.article_changed < articles.c.changed)
        shown_stale = exists().where(shown_here & (shown.article_changed < articles.c.changed))
        query = (
            select(articles)
            .select_from(articles.outerjoin(posts, on_site).outerjoin(covered_articles, covered))
            .where(articles.c.source_id == source_id)
            .where(no_post | own_post_stale | shown_stale)
            .order_by(articles.c.id)
        )
        with self.engine.connect() as conn:
            return [stored_article(row._mapping, "unchanged") for row in conn.execute(query)]

    def site_articles(self, site_id: str, limit: int | None = None) -> list[StoredArticle]:
        """A site's published articles, newest first (ties broken by URL, for stability)."""
        by_url: ColumnElement[str] = articles.c.url
        if self.engine.dialect.name == "postgresql":
            # Code-point order, as SQLite's BINARY, whatever the database's locale says.
            by_url = by_url.collate("C")
        query = (
            select(articles.c.id)
            .join(posts, posts.c.article_id == articles.c.id)
            .where(posts.c.site_id == site_id)
            .order_by(articles.c.published.desc(), by_url)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            ids = list(conn.execute(query).scalars())
        by_id = self.post_articles(site_id, ids)
        return [by_id[key] for key in ids]

    def newest_posts(
        self, site_id: str, limit: int, slug: str | None = None
    ) -> list[StoredArticle]:
        """A site's `limit` newest posts (of one category slug, if given), newest first."""
        ids = self.newest_post_ids(site_id, limit, slug)
        by_id = self.post_articles(site_id, ids)
        return [by_id[key] for key in ids]

    def post_articles(self, site_id: str, article_ids: Collection[int]) -> dict[int, StoredArticle]:
        """These articles' posts on the site, as they show: a post that shows another
        version of its story keeps its own identity with that version's content
        (StoredArticle.showing)."""
        query = select(posts.c.article_id, posts.c.shows).where(
            (posts.c.site_id == site_id)
            & posts.c.article_id.in_(list(article_ids))
            & posts.c.shows.is_not(None)
        )
        with self.engine.connect() as conn:
            shows: dict[int, int] = {row.article_id: row.shows for row in conn.execute(query)}
        by_id = self.articles_by_id({*article_ids, *shows.values()})
        found = {}
        for article_id in article_ids:
            own = by_id.get(article_id)
            if own is None:
                continue
            version = by_id.get(shows.get(article_id, article_id), own)
            found[article_id] = own if version is own else own.showing(version)
        return found

    def story_post(self, site_id: str, article_id: int) -> tuple[StoredArticle, int] | None:
        """The article's post on the site as it shows, and the id of the version it shows;
        None while the article has no post there."""
        query = select(posts.c.shows).where(
            (posts.c.site_id == site_id) & (posts.c.article_id == article_id)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        found = self.post_articles(site_id, [article_id]).get(article_id)
        return None if found is None else (found, row.shows or article_id)

    def newest_post_ids(self, site_id: str, limit: int, slug: str | None = None) -> list[int]:
        """The article ids of newest_posts, from an index alone: the cost follows `limit`,
        not the site's size. Ties are broken by article id, newest first."""
        if slug is None:
            # EXISTS rather than a join: SQLite then walks the articles' date index from
            # the newest and stops after `limit` posts of the site, where a join reads
            # every post of the site and sorts them all.
            on_site = exists().where(
                (posts.c.site_id == site_id) & (posts.c.article_id == articles.c.id)
            )
            query = (
                select(articles.c.id)
                .where(on_site)
                .order_by(articles.c.published.desc(), articles.c.id.desc())
            )
        else:
            query = (
                select(post_categories.c.article_id)
                .where((post_categories.c.site_id == site_id) & (post_categories.c.slug == slug))
                .order_by(post_categories.c.published.desc(), post_categories.c.article_id.desc())
            )
        with self.engine.connect() as conn:
            return list(conn.execute(query.limit(limit)).scalars())

    def set_post_categories(
        self, site_id: str, article_id: int, published: datetime, slugs: Collection[str]
    ) -> set[str]:
        """Make the post's category rows exactly `slugs`; the slugs that gained or lost it.

        `published` is the stored article's (fixed) publication time.
        """
        with self.engine.begin() as conn:
            return _replace_categories(conn, site_id, article_id, published, slugs)

    def sync_post_categories(
        self, site_id: str, rows: Iterable[tuple[int, datetime, Collection[str]]]
    ) -> set[str]:
        """Make a site's category rows exactly `rows` (article id, published, slugs) for
        every post; the slugs whose set of posts changed. For a full rebuild."""
        wanted: dict[tuple[int, str], datetime] = {}
        for article_id, published, slugs in rows:
            require_aware(published)
            for slug in slugs:
                wanted[(article_id, slug)] = published
        site = post_categories.c.site_id == site_id
        columns = (post_categories.c.article_id, post_categories.c.slug)
        with self.engine.begin() as conn:
            known = {
                (row.article_id, row.slug) for row in conn.execute(select(*columns).where(site))
            }
            stale = sorted(known - wanted.keys())
            if stale:
                match = (post_categories.c.article_id == bindparam("a")) & (
                    post_categories.c.slug == bindparam("s")
                )
                conn.execute(
                    post_categories.delete().where(site & match),
                    [{"a": article_id, "s": slug} for article_id, slug in stale],
                )
            missing = sorted(wanted.keys() - known)
            if missing:
                conn.execute(
                    post_categories.insert(),
                    [
                        {
                            "site_id": site_id,
                            "article_id": a,
                            "slug": s,
                            "published": wanted[(a, s)],
                        }
                        for a, s in missing
                    ],
                )
        return {slug for _article_id, slug in [*stale, *missing]}

    def queue_feeds(self, site_id: str, slugs: Collection[str], now: datetime) -> None:
        """Note that these feeds of a site (SITE_FEED for the site feed) need a rebuild."""
        with self.engine.begin() as conn:
            _queue(conn, site_id, slugs, now)

    def queued_feeds(self, site_id: str) -> dict[str, datetime]:
        """The site's feeds waiting for a rebuild: slug -> when last queued."""
        query = select(feed_queue.c.slug, feed_queue.c.queued).where(
            feed_queue.c.site_id == site_id
        )
        with self.engine.connect() as conn:
            return {row.slug: row.queued for row in conn.execute(query)}

    def unqueue_feeds(self, site_id: str, built: Mapping[str, datetime]) -> None:
        """Clear the rows a build read (queued_feeds) unless they were queued again since."""
        with self.engine.begin() as conn:
            for slug, queued in built.items():
                conn.execute(
                    feed_queue.delete().where(
                        (feed_queue.c.site_id == site_id)
                        & (feed_queue.c.slug == slug)
                        & (feed_queue.c.queued <= queued)
                    )
                )

    def site_category_slugs(self, site_id: str) -> list[str]:
        """Every category slug with at least one post on the site, sorted."""
        query = (
            select(post_categories.c.slug)
            .where(post_categories.c.site_id == site_id)
            .distinct()
            .order_by(post_categories.c.slug)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def site_post_categories(self, site_id: str) -> list[tuple[int, datetime, tuple[str, ...]]]:
        """(article id, published, the article's own categories) of every post on a site."""
        query = (
            select(articles.c.id, articles.c.published, articles.c.categories)
            .join(posts, posts.c.article_id == articles.c.id)
            .where(posts.c.site_id == site_id)
            .order_by(articles.c.id)
        )
        with self.engine.connect() as conn:
            return [(row.id, row.published, tuple(row.categories)) for row in conn.execute(query)]


def _replace_categories(
    conn: Connection, site_id: str, article_id: int, published: datetime, slugs: Collection[str]
) -> set[str]:
    require_aware(published)
    key = (post_categories.c.site_id == site_id) & (post_categories.c.article_id == article_id)
    known = set(conn.execute(select(post_categories.c.slug).where(key)).scalars())
    wanted = set(slugs)
    if known - wanted:
        conn.execute(
            post_categories.delete().where(key & post_categories.c.slug.in_(known - wanted))
        )
    if wanted - known:
        row = {"site_id": site_id, "article_id": article_id, "published": published}
        conn.execute(post_categories.insert(), [row | {"slug": s} for s in sorted(wanted - known)])
    return known ^ wanted


def _queue(conn: Connection, site_id: str, slugs: Collection[str], now: datetime) -> None:
    require_aware(now)
    for slug in sorted(set(slugs)):
        update_or_insert(conn, feed_queue, {"site_id": site_id, "slug": slug}, {"queued": now})
