"""The store, the source of truth: articles, rendered posts and crawl runs (SQLAlchemy)."""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    DateTime,
    Engine,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    bindparam,
    create_engine,
    event,
    exists,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import IntegrityError, OperationalError

from sokbo.incremental import FetchRecord
from sokbo.models import Article, StoredArticle
from sokbo.slug import disambiguate, slugify


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    # Text, not String(n), where the value comes from outside: PostgreSQL enforces a
    # length that SQLite ignores, and a percent-encoded Hangul URL (9 characters a
    # syllable) soon passes 2048 characters.
    Column("url", Text, nullable=False, unique=True),
    Column("source_id", String(64), nullable=False, index=True),
    Column("slug", String(255), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("excerpt", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("image", Text),
    Column("categories", JSON, nullable=False),
    Column("language", Text),  # a BCP 47 tag from the config, of any length
    Column("authors", JSON),
    Column("tags", JSON),
    Column("evidence", JSON),
    Column("published", UTCDateTime, nullable=False, index=True),
    Column("modified", UTCDateTime),
    Column("content_hash", String(64), nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("changed", UTCDateTime, nullable=False),
    Column("checked", UTCDateTime, nullable=False),
)

posts = Table(
    "posts",
    metadata,
    Column("site_id", String(64), primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id"), primary_key=True),
    Column("path", Text, nullable=False),
    Column("rendered", UTCDateTime, nullable=False),
)

# Which category feeds of a site each post is in, by the category's slug (the name of the
# feed's folder, so two spellings with one slug share a feed). It exists so that a
# category's newest posts are found without decoding every article's categories JSON:
# `published` is copied from the article, where it is fixed at first sight (so the copy
# never goes stale), and the index below hands out a category's newest N directly. The
# feed stage keeps it in step with the posts (set_post_categories after each publish,
# sync_post_categories on a full rebuild); rows go with their post (the foreign key).
post_categories = Table(
    "post_categories",
    metadata,
    # Keyed post first (a post's rows are read and replaced together); the index below
    # serves the feeds, the key serves the upkeep.
    Column("site_id", String(64), primary_key=True),
    Column("article_id", Integer, primary_key=True),
    Column("slug", String(255), primary_key=True),
    Column("published", UTCDateTime, nullable=False),
    ForeignKeyConstraint(
        ["site_id", "article_id"], ["posts.site_id", "posts.article_id"], ondelete="CASCADE"
    ),
    Index("ix_post_categories_newest", "site_id", "slug", "published", "article_id"),
)

# Each post's feed entry, serialised in the site's feed formats once per change rather
# than once per feed build (feeds/cache.py reads and writes it). `key` says what it was
# built from: the article's content and change time, the site's config and the code;
# a row whose key no longer matches is built again. Rows go with their post.
feed_entries = Table(
    "feed_entries",
    metadata,
    Column("site_id", String(64), primary_key=True),
    Column("article_id", Integer, primary_key=True),
    Column("key", String(64), nullable=False),
    Column("guid", Text, nullable=False),
    Column("published", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    Column("categories", JSON, nullable=False),
    Column("rss", Text, nullable=False),
    Column("atom", Text, nullable=False),
    Column("json", Text, nullable=False),
    ForeignKeyConstraint(
        ["site_id", "article_id"], ["posts.site_id", "posts.article_id"], ondelete="CASCADE"
    ),
)

# Feeds a crawl changed but has not rebuilt yet (slug '' is the site feed itself). Queued
# as each post is indexed and cleared once the feeds are written, so that a crawl killed
# before its feed stage leaves the work to the next run instead of losing it. `queued`
# lets a build clear only what it read: a row queued again meanwhile stays.
feed_queue = Table(
    "feed_queue",
    metadata,
    Column("site_id", String(64), primary_key=True),
    Column("slug", String(255), primary_key=True),
    Column("queued", UTCDateTime, nullable=False),
)

# One row per URL sokbo has fetched: article pages (when, so an unchanged source is not
# fetched again) and feeds/sitemaps (their validators, for conditional requests).
fetches = Table(
    "fetches",
    metadata,
    Column("url", Text, primary_key=True),
    Column("fetched", UTCDateTime, nullable=False),
    Column("fingerprint", String(64)),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("target", Text),  # for a page a feed was discovered from: that feed
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_id", String(64), nullable=False, index=True),
    Column("started", UTCDateTime, nullable=False),
    Column("finished", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),  # Scrapy's close reason, any string
    Column("stats", JSON, nullable=False),
    Column("exit_status", Integer),  # the crawl process's; negative: killed by that signal
    Column("errors", Text),  # what went wrong, in a line (NULL: nothing)
)


# Any fixed number: PostgreSQL sessions creating the schema queue on this advisory lock.
_SCHEMA_LOCK = 0x50CB0


@dataclass
class DocumentState:
    """A document's validators (for conditional requests) and the feed found through it."""

    etag: str | None = None
    last_modified: str | None = None
    target: str | None = None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the feed builder read while a crawl writes; the busy timeout makes two
    # crawls on one machine wait for each other instead of failing (set first, so that
    # switching to WAL waits too).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Store:
    """Articles keyed by canonical URL, with a content hash to detect real changes."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            path = url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._create_schema()

    def _create_schema(self) -> None:
        """Create missing tables, one process at a time.

        create_all checks, then creates; two crawls starting together would both find a
        table missing and the second CREATE would fail. Holding a lock across the check
        and the creation makes the later process find the tables made.
        """
        for attempt in range(5):
            try:
                with self.engine.begin() as conn:
                    if self.engine.dialect.name == "postgresql":  # DDL is transactional
                        conn.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
                    elif self.engine.dialect.name == "sqlite":  # the write lock up front
                        conn.exec_driver_sql("BEGIN IMMEDIATE")
                    metadata.create_all(conn)
                    _add_missing_columns(conn)
                return
            except OperationalError as exc:
                # A brand-new SQLite file: the first process switching it to WAL holds
                # an exclusive lock that SQLite reports at once, without waiting.
                if "locked" not in str(exc) or attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def close(self) -> None:
        self.engine.dispose()

    def upsert(self, article: Article, now: datetime) -> StoredArticle:
        """Insert a new article, update a changed one, or only mark it checked.

        The slug and the publication date are fixed at first sight so that the post's
        file name never moves.
        """
        _require_aware(now, article.published, article.modified)
        digest = article.content_hash()
        values = article_values(article) | {"content_hash": digest, "checked": now}
        # Twice at most: if another crawl inserts this URL between our lookup and our
        # insert, the second lookup finds its row and this becomes an update or a check.
        for _attempt in range(2):
            with self.engine.begin() as conn:
                row = conn.execute(select(articles).where(articles.c.url == article.url)).first()
                if row is not None:
                    status = "unchanged" if row.content_hash == digest else "updated"
                    update = {"checked": now}
                    if status == "updated":
                        update = values | {"changed": now, "published": row.published}
                    conn.execute(articles.update().where(articles.c.id == row.id).values(**update))
                    changed = now if status == "updated" else row.changed
                    return StoredArticle(row.id, article, row.slug, row.published, status, changed)
            stored = self._insert(article, values, now)
            if stored is not None:
                return stored
        raise RuntimeError(f"{article.url} is neither insertable nor found")

    def _insert(
        self, article: Article, values: dict[str, Any], now: datetime
    ) -> StoredArticle | None:
        """Insert under the title's slug, else the URL-suffixed one; None if the URL is taken."""
        slug = slugify(article.title, article.url)
        values = values | {"first_seen": now, "changed": now}
        for candidate in (slug, disambiguate(slug, article.url)):
            try:
                with self.engine.begin() as conn:
                    result = conn.execute(articles.insert().values(slug=candidate, **values))
                    key = result.inserted_primary_key
                    assert key is not None
                return StoredArticle(int(key[0]), article, candidate, article.published, "new", now)
            except IntegrityError:
                if self.get_by_url(article.url) is not None:  # a concurrent crawl won
                    return None
        raise RuntimeError(f"no free slug for {article.url} (tried {slug!r} and a suffix)")

    def get_by_url(self, url: str) -> StoredArticle | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(articles).where(articles.c.url == url)).first()
        return None if row is None else _stored(row._mapping, "unchanged")

    def record_post(
        self, site_id: str, article_id: int, path: str, written: bool, now: datetime
    ) -> None:
        """Remember which file shows an article on a site; touch it only when it changed."""
        _require_aware(now)
        key = (posts.c.site_id == site_id) & (posts.c.article_id == article_id)
        with self.engine.begin() as conn:
            known = conn.execute(select(posts.c.path).where(key)).scalar()
            if known is None:
                row = {"site_id": site_id, "article_id": article_id, "path": path}
                conn.execute(posts.insert().values(**row, rendered=now))
            elif written or known != path:
                conn.execute(posts.update().where(key).values(path=path, rendered=now))

    def site_articles(self, site_id: str, limit: int | None = None) -> list[StoredArticle]:
        """A site's published articles, newest first (ties broken by URL, for stability)."""
        by_url: ColumnElement[str] = articles.c.url
        if self.engine.dialect.name == "postgresql":
            # Code-point order, as SQLite's BINARY, whatever the database's locale says.
            by_url = by_url.collate("C")
        query = (
            select(articles)
            .join(posts, posts.c.article_id == articles.c.id)
            .where(posts.c.site_id == site_id)
            .order_by(articles.c.published.desc(), by_url)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_stored(row._mapping, "unchanged") for row in conn.execute(query)]

    def newest_posts(
        self, site_id: str, limit: int, slug: str | None = None
    ) -> list[StoredArticle]:
        """A site's `limit` newest posts (of one category slug, if given), newest first."""
        ids = self.newest_post_ids(site_id, limit, slug)
        by_id = self.articles_by_id(ids)
        return [by_id[key] for key in ids]

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

    def articles_by_id(self, article_ids: Collection[int]) -> dict[int, StoredArticle]:
        query = select(articles).where(articles.c.id.in_(list(article_ids)))
        with self.engine.connect() as conn:
            return {row.id: _stored(row._mapping, "unchanged") for row in conn.execute(query)}

    def edited(self, article_ids: Sequence[int]) -> dict[int, datetime]:
        """When each of these articles last changed after its first sight; absent: never."""
        query = select(articles.c.id, articles.c.changed).where(
            articles.c.id.in_(list(article_ids)) & (articles.c.changed > articles.c.first_seen)
        )
        with self.engine.connect() as conn:
            return {row.id: row.changed for row in conn.execute(query)}

    def set_post_categories(
        self, site_id: str, article_id: int, published: datetime, slugs: Collection[str]
    ) -> set[str]:
        """Make the post's category rows exactly `slugs`; the slugs that gained or lost it.

        `published` is the stored article's (fixed) publication time.
        """
        _require_aware(published)
        key = (post_categories.c.site_id == site_id) & (post_categories.c.article_id == article_id)
        with self.engine.begin() as conn:
            known = set(conn.execute(select(post_categories.c.slug).where(key)).scalars())
            wanted = set(slugs)
            if known - wanted:
                conn.execute(
                    post_categories.delete().where(key & post_categories.c.slug.in_(known - wanted))
                )
            if wanted - known:
                row = {"site_id": site_id, "article_id": article_id, "published": published}
                conn.execute(
                    post_categories.insert(), [row | {"slug": s} for s in sorted(wanted - known)]
                )
        return known ^ wanted

    def sync_post_categories(
        self, site_id: str, rows: Iterable[tuple[int, datetime, Collection[str]]]
    ) -> set[str]:
        """Make a site's category rows exactly `rows` (article id, published, slugs) for
        every post; the slugs whose set of posts changed. For a full rebuild."""
        wanted: dict[tuple[int, str], datetime] = {}
        for article_id, published, slugs in rows:
            _require_aware(published)
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
        """Note that these feeds of a site (slug '' for the site feed) need a rebuild."""
        _require_aware(now)
        with self.engine.begin() as conn:
            for slug in sorted(set(slugs)):
                key = (feed_queue.c.site_id == site_id) & (feed_queue.c.slug == slug)
                if conn.execute(feed_queue.update().where(key).values(queued=now)).rowcount:
                    continue
                try:
                    with conn.begin_nested():
                        conn.execute(
                            feed_queue.insert().values(site_id=site_id, slug=slug, queued=now)
                        )
                except IntegrityError:  # a concurrent crawl queued it first
                    conn.execute(feed_queue.update().where(key).values(queued=now))

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

    def articles_for_sources(self, source_ids: Sequence[str]) -> Iterator[StoredArticle]:
        query = select(articles).where(articles.c.source_id.in_(list(source_ids)))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(articles.c.id)).all()
        for row in rows:
            yield _stored(row._mapping, "unchanged")

    def fetch_records(self, urls: Sequence[str]) -> dict[str, FetchRecord]:
        """The last fetch of each of these URLs (absent: never fetched)."""
        found: dict[str, FetchRecord] = {}
        unique = list(dict.fromkeys(urls))
        columns = (fetches.c.url, fetches.c.fetched, fetches.c.fingerprint)
        with self.engine.connect() as conn:
            for start in range(0, len(unique), 500):  # stay under SQL parameter limits
                query = select(*columns).where(fetches.c.url.in_(unique[start : start + 500]))
                for row in conn.execute(query):
                    found[row.url] = FetchRecord(row.fetched, row.fingerprint)
        return found

    def document(self, url: str) -> DocumentState:
        """What the last run kept of a feed, sitemap or discovery page."""
        with self.engine.connect() as conn:
            columns = (fetches.c.etag, fetches.c.last_modified, fetches.c.target)
            row = conn.execute(select(*columns).where(fetches.c.url == url)).first()
        return DocumentState() if row is None else DocumentState(*row)

    def record_fetch(
        self,
        url: str,
        now: datetime,
        *,
        fingerprint: str | None = None,
        document: DocumentState | None = None,
    ) -> None:
        """Note that `url` was fetched now, with what discovery said and its validators."""
        _require_aware(now)
        document = document or DocumentState()
        values = {
            "fetched": now,
            "fingerprint": fingerprint,
            "etag": document.etag,
            "last_modified": document.last_modified,
            "target": document.target,
        }
        with self.engine.begin() as conn:
            updated = conn.execute(fetches.update().where(fetches.c.url == url).values(**values))
            if updated.rowcount == 0:
                try:
                    with conn.begin_nested():
                        conn.execute(fetches.insert().values(url=url, **values))
                except IntegrityError:  # a concurrent crawl inserted it first
                    conn.execute(fetches.update().where(fetches.c.url == url).values(**values))

    def record_run(
        self,
        source_id: str,
        started: datetime,
        finished: datetime,
        reason: str,
        stats: dict[str, Any],
        *,
        exit_status: int | None = None,
        errors: str | None = None,
    ) -> None:
        _require_aware(started, finished)
        safe = json.loads(json.dumps(stats, default=str))
        with self.engine.begin() as conn:
            conn.execute(
                runs.insert().values(
                    source_id=source_id,
                    started=started,
                    finished=finished,
                    reason=reason,
                    stats=safe,
                    exit_status=exit_status,
                    errors=errors,
                )
            )


def _add_missing_columns(conn: Connection) -> None:
    """Bring a store made by an older sokbo up to date: add the (nullable) columns it
    lacks. create_all makes missing tables but never alters existing ones."""
    inspector = inspect(conn)
    for table in metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=conn.dialect)
                conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')


def _require_aware(*values: datetime | None) -> None:
    # Checked before any SQL: SQLAlchemy would wrap the type's own ValueError in a
    # StatementError, and an aware-only store must refuse with a plain ValueError.
    if any(value is not None and value.utcoffset() is None for value in values):
        raise ValueError("naive datetime given to the store; attach a time zone")


def article_values(article: Article) -> dict[str, Any]:
    """The `articles` columns that come from the article itself."""
    return {
        "url": article.url,
        "source_id": article.source_id,
        "title": article.title,
        "excerpt": article.excerpt,
        "body_html": article.body_html,
        "image": article.image,
        "categories": list(article.categories),
        "language": article.language,
        "authors": list(article.authors),
        "tags": list(article.tags),
        "evidence": dict(article.evidence),
        "published": article.published,
        "modified": article.modified,
    }


def _stored(row: Any, status: str) -> StoredArticle:
    article = Article(
        url=row["url"],
        source_id=row["source_id"],
        title=row["title"],
        excerpt=row["excerpt"],
        body_html=row["body_html"],
        published=row["published"],
        image=row["image"],
        modified=row["modified"],
        categories=tuple(row["categories"]),
        language=row["language"],
        authors=tuple(row["authors"] or ()),
        tags=tuple(row["tags"] or ()),
        evidence=tuple((row["evidence"] or {}).items()),
    )
    return StoredArticle(row["id"], article, row["slug"], row["published"], status, row["changed"])
