"""The lag plan: polls from the time since a source's newest article, within its bounds,
spending the polls per gap it is given, and following the rhythm of its gaps."""

from __future__ import annotations

import random
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sokbo.schedule.lagplan import PLACES, LagPlan, _places, _polls_per_gap, burst_cut, lag_plan


def bursty_gaps(count: int, seed: int = 1) -> tuple[float, ...]:
    """Issue 16's bursty source: a quiet 60-150 s, then 3-6 articles 10-45 s apart."""
    rng = random.Random(seed)
    times: list[float] = []
    moment = 0.0
    while len(times) <= count:
        moment += rng.uniform(60, 150)
        for n in range(rng.randint(3, 6)):
            moment += rng.uniform(10, 45) if n else 0.0
            times.append(moment)
    return tuple(later - earlier for earlier, later in pairwise(times[: count + 1]))


def steady_gaps(count: int, mean: float, seed: int = 1) -> tuple[float, ...]:
    """Gaps of a memoryless source: the time since the newest article tells nothing."""
    rng = random.Random(seed)
    return tuple(rng.expovariate(1 / mean) for _ in range(count))


def moments(
    plan: LagPlan, lag: float = 0.0, until: float = 600.0, recent: tuple[float, ...] = ()
) -> list[float]:
    """The lags a plan polls at, from a poll at `lag` that found nothing, until `until`,
    after an article whose place the gaps before it (`recent`) tell."""
    found = []
    while lag < until and (wait := plan.wait(lag, recent)) is not None:
        lag += wait
        found.append(lag)
    return found


@pytest.mark.parametrize("budget", [1.0, 2.0, 4.0])
def test_the_plan_spends_the_polls_per_gap_it_is_given(budget: float) -> None:
    gaps = bursty_gaps(2000)
    plan = lag_plan(gaps, 10.0, 300.0, budget)
    spent = _polls_per_gap(np.array(plan.after), gaps, _places(gaps, plan.cut), plan.unit, 300)
    assert budget * 0.85 <= spent <= budget


def test_more_polls_come_sooner_after_an_article() -> None:
    gaps = bursty_gaps(2000)
    firsts = [moments(lag_plan(gaps, 5.0, 300.0, budget))[0] for budget in (1.0, 2.0, 4.0)]
    assert firsts == sorted(firsts, reverse=True)
    assert firsts[0] > firsts[-1]


def test_polls_stay_within_the_bounds() -> None:
    for gaps in (bursty_gaps(2000), steady_gaps(500, 900.0)):
        for low, high in ((10.0, 300.0), (60.0, 1800.0), (5.0, 120.0)):
            plan = lag_plan(gaps, low, high, 2.0)
            for start in range(0, 300, 7):
                lags = [float(start), *moments(plan, float(start))]
                for earlier, later in pairwise(lags):
                    # Steps are whole units: a poll comes within a unit of the lower bound.
                    assert low - plan.unit < later - earlier <= high + 1e-9


def test_a_bursty_source_is_watched_within_its_bursts_and_left_alone_after() -> None:
    """Bursts' gaps are 10-45 s, quiet spells 60-150 s: after a burst's third article
    (of 3-6), a poll that found nothing 50 s later means the burst is over, and the next
    one is a minute off."""
    plan = lag_plan(bursty_gaps(2000), 5.0, 300.0, 2.0)
    third = (100.0, 20.0, 20.0)
    within = plan.wait(0.0, third)
    after_the_burst = plan.wait(50.0, third)
    assert within is not None and after_the_burst is not None
    assert within <= 35.0
    assert after_the_burst > within
    assert 50.0 + after_the_burst >= 60.0  # the next burst comes a quiet 60-150 s after


def test_the_burst_cut_splits_bursts_from_quiet_spells() -> None:
    """Bursts' gaps are 10-45 s, the quiet before a burst 60-150 s."""
    assert 45.0 <= burst_cut(bursty_gaps(2000)) <= 60.0
    assert burst_cut([30.0] * 50) == 0.0  # nothing to split: every article starts a burst
    assert burst_cut([]) == 0.0


def test_a_place_is_the_short_gaps_just_before_the_newest_article() -> None:
    plan = lag_plan(bursty_gaps(2000), 5.0, 300.0, 2.0)
    assert len(plan.after) == PLACES
    assert plan.place(()) == 0
    assert plan.place((20.0, 20.0, 100.0)) == 0  # a quiet spell just before it: a burst's first
    assert plan.place((100.0, 20.0, 20.0)) == 2
    assert plan.place((20.0,) * 4) == 4  # fewer gaps known than there are places
    assert plan.place((20.0,) * 10) == PLACES - 1  # the last place takes the later ones


def test_a_burst_is_watched_while_it_goes_on_and_left_once_it_is_long_enough() -> None:
    """A burst has 3-6 articles: after its second article another surely comes within
    45 s; after its sixth, the burst is over and the next comes a quiet 60-150 s later."""
    plan = lag_plan(bursty_gaps(2000), 5.0, 300.0, 2.0)
    going_on = plan.wait(0.0, (100.0, 20.0))
    over = plan.wait(0.0, (100.0, 20.0, 20.0, 20.0, 20.0, 20.0))
    assert going_on is not None and over is not None
    assert going_on <= 30.0
    assert over >= 45.0
    # Within the burst, no gap of 45 s goes unseen: a poll comes before 45 s have passed.
    assert moments(plan, recent=(100.0, 20.0))[1] <= 45.0 + plan.unit


def test_a_memoryless_source_is_polled_at_an_even_pace() -> None:
    """The time since the newest article tells nothing: every poll is worth the same."""
    gaps = steady_gaps(2000, 120.0)
    plan = lag_plan(gaps, 5.0, 1800.0, 2.0)
    assert len(plan.after) == 1  # its places say nothing, so they are not told apart
    waits = [later - earlier for earlier, later in pairwise([0.0, *moments(plan, until=400)])]
    assert max(waits) <= 1.5 * min(waits), waits  # learned from 2,000 gaps, not exact
    # Two polls per gap of 120 s on average: about every minute.
    assert 45.0 <= sum(waits) / len(waits) <= 80.0


def test_past_the_plans_reach_it_says_nothing() -> None:
    plan = lag_plan(bursty_gaps(200), 10.0, 300.0, 2.0)
    reach = len(plan.after[0]) * plan.unit
    assert plan.wait(reach - 1) is not None
    assert plan.wait(reach) is None
    assert plan.wait(-1.0) is None


def test_a_plan_is_learned_once_for_the_same_gaps_and_settings() -> None:
    gaps = bursty_gaps(300, seed=7)
    plan = lag_plan(gaps, 10.0, 300.0, 2.0)
    assert lag_plan(list(gaps), 10.0, 300.0, 2.0) is plan
    assert lag_plan(gaps, 10.0, 300.0, 4.0) is not plan
    assert lag_plan(gaps[1:], 10.0, 300.0, 2.0) is not plan


def test_a_budget_the_bounds_cannot_meet_gets_the_fewest_polls() -> None:
    """Gaps of 15 min on average, polls at most 5 min apart: 3 or more polls per gap,
    whatever is asked. Asked for 1.5, the plan polls as seldom as it may, not as often."""
    plan = lag_plan(steady_gaps(500, 900.0), 10.0, 300.0, 1.5)
    lags = moments(plan, until=1800)
    waits = [later - earlier for earlier, later in pairwise([0.0, *lags])]
    assert min(waits) > 300.0 - plan.unit, waits


@settings(max_examples=40, deadline=None)
@given(
    gaps=st.lists(st.floats(0.0, 1e5), min_size=21, max_size=120),
    recent=st.lists(st.floats(0.0, 1e5), max_size=PLACES),
    low=st.floats(1.0, 600.0),
    spread=st.floats(1.0, 100.0),
    budget=st.floats(0.5, 6.0),
)
def test_any_gaps_give_a_plan_whose_polls_come_after_the_poll_before(
    gaps: list[float], recent: list[float], low: float, spread: float, budget: float
) -> None:
    """Ties, zeros, one huge gap: a plan comes out, and its next poll is always later
    than the one asked at, by at most max_interval (or a step, where a step is longer)."""
    plan = lag_plan(gaps, low, low * spread, budget)
    for lag in (0.0, 1.0, low, max(gaps)):
        wait = plan.wait(lag, recent)
        assert wait is None or 0.0 < wait <= max(low * spread, plan.unit) + plan.unit
