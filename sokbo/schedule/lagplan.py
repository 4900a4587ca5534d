"""A lag plan: when to poll a source next from the time since its newest article and
that article's place in its burst, with the least expected latency for the polls it may
spend.

For a source whose day is flat (no busy hours, no habits), what tells when its next
article comes is the time since the newest one and how far into a burst that one was:
early in a burst, the next comes soon; after the burst's usual length, or a long quiet,
at the source's mean pace. A burst is a run of gaps under the source's burst cut: the
length that best splits its gaps (on a log scale) into short and long ones (Otsu's
threshold). Places are told apart only where they tell something (a steady source's do
not, and it has one plan for all). Per place (the short gaps just before the newest
article, 0 to PLACES - 1), the chance of the next gap ending at each lag is learned from
the gaps that followed articles at that place (drawn towards the exponential of their
mean by _PRIOR gaps, so that a few gaps are not a rhythm), and the schedule with the
least expected latency plus a price per poll is found exactly by dynamic programming
over lags. The price, the same for every place, is the one at which the source's own
gaps, replayed, cost the polls per gap the source may spend.
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
from numpy.lib.stride_tricks import sliding_window_view

_STEPS = 400  # the plan's lags: at most this many steps, of at least a second each
_PRIOR = 20.0  # gaps' worth of the exponential of the mean gap
_HORIZON_MEANS = 5.0  # the plan reaches at least this many mean gaps (and the longest gap)
_BISECTIONS = 16  # of the price, on a log scale: to within 0.03 %
_PRICES = (1e-2, 1e6)  # seconds of latency a poll is worth, at most and at least
# Places in a burst told apart: its first article to a sixth (or later). A place is kept
# apart only with _PLACE_GAPS gaps after it and after the places past it; the last place
# kept takes the later ones too.
PLACES = 6
_PLACE_GAPS = 20
# Places are told apart only when the share of long gaps after them differs by more
# than chance would make it: a chi-square statistic of its degrees of freedom plus this
# many standard deviations (a steady source's places say nothing, and would only split
# its gaps into noisier plans).
_PLACE_SIGNIFICANCE = 4.0
# Plans kept, by a digest of what they are learned from (not the gaps themselves: 2,000
# of them take 60 kB, a plan 3 kB): one per flat source, learned again once an hour.
_KEPT = 4096

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LagPlan:
    """Per place in a burst and per step of `unit` seconds since the newest article, the
    step of the next poll after a poll at that step that found nothing newer. A gap
    under `cut` seconds goes on a burst."""

    cut: float
    unit: float
    after: tuple[tuple[int, ...], ...]

    def place(self, recent: Sequence[float]) -> int:
        """The newest article's place: how many of the gaps just before it (`recent`,
        oldest first) are under the cut, at most the last place."""
        return min(_runs(recent, self.cut)[-1], len(self.after) - 1)

    def wait(self, lag: float, recent: Sequence[float] = ()) -> float | None:
        """Seconds from a poll `lag` seconds after the newest article to the next, given
        the gaps between the articles before it (`recent`, oldest first; see place);
        None past the plan's reach."""
        after = self.after[self.place(recent)]
        step = int(lag // self.unit)
        if lag < 0 or step >= len(after):
            return None
        return after[step] * self.unit - lag


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
    cut = burst_cut(gaps)
    places = _places(gaps, cut)
    lengths = np.asarray(gaps, dtype=np.float64)
    tables = [_weights(lengths[places == place], unit, steps) for place in range(places.max() + 1)]
    low = max(1, math.ceil(min_wait / unit))
    high = max(low, math.floor(max_wait / unit))
    counts, sums = (np.stack(table) for table in zip(*tables, strict=True))
    waited, beyond = _waits(counts, sums, unit, low, high)
    cheap, dear = math.log(_PRICES[0]), math.log(_PRICES[1])
    # If no price meets the budget, the dearest plan: the fewest polls there are.
    afters = _schedule(waited, beyond, math.exp(dear), low)
    for _ in range(_BISECTIONS):
        middle = (cheap + dear) / 2
        candidate = _schedule(waited, beyond, math.exp(middle), low)
        if _polls_per_gap(candidate, gaps, places, unit, high) > polls_per_gap:
            cheap = middle
        else:
            dear, afters = middle, candidate
    # The last step of each: the end.
    return LagPlan(cut, unit, tuple(tuple(int(step) for step in after[:-1]) for after in afters))


def burst_cut(gaps: Sequence[float]) -> float:
    """The gap length that best splits these gaps into short and long ones: Otsu's
    threshold on their logarithms (the split with the most variance between the two
    sides), halfway between its sides on that scale; 0 when all gaps are alike."""
    logs = np.sort(np.log(np.maximum(np.asarray(gaps, dtype=np.float64), 1.0)))
    count = len(logs)
    if count < 2 or logs[0] == logs[-1]:
        return 0.0
    below = np.arange(1, count, dtype=np.float64)  # a split after each of them
    sums = np.cumsum(logs)[:-1]
    between = below * (count - below) * (sums / below - (logs.sum() - sums) / (count - below)) ** 2
    between[logs[1:] <= logs[:-1]] = -1.0  # no split between equal lengths
    split = int(np.argmax(between))
    return float(np.exp((logs[split] + logs[split + 1]) / 2))


def _places(gaps: Sequence[float], cut: float) -> npt.NDArray[np.int_]:
    """Per gap, the place of the article it follows (the first: 0), as LagPlan.place
    tells it: up to the last place that keeps _PLACE_GAPS gaps after it and the later
    ones, at most PLACES - 1; all 0 if the places do not tell (see _PLACE_SIGNIFICANCE)."""
    found = np.asarray(_runs(gaps, cut)[:-1], dtype=np.int_)
    last = 0
    while last < PLACES - 1 and np.count_nonzero(found > last) >= _PLACE_GAPS:
        last += 1
    places = np.minimum(found, last)
    long = np.asarray(gaps, dtype=np.float64) >= cut
    share = float(long.mean()) if last else 0.0
    if not 0.0 < share < 1.0:
        return np.zeros_like(places)
    expected = np.bincount(places) * share
    spread = np.sum((np.bincount(places, weights=long) - expected) ** 2 / (expected * (1 - share)))
    if spread < last + _PLACE_SIGNIFICANCE * math.sqrt(2 * last):
        return np.zeros_like(places)
    return places


def _runs(gaps: Sequence[float], cut: float) -> list[int]:
    """Per article (one more than the gaps between them), the gaps under `cut` just
    before it: its place in its burst, uncapped."""
    runs = [0]
    for gap in gaps:
        runs.append(runs[-1] + 1 if gap < cut else 0)
    return runs


def _weights(lengths: Floats, unit: float, steps: int) -> tuple[Floats, Floats]:
    """Per step c (gaps in ((c - 1) unit, c unit], the last step taking longer ones): how
    many gaps end there and the sum of their lengths, with _PRIOR gaps of the
    exponential of their mean spread over the steps."""
    mean = max(float(lengths.mean()), 1.0)
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


def _waits(counts: Floats, sums: Floats, unit: float, low: int, high: int) -> tuple[Floats, Floats]:
    """Per place (a row of `counts` and `sums`, see _weights), after a poll at step s
    that found nothing: the expected wait (times the gaps' weight) of the gaps a next
    poll at step s + low + k sees, for k up to the end or `high` steps on; and the weight
    of the gaps that outlast s + 1 (the chance that a poll is needed after s). The same
    for every price."""
    places, width = counts.shape
    steps = width - 1
    zero = np.zeros((places, 1))
    ended = np.concatenate([zero, np.cumsum(counts, axis=1)], axis=1)  # gaps < c: [:, c]
    ended_sum = np.concatenate([zero, np.cumsum(sums, axis=1)], axis=1)
    # A poll at the end or past it sees every gap, the sooner the better: the next polls
    # need not reach past the end.
    span = max(1, min(high, steps) - low + 1)
    at = np.arange(steps)
    nexts = at[:, None] + low + np.arange(span)
    within = np.minimum(nexts, steps)
    seen = ended[:, within + 1] - ended[:, at + 1, None]
    waited = nexts * unit * seen - (ended_sum[:, within + 1] - ended_sum[:, at + 1, None])
    return waited, ended[:, -1:] - ended[:, 1:-1]


def _schedule(waited: Floats, beyond: Floats, price: float, low: int) -> npt.NDArray[np.int_]:
    """Per place and for each step s (a poll then found nothing), the step of the next
    poll with the least expected latency plus `price` per poll (see _waits), the last
    step the end. Found backwards, `low` steps at a time: the next polls after each of
    them are at least `low` steps on, where the costs are known already."""
    places, steps, span = waited.shape
    cost = np.zeros((places, steps + low + span))  # from a poll at s; at the end, nothing
    ahead = sliding_window_view(cost, span, axis=1)  # ahead[:, t, k]: cost[:, t + k]
    after = np.full((places, steps + 1), steps, dtype=np.int_)
    top = steps - 1
    while top >= 0:
        bottom = max(0, top - low + 1)
        total = waited[:, bottom : top + 1] + ahead[:, bottom + low : top + low + 1]
        cost[:, bottom : top + 1] = price * beyond[:, bottom : top + 1] + total.min(axis=2)
        after[:, bottom : top + 1] = np.arange(bottom, top + 1) + low + total.argmin(axis=2)
        top = bottom - 1
    return after


def _polls_per_gap(
    afters: npt.NDArray[np.int_],
    gaps: Sequence[float],
    places: npt.NDArray[np.int_],
    unit: float,
    high: int,
) -> float:
    """The polls the plan (a row per place) spends per gap, replayed on the gaps in their order
    (`places`: of the article each follows): a poll that finds an article sees those
    after it up to its own moment too, and the next gap starts at its lag; past the
    plan's reach, a poll every `high` steps."""
    steps = len(afters[0]) - 1
    polls, lag = 0, 0.0
    for gap, place in zip(gaps, places, strict=True):
        if lag >= gap:  # seen by the poll that saw the one before
            lag -= gap
            continue
        after = afters[place]
        step = int(lag // unit)
        while True:
            step = int(after[step]) if step < steps else step + high
            polls += 1
            if step * unit >= gap:
                break
        lag = step * unit - gap
    return polls / len(gaps)
