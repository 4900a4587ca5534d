"""A live polling run's window replayed in the simulation (bench/latency.py): did the
scheduler wait as the policy says, and what does the policy get on these same articles
once the run's own overheads and the job's jitter are drawn again and again?

A live run is one path through its window: a few dozen articles, a jitter drawn once
per poll. Its ratio to the fixed interval can differ from bench/polling.py's, pooled
over days, by the luck of that window alone; this tells the two apart."""

from __future__ import annotations

import math
import random
import statistics
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from bench.polling import Adaptive, latencies


@dataclass(frozen=True)
class LiveRead:
    """One poll of the live run: its feed request; when the scheduler chose the next wait
    after its run (its `adaptive interval` line, else the run's `run ended` line when the
    interval stayed) and the wait it chose; whether it listed a new article."""

    at: float
    decided: float
    chosen: float
    found: bool


@dataclass(frozen=True)
class Bounds:
    """The adaptive source's settings: min_interval, max_interval, jitter (seconds)."""

    low: float
    high: float
    jitter: float


def jitter_cap(wait: float, jitter: float) -> float:
    """The most an adaptive job's jitter adds to a wait (sokbo.schedule.jobs.make_trigger:
    at most a tenth of the interval)."""
    return min(jitter, wait / 10)


@dataclass(frozen=True)
class Kept:
    """Of a live run's waits: how many the policy would have chosen too (within a second:
    the scheduler's own moment of choosing is known to a fraction of one), and after how
    many of them the next poll came when it was due (plus at most the jitter)."""

    chosen: int
    waited: int
    waits: int


def waits_kept(
    stored: Sequence[float], reads: Sequence[LiveRead], bounds: Bounds, slack: float = 0.5
) -> Kept:
    """How the live run's waits compare with the policy's, asked with the arrivals the
    store held (`stored`: as the source dated them, to the second); `slack`: seconds
    allowed for the next run's own start and for reading the scheduler's lines."""
    policy = Adaptive(bounds.low, bounds.high)
    chosen = waited = waits = 0
    for read, after in pairwise(reads):
        if math.isnan(read.chosen):  # before the scheduler said an interval
            continue
        waits += 1
        wait = policy(stored[: bisect_right(stored, read.at)], read.decided)
        chosen += abs(wait - read.chosen) <= 1.0
        late = after.at - (read.decided + read.chosen)
        waited += -slack <= late <= jitter_cap(read.chosen, bounds.jitter) + slack
    return Kept(chosen, waited, waits)


def follow_again(
    stored: Sequence[float],
    reads: Sequence[LiveRead],
    end: float,
    policy: Adaptive,
    jitter: float,
    start_delay: float,
    rng: random.Random,
) -> list[float]:
    """The policy's feed requests over the window once more, from the live run's first
    one, the policy reading the arrivals the store held: each run ends after an overhead
    drawn from the live runs that found (or did not find) something, and each wait gets a
    jitter drawn as the scheduler draws it."""
    overheads = {
        found: [r.decided - r.at for r in reads if r.found == found] or [0.0]
        for found in (True, False)
    }
    moments = [reads[0].at]
    seen = bisect_right(stored, moments[0])
    found = True
    while moments[-1] < end:
        decided = moments[-1] + rng.choice(overheads[found])
        wait = policy(stored[:seen], decided)
        moment = decided + wait + rng.uniform(0, jitter_cap(wait, jitter)) + start_delay
        now_seen = bisect_right(stored, moment)
        found, seen = now_seen > seen, now_seen
        moments.append(moment)
    return moments


@dataclass(frozen=True)
class Spread:
    """The 10th, 50th and 90th percentile of a figure over the draws."""

    p10: float
    p50: float
    p90: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        tenths = statistics.quantiles(values, n=10, method="inclusive")
        return cls(tenths[0], statistics.median(values), tenths[-1])

    def show(self, digits: int = 1) -> str:
        return " / ".join(f"{v:.{digits}f}" for v in (self.p10, self.p50, self.p90))


def p90(values: Sequence[float]) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def window_spread(
    published: Sequence[float],
    stored: Sequence[float],
    reads: Sequence[LiveRead],
    start: float,
    end: float,
    bounds: Bounds,
    every: float,
    start_delay: float,
    draws: int = 200,
) -> dict[str, Spread]:
    """Over `draws` replays of the window, the spread of the median and p90 latency from
    an article's publication (in [start, end)) to the feed request that lists it, for the
    policy and for the fixed interval `every` at each whole-second phase, and of their
    ratio (a replay against a phase drawn at random). `published`: when the articles
    appeared; `stored`: their arrivals as the store held them, which the policy reads.
    `start_delay`: from a run's scheduled moment to its feed request."""
    rng = random.Random(0)
    policy = Adaptive(bounds.low, bounds.high)
    ours = []
    for _ in range(draws):
        moments = follow_again(stored, reads, end, policy, bounds.jitter, start_delay, rng)
        ours.append(latencies(published, moments, start, end))
    theirs = []
    for phase in range(max(1, round(every))):
        grid = [start + phase + every * n for n in range(int((end - start) / every) + 2)]
        theirs.append(latencies(published, grid, start, end))
    pairs = [(mine, rng.choice(theirs)) for mine in ours]
    return {
        "policy median": Spread.of([statistics.median(w) for w in ours]),
        "policy p90": Spread.of([p90(w) for w in ours]),
        "fixed median": Spread.of([statistics.median(w) for w in theirs]),
        "fixed p90": Spread.of([p90(w) for w in theirs]),
        "median x": Spread.of([statistics.median(a) / statistics.median(b) for a, b in pairs]),
        "p90 x": Spread.of([p90(a) / p90(b) for a, b in pairs]),
    }
