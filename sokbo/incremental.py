"""Pure decisions of an incremental crawl: fetch this page again, or is it too old?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class FetchRecord:
    """The last fetch of a page: when, and what discovery said about it then."""

    fetched: datetime
    fingerprint: str | None = None


def fetch_reason(
    previous: FetchRecord | None,
    changed: datetime | None,
    fingerprint: str | None,
    now: datetime,
    recheck_after: timedelta,
) -> str | None:
    """Why a page should be fetched ("new", "changed", "recheck"), or None to skip it.

    The source says an entry changed through a date (a feed's updated, a sitemap's
    lastmod) or, for feeds without dates of edits (Tistory's), through what the entry
    itself carries. A breaking-news article is edited after publication, so one that
    looks unchanged is still fetched again once `recheck_after` has passed.
    """
    if previous is None:
        return "new"
    if changed is not None and changed > previous.fetched:
        return "changed"
    if fingerprint and previous.fingerprint and fingerprint != previous.fingerprint:
        return "changed"
    if now - previous.fetched >= recheck_after:
        return "recheck"
    return None


def too_old(dated: datetime | None, now: datetime, max_age: timedelta | None) -> bool:
    """True when the source dates an entry before `now - max_age` (undated entries pass)."""
    return max_age is not None and dated is not None and dated < now - max_age
