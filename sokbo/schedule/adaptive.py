"""Adaptive polling: when to crawl a source next, from when its articles appeared."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate, pairwise

from sokbo.schedule.lagplan import PLACES, lag_plan

# How far back arrivals are read: two weeks of a source's days, so that the minutes it
# publishes at stand out from chance; at most HISTORY of them, which is days for a wire.
WINDOW = timedelta(days=14)
HISTORY = 3000
# Polls per gap between articles at a source's mean pace: what a steady source costs
# (see next_poll for how the polls are spread).
POLLS_PER_ARTICLE = 2.0

_DAY = 86_400.0
_MINUTE = 60.0
_MINUTES = 1440
# The day's profile mixes the exact minutes articles came at, the hours around them (a
# blog that posts in the afternoon), and the mean (anything may come at any time).
_NARROW = 1  # minutes either side
_WIDE = 45
_MIX = (0.4, 0.4, 0.2)
# Days of history until the profile is trusted fully; before, it leans on the mean.
_PROFILE_DAYS = 3.0
# A habit: minutes of the day (within _NARROW) with an article on at least _HABIT_DAYS
# of the days seen (and _HABIT_MIN days), and _HABIT_LIFT times the articles of the
# hours around them: the source publishes then every day, so it is polled right after.
_HABIT_DAYS = 0.5
_HABIT_MIN = 4
_HABIT_LIFT = 4.0
# With a profile trusted, the mean interval is at most this share of max_interval, so
# that the policy has polls to spend where the profile says, not only the ones
# max_interval forces.
_FLOOR = 0.5
# The lags after an article (seconds) over which bursts are learned: the hazard of the
# next article in each band (from the gaps between articles) against the mean rate.
_LAGS = (
    0, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 900, 1200, 1800, 2700, 3600,
)  # fmt: skip
# Gaps before any rhythm is learned from them; a band's hazard is drawn towards the mean
# by _PRIOR articles' worth of it, so that a few gaps in a band are not a rhythm.
_MIN_GAPS = 20
_PRIOR = 20.0
# Polls are spread in proportion to the expected rate of articles to this power: 1/2
# gives the least mean wait for a number of polls, 1/3 the least mean square wait; 0.4
# gives a little of the mean for a shorter tail (bench/polling.py: the p90 of the bursty
# Tistory timeline drops below the fixed interval's).
_POWER = 0.4
# Bursts the usual pace cannot follow (a wire: 3-6 articles under a minute apart, then
# quiet for a quarter of an hour): the lags after an article whose hazard is at least
# _BURST_LIFT times the mean make the burst window (up to _BURST_REACH), polled
# _BURST_POLLS times over, when that is more than twice as often as the mean interval.
# Outside it the polls follow the day's shape alone: the hazard after a burst (low, as
# the source rests) would stretch the very polls that must catch the next burst's first
# article. On issue 16's wire timeline this halves the median latency against a fixed
# interval of the same cost (bench/polling.py; bench/polling_headroom.py's two-state
# policy showed the room).
_BURST_LIFT = 3.0
_BURST_REACH = 900.0
_BURST_POLLS = 2.0
# A source whose day is flat (its busiest minute at most _FLAT times its quietest, no
# habit) is polled by a lag plan (see lagplan) learned from its newest _PLAN_GAPS gaps
# before the hour of its newest article: the same gaps, and so the same cached plan, for
# an hour; the plan's place in a burst is read from the gaps between its newest articles.
# On issue 16's bursty Tistory timeline, against the fixed interval of equal cost (fit /
# held-out seeds, bench/polling.py), at 1 poll per article the median and p90 go from
# 0.91x / 1.04x (these rules) to 0.67-0.69x / 0.90-0.91x, and at 2 from 0.86x / 0.93x to
# 0.65-0.71x / 0.83-0.85x.
_FLAT = 2.5
_PLAN_GAPS = 2000
_HOUR = 3600.0
# Silence longer than this counts against the mean pace (a source that stopped); shorter
# silence does not, so that a scheduler that was down does not stretch the next interval.
_GRACE = 3600.0


@dataclass(frozen=True)
class Pace:
    """What a source's arrivals say: how many over how long, the shape of its day
    (minute by minute, mean 1), its habits, and how the chance of the next article
    moves with the time since the newest one."""

    count: int
    oldest: float  # POSIX seconds
    newest: float
    trust: float  # in the day's shape: 0 (flat, under a day seen) to 1
    shape: tuple[float, ...]  # _MINUTES values, UTC minutes of the day, mean 1
    habit: tuple[int, ...]  # per minute: minutes to the end of its habit, 0 outside one
    follow: tuple[float, ...]  # the hazard after an article over the mean, per band of _LAGS
    root: float  # the mean over time of (shape x follow) ** _POWER
    burst: float = 0.0  # the burst window after an article, seconds (0: no bursts)
    flat_root: float = 1.0  # the mean over time of shape ** _POWER
    plan_gaps: tuple[float, ...] = ()  # for a lag plan (flat days only), see _FLAT
    recent: tuple[float, ...] = ()  # the gaps between the newest PLACES articles (plan only)


def adaptive_interval(
    published_times: Iterable[datetime],
    now: datetime,
    min_interval: timedelta,
    max_interval: timedelta,
    *,
    window: timedelta = WINDOW,
    polls_per_article: float = POLLS_PER_ARTICLE,
) -> timedelta:
    """The interval to the next crawl, within [min, max]; see next_poll. Times after
    `now` (sources that date ahead) count as `now`; only the newest HISTORY are read."""
    if min_interval > max_interval:
        raise ValueError("min_interval is longer than max_interval")
    moment = now.timestamp()
    start = (now - window).timestamp()
    times = sorted(min(t.timestamp(), moment) for t in published_times)
    times = [t for t in times if t > start][-HISTORY:]
    wait = next_poll(
        learn_pace(times),
        moment,
        min_interval.total_seconds(),
        max_interval.total_seconds(),
        polls_per_article,
    )
    return timedelta(seconds=wait)


def learn_pace(times: Sequence[float]) -> Pace | None:
    """The pace of sorted arrival times (POSIX seconds); None for fewer than two."""
    if len(times) < 2:
        return None
    oldest, newest = times[0], times[-1]
    span = max(newest - oldest, 1.0)
    rate = (len(times) - 1) / span
    days = span / _DAY
    trust = min(1.0, max(0.0, (days - 1.0) / (_PROFILE_DAYS - 1.0)))
    shape, habit = _day_shape(times, days, trust)
    follow, spent = _follow(times, rate)
    flat_root = root = sum(value**_POWER for value in shape) / _MINUTES
    if sum(spent) > 0:
        root *= sum(time * ratio**_POWER for time, ratio in zip(spent, follow, strict=True))
        root /= sum(spent)
    burst = max(
        (
            end
            for end, ratio in zip(_LAGS[1:], follow, strict=True)
            if ratio >= _BURST_LIFT and end <= _BURST_REACH
        ),
        default=0.0,
    )
    plan_gaps: tuple[float, ...] = ()
    recent: tuple[float, ...] = ()
    if not any(habit) and max(shape) <= _FLAT * min(shape):
        before = times[: bisect_left(times, newest // _HOUR * _HOUR)][-(_PLAN_GAPS + 1) :]
        if len(before) > _MIN_GAPS:
            plan_gaps = tuple(later - earlier for earlier, later in pairwise(before))
            recent = tuple(later - earlier for earlier, later in pairwise(times[-PLACES:]))
    return Pace(
        len(times),
        oldest,
        newest,
        trust,
        shape,
        habit,
        follow,
        root,
        burst,
        flat_root,
        plan_gaps,
        recent,
    )


def next_poll(
    pace: Pace | None,
    now: float,
    min_wait: float,
    max_wait: float,
    polls_per_article: float = POLLS_PER_ARTICLE,
) -> float:
    """Seconds to the next poll, within [min_wait, max_wait].

    Polls are spread in proportion to the expected rate of articles to the power
    _POWER, between the square root (the least mean wait for a number of polls) and the
    cube root (the least mean square wait: a shorter tail). The expected rate at a moment
    is the source's mean pace, times the shape of its day at that minute, times how much
    likelier an article is at that time since its newest one (in a burst, much; just
    after a burst, less). The next poll comes once the root of that rate, summed from
    now, reaches what one poll is worth: the mean of the root over the mean interval,
    which is the mean gap between articles over polls_per_article (at most _FLOOR of
    max_interval once the day's shape is known). A poll that would fall in, or after, a
    habit (the minutes a source publishes at every day) comes right after it instead.
    Silence does not stretch the interval, until it is longer than _GRACE: then it
    counts against the mean pace, so that a source that stopped is polled less.

    A source whose bursts are far quicker than its mean interval (see _BURST_LIFT) is
    polled every half burst window while its newest article is within that window, and
    by the day's shape alone outside it. Otherwise a source whose day is flat is polled
    by its lag plan (see _FLAT and lagplan) while the silence is within the plan's reach.
    """
    if pace is None:
        return max_wait
    silence = max(0.0, now - pace.newest - _GRACE)
    rate = (pace.count - 1) / (max(pace.newest - pace.oldest, 1.0) + silence)
    longest_mean = max_wait * (1.0 - pace.trust * (1.0 - _FLOOR))
    mean_wait = min(1.0 / (polls_per_article * rate), longest_mean)
    shape, follow, habit, root_mean = pace.shape, pace.follow, pace.habit, pace.root
    step = max(min_wait, pace.burst / _BURST_POLLS)
    if pace.burst and step < mean_wait / 2:  # bursts the usual pace cannot follow
        if now - pace.newest < pace.burst:
            return min(step, max_wait)
        follow, root_mean = (1.0,) * len(follow), pace.flat_root
    elif pace.plan_gaps and not silence:
        gaps = pace.plan_gaps
        # The polls per gap: the budget's, or more where max_interval asks for more.
        polls = round(max(polls_per_article, sum(gaps) / len(gaps) / longest_mean), 1)
        wait = lag_plan(gaps, min_wait, max_wait, polls).wait(now - pace.newest, pace.recent)
        if wait is not None:
            return min(max(wait, min_wait), max_wait)
    worth = root_mean * rate**_POWER * mean_wait
    moment, spent, end = now, 0.0, now + max_wait
    while moment < end:
        minute = int((moment % _DAY) // _MINUTE)
        until = min(end, (math.floor(moment / _MINUTE) + 1) * _MINUTE)
        if habit[minute]:
            # A habit starts or goes on: poll right after it (or as soon as allowed).
            moment = until + (habit[minute] - 1) * _MINUTE
            break
        band = min(bisect_right(_LAGS, moment - pace.newest), len(follow)) - 1
        if band < len(follow) - 1:
            until = min(until, pace.newest + _LAGS[band + 1])
        root = (rate * shape[minute] * follow[band]) ** _POWER
        if root > 0 and spent + root * (until - moment) >= worth:
            moment += (worth - spent) / root
            break
        spent += root * (until - moment)
        moment = until
    return min(max(moment - now, min_wait), max_wait)


def _day_shape(
    times: Sequence[float], days: float, trust: float
) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """The minutes of the day articles come at, smoothed, mean 1 (flat until a day has
    been seen, trusted fully after _PROFILE_DAYS), and per minute the minutes to the end
    of the habit it is in (0: none)."""
    if trust == 0.0:
        return (1.0,) * _MINUTES, (0,) * _MINUTES
    counts = [0] * _MINUTES
    for moment in times:
        counts[int((moment % _DAY) // _MINUTE)] += 1
    total = len(times)
    narrow, wide = _smooth(counts, _NARROW), _smooth(counts, _WIDE)
    exact, around, flat = _MIX
    scale = _MINUTES / total
    shape = tuple(
        (1.0 - trust) + trust * (flat + scale * (exact * n + around * w))
        for n, w in zip(narrow, wide, strict=True)
    )
    # The days with an article within _NARROW minutes of each minute: a burst on one day
    # is not a habit.
    days_at = {(int(moment // _DAY), int((moment % _DAY) // _MINUTE)) for moment in times}
    near = {
        (day, (minute + step) % _MINUTES)
        for day, minute in days_at
        for step in range(-_NARROW, _NARROW + 1)
    }
    days_near = Counter(minute for _, minute in near)
    least = max(_HABIT_MIN, _HABIT_DAYS * days)
    usual = [
        days_near[minute] >= least and n >= _HABIT_LIFT * w
        for minute, (n, w) in enumerate(zip(narrow, wide, strict=True))
    ]
    habit = [0] * _MINUTES
    if not all(usual):
        for minute in reversed(range(2 * _MINUTES)):  # twice round: runs over midnight
            here = minute % _MINUTES
            habit[here] = habit[(here + 1) % _MINUTES] + 1 if usual[here] else 0
    return shape, tuple(habit)


def _smooth(counts: list[int], half: int) -> list[float]:
    """A circular moving average over 2 * half + 1 minutes."""
    wrapped = counts[-half:] + counts + counts[:half]
    sums = [0, *accumulate(wrapped)]
    width = 2 * half + 1
    return [(sums[i + width] - sums[i]) / width for i in range(_MINUTES)]


def _follow(times: Sequence[float], rate: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per band of lags after an article: the hazard of the next one (gaps ending in the
    band over the time gaps spent in it) over the mean rate, drawn towards 1 by _PRIOR
    articles' worth of the mean (all 1 below _MIN_GAPS gaps); and the time spent."""
    gaps = sorted(later - earlier for earlier, later in pairwise(times))
    bands = len(_LAGS) - 1
    if len(gaps) < _MIN_GAPS:
        return (1.0,) * bands, (0.0,) * bands
    shortest = [0.0, *accumulate(gaps)]  # sums of the shortest gaps
    ratios, spent = [], []
    for band, (low, high) in enumerate(pairwise(_LAGS)):
        # The last band has no end: longer gaps end in it too.
        first = bisect_right(gaps, low)
        last = len(gaps) if band == bands - 1 else bisect_right(gaps, high)
        ended = last - first
        # Time spent in the band: gaps ending in it from `low` to their end, longer ones
        # the whole band.
        time = shortest[last] - shortest[first] - ended * low + (len(gaps) - last) * (high - low)
        ratios.append((ended + _PRIOR) / (rate * time + _PRIOR))
        spent.append(time)
    return tuple(ratios), tuple(spent)
