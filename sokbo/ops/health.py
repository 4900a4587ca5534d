"""Extraction health of a source and alerts when it falls sharply against its own past.

What "found" means, read from the evidence each stored article keeps (`Article.evidence`):

- body: the text came from the article's page (the source's selectors, the preset or the
  generic extractor). The feed's copy is a stand-in: it is used when the page yielded
  nothing, and feeds often carry only a teaser.
- date: the publication time came from the page or from the feed or sitemap. The crawl
  time, used when neither said anything, is a guess and does not count.
- image: the article has a lead image of its own (a site's default image is applied when
  posts are rendered and never counts).

An article stored before evidence was kept has none and is left out of the shares.

The figures are taken by when an article was last stored (`changed`: its evidence is that
of its last extraction); article counts by when sokbo first saw an article (`first_seen`).
All of it is pure: the caller reads the store and passes the numbers in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Literal

from sokbo.models import FROM_CRAWL_TIME, FROM_FEED

Field = Literal["body", "date", "image"]
FIELDS: tuple[Field, ...] = ("body", "date", "image")

DAY = timedelta(hours=24)
# How far back a source's own past reaches: long enough that a layout change which
# persists keeps being flagged for days, not only until it fills the history.
HISTORY_DAYS = 14
# Below these numbers a share or a daily count says too little; a new source has no
# history at all and so is never flagged.
MIN_BASELINE_ARTICLES = 10
MIN_SAMPLE_ARTICLES = 3
MIN_HISTORY_DAYS = 3
# A drop is "sharp" when both large and unlikely to be chance: a share at least this many
# points below the usual one, and a count at most this part of the usual daily count...
MIN_SHARE_DROP = 0.30
MAX_COUNT_RATIO = 0.25
# ...and at most this likely if the source were behaving as usual (binomial for shares,
# Poisson against the quietest day for counts), so a small sample cannot raise an alert.
MAX_CHANCE = 0.01


@dataclass(frozen=True)
class Tally:
    """Of `articles` articles, how many had their body, date and image found."""

    articles: int = 0
    body: int = 0
    date: int = 0
    image: int = 0

    def found(self, name: Field) -> int:
        count: int = getattr(self, name)
        return count

    def share(self, name: Field) -> float | None:
        """The share found, or None when there are no articles to judge."""
        return self.found(name) / self.articles if self.articles else None


def found_fields(evidence: Mapping[str, str]) -> frozenset[Field]:
    """Which of body, date and image the extraction found (see the module docstring)."""
    found: set[Field] = set()
    if evidence.get("body", FROM_FEED) != FROM_FEED:
        found.add("body")
    if evidence.get("published", FROM_CRAWL_TIME) != FROM_CRAWL_TIME:
        found.add("date")
    if evidence.get("image"):
        found.add("image")
    return frozenset(found)


def tally(evidences: Iterable[Mapping[str, str] | None]) -> Tally:
    """Count what was found over some articles; those without evidence are left out."""
    articles = 0
    counts = dict.fromkeys(FIELDS, 0)
    for evidence in evidences:
        if evidence is None:
            continue
        articles += 1
        for name in found_fields(evidence):
            counts[name] += 1
    return Tally(articles, **counts)


@dataclass(frozen=True)
class StoredMark:
    """What the health figures need of one stored article."""

    first_seen: datetime
    changed: datetime
    evidence: Mapping[str, str] | None


@dataclass(frozen=True)
class History:
    """A source's recent figures and its own past to compare them with."""

    last_24h: Tally  # articles stored (new or changed) in the last 24 hours
    baseline: Tally  # articles stored in the HISTORY_DAYS before those 24 hours
    new_last_24h: int  # articles first seen in the last 24 hours
    # Articles first seen in each earlier 24-hour block, the most recent block first; only
    # the blocks sokbo watched the source for the whole of (so the first run's backlog,
    # all first seen at once, does not count as a day's publishing).
    daily_new: tuple[int, ...] = ()
    last_run: Tally | None = None  # articles stored by the source's last run


def build_history(
    marks: Iterable[StoredMark],
    now: datetime,
    watched_since: datetime | None,
    last_run: tuple[datetime, datetime] | None = None,
) -> History:
    """Sort a source's stored articles into the windows `alerts` compares.

    `watched_since`: when sokbo first ran the source (None: never). `last_run`: the
    (started, finished) of its last run, whose stored articles form their own sample.
    """
    recent_start = now - DAY
    history_start = recent_start - HISTORY_DAYS * DAY
    recent: list[Mapping[str, str] | None] = []
    earlier: list[Mapping[str, str] | None] = []
    in_run: list[Mapping[str, str] | None] = []
    new_last_24h = 0
    blocks = [0] * HISTORY_DAYS
    for mark in marks:
        if recent_start <= mark.changed <= now:
            recent.append(mark.evidence)
        elif history_start <= mark.changed < recent_start:
            earlier.append(mark.evidence)
        if last_run is not None and last_run[0] <= mark.changed <= last_run[1]:
            in_run.append(mark.evidence)
        if recent_start <= mark.first_seen <= now:
            new_last_24h += 1
        elif history_start <= mark.first_seen < recent_start:
            # Block i holds [recent_start - (i + 1) days, recent_start - i days).
            blocks[(recent_start - mark.first_seen - timedelta.resolution) // DAY] += 1
    watched = 0
    if watched_since is not None:
        while watched < HISTORY_DAYS and recent_start - (watched + 1) * DAY >= watched_since:
            watched += 1
    return History(
        last_24h=tally(recent),
        baseline=tally(earlier),
        new_last_24h=new_last_24h,
        daily_new=tuple(blocks[:watched]),
        last_run=tally(in_run) if last_run is not None else None,
    )


def alerts(history: History) -> list[str]:
    """Why the source looks broken, one sentence each; empty when it looks as usual."""
    reasons = extraction_alerts(history.last_24h, history.baseline, "the last 24 h")
    if not reasons and history.last_run is not None:
        # A change within the last hours shows in the last run well before it outweighs
        # the good articles earlier in the day.
        reasons = extraction_alerts(history.last_run, history.baseline, "the last run")
    count = count_alert(history.new_last_24h, history.daily_new)
    return [*reasons, count] if count else reasons


def extraction_alerts(sample: Tally, baseline: Tally, window: str) -> list[str]:
    """A sentence for each field found sharply less often in `sample` than in `baseline`."""
    if sample.articles < MIN_SAMPLE_ARTICLES or baseline.articles < MIN_BASELINE_ARTICLES:
        return []
    reasons = []
    for name in FIELDS:
        now_share, usual = sample.share(name), baseline.share(name)
        assert now_share is not None and usual is not None
        if usual - now_share < MIN_SHARE_DROP:
            continue
        # Smoothed, so that a source which always found a field is not certain to.
        expected = (baseline.found(name) + 1) / (baseline.articles + 2)
        if binomial_cdf(sample.found(name), sample.articles, expected) > MAX_CHANCE:
            continue
        reasons.append(
            f"{name} found in {_percent(now_share)} of the {sample.articles} articles of "
            f"{window} (usually {_percent(usual)})"
        )
    return reasons


def count_alert(new_last_24h: int, daily_new: Sequence[int]) -> str | None:
    """A sentence when far fewer articles came in than the source's history says should.

    Days of silence right before the last 24 h are counted with it rather than as
    history, so a source that stays silent stays flagged.
    """
    silent = 0
    if new_last_24h == 0:
        while silent < len(daily_new) and daily_new[silent] == 0:
            silent += 1
    before = daily_new[silent:]
    if len(before) < MIN_HISTORY_DAYS:
        return None
    days = 1 + silent
    usual, quietest = median(before), min(before)
    if new_last_24h > MAX_COUNT_RATIO * usual * days:
        return None
    if poisson_cdf(new_last_24h, quietest * days) > MAX_CHANCE:
        return None
    count = f"{new_last_24h} new articles" if new_last_24h else "no new articles"
    span = "the last 24 h" if days == 1 else f"the last {days} days"
    return f"{count} in {span} (usually {usual:g} a day)"


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), 0 < p < 1; in logs, so large n cannot overflow."""
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for i in range(min(k, n) + 1):
        log_choose = math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
        total += math.exp(log_choose + i * log_p + (n - i) * log_q)
    return min(total, 1.0)


def poisson_cdf(k: int, mean: float) -> float:
    """P(X <= k) for X ~ Poisson(mean); 1 when the mean is 0."""
    if mean <= 0:
        return 1.0
    log_mean = math.log(mean)
    total = sum(math.exp(i * log_mean - mean - math.lgamma(i + 1)) for i in range(k + 1))
    return min(total, 1.0)


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"
