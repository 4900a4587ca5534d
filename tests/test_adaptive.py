"""Adaptive polling: the interval follows the source's pace, within its bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sokbo.models import Article
from sokbo.schedule.adaptive import adaptive_interval
from sokbo.store import Store

NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
MIN, MAX = timedelta(minutes=5), timedelta(hours=2)


def every(gap: timedelta, count: int, last: timedelta = timedelta(0)) -> list[datetime]:
    """`count` articles `gap` apart, the newest `last` before NOW."""
    return [NOW - last - gap * n for n in range(count)]


def test_a_busy_source_is_polled_at_half_its_gap() -> None:
    assert adaptive_interval(every(timedelta(minutes=20), 12), NOW, MIN, MAX) == timedelta(
        minutes=10
    )


def test_busier_is_shorter_and_quieter_is_longer() -> None:
    busy = adaptive_interval(every(timedelta(minutes=12), 20), NOW, MIN, MAX)
    calm = adaptive_interval(every(timedelta(minutes=50), 20), NOW, MIN, MAX)
    assert MIN < busy < calm < MAX


def test_silence_stretches_the_interval() -> None:
    pace = every(timedelta(minutes=10), 10, last=timedelta(0))
    quiet_for_an_hour = every(timedelta(minutes=10), 10, last=timedelta(hours=1))
    assert adaptive_interval(pace, NOW, MIN, MAX) == MIN  # half of 10 minutes, clamped
    assert adaptive_interval(quiet_for_an_hour, NOW, MIN, MAX) == timedelta(minutes=30)


def test_clamped_to_the_bounds() -> None:
    burst = every(timedelta(seconds=30), 40)
    assert adaptive_interval(burst, NOW, MIN, MAX) == MIN
    sparse = every(timedelta(hours=7), 4)
    assert adaptive_interval(sparse, NOW, MIN, MAX) == MAX


def test_no_recent_article_means_the_longest_interval() -> None:
    assert adaptive_interval([], NOW, MIN, MAX) == MAX
    last_week = every(timedelta(minutes=5), 30, last=timedelta(days=3))
    assert adaptive_interval(last_week, NOW, MIN, MAX) == MAX


def test_one_or_two_articles_use_the_window_average() -> None:
    # Two articles in a day: a gap of twelve hours as far as anyone can tell.
    two = [NOW - timedelta(minutes=1), NOW - timedelta(minutes=2)]
    assert adaptive_interval(two, NOW, MIN, timedelta(days=1)) == timedelta(hours=6)


def test_future_dates_count_as_now() -> None:
    ahead = [NOW + timedelta(hours=5), *every(timedelta(minutes=30), 5, last=timedelta(0))]
    assert adaptive_interval(ahead, NOW, MIN, MAX) == timedelta(minutes=15)


def test_bounds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="longer"):
        adaptive_interval([], NOW, MAX, MIN)


@given(
    st.lists(st.integers(min_value=-3 * 86400, max_value=3600), max_size=60),
    st.integers(min_value=1, max_value=3600),
    st.integers(min_value=0, max_value=86400),
)
def test_always_within_bounds(offsets: list[int], low: int, spread: int) -> None:
    times = [NOW + timedelta(seconds=s) for s in offsets]
    low_delta, high_delta = timedelta(seconds=low), timedelta(seconds=low + spread)
    interval = adaptive_interval(times, NOW, low_delta, high_delta)
    assert low_delta <= interval <= high_delta


def article(url: str, published: datetime, source_id: str = "src") -> Article:
    return Article(
        url=url,
        source_id=source_id,
        title=url,
        excerpt="",
        body_html="<p>x</p>",
        published=published,
    )


def test_article_arrivals_reads_the_store(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'sokbo.db'}")
    try:
        store.upsert(article("https://a.example/1", NOW - timedelta(hours=1)), NOW)
        # Dated ahead: counts from when it was first seen.
        store.upsert(article("https://a.example/2", NOW + timedelta(hours=3)), NOW)
        # An old article found today (a first crawl's backlog) says nothing of the pace.
        store.upsert(article("https://a.example/3", NOW - timedelta(days=9)), NOW)
        store.upsert(article("https://b.example/1", NOW - timedelta(minutes=5), "other"), NOW)
        since = NOW - timedelta(days=1)
        assert store.article_arrivals("src", since) == [NOW - timedelta(hours=1), NOW]
        assert store.article_arrivals("other", since) == [NOW - timedelta(minutes=5)]
    finally:
        store.close()
