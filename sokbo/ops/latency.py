"""How long a source's articles take to reach a site, and when that jumps: pure.

A post's latency is the time from its article's publication (as the source dates it) to
the post's first write on the first site that had it. It covers the wait for the next
poll, the fetch and the publishing; a source that dates its articles late or by the
day only shows its own offset, which is why the alert compares a source with itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

DAY = timedelta(hours=24)
HISTORY_DAYS = 14
# The alert needs this many posts in the last 24 hours and in the days before, so that
# one late article is no jump.
MIN_SAMPLE = 5
MIN_BASELINE = 10
# A jump: the last 24 hours' median at least this many times the usual one, and longer
# by at least JUMP_MARGIN (a source usually posted within a minute is not flagged for
# taking three).
JUMP_RATIO = 3.0
JUMP_MARGIN = timedelta(minutes=10)


@dataclass(frozen=True)
class Latency:
    posts: int
    median: timedelta
    p90: timedelta


@dataclass(frozen=True)
class LatencyHistory:
    last_24h: Latency | None  # None: no post in the last 24 hours
    usual: Latency | None  # over the days before; None: none


def latency_of(delays: Sequence[timedelta]) -> Latency | None:
    """Median and 90th percentile (nearest rank) of the delays; None without any."""
    if not delays:
        return None
    ordered = sorted(delays)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    rank = max(0, -(-9 * len(ordered) // 10) - 1)  # ceil(0.9 n) - 1
    return Latency(len(ordered), median, ordered[rank])


def build_latency(
    marks: Iterable[tuple[datetime, datetime]], now: datetime, first_activity: datetime | None
) -> LatencyHistory:
    """Split (published, first posted) pairs into the last 24 hours and the days before.

    Articles published before the source's first activity are its backlog (the first
    run posts what the source had long published): they say nothing of latency and are
    left out. A publication dated after its post counts as no wait.
    """
    recent: list[timedelta] = []
    before: list[timedelta] = []
    for published, posted in marks:
        if first_activity is not None and published < first_activity:
            continue
        delay = max(posted - published, timedelta(0))
        (recent if posted > now - DAY else before).append(delay)
    return LatencyHistory(latency_of(recent), latency_of(before))


def latency_alert(history: LatencyHistory) -> str | None:
    """A sentence when the last 24 hours' posts waited much longer than usual."""
    last, usual = history.last_24h, history.usual
    if last is None or usual is None or last.posts < MIN_SAMPLE or usual.posts < MIN_BASELINE:
        return None
    if last.median < JUMP_RATIO * usual.median or last.median - usual.median < JUMP_MARGIN:
        return None
    return (
        f"posts wait longer: median {format_span(last.median)} after publication in the "
        f"last 24 hours ({last.posts} posts), against {format_span(usual.median)} "
        f"over the {HISTORY_DAYS} days before"
    )


def format_span(delta: timedelta) -> str:
    """A coarse length of time: 40s, 12m, 5h, 3d (rounded down); 1h30m kept whole."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 2 * 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    return f"{seconds // 86400}d"
