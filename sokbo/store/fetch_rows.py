"""What sokbo fetched: when, its validators, what was discovered through it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, select

from sokbo.incremental import FetchRecord
from sokbo.store.schema import fetches, require_aware, update_or_insert


@dataclass
class DocumentState:
    """A document's validators (for conditional requests) and the feed found through it."""

    etag: str | None = None
    last_modified: str | None = None
    target: str | None = None


class FetchRows:
    """The fetch log behind incremental crawls."""

    engine: Engine

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
        with self.engine.begin() as conn:
            note_fetch(conn, url, now, fingerprint=fingerprint, document=document)


def note_fetch(
    conn: Connection,
    url: str,
    now: datetime,
    *,
    fingerprint: str | None = None,
    document: DocumentState | None = None,
) -> None:
    """Record_fetch's row, in the caller's transaction."""
    require_aware(now)
    document = document or DocumentState()
    values = {
        "fetched": now,
        "fingerprint": fingerprint,
        "etag": document.etag,
        "last_modified": document.last_modified,
        "target": document.target,
    }
    update_or_insert(conn, fetches, {"url": url}, values)
