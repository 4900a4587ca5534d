"""Adaptive polling: how often to crawl a source, from the pace of its recent articles."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import pairwise

# How far back the pace is read: long enough to span a night, short enough that a source
# which changed its rhythm (an election night, a holiday) is followed within a day.
WINDOW = timedelta(days=1)
# The newest gaps between articles that set the typical gap: a few, so that a burst is
# noticed soon, and more than one, so that two articles published together do not.
SAMPLE = 8


def adaptive_interval(
    published_times: Iterable[datetime],
    now: datetime,
    min_interval: timedelta,
    max_interval: timedelta,
    *,
    window: timedelta = WINDOW,
) -> timedelta:
    """The interval to the next crawl: half the source's typical gap between articles,
    stretched while it has been silent for longer than that, within [min, max].

    Polling twice per typical gap means a new article waits about a quarter of a gap on
    average, the usual trade between freshness and load. The typical gap is the median
    of the newest gaps (robust against one burst or one pause); with fewer than three
    recent articles there is no median worth the name and the window's average is used.
    The silence since the newest article counts as a gap that is still growing, so a
    source that stops publishing is polled less and less often until max_interval. A
    source with no article in the window gets max_interval. Times after `now` (sources
    that date ahead) count as `now`.
    """
    if min_interval > max_interval:
        raise ValueError("min_interval is longer than max_interval")
    recent = sorted(min(time, now) for time in published_times if time > now - window)
    if not recent:
        return max_interval
    gaps = [later - earlier for earlier, later in pairwise(recent[-(SAMPLE + 1) :])]
    typical = _median(gaps) if len(gaps) >= 2 else window / len(recent)
    silence = now - recent[-1]
    interval = max(typical, silence) / 2
    return min(max(interval, min_interval), max_interval)


def _median(values: list[timedelta]) -> timedelta:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
