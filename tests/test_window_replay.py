"""bench/_window.py: a live polling run's window replayed in the simulation, on hand-made
timelines and reads."""

from __future__ import annotations

import math
import random
from itertools import pairwise

from bench._window import (
    Bounds,
    Kept,
    LiveRead,
    follow_again,
    jitter_cap,
    waits_kept,
    window_spread,
)
from bench.polling import Adaptive, follow

BOUNDS = Bounds(10, 300, 30)
# Two weeks of bursts (a quiet 100 s, then 4 articles 20 s apart), then the window.
HISTORY = [t * 160.0 + k * 20.0 for t in range(-7560, 0) for k in range(4)]
WINDOW = [float(t) for t in (40, 60, 80, 100, 200, 220, 240, 260)]
ARRIVALS = HISTORY + WINDOW


def reads_by_the_policy(late: float = 0.0, other: float = 0.0) -> list[LiveRead]:
    """Reads as the scheduler makes them: the policy's wait (`other` seconds more) chosen
    1 s after each read, the next read that wait later plus half the most its jitter adds;
    the last one `late` more."""
    policy = Adaptive(BOUNDS.low, BOUNDS.high)
    reads: list[LiveRead] = []
    at = 5.0
    while at < 300:
        decided = at + 1.0
        chosen = policy([t for t in ARRIVALS if t <= at], decided) + other
        found = any(reads[-1].at < t <= at for t in WINDOW) if reads else False
        reads.append(LiveRead(at, decided, chosen, found))
        at = decided + chosen + jitter_cap(chosen, BOUNDS.jitter) / 2
    last = reads[-1]
    reads[-1] = LiveRead(last.at + late, last.decided + late, last.chosen, last.found)
    return reads


def test_waits_the_policy_chose_and_the_scheduler_kept_are_told_from_others() -> None:
    reads = reads_by_the_policy()
    waits = len(reads) - 1
    assert waits > 5
    assert waits_kept(ARRIVALS, reads, BOUNDS) == Kept(waits, waits, waits)
    # A next poll that came 30 s after its moment (and the jitter) was not kept.
    late = reads_by_the_policy(late=30.0)
    assert waits_kept(ARRIVALS, late, BOUNDS) == Kept(waits, waits - 1, waits)
    # Waits 5 s longer than the policy's, kept by the scheduler, were not the policy's.
    other = reads_by_the_policy(other=5.0)
    assert waits_kept(ARRIVALS, other, BOUNDS) == Kept(0, len(other) - 1, len(other) - 1)
    # Before the scheduler has said an interval, a wait is not counted.
    unknown = [LiveRead(reads[0].at, reads[0].decided, math.nan, False), *reads[1:]]
    assert waits_kept(ARRIVALS, unknown, BOUNDS) == Kept(waits - 1, waits - 1, waits - 1)


def test_a_replay_without_overheads_or_jitter_is_the_simulation() -> None:
    policy = Adaptive(BOUNDS.low, BOUNDS.high)
    reads = [LiveRead(5.0, 5.0, 25.0, False), LiveRead(30.0, 30.0, 20.0, True)]
    again = follow_again(ARRIVALS, reads, 300.0, policy, 0.0, 0.3, random.Random(1))
    simulated = follow(ARRIVALS, policy, 5.0, 300.0, cost=0.3)
    assert again[0] == 5.0
    assert again[1:] == simulated[: len(again) - 1]
    assert again[-1] >= 300.0


def test_a_replay_draws_the_runs_overheads_and_the_jitter() -> None:
    policy = Adaptive(BOUNDS.low, BOUNDS.high)
    reads = reads_by_the_policy()
    plain = follow_again(ARRIVALS, reads, 300.0, policy, 0.0, 0.0, random.Random(1))
    jittered = follow_again(ARRIVALS, reads, 300.0, policy, 30.0, 0.0, random.Random(1))
    assert plain != jittered
    # Each wait of the replay is the policy's, from the drawn end of the run (1 s), plus
    # at most its jitter.
    for before, after in pairwise(jittered):
        wait = policy([t for t in ARRIVALS if t <= before], before + 1.0)
        assert wait <= after - before - 1.0 <= wait + jitter_cap(wait, 30.0) + 1e-9


def test_the_fixed_interval_is_taken_at_each_phase() -> None:
    arrivals = [0.5 + 10 * k for k in range(20)]  # one article every 10 s
    reads = [LiveRead(float(t), float(t), 10.0, True) for t in range(0, 200, 10)]
    spread = window_spread(arrivals, arrivals, reads, 0.0, 200.0, BOUNDS, 10, 0.0, draws=20)
    # At phase p every article waits (p - 0.5) mod 10: 0.5 s to 9.5 s over the phases.
    fixed = spread["fixed median"]
    assert (fixed.p10, fixed.p50, fixed.p90) == (1.4, 5.0, 8.6)
    for name in ("policy median", "policy p90", "median x", "p90 x"):
        assert spread[name].p10 <= spread[name].p50 <= spread[name].p90


def test_the_policy_reads_the_store_and_latency_counts_from_publication() -> None:
    reads = reads_by_the_policy()
    as_published = window_spread(ARRIVALS, ARRIVALS, reads, 0.0, 300.0, BOUNDS, 23, 0.1, 20)
    # A store that dated every article 7 s early: the policy polls at other moments; the
    # fixed interval, which reads no store, and the articles' latencies' origin are the same.
    early = [t - 7.0 for t in ARRIVALS]
    as_stored = window_spread(ARRIVALS, early, reads, 0.0, 300.0, BOUNDS, 23, 0.1, 20)
    assert as_stored["fixed median"] == as_published["fixed median"]
    assert as_stored["policy median"] != as_published["policy median"]
