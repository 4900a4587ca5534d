"""The store's tables (SQLAlchemy Core), their column types, the schema's upkeep and the
one write every table group needs (update a row, else insert it)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    inspect,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect


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
    # The article's `changed` the post was rendered from: an article changed since (or
    # with no post at all) is waiting to be published, whatever stopped its run.
    Column("article_changed", UTCDateTime),
    # The article whose content the post shows when it is not the post's own: a later,
    # fuller version of the same story (sokbo.publish.stories). The post keeps its own
    # article's file name and feed id; `article_changed` is then the shown one's.
    Column("shows", Integer, ForeignKey("articles.id")),
    # When the post was first recorded (never moved by a re-render): how long after its
    # article's publication it reached the site (sokbo status's latency). NULL: recorded
    # by an older sokbo.
    Column("first_written", UTCDateTime),
    # Without these, a run's pending_posts (is this article shown through another post?)
    # and the health check's post_delays (an article's posts on any site) read every
    # post for every article: minutes per run once a source has tens of thousands.
    Index("ix_posts_shows", "site_id", "shows"),
    Index("ix_posts_article", "article_id"),
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
# than once per feed build (sokbo/publish/feeds/cache.py reads and writes it). `key` says
# what it was built from: the article's content and change time, the site's config and the code;
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
    Column("node", Text),  # the crawl node (Scrapyd URL) it ran on; NULL: this machine
    Column("job", Text),  # its Scrapyd job id there
)


# Stories (sokbo.stories, store.story_rows): every article's story, named by the id of the
# story's first article, and its signature, read back to compare a later article with it.
article_stories = Table(
    "article_stories",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id"), primary_key=True),
    Column("story_id", Integer, nullable=False, index=True),
    Column("signature", LargeBinary, nullable=False),
)

# The locality-sensitive hashing index over the signatures: two articles sharing a band
# key are compared; no key shared, no comparison (sokbo.stories.band_keys).
story_bands = Table(
    "story_bands",
    metadata,
    Column("key", BigInteger, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id"), primary_key=True),
    # The key is the index: one b-tree on SQLite, not a table and an index beside it.
    sqlite_with_rowid=False,
)

# Which article's post shows a story on a site: the first to claim it (an insert that only
# one writer can win, so two crawls publishing one story at once make one post).
story_claims = Table(
    "story_claims",
    metadata,
    Column("site_id", String(64), primary_key=True),
    Column("story_id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False),
)

# Versions of a story a site does not post on their own (policy update or first): covered
# by the story's post, `article_changed` as for posts (a later edit is looked at again).
covered_articles = Table(
    "covered_articles",
    metadata,
    Column("site_id", String(64), primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id"), primary_key=True),
    Column("post_article_id", Integer, ForeignKey("articles.id"), nullable=False),
    Column("article_changed", UTCDateTime, nullable=False),
)


# The configs a central node hands to crawl nodes (store.config_rows): a job names one by id.
configs = Table(
    "configs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("digest", String(64), nullable=False, unique=True),  # SHA-256 of base and text
    Column("text", Text, nullable=False),  # the TOML, as read
    Column("base", Text, nullable=False),  # the folder its relative paths resolve against
    Column("saved", UTCDateTime, nullable=False),
)


# The images a site with `images = "mirror"` serves itself (store.image_rows), by the URL
# its articles give: the file under the site's images_dir, named by the SHA-256 of its
# bytes (two URLs with the same bytes share one file), and what an <img> needs.
mirrored_images = Table(
    "mirrored_images",
    metadata,
    Column("site_id", String(64), primary_key=True),
    Column("url", Text, primary_key=True),
    Column("file", String(80), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("content_type", String(32), nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("mirrored", UTCDateTime, nullable=False),
)

# The images a mirror site could not have yet: why, how many tries, and when the next
# crawl of an article showing one may try again (the post links the original meanwhile).
image_failures = Table(
    "image_failures",
    metadata,
    Column("site_id", String(64), primary_key=True),
    Column("url", Text, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_attempt", UTCDateTime, nullable=False),
    Column("retry_after", UTCDateTime, nullable=False, index=True),
)

# The images each article shows (its lead image and its body's), as the images stage last
# saw the article: a post shows mirrored the images of the article whose content it shows.
article_images = Table(
    "article_images",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id"), primary_key=True),
    Column("url", Text, primary_key=True),
    Index("ix_article_images_url", "url"),
)


# WebSub (sokbo.push, store.push_rows). The hubs and topic each feed of a source (or start
# page of a listing source) named when a crawl last read it (the spiders keep them; a
# document that stops naming a hub loses its row): what the scheduler subscribes to.
push_hubs = Table(
    "push_hubs",
    metadata,
    Column("source_id", String(64), primary_key=True),
    Column("feed_url", Text, primary_key=True),  # the feed (or page) as requested
    Column("hub", Text, nullable=False),  # the first hub it names
    Column("topic", Text, nullable=False),  # its rel=self URL, else the feed's own
    Column("seen", UTCDateTime, nullable=False),
    # The other hubs it names, in order (a JSON list, at most two; NULL: none), each
    # subscribed to only while the ones before it fail (sokbo.push.leases.choose_hubs).
    # A column beside `hub`, not a row per hub: a store made by an older sokbo gains it
    # (add_missing_columns_and_indexes), and an older sokbo reading this one still finds the first.
    Column("more_hubs", JSON),
)

# The subscriptions the scheduler holds, or is asking for, at those hubs. `token` is the
# last segment of the subscription's callback URL (unguessable, one per subscription), the
# key a hub's verification or notification is found by; `secret` signs its notifications.
push_subscriptions = Table(
    "push_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token", String(64), nullable=False, unique=True),
    Column("source_id", String(64), nullable=False, index=True),
    Column("topic", Text, nullable=False),
    Column("hub", Text, nullable=False),
    Column("secret", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # sokbo.push.leases: SUBSCRIBING, ...
    Column("due", UTCDateTime, nullable=False),  # when the hub is next asked (or renewed)
    Column("attempts", Integer, nullable=False),  # requests since the last verification
    Column("requested", UTCDateTime),  # the last request sent
    Column("verified", UTCDateTime),  # the last verification of intent answered
    Column("lease_seconds", Integer),  # as the hub granted it
    Column("expires", UTCDateTime),
    Column("last_notified", UTCDateTime),  # the last notification with a good signature
    Column("silent_since", UTCDateTime),  # polls found articles the hub never announced
    Column("error", Text),  # the last request's problem, in a line
    Column("created", UTCDateTime, nullable=False),
)


def add_missing_columns_and_indexes(conn: Connection) -> None:
    """Bring a store made by an older sokbo up to date: add the (nullable) columns and the
    indexes it lacks. create_all makes missing tables, with their indexes, but never
    alters existing ones."""
    inspector = inspect(conn)
    for table in metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=conn.dialect)
                conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')
        indexed = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexed:
                index.create(conn)


def update_or_insert(
    conn: Connection, table: Table, key: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    """Set ``values`` on the row of ``key`` (the table's primary key), inserting the row
    when there is none: one statement (INSERT ... ON CONFLICT DO UPDATE, on SQLite as on
    PostgreSQL), so a concurrent writer of the same row cannot make it fail."""
    statement = _upsert(conn.dialect.name, table, tuple(key), tuple(values))
    conn.execute(statement, {**key, **values})


def insert_unless_present(conn: Connection, table: Table, values: Mapping[str, Any]) -> None:
    """Insert the row unless one with its primary key exists (then leave that one as it is)."""
    conn.execute(_INSERTS[conn.dialect.name](table).values(**values).on_conflict_do_nothing())


@functools.cache
def _upsert(dialect: str, table: Table, key: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    """update_or_insert's statement, its values bound at execution: made once per shape,
    so SQLAlchemy compiles it once (a statement with the values in it is built and
    looked up in the compiled cache on every call)."""
    insert = _INSERTS[dialect](table)
    return insert.on_conflict_do_update(
        index_elements=list(key), set_={name: insert.excluded[name] for name in columns}
    )


# One for each of config_values.STORE_BACKENDS, the databases the config accepts.
_INSERTS: dict[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def require_aware(*values: datetime | None) -> None:
    # Checked before any SQL: SQLAlchemy would wrap the type's own ValueError in a
    # StatementError, and an aware-only store must refuse with a plain ValueError.
    if any(value is not None and value.utcoffset() is None for value in values):
        raise ValueError("naive datetime given to the store; attach a time zone")
