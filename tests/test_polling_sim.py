"""bench/polling.py's simulation core on hand-made timelines: who sees what, when, and
what it costs."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bench.polling import fixed_reads, follow, latencies, measure, polls_within


def test_each_article_waits_for_the_first_read_at_or_after_it() -> None:
    timeline = [10.0, 25.0, 100.0, 130.0, 500.0]
    reads = [0.0, 20.0, 30.0, 100.0, 140.0]
    # 100 is read at its own moment (a read sees what was published up to it); 500
    # comes after the last read and is left out.
    assert latencies(timeline, reads, 0.0, 1000.0) == [10.0, 5.0, 0.0, 10.0]
    # Only what was published in [start, end) counts.
    assert latencies(timeline, reads, 20.0, 130.0) == [5.0, 0.0]


def test_a_policy_is_followed_with_what_its_reads_have_seen() -> None:
    timeline = [5.0, 50.0, 99.0]
    asked: list[tuple[list[float], float]] = []

    def every_20s(seen: Sequence[float], now: float) -> float:
        asked.append((list(seen), now))
        return 20.0

    # Each poll starts 20 s after the last read and reads the feed 2 s after it starts.
    reads = follow(timeline, every_20s, 0.0, 100.0, cost=2.0)
    assert reads == [22.0, 44.0, 66.0, 88.0, 110.0]  # on until 99 is seen
    assert asked[0] == ([], 0.0)
    assert asked[1] == ([5.0], 22.0)
    assert asked[3] == ([5.0, 50.0], 66.0)
    assert polls_within(reads, 0.0, 100.0) == 4
    assert latencies(timeline, reads, 0.0, 100.0) == [17.0, 16.0, 11.0]


def test_what_was_published_before_the_start_counts_as_seen() -> None:
    asked: list[list[float]] = []

    def record(seen: Sequence[float], now: float) -> float:
        asked.append(list(seen))
        return 50.0

    follow([1.0, 10.0, 60.0], record, 10.0, 100.0, cost=0.0)
    assert asked[:2] == [[1.0], [1.0, 10.0, 60.0]]


def test_a_fixed_interval_does_not_drift_with_its_cost() -> None:
    reads = list(fixed_reads(0.0, 100.0, every=25.0, cost=2.0, phase=5.0))
    assert reads == [7.0, 32.0, 57.0, 82.0, 107.0]


def test_the_fixed_interval_of_equal_cost_polls_as_often() -> None:
    timeline = [float(t) for t in range(0, 1000, 37)]
    polls, waits, fixed, every = measure(timeline, lambda seen, now: 40.0, 0.0, 1000.0, 0.0)
    # Reads at 40, 80, ... 960 within [0, 1000): 24, so the fixed interval is 1000/24 s.
    assert polls == 24 and every == pytest.approx(1000 / 24)
    assert len(waits) == len(timeline) and len(fixed) == 4 * len(timeline)  # four phases
    assert max(waits) <= 40.0 and max(fixed) <= every
