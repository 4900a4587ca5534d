"""Extraction health and alerts (sokbo.ops.health): pure figures in, sentences out."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sokbo.ops.health import (
    DAY,
    History,
    StoredMark,
    Tally,
    alerts,
    binomial_cdf,
    build_history,
    count_alert,
    extraction_alerts,
    found_fields,
    poisson_cdf,
    tally,
)

NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
GOOD = {"body": "preset:tistory .entry-content", "published": "og:published", "image": "og:image"}
FEED_BODY = {"body": "feed", "published": "feed"}


def history(
    last_24h: Tally,
    baseline: Tally,
    new_last_24h: int = 10,
    daily_new: tuple[int, ...] = (10,) * 7,
    last_run: Tally | None = None,
) -> History:
    return History(last_24h, baseline, new_last_24h, daily_new, last_run)


# -- what "found" means ----------------------------------------------------------------


def test_body_from_the_page_is_found_and_the_feeds_copy_is_not() -> None:
    assert "body" in found_fields({"body": "generic"})
    assert "body" in found_fields({"body": "preset:generic article .content"})
    assert "body" not in found_fields({"body": "feed"})


def test_a_date_from_the_page_or_the_feed_is_found_and_the_crawl_time_is_not() -> None:
    assert "date" in found_fields({"published": "json-ld:NewsArticle.datePublished"})
    assert "date" in found_fields({"published": "text:입력"})
    assert "date" in found_fields({"published": "feed"})
    assert "date" not in found_fields({"published": "crawl time"})


def test_an_image_is_found_when_the_article_has_its_own() -> None:
    assert found_fields(GOOD) == {"body", "date", "image"}
    assert found_fields({"body": "generic", "published": "crawl time"}) == {"body"}
    assert found_fields({}) == set()


def test_tally_leaves_out_articles_without_evidence() -> None:
    counted = tally([GOOD, FEED_BODY, None, {"body": "generic", "published": "crawl time"}])
    assert counted == Tally(articles=3, body=2, date=2, image=1)
    assert counted.share("body") == pytest.approx(2 / 3)
    assert Tally().share("image") is None


# -- extraction health ------------------------------------------------------------------


def test_a_stable_source_raises_nothing() -> None:
    stable = history(Tally(12, 12, 12, 11), Tally(140, 139, 140, 120))
    assert alerts(stable) == []


def test_a_sudden_drop_in_the_body_share_is_flagged() -> None:
    broken = history(Tally(5, 1, 5, 5), Tally(50, 49, 50, 50))
    assert alerts(broken) == ["body found in 20% of the 5 articles of the last 24 h (usually 98%)"]


def test_several_fields_dropping_give_one_sentence_each() -> None:
    broken = history(Tally(6, 0, 6, 0), Tally(60, 60, 60, 58))
    assert alerts(broken) == [
        "body found in 0% of the 6 articles of the last 24 h (usually 100%)",
        "image found in 0% of the 6 articles of the last 24 h (usually 97%)",
    ]


def test_a_change_hours_ago_shows_in_the_last_run_before_the_day() -> None:
    # 20 good articles this morning, then a run whose 4 articles lost their body.
    day = Tally(24, 20, 24, 24)
    assert extraction_alerts(day, Tally(100, 100, 100, 100), "the last 24 h") == []
    broken = history(day, Tally(100, 100, 100, 100), last_run=Tally(4, 0, 4, 4))
    assert alerts(broken) == ["body found in 0% of the 4 articles of the last run (usually 100%)"]


def test_a_few_misses_in_a_small_sample_are_not_a_drop() -> None:
    # 2 of 3 is 31 points below 98%, but three articles could well do that by chance.
    assert alerts(history(Tally(3, 3, 3, 2), Tally(50, 50, 50, 49))) == []


def test_a_small_change_in_a_large_sample_is_not_sharp() -> None:
    # Clearly not chance, but 15 points is a bad day, not a changed layout.
    assert alerts(history(Tally(200, 170, 200, 200), Tally(1000, 1000, 1000, 1000))) == []


def test_a_field_the_source_rarely_has_cannot_drop_sharply() -> None:
    assert alerts(history(Tally(10, 10, 10, 0), Tally(100, 100, 100, 20))) == []


def test_too_little_history_raises_nothing() -> None:
    # A new source: everything is in the last 24 h, nothing before.
    assert alerts(history(Tally(30, 0, 0, 0), Tally(), 30, ())) == []
    # Nine earlier articles are not enough to know what is usual.
    assert alerts(history(Tally(5, 0, 5, 5), Tally(9, 9, 9, 9))) == []
    # Two articles in the last 24 h are not enough to judge the day.
    assert alerts(history(Tally(2, 0, 2, 2), Tally(90, 90, 90, 90))) == []


# -- article counts ---------------------------------------------------------------------


def test_a_source_that_usually_publishes_dropping_to_zero_is_flagged() -> None:
    assert count_alert(0, (20, 18, 25, 22, 19, 21, 20)) == (
        "no new articles in the last 24 h (usually 20 a day)"
    )


def test_a_sharp_fall_short_of_zero_is_flagged_too() -> None:
    assert count_alert(2, (40, 38, 45, 42)) == "2 new articles in the last 24 h (usually 41 a day)"


def test_a_usual_day_and_a_quiet_weekend_are_not_flagged() -> None:
    assert count_alert(18, (20, 18, 25, 22, 19, 21, 20)) is None
    # Weekdays of 20, weekends of 3: a weekend day of 2 is nothing unusual.
    assert count_alert(2, (3, 20, 20, 20, 20, 20, 3)) is None


def test_a_source_that_often_publishes_nothing_is_not_flagged_for_nothing() -> None:
    assert count_alert(0, (2, 0, 1, 3, 0, 1, 2)) is None


def test_silence_that_goes_on_stays_flagged() -> None:
    daily = (0, 0, 20, 18, 25, 22, 19)
    assert count_alert(0, daily) == "no new articles in the last 3 days (usually 20 a day)"


def test_a_quiet_source_is_flagged_only_after_a_silence_long_enough_to_be_sure() -> None:
    usual = (3, 4, 5, 3, 4, 3, 6)
    assert count_alert(0, usual) is None  # 5% likely on a normal day
    assert count_alert(0, (0, *usual)) == "no new articles in the last 2 days (usually 4 a day)"


def test_too_few_watched_days_raise_no_count_alert() -> None:
    assert count_alert(0, ()) is None
    assert count_alert(0, (50, 50)) is None
    assert count_alert(0, (0, 0, 50, 50)) is None


def test_a_new_source_is_not_flagged_end_to_end() -> None:
    backlog = [StoredMark(NOW - timedelta(hours=2), NOW - timedelta(hours=2), FEED_BODY)] * 30
    built = build_history(backlog, NOW, NOW - timedelta(hours=2), None)
    assert built.baseline == Tally() and built.daily_new == ()
    assert alerts(built) == []


# -- sorting stored articles into windows ----------------------------------------------


def test_build_history_sorts_articles_into_windows() -> None:
    first_run = NOW - timedelta(days=4, hours=6)
    marks = [
        # The first run's backlog: first seen at once, more than any day.
        *[StoredMark(first_run, first_run, GOOD)] * 20,
        # Block 0: [now - 48 h, now - 24 h); its edge at now - 24 h belongs to the last day.
        StoredMark(NOW - timedelta(hours=30), NOW - timedelta(hours=30), GOOD),
        StoredMark(NOW - DAY - DAY, NOW - DAY - DAY, GOOD),
        # Block 2, edited within the last day: counted new there, extracted here.
        StoredMark(NOW - timedelta(days=3, hours=1), NOW - timedelta(hours=1), FEED_BODY),
        StoredMark(NOW - DAY, NOW - DAY, GOOD),
        StoredMark(NOW - timedelta(minutes=5), NOW - timedelta(minutes=5), FEED_BODY),
        # Older than the history: not counted at all.
        StoredMark(NOW - timedelta(days=30), NOW - timedelta(days=30), GOOD),
    ]
    run = (NOW - timedelta(minutes=6), NOW - timedelta(minutes=4))
    built = build_history(marks, NOW, first_run, run)
    assert built.last_24h == Tally(articles=3, body=1, date=3, image=1)
    assert built.baseline == Tally(articles=22, body=22, date=22, image=22)
    assert built.new_last_24h == 2
    # Blocks 0-2 were watched whole; block 3 holds the first run, so it is left out.
    assert built.daily_new == (2, 0, 1)
    assert built.last_run == Tally(articles=1, body=0, date=1, image=0)


def test_a_source_never_run_has_no_watched_days() -> None:
    assert build_history([], NOW, None).daily_new == ()
    assert build_history([], NOW, None).last_run is None


# -- the probabilities behind "unlikely to be chance" ------------------------------------


def test_binomial_cdf_matches_the_direct_sum() -> None:
    def direct(k: int, n: int, p: float) -> float:
        return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))

    for k, n, p in [(0, 3, 0.98), (1, 3, 0.5), (4, 10, 0.3), (10, 10, 0.9)]:
        assert binomial_cdf(k, n, p) == pytest.approx(direct(k, n, p))


def test_poisson_cdf_matches_the_direct_sum() -> None:
    assert poisson_cdf(0, 5) == pytest.approx(math.exp(-5))
    assert poisson_cdf(2, 3) == pytest.approx(math.exp(-3) * (1 + 3 + 4.5))
    assert poisson_cdf(0, 0) == 1.0


@given(
    n=st.integers(min_value=1, max_value=5000),
    k=st.integers(min_value=0, max_value=5000),
    p=st.floats(min_value=1e-6, max_value=1 - 1e-6),
)
def test_binomial_cdf_is_a_probability_even_for_large_samples(n: int, k: int, p: float) -> None:
    value = binomial_cdf(min(k, n), n, p)
    assert 0.0 <= value <= 1.0
    if k >= n:
        assert value == pytest.approx(1.0)
