"""Adaptive polling: the next poll follows the source's bursts, its hours and its pace,
within its bounds, from the store alone."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sokbo.models import Article
from sokbo.schedule.adaptive import HISTORY, adaptive_interval, learn_pace, next_poll
from sokbo.schedule.lagplan import PLACES, lag_plan
from sokbo.store import Store

NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
MIN, MAX = timedelta(minutes=5), timedelta(hours=2)
SECOND = timedelta(seconds=1)


def every(gap: timedelta, count: int, last: timedelta = timedelta(0)) -> list[datetime]:
    """`count` articles `gap` apart, the newest `last` before NOW."""
    return [NOW - last - gap * n for n in range(count)]


def bursts(days: int, seed: int = 1) -> list[datetime]:
    """Issue 16's bursty source for `days` before NOW: a quiet 60-150 s, then 3-6
    articles 10-45 s apart."""
    rng = random.Random(seed)
    moment, found = NOW - timedelta(days=days), []
    while moment < NOW:
        moment += timedelta(seconds=rng.uniform(60, 150))
        for n in range(rng.randint(3, 6)):
            moment += timedelta(seconds=rng.uniform(10, 45)) if n else timedelta(0)
            found.append(moment)
    return [moment for moment in found if moment <= NOW]


def at_hours(days: int, *hours: int, seed: int = 1) -> list[datetime]:
    """An article at each of `hours` (UTC) within a minute, every day for `days` before
    NOW's day."""
    rng = random.Random(seed)
    midnight = NOW.replace(hour=0)
    return [
        midnight - timedelta(days=day, seconds=rng.uniform(-60, 60)) + timedelta(hours=hour)
        for day in range(1, days + 1)
        for hour in hours
    ]


def interval(times: list[datetime], now: datetime = NOW, low: timedelta = MIN) -> timedelta:
    return adaptive_interval(times, now, low, MAX)


# -- what a steady source gets ---------------------------------------------------------


def test_a_steady_source_is_polled_twice_per_gap() -> None:
    assert interval(every(timedelta(minutes=20), 12)) == timedelta(minutes=10)
    busy = interval(every(timedelta(minutes=12), 20))
    calm = interval(every(timedelta(minutes=50), 20))
    assert MIN < busy < calm < MAX


def test_clamped_to_the_bounds() -> None:
    assert interval(every(timedelta(seconds=30), 40)) == MIN
    assert interval(every(timedelta(hours=7), 4)) == MAX


def test_nothing_to_learn_from_means_the_longest_interval() -> None:
    assert interval([]) == MAX
    assert interval([NOW - timedelta(minutes=1)]) == MAX
    older_than_the_window = every(timedelta(minutes=5), 30, last=timedelta(days=15))
    assert interval(older_than_the_window) == MAX


def test_a_source_that_stopped_is_polled_less_and_less() -> None:
    pace = every(timedelta(minutes=20), 15)
    stopped = [interval(pace, NOW + timedelta(hours=hours)) for hours in (0, 6, 24)]
    assert stopped[0] == timedelta(minutes=10)
    assert stopped[0] < stopped[1] < stopped[2]


def test_future_dates_count_as_now() -> None:
    ahead = [NOW + timedelta(hours=5), *every(timedelta(minutes=30), 5, last=timedelta(minutes=30))]
    assert interval(ahead) == interval(
        [NOW, *every(timedelta(minutes=30), 5, timedelta(minutes=30))]
    )


def test_bounds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="longer"):
        adaptive_interval([], NOW, MAX, MIN)


# -- bursts, hours, restarts -----------------------------------------------------------


def test_after_an_article_of_a_burst_the_next_poll_comes_soon() -> None:
    history = bursts(days=2)
    newest = history[-1]
    low = timedelta(seconds=10)
    soon = adaptive_interval(history, newest + timedelta(seconds=5), low, timedelta(minutes=5))
    quiet = adaptive_interval(history, newest + timedelta(seconds=50), low, timedelta(minutes=5))
    assert soon <= timedelta(seconds=30)  # its articles come 10-45 s apart
    # The burst is over (no article comes 45-60 s after one): the next burst comes after
    # a quiet of at least 60 s, and is not polled for before.
    assert timedelta(seconds=50) + quiet >= timedelta(seconds=60)


def test_a_source_whose_day_is_flat_is_polled_by_its_lag_plan() -> None:
    """Day and night alike (a flat day): the time since the newest article says when the
    next comes, and the source's lag plan places the polls (see test_lagplan). A day with
    a night, or with habits, is left to the usual rules."""
    times = sorted(moment.timestamp() for moment in bursts(days=2))
    pace = learn_pace(times)
    assert pace is not None and pace.plan_gaps
    # The newest article's place in its burst is read from the gaps just before it.
    assert pace.recent == tuple(later - earlier for earlier, later in pairwise(times[-PLACES:]))
    plan = lag_plan(pace.plan_gaps, 10.0, 300.0, 2.0)
    for lag in (5.0, 50.0, 70.0):
        planned = plan.wait(lag, pace.recent)
        assert planned is not None
        assert next_poll(pace, times[-1] + lag, 10.0, 300.0) == planned
    for history in (wire(days=14), at_hours(14, 7, 12, 18)):
        other = learn_pace(sorted(moment.timestamp() for moment in history))
        assert other is not None and other.plan_gaps == ()


def test_the_lag_plan_is_learned_again_once_an_hour() -> None:
    """Its gaps are those before the hour of the newest article: an article within the
    same hour leaves them (and the plan cached for them) as they were."""
    times = sorted(moment.timestamp() for moment in bursts(days=2))
    hour = times[-1] // 3600 * 3600
    pace = learn_pace(times)
    assert pace is not None and len(pace.plan_gaps) == 2000
    later = learn_pace([*times, hour + 3599])
    next_hour = learn_pace([*times, hour + 3601])
    assert later is not None and later.plan_gaps == pace.plan_gaps
    assert next_hour is not None and next_hour.plan_gaps != pace.plan_gaps


def wire(days: int, seed: int = 1) -> list[datetime]:
    """A wire for `days` before NOW: bursts of 3-6 articles 10-45 s apart, each after a
    rest of 60-150 s and then about a quarter of an hour on average."""
    rng = random.Random(seed)
    moment, found = NOW - timedelta(days=days), []
    while moment < NOW:
        moment += timedelta(seconds=rng.uniform(60, 150) + rng.expovariate(1 / 900))
        for n in range(rng.randint(3, 6)):
            moment += timedelta(seconds=rng.uniform(10, 45)) if n else timedelta(0)
            found.append(moment)
    return [moment for moment in found if moment <= NOW]


def test_a_burst_quicker_than_the_usual_pace_is_followed_then_left() -> None:
    """A wire's mean interval (minutes) cannot follow its bursts (seconds): right after an
    article it is polled every half burst window; once the window has passed, at the
    usual pace again, which the rest after a burst does not stretch."""
    history = wire(days=14)
    newest = history[-1]
    low, high = timedelta(seconds=10), timedelta(minutes=5)
    soon = adaptive_interval(history, newest + timedelta(seconds=5), low, high)
    assert timedelta(seconds=15) <= soon <= timedelta(seconds=30)  # the window: 30-60 s
    rested = [
        adaptive_interval(history, newest + timedelta(seconds=after), low, high)
        for after in (90, 150, 600)
    ]
    assert all(timedelta(minutes=1) <= wait <= timedelta(minutes=3) for wait in rested)
    assert max(rested) - min(rested) <= timedelta(seconds=45)  # the day's shape alone


def test_a_source_that_posts_at_fixed_hours_is_polled_right_after_them() -> None:
    history = at_hours(14, 7, 12, 18)
    before_seven = NOW.replace(hour=6, minute=50)
    wait = interval(history, before_seven)
    assert timedelta(minutes=11) <= wait <= timedelta(minutes=13)  # 07:01-07:03
    # A poll during the minute: the next one right after it, or as soon as allowed.
    during = NOW.replace(hour=7, minute=0, second=20)
    assert interval(history, during) == MIN
    assert interval(history, during, low=timedelta(seconds=30)) <= timedelta(minutes=2)
    # Between its hours it is left alone: polled far less often than its mean gap.
    assert interval(history, NOW.replace(hour=9)) >= timedelta(minutes=45)


def test_a_burst_on_one_day_is_not_a_habit() -> None:
    once = [NOW.replace(hour=7) + SECOND * 20 * n - timedelta(days=3) for n in range(8)]
    history = sorted([*at_hours(14, 12, 18), *once])
    assert interval(history, NOW.replace(hour=6, minute=55)) > timedelta(minutes=10)


def test_silence_before_a_restart_does_not_stretch_the_first_interval() -> None:
    history = bursts(days=3)
    newest = history[-1]
    low, high = timedelta(seconds=10), timedelta(minutes=30)
    after = [
        adaptive_interval(history, newest + silence, low, high)
        for silence in (timedelta(minutes=10), timedelta(minutes=40), timedelta(hours=3))
    ]
    assert max(after) - min(after) <= 2 * SECOND
    # The formula before issue 16 would have waited half the silence: 90 minutes.
    assert after[-1] <= timedelta(minutes=2)


def test_the_same_arrivals_give_the_same_interval_in_any_order() -> None:
    history = bursts(days=2)
    shuffled = history.copy()
    random.Random(7).shuffle(shuffled)
    now = history[-1] + timedelta(seconds=30)
    low, high = timedelta(seconds=10), timedelta(minutes=5)
    first = adaptive_interval(history, now, low, high)
    assert adaptive_interval(shuffled, now, low, high) == first
    assert adaptive_interval(iter(history), now, low, high) == first


def test_only_the_newest_arrivals_are_read() -> None:
    # A very busy source: what came before the newest HISTORY says nothing more.
    busy = every(timedelta(seconds=20), HISTORY)
    older = every(timedelta(hours=1), 100, last=timedelta(seconds=20) * HISTORY)
    assert interval([*older, *busy]) == interval(busy)


@given(
    st.lists(st.integers(min_value=-15 * 86400, max_value=3600), max_size=80),
    st.integers(min_value=1, max_value=3600),
    st.integers(min_value=0, max_value=86400),
    st.integers(min_value=0, max_value=86400),
)
def test_always_within_bounds(offsets: list[int], low: int, spread: int, clock: int) -> None:
    now = NOW + timedelta(seconds=clock)
    times = [now + timedelta(seconds=s) for s in offsets]
    low_delta, high_delta = timedelta(seconds=low), timedelta(seconds=low + spread)
    assert low_delta <= adaptive_interval(times, now, low_delta, high_delta) <= high_delta


# -- the store -------------------------------------------------------------------------


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
        store.upsert(article("https://a.example/3", NOW - timedelta(days=20)), NOW)
        store.upsert(article("https://b.example/1", NOW - timedelta(minutes=5), "other"), NOW)
        since = NOW - timedelta(days=14)
        assert store.article_arrivals("src", since) == [NOW - timedelta(hours=1), NOW]
        assert store.article_arrivals("other", since) == [NOW - timedelta(minutes=5)]
        # The newest only, oldest first.
        assert store.article_arrivals("src", since, limit=1) == [NOW]
    finally:
        store.close()
