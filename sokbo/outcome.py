"""What a crawl's Scrapy stats say about how it went: failed or not, why, and its counts.

One definition for `sokbo crawl`'s exit status, the runs table and the scheduler's log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sokbo import stats as stat_keys

# The close reason of a crawl stopped because its store stopped answering.
STORE_UNAVAILABLE = "store unavailable"


def stat_count(stats: Mapping[str, Any], key: str) -> int:
    """A counter of Scrapy's stats; 0 when absent (or not a number)."""
    value = stats.get(key, 0)
    return int(value) if isinstance(value, int | float) else 0


def crawl_errors(reason: str | None, stats: Mapping[str, Any]) -> str | None:
    """A short summary of what went wrong (`stopped: shutdown; 2 errors logged`), None
    for a clean run: finished, no error logged, every page fetched."""
    problems = []
    if reason != "finished":
        problems.append(f"stopped: {reason or 'unknown reason'}")
    errors = stat_count(stats, "log_count/ERROR")
    if errors:
        problems.append(f"{errors} error{'s' if errors != 1 else ''} logged")
    failed = stat_count(stats, stat_keys.PAGE_ERRORS)
    if failed:
        problems.append(f"{failed} page{'s' if failed != 1 else ''} not fetched")
    return "; ".join(problems) or None


def cleanly_stopped(reason: str | None, stats: Mapping[str, Any]) -> bool:
    """A run stopped before its end (Ctrl-C, a timeout) in which nothing else went wrong:
    its queue holds exactly the work left, so the next run may resume it."""
    return reason != "finished" and crawl_errors("finished", stats) is None


def crawl_exit_status(reason: str | None, stats: Mapping[str, Any]) -> int:
    """0 for a clean run, 1 otherwise: what `sokbo crawl` exits with for this source."""
    return 0 if crawl_errors(reason, stats) is None else 1


def crawl_counts(stats: Mapping[str, Any]) -> dict[str, int]:
    """The figures of one run that a log line or a status table shows."""
    return {
        "requests": stat_count(stats, "downloader/request_count"),  # sent, not answered from a copy
        # Article pages whose response arrived (counted then, not when queued), by the
        # reason they were asked for: as the summary's "pages fetched".
        "pages": sum(
            stat_count(stats, stat_keys.fetched(why)) for why in ("new", "changed", "recheck")
        ),
        "new": stat_count(stats, stat_keys.stored("new")),
        "updated": stat_count(stats, stat_keys.stored("updated")),
        "unchanged": stat_count(stats, stat_keys.stored("unchanged")),
        "dropped": sum(
            stat_count(stats, key) for key in stats if key.startswith(stat_keys.DROPPED)
        ),
        "stories": stat_count(stats, stat_keys.STORIES_NEW),
        "versions": stat_count(stats, stat_keys.STORY_VERSIONS),
        "duplicates": stat_count(stats, stat_keys.STORY_DUPLICATES),
    }
