"""Stories: which story each article belongs to, and which post shows a story on a site."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, bindparam, func, select

from sokbo.store.schema import (
    article_stories,
    articles,
    covered_articles,
    insert_unless_present,
    require_aware,
    story_bands,
    story_claims,
    update_or_insert,
)
from sokbo.stories import Signature, band_keys, same_story

# Any fixed number: PostgreSQL sessions assigning stories queue on this advisory lock, so
# two crawl nodes storing one story at the same moment put it in one story, not two.
_STORY_LOCK = 0x50CB1

# The most candidates compared with a new article, those sharing the most band keys first:
# a text told a thousand times (a templated notice) costs 50 comparisons, not a thousand.
MAX_CANDIDATES = 50


@dataclass(frozen=True)
class StoryAssignment:
    story_id: int
    new: bool  # the article starts the story


class StoryRows:
    engine: Engine

    def assign_story(self, article_id: int, signature: Signature) -> StoryAssignment:
        """Put a stored article in the story of the articles it tells again, else in a
        story of its own, and index its signature; an article already placed keeps its
        story (a retry is harmless). Store.upsert does the same in the article's own
        transaction when given the signature."""
        with self.engine.begin() as conn:
            lock_stories(conn)
            story = place_in_story(conn, article_id, signature)
        return StoryAssignment(story, new=story == article_id)

    def find_story(self, signature: Signature) -> int | None:
        """The stored story an article with this signature would join, if any; reads only
        (a preview, or the check alone, without placing anything)."""
        with self.engine.connect() as conn:
            return _matching_story(conn, 0, signature, sorted(set(band_keys(signature))))

    def story_of(self, article_id: int) -> int | None:
        """The article's story; None for an article stored before stories were kept."""
        query = select(article_stories.c.story_id).where(article_stories.c.article_id == article_id)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def story_urls(self, story_id: int) -> list[str]:
        """The URLs of every version of a story, oldest first."""
        query = (
            select(articles.c.url)
            .join(article_stories, article_stories.c.article_id == articles.c.id)
            .where(article_stories.c.story_id == story_id)
            .order_by(articles.c.id)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def claim_story(self, site_id: str, story_id: int, article_id: int) -> int:
        """The article whose post shows the story on the site: the first to claim it."""
        values = {"site_id": site_id, "story_id": story_id, "article_id": article_id}
        key = (story_claims.c.site_id == site_id) & (story_claims.c.story_id == story_id)
        with self.engine.begin() as conn:
            insert_unless_present(conn, story_claims, values)
            anchor = conn.execute(select(story_claims.c.article_id).where(key)).scalar()
        assert anchor is not None
        return int(anchor)

    def cover(self, site_id: str, article_id: int, post_article_id: int, changed: datetime) -> None:
        """Note that the site shows this version of a story only through another's post."""
        require_aware(changed)
        with self.engine.begin() as conn:
            update_or_insert(
                conn,
                covered_articles,
                {"site_id": site_id, "article_id": article_id},
                {"post_article_id": post_article_id, "article_changed": changed},
            )

    def story_counts(self, source_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Per source: (stories its articles started, its articles in another's story)."""
        started = article_stories.c.story_id == article_stories.c.article_id
        query = (
            select(articles.c.source_id, started.label("started"), func.count())
            .join(article_stories, article_stories.c.article_id == articles.c.id)
            .where(articles.c.source_id.in_(list(source_ids)))
            .group_by(articles.c.source_id, started)
        )
        counts: dict[str, tuple[int, int]] = {}
        with self.engine.connect() as conn:
            for source_id, first, count in conn.execute(query):
                new, again = counts.get(source_id, (0, 0))
                counts[source_id] = (new + count, again) if first else (new, again + count)
        return counts


def lock_stories(conn: Connection) -> None:
    """One story assignment at a time across every process writing to the store, until
    the transaction ends. First in the transaction (SQLite takes its write lock here)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_STORY_LOCK)))
    elif conn.dialect.name == "sqlite":  # the write lock up front, not at the first insert
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def place_in_story(conn: Connection, article_id: int, signature: Signature) -> int:
    """The article's story: the one it has, else the story of the closest article it
    tells again (compared with the candidates sharing a band key), else its own; placed
    and indexed in ``conn``'s transaction, which must hold lock_stories."""
    known = conn.execute(
        select(article_stories.c.story_id).where(article_stories.c.article_id == article_id)
    ).scalar()
    if known is not None:
        return int(known)
    keys = sorted(set(band_keys(signature)))
    story = _matching_story(conn, article_id, signature, keys) or article_id
    conn.execute(
        article_stories.insert().values(
            article_id=article_id, story_id=story, signature=signature.to_bytes()
        )
    )
    if keys:
        conn.execute(story_bands.insert(), [{"key": key, "article_id": article_id} for key in keys])
    return story


def _matching_story(
    conn: Connection, article_id: int, signature: Signature, keys: list[int]
) -> int | None:
    """The story of the closest candidate that tells the same story, if any: candidates
    sharing the most band keys are compared first, and the first match decides."""
    if not keys:
        return None
    for story_id, data in conn.execute(_CANDIDATES, {"keys": keys, "article": article_id}):
        if same_story(signature, Signature.from_bytes(data)):
            return int(story_id)
    return None


# The candidates of an article, best first; one statement, compiled once (the keys are an
# expanding parameter).
_shared = (
    select(story_bands.c.article_id, func.count().label("shared"))
    .where(story_bands.c.key.in_(bindparam("keys", expanding=True)))
    .where(story_bands.c.article_id != bindparam("article"))
    .group_by(story_bands.c.article_id)
    .order_by(func.count().desc(), story_bands.c.article_id)
    .limit(MAX_CANDIDATES)
    .subquery()
)
_CANDIDATES = (
    select(article_stories.c.story_id, article_stories.c.signature)
    .join(_shared, _shared.c.article_id == article_stories.c.article_id)
    .order_by(_shared.c.shared.desc(), _shared.c.article_id)
)
