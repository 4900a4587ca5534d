"""A lag plan: when to poll a source next from the time since its newest article alone,
with the least expected latency for the polls it may spend.

For a source whose day is flat (no busy hours, no habits), what tells when its next
article comes is the time since the newest one: in a burst, soon; after a long quiet, at
the source's mean pace. The chance of the next gap ending at each lag is learned from the
source's own gaps (drawn towards the exponential of their mean by _PRIOR gaps, so that a
few gaps are not a rhythm), and the schedule with the least expected latency plus a price
per poll is found exactly by dynamic programming over lags. The price is the one at which
the source's own gaps, replayed, cost the polls per gap the source may spend.
"""

from __future__ import annotations

import hashlib
import math
import struct
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_STEPS = 400  # the plan's lags: at most this many steps, of at least a second each
_PRIOR = 20.0  # gaps' worth of the exponential of the mean gap
_HORIZON_MEANS = 5.0  # the plan reaches at least this many mean gaps (and the longest gap)
_BISECTIONS = 16  # of the price, on a log scale: to within 0.03 %
_PRICES = (1e-2, 1e6)  # seconds of latency a poll is worth, at most and at least
# Plans kept, by a digest of what they are learned from (not the gaps themselves: 2,000
# of them take 60 kB, a plan 3 kB): one per flat source, learned again once an hour.
_KEPT = 4096

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LagPlan:
    """Per step of `unit` seconds since the newest article, the step of the next poll
    after a poll at that step that found nothing newer."""

    unit: float
    after: tuple[int, ...]

    def wait(self, lag: float) -> float | None:
        """Seconds from a poll `lag` seconds after the newest article to the next; None
        past the plan's reach."""
        step = int(lag // self.unit)
        if lag < 0 or step >= len(self.after):
            return None
        return self.after[step] * self.unit - lag


_plans: OrderedDict[bytes, LagPlan] = OrderedDict()
_plans_lock = threading.Lock()


def lag_plan(
    gaps: Sequence[float], min_wait: float, max_wait: float, polls_per_gap: float
) -> LagPlan:
    """The plan for these gaps (seconds, in the order they came) that spends about
    `polls_per_gap` polls per gap, polls from min_wait to max_wait apart. Kept: a
    source's gaps stay the same for an hour (see adaptive.learn_pace)."""
    settings = struct.pack("3d", min_wait, max_wait, polls_per_gap)
    key = hashlib.blake2b(np.asarray(gaps, dtype=np.float64).tobytes() + settings).digest()
    with _plans_lock:
        plan = _plans.get(key)
        if plan is not None:
            _plans.move_to_end(key)
            return plan
    plan = _learn(gaps, min_wait, max_wait, polls_per_gap)
    with _plans_lock:
        _plans[key] = plan
        if len(_plans) > _KEPT:
            _plans.popitem(last=False)
    return plan


def _learn(
    gaps: Sequence[float], min_wait: float, max_wait: float, polls_per_gap: float
) -> LagPlan:
    mean = max(sum(gaps) / len(gaps), 1.0)
    horizon = max(max(gaps), _HORIZON_MEANS * mean)
    unit = max(1.0, math.ceil(horizon / _STEPS))
    steps = math.ceil(horizon / unit)
    counts, sums = _weights(gaps, mean, unit, steps)
    low = max(1, math.ceil(min_wait / unit))
    high = max(low, math.floor(max_wait / unit))
    cheap, dear = math.log(_PRICES[0]), math.log(_PRICES[1])
    # If no price meets the budget, the dearest plan: the fewest polls there are.
    after = _schedule(counts, sums, unit, math.exp(dear), low, high)
    for _ in range(_BISECTIONS):
        middle = (cheap + dear) / 2
        candidate = _schedule(counts, sums, unit, math.exp(middle), low, high)
        if _polls_per_gap(candidate, gaps, unit, high) > polls_per_gap:
            cheap = middle
        else:
            dear, after = middle, candidate
    return LagPlan(unit, tuple(int(step) for step in after[:-1]))  # the last: the end


def _weights(gaps: Sequence[float], mean: float, unit: float, steps: int) -> tuple[Floats, Floats]:
    """Per step c (gaps in ((c - 1) unit, c unit], the last step taking longer ones): how
    many gaps end there and the sum of their lengths, with _PRIOR gaps of the
    exponential of the mean spread over the steps."""
    lengths = np.asarray(gaps, dtype=np.float64)
    at = np.clip(np.ceil(lengths / unit), 0, steps).astype(np.int_)
    counts = np.bincount(at, minlength=steps + 1).astype(np.float64)
    sums = np.bincount(at, weights=lengths, minlength=steps + 1).astype(np.float64)
    edges = np.arange(steps + 1) * unit
    survive = np.exp(-edges / mean)
    prior = survive[:-1] - survive[1:]  # steps 1..steps, the last with the tail
    prior[-1] += survive[-1]
    prior *= _PRIOR
    counts[1:] += prior
    sums[1:] += prior * (edges[1:] - unit / 2)
    return counts, sums


def _schedule(
    counts: Floats, sums: Floats, unit: float, price: float, low: int, high: int
) -> npt.NDArray[np.int_]:
    """For each step s (a poll then found nothing), the step of the next poll with the
    least expected latency plus `price` per poll: polls `low` to `high` steps apart, a
    gap seen by the first poll at or after its end."""
    steps = len(counts) - 1
    ended = np.concatenate([[0.0], np.cumsum(counts)])  # gaps of steps < c: ended[c]
    ended_sum = np.concatenate([[0.0], np.cumsum(sums)])
    beyond = ended[-1] - ended  # gaps of steps >= c: a poll is needed after a poll at c - 1
    cost = np.zeros(steps + 1)  # from a poll at s that found nothing
    after = np.full(steps + 1, steps, dtype=np.int_)
    for s in range(steps - 1, -1, -1):
        nexts = np.arange(s + low, s + high + 1)
        within = np.minimum(nexts, steps)  # a poll at the end or past it sees every gap
        seen = ended[within + 1] - ended[s + 1]
        waited = nexts * unit * seen - (ended_sum[within + 1] - ended_sum[s + 1])
        total = price * beyond[s + 1] + waited + cost[within]
        best = int(np.argmin(total))
        cost[s], after[s] = total[best], nexts[best]
    return after


def _polls_per_gap(
    after: npt.NDArray[np.int_], gaps: Sequence[float], unit: float, high: int
) -> float:
    """The polls the plan spends per gap, replayed on the gaps in their order: a poll
    that finds an article sees those after it up to its own moment too, and the next
    gap starts at its lag; past the plan's reach, a poll every `high` steps."""
    steps = len(after) - 1
    polls, lag = 0, 0.0
    for gap in gaps:
        if lag >= gap:  # seen by the poll that saw the one before
            lag -= gap
            continue
        step = int(lag // unit)
        while True:
            step = int(after[step]) if step < steps else step + high
            polls += 1
            if step * unit >= gap:
                break
        lag = step * unit - gap
    return polls / len(gaps)
