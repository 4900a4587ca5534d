"""The articles: insert, update on a real change, read back."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from sokbo.models import Article, StoredArticle
from sokbo.slug import disambiguate, slugify
from sokbo.store.fetch_rows import note_fetch
from sokbo.store.schema import articles, require_aware
from sokbo.store.story_rows import lock_stories, place_in_story
from sokbo.stories import Signature


class ArticleRows:
    """Articles keyed by canonical URL, with a content hash to detect real changes."""

    engine: Engine

    def upsert(
        self, article: Article, now: datetime, signature: Signature | None = None
    ) -> StoredArticle:
        """Insert a new article, update a changed one, or only mark it checked.

        The slug and the publication date are fixed at first sight so that the post's
        file name never moves. An article that says which URL was fetched for it
        (`fetched_url`) has that fetch recorded in the same transaction. Given its story
        signature (sokbo.stories), the article is placed in its story in that
        transaction too (StoryRows.assign_story), so no article is stored without one.
        """
        require_aware(now, article.published, article.modified)
        digest = article.content_hash()
        values = article_values(article) | {"content_hash": digest, "checked": now}
        # Twice at most: if another crawl inserts this URL between our lookup and our
        # insert, the second lookup finds its row and this becomes an update or a check.
        for _attempt in range(2):
            with self.engine.begin() as conn:
                if signature is not None:
                    lock_stories(conn)
                row = conn.execute(select(articles).where(articles.c.url == article.url)).first()
                if row is not None:
                    status = "unchanged" if row.content_hash == digest else "updated"
                    update = {"checked": now}
                    if status == "updated":
                        update = values | {"changed": now, "published": row.published}
                    conn.execute(articles.update().where(articles.c.id == row.id).values(**update))
                    _note_fetch(conn, article, now)
                    story = place_in_story(conn, row.id, signature) if signature else None
                    changed = now if status == "updated" else row.changed
                    return StoredArticle(
                        row.id, article, row.slug, row.published, status, changed, story=story
                    )
            stored = self._insert(article, values, now, signature)
            if stored is not None:
                return stored
        raise RuntimeError(f"{article.url} is neither insertable nor found")

    def _insert(
        self, article: Article, values: dict[str, Any], now: datetime, signature: Signature | None
    ) -> StoredArticle | None:
        """Insert under the title's slug, else the URL-suffixed one; None if the URL is taken."""
        slug = slugify(article.title, article.url)
        values = values | {"first_seen": now, "changed": now}
        for candidate in (slug, disambiguate(slug, article.url)):
            try:
                with self.engine.begin() as conn:
                    if signature is not None:
                        lock_stories(conn)
                    result = conn.execute(articles.insert().values(slug=candidate, **values))
                    key = result.inserted_primary_key
                    assert key is not None
                    _note_fetch(conn, article, now)
                    story = place_in_story(conn, int(key[0]), signature) if signature else None
                return StoredArticle(
                    int(key[0]), article, candidate, article.published, "new", now, story=story
                )
            except IntegrityError:
                if self.get_by_url(article.url) is not None:  # a concurrent crawl won
                    return None
        raise RuntimeError(f"no free slug for {article.url} (tried {slug!r} and a suffix)")

    def get_by_url(self, url: str) -> StoredArticle | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(articles).where(articles.c.url == url)).first()
        return None if row is None else stored_article(row._mapping, "unchanged")

    def articles_by_id(self, article_ids: Collection[int]) -> dict[int, StoredArticle]:
        query = select(articles).where(articles.c.id.in_(list(article_ids)))
        with self.engine.connect() as conn:
            return {
                row.id: stored_article(row._mapping, "unchanged") for row in conn.execute(query)
            }

    def articles_for_sources(self, source_ids: Sequence[str]) -> Iterator[StoredArticle]:
        query = select(articles).where(articles.c.source_id.in_(list(source_ids)))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(articles.c.id)).all()
        for row in rows:
            yield stored_article(row._mapping, "unchanged")


def _note_fetch(conn: Connection, article: Article, now: datetime) -> None:
    if article.fetched_url:
        note_fetch(conn, article.fetched_url, now, fingerprint=article.fingerprint)


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


def stored_article(row: Any, status: str) -> StoredArticle:
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
