"""The store, the source of truth: articles, rendered posts and crawl runs (SQLAlchemy).

One class, ``Store``, over one database; its methods come from a module per concern
(articles, posts and feeds, fetches, runs, the configs handed to crawl nodes) and the
tables from ``schema``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, inspect, select
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from sokbo.config import StoreConfig
from sokbo.store.article_rows import article_values
from sokbo.store.config_rows import ConfigRows, SavedConfig
from sokbo.store.feed_entry_rows import EntrySource, FeedEntryRows, KeptEntry
from sokbo.store.fetch_rows import DocumentState, FetchRows
from sokbo.store.history_rows import HistoryRows
from sokbo.store.image_rows import ImageRows
from sokbo.store.post_rows import SITE_FEED, PostRows
from sokbo.store.push_rows import PushHub, PushRows, Subscription
from sokbo.store.run_rows import RUNNING, Died, OpenRun, RunRows, SettledRun
from sokbo.store.schema import (
    UTCDateTime,
    add_missing_columns_and_indexes,
    articles,
    configs,
    feed_entries,
    feed_queue,
    fetches,
    metadata,
    post_categories,
    posts,
    runs,
)
from sokbo.store.story_rows import StoryAssignment, StoryRows

__all__ = [
    "RUNNING",
    "SITE_FEED",
    "Died",
    "DocumentState",
    "EntrySource",
    "KeptEntry",
    "OpenRun",
    "PushHub",
    "SavedConfig",
    "SettledRun",
    "Store",
    "StoreMissing",
    "StoryAssignment",
    "Subscription",
    "UTCDateTime",
    "article_values",
    "articles",
    "configs",
    "feed_entries",
    "feed_queue",
    "fetches",
    "metadata",
    "post_categories",
    "posts",
    "runs",
    "store_error",
]

# Any fixed number: PostgreSQL sessions creating the schema queue on this advisory lock.
_SCHEMA_LOCK = 0x50CB0


def _sqlite_pragmas(busy_timeout: float) -> Callable[[Any, Any], None]:
    def apply(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets the feed builder read while a crawl writes; the busy timeout makes two
        # crawls on one machine wait for each other instead of failing (set first, so
        # that switching to WAL waits too).
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return apply


def store_error(exc: SQLAlchemyError) -> str:
    """What went wrong with the database, in a line: the driver's own first line (`database
    is locked`, `connection refused`), not SQLAlchemy's statement dump."""
    original = getattr(exc, "orig", None) or exc.__cause__ or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    text = lines[0] if lines else type(original).__name__
    if "database is locked" in text:
        text += " (another process held it for longer than the busy timeout)"
    return text


class StoreMissing(Exception):
    """`Store(url, create=False)` of a store that was never made: nothing has run yet."""


class Store(
    PostRows,
    FeedEntryRows,
    FetchRows,
    RunRows,
    ConfigRows,
    StoryRows,
    ImageRows,
    HistoryRows,
    PushRows,
):
    """The store: open (creating or updating the schema), use, close.

    `create=False` opens an existing store only, creating nothing (no folder, file or
    table), and raises StoreMissing when there is none: for readers such as `sokbo status`.
    """

    def __init__(self, url: str, *, busy_timeout: float = 30.0, create: bool = True) -> None:
        _quiet_connection_teardown()
        if url.startswith("sqlite:///"):
            path = url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                if not create and not Path(path).is_file():
                    raise StoreMissing(f"the store {path} does not exist")
                if create:
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._busy_timeout = busy_timeout
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas(busy_timeout))
        if create:
            self._create_schema()
        elif not inspect(self.engine).has_table(runs.name):
            self.engine.dispose()
            where = self.engine.url.render_as_string(hide_password=True)
            raise StoreMissing(f"the store {where} has no tables yet")

    def _create_schema(self) -> None:
        """Create missing tables, one process at a time.

        create_all checks, then creates; two crawls starting together would both find a
        table missing and the second CREATE would fail. Holding a lock across the check
        and the creation makes the later process find the tables made.
        """
        for attempt in range(5):
            started = time.monotonic()
            try:
                with self.engine.begin() as conn:
                    if self.engine.dialect.name == "postgresql":  # DDL is transactional
                        conn.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
                    elif self.engine.dialect.name == "sqlite":  # the write lock up front
                        conn.exec_driver_sql("BEGIN IMMEDIATE")
                    metadata.create_all(conn)
                    add_missing_columns_and_indexes(conn)
                return
            except OperationalError as exc:
                # A brand-new SQLite file: the first process switching it to WAL holds
                # an exclusive lock that SQLite reports at once, without waiting. A lock
                # that outlasted the busy timeout is another process's: said at once.
                waited = time.monotonic() - started
                if "locked" not in str(exc) or attempt == 4 or waited >= self._busy_timeout:
                    raise
                time.sleep(0.2 * (attempt + 1))

    @classmethod
    def open(cls, config: StoreConfig) -> Store:
        """The store a config names, with its settings."""
        return cls(config.url, busy_timeout=config.busy_timeout.total_seconds())

    def close(self) -> None:
        self.engine.dispose()


def _drop_teardown_noise(record: logging.LogRecord) -> bool:
    """psycopg's own warning when it closes a connection the server already dropped
    (`error ignored terminating <psycopg.Pipeline [BAD]>`): the loss is reported once,
    in sokbo's words, by whatever store call met it."""
    return not record.getMessage().startswith("error ignored terminating")


def _quiet_connection_teardown() -> None:
    driver = logging.getLogger("psycopg")
    if _drop_teardown_noise not in driver.filters:
        driver.addFilter(_drop_teardown_noise)
