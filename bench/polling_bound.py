"""The best any polling policy can do on bench/polling.py's `tistory` timeline (the bursty
source of issue 16's end-to-end measurement, which bench/latency.py serves live), knowing
the process that makes it: the bound under issue 16's goal of a median latency at most
0.6 of the fixed interval's with the same number of polls.

    .venv/bin/python bench/polling_bound.py [--seeds 0 1 2] [--cost 0.3]

The timeline is a quiet 60-150 s, then a burst of 3-6 articles 10-45 s apart, day and
night alike. Between polls, everything that tells when the next article comes is the
time since the newest one and that article's place in its burst (how many gaps under
LONG seconds came just before it): the next gap is drawn afresh from a distribution that
depends on those alone. So the schedule of polls with the least mean latency for a
price per poll is found exactly, for each place, by dynamic programming over whole
seconds since the newest article (`schedule`), from the gaps of 30 days of the same
generator (a seed the measured ones do not share). A policy that knows less (sokbo's
learns the gaps and the day's shape from 14 days of arrivals, not the places in a
burst) can do no better for the mean.

The median is not the mean: a policy could give up the first article of each burst (a
fifth of them) to catch the others sooner. So the prices are swept together with a
weight on the gaps that end a quiet spell (1: the mean; under 1: those articles count
for less). Each schedule is replayed against the measured seeds as in bench/polling.py
(a poll reads the feed `cost` s after it starts, and the fixed interval of equal cost is
measured on the same timelines), and for each band of polls per article the least
median ratio whose p90 ratio stays below 1 is printed, with the settings that gave it.
"""

from __future__ import annotations

import itertools
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import polling

LONG = 50.0  # a gap at least this long ends a burst (bursts' gaps are 10-45 s)
PLACES = 6  # places in a burst told apart: 0 (its first article) to 5 (a sixth)
HORIZON = 400  # seconds since the newest article the schedule covers (gaps are < 200 s)
PRICES = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)  # seconds of latency a poll is worth
WEIGHTS = (1.0, 0.5, 0.25, 0.1)  # of the gaps that end a quiet spell
BUDGETS = (1.0, 1.5, 2.0, 3.0, 4.0)  # polls per article, bands of +-0.25
FLOAT = npt.NDArray[np.float64]


def places(times: Sequence[float]) -> list[int]:
    """Each article's place in its burst: the gaps under LONG just before it, at most
    PLACES - 1."""
    found = [0]
    for earlier, later in itertools.pairwise(times):
        found.append(min(found[-1] + 1, PLACES - 1) if later - earlier < LONG else 0)
    return found


def gap_counts(times: Sequence[float]) -> list[FLOAT]:
    """Per place, the gaps after articles at that place, counted per whole second (the
    last cell: HORIZON or more)."""
    counts = [np.zeros(HORIZON + 1) for _ in range(PLACES)]
    for place, (earlier, later) in zip(places(times), itertools.pairwise(times), strict=False):
        counts[place][min(round(later - earlier), HORIZON)] += 1
    return counts


def schedule(counts: FLOAT, price: float, weight: float, longest: int) -> npt.NDArray[np.int_]:
    """For each second s since the newest article (a poll then found nothing new), the
    second of the next poll that gives the least expected latency plus `price` per poll,
    the gaps of LONG s or more weighted by `weight`; polls at most `longest` s apart."""
    weights = counts * np.where(np.arange(HORIZON + 1) >= LONG, weight, 1.0)
    seconds = np.arange(HORIZON + 1, dtype=float)
    ended = np.concatenate([[0.0], np.cumsum(weights)])  # gaps < s: ended[s]
    ended_at = np.concatenate([[0.0], np.cumsum(weights * seconds)])
    beyond = ended[-1] - ended  # gaps >= s (weighted): the chance a poll at s is needed
    cost = np.zeros(HORIZON + 1)  # from a poll at s that found nothing
    after = np.full(HORIZON + 1, HORIZON, dtype=int)
    for s in range(HORIZON - 1, -1, -1):
        nexts = np.arange(s + 1, min(s + longest, HORIZON) + 1)
        # gaps ending in (s, t] are seen at t, waiting t - gap
        waited = nexts * (ended[nexts + 1] - ended[s + 1]) - (ended_at[nexts + 1] - ended_at[s + 1])
        total = price * beyond[s + 1] + waited + cost[nexts]
        best = int(np.argmin(total))
        cost[s], after[s] = total[best], nexts[best]
    return after


def oracle(tables: Sequence[npt.NDArray[np.int_]], longest: float) -> polling.Policy:
    """The policy that follows the schedule of the newest article's place."""

    def policy(seen: Sequence[float], now: float) -> float:
        if not seen:
            return longest
        place = places(seen[-PLACES:])[-1]
        lag = int(now - seen[-1])
        if lag >= HORIZON:
            return longest
        return float(max(1, tables[place][lag] - lag))

    return policy


def main() -> None:
    args = polling.seeds_and_cost(__doc__)
    learned = gap_counts(polling.tistory(random.Random("tistory:bound"), 30))
    timelines = polling.measured_timelines("tistory", args.seeds)
    longest = 300  # bench/polling.py's max_interval for this timeline
    results = []
    for price, weight in itertools.product(PRICES, WEIGHTS):
        tables = [schedule(counts, price, weight, longest) for counts in learned]
        per_article, median_x, p90_x = polling.pooled(timelines, oracle(tables, longest), args.cost)
        results.append((per_article, median_x, p90_x, price, weight))
        print(
            f"price {price:>4g} weight {weight:<4g}: {per_article:.2f} polls per article, "
            f"median x{median_x:.2f}, p90 x{p90_x:.2f}",
            flush=True,
        )
    seeds = " ".join(map(str, args.seeds))
    print(f"\ntistory, seeds {seeds}, a poll reads the feed {args.cost:g} s after it starts")
    print("the least median ratio with a p90 ratio below 1 (polls/article, median x, p90 x):")
    for budget in BUDGETS:
        near = polling.best_near(results, budget)
        if not near:
            print(f"  ~{budget:g} polls per article: none")
            continue
        row = near[0]
        print(
            f"  ~{budget:g} polls per article: {row[0]:.2f}, x{row[1]:.2f}, x{row[2]:.2f} "
            f"(price {row[3]:g}, weight {row[4]:g})"
        )


if __name__ == "__main__":
    main()
