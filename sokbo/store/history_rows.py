"""A source's recent history for the operator's web views: its runs, articles and their times."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from sokbo.store.schema import articles, require_aware, runs


class HistoryRows:
    """Read-only views of one source: runs since a time, newest articles with evidence."""

    engine: Engine

    def runs_since(
        self, source_id: str, since: datetime, limit: int = 200
    ) -> list[Mapping[str, Any]]:
        """The source's runs started at or after `since`, newest first (at most `limit`)."""
        require_aware(since)
        query = (
            select(runs)
            .where((runs.c.source_id == source_id) & (runs.c.started >= since))
            .order_by(runs.c.started.desc(), runs.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def recent_articles(self, source_id: str, limit: int = 20) -> list[Mapping[str, Any]]:
        """The source's newest articles by first sight: url, title, dates and evidence."""
        query = (
            select(
                articles.c.id,
                articles.c.url,
                articles.c.title,
                articles.c.published,
                articles.c.first_seen,
                articles.c.changed,
                articles.c.evidence,
            )
            .where(articles.c.source_id == source_id)
            .order_by(articles.c.first_seen.desc(), articles.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def article_sightings(
        self, source_id: str, since: datetime
    ) -> list[tuple[datetime, datetime, dict[str, str] | None]]:
        """(first_seen, changed, evidence) of the source's articles changed since `since`."""
        require_aware(since)
        query = select(articles.c.first_seen, articles.c.changed, articles.c.evidence).where(
            (articles.c.source_id == source_id) & (articles.c.changed >= since)
        )
        with self.engine.connect() as conn:
            return [(row[0], row[1], row[2]) for row in conn.execute(query)]
