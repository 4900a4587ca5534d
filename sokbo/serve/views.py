"""What each page of `sokbo serve` shows, built from the store and the config (no HTTP)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser

from sokbo.config import Config, SiteConfig
from sokbo.ops.health import DAY, FIELDS, HISTORY_DAYS, found_fields
from sokbo.ops.latency import format_span
from sokbo.ops.status import (
    Overview,
    Schedule,
    collect_status,
    last_run_from,
    push_summary,
    to_json,
)
from sokbo.publish.post import render_body
from sokbo.serve import charts
from sokbo.store import Store, StoreMissing

# The srcdoc document of a rendered post: nothing in it may run or load but images.
POST_CSP = "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'"


def open_store(config: Config) -> Store:
    """The store as it is: StoreMissing when there is none (nothing is ever created)."""
    return Store(
        config.store.url, busy_timeout=config.store.busy_timeout.total_seconds(), create=False
    )


def overview(config: Config, schedule: Schedule, now: datetime) -> Overview:
    """The same overview `sokbo status` prints (no crawl node is asked: a page must be quick)."""
    try:
        store = open_store(config)
    except StoreMissing as exc:
        bare = collect_status(config, None, schedule, now)
        return Overview(bare.sources, bare.scheduler, store_missing=str(exc))
    try:
        return collect_status(config, store, schedule, now)
    finally:
        store.close()


def source_rows(found: Overview, sort: str, now: datetime) -> list[dict[str, Any]]:
    """The status rows as `sokbo status --json` gives them (with `push_summary`, the PUSH
    cell of `sokbo status`), sorted by a column."""
    rows: list[dict[str, Any]] = json.loads(to_json(found))["sources"]
    for row, status in zip(rows, found.sources, strict=True):
        row["push_summary"] = push_summary(status, now)
    key = sort.removeprefix("-")

    def value(row: dict[str, Any]) -> Any:
        run = row["last_run"] or {}
        return {
            "source": row["source"],
            "last_run": run.get("started") or "",
            "result": run.get("result") or "",
            "new": run.get("new", -1),
            "updated": run.get("updated", -1),
            "dropped": run.get("dropped", -1),
            "day": row["new_last_24h"],
            "latency": (row["latency"] or {}).get("median_seconds", -1),
            "next_run": row["next_run"] or "",
        }.get(key, row["source"])

    return sorted(rows, key=value, reverse=sort.startswith("-"))


@dataclass(frozen=True)
class SourcePage:
    source_id: str
    runs: list[dict[str, Any]]
    articles: list[dict[str, Any]]
    per_hour: str  # SVG
    shares: str  # SVG


def source_page(store: Store, source_id: str, now: datetime) -> SourcePage:
    since = now - HISTORY_DAYS * DAY
    runs = []
    for row in store.runs_since(source_id, since, limit=50):
        run = last_run_from(row)
        runs.append(
            {"started": run.started, "duration": run.duration, "result": run.result}
            | {"new": run.new, "updated": run.updated, "dropped": run.dropped}
        )
    hours = int(HISTORY_DAYS * DAY / timedelta(hours=1))
    per_hour = [0] * hours
    days: list[Counter[str]] = [Counter() for _ in range(HISTORY_DAYS)]
    for first_seen, changed, evidence in store.article_sightings(source_id, since):
        # An article of this very moment counts in the last hour and day, not past them.
        hour = min(int((first_seen - since) / timedelta(hours=1)), hours - 1)
        if hour >= 0:
            per_hour[hour] += 1
        day = min(int((changed - since) / DAY), HISTORY_DAYS - 1)
        if evidence and day >= 0:
            days[day]["articles"] += 1
            days[day].update(found_fields(evidence))
    shares: dict[str, list[float | None]] = {
        name: [tally[name] / tally["articles"] if tally["articles"] else None for tally in days]
        for name in FIELDS
    }
    return SourcePage(
        source_id,
        runs,
        [dict(row) for row in store.recent_articles(source_id)],
        charts.bars(per_hour, f"articles per hour, {HISTORY_DAYS} days", HISTORY_DAYS),
        charts.lines(shares, f"extraction shares per day, {HISTORY_DAYS} days", HISTORY_DAYS),
    )


@dataclass(frozen=True)
class FeedState:
    name: str
    path: str
    exists: bool
    problem: str | None  # None: it parses as a feed with entries or none


@dataclass(frozen=True)
class SitePage:
    site: SiteConfig
    posts: list[dict[str, Any]]  # title, url, srcdoc
    feeds: list[FeedState]
    queue: dict[str, datetime]


def site_page(store: Store, site: SiteConfig, limit: int = 10) -> SitePage:
    posts = [
        {
            "title": stored.article.title,
            "url": stored.article.url,
            "published": stored.published,
            "srcdoc": srcdoc(render_body(stored, site)),
        }
        for stored in store.site_articles(site.id, limit)
    ]
    return SitePage(site, posts, feed_states(site), store.queued_feeds(site.id))


def feed_states(site: SiteConfig) -> list[FeedState]:
    """Each feed file of the site's folder and whether it parses as a feed."""
    folder = site.feeds_dir
    found = []
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.suffix not in {".xml", ".json"} or not path.is_file():
            continue
        parsed: Mapping[str, Any] = feedparser.parse(path.read_bytes())
        problem = None
        if parsed.get("bozo"):
            problem = str(parsed.get("bozo_exception", "not well formed")).splitlines()[0]
        elif not parsed.get("version") and path.suffix != ".json":
            problem = "not a feed"
        found.append(FeedState(path.name, str(path), True, problem))
    return found


def srcdoc(body: str) -> str:
    """A post body as a sandboxed frame's whole document, under its own strict policy."""
    return (
        f'<!doctype html><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{POST_CSP}">{body}'
    )


def now_utc() -> datetime:
    return datetime.now(UTC)


def span(seconds: float) -> str:
    """A length of time as `sokbo status` writes it: 40s, 12m, 1h30m, 3d."""
    return format_span(timedelta(seconds=seconds))


def when(value: datetime | str | None) -> str:
    """A time as the pages show it: UTC to the minute (ISO text from the JSON too)."""
    if value is None or value == "":
        return "–"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
