"""`sokbo status`: how each source is doing, read from the store and the scheduler's jobs,
and what is live now (a crawl, a scheduler), read from their locks. Creates nothing."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from sokbo.config import ADAPTIVE, Config, SourceConfig
from sokbo.lock import LiveHolder, ProcessLock, live_holders, scheduler_lock, source_lock
from sokbo.ops.health import DAY, FIELDS, HISTORY_DAYS, StoredMark, Tally, alerts, build_history
from sokbo.ops.latency import Latency, build_latency, format_span, latency_alert
from sokbo.outcome import crawl_counts, crawl_errors, crawl_exit_status
from sokbo.scrapyd import Load, Scrapyd, ScrapydError
from sokbo.store import Store, StoreMissing, Subscription

logger = logging.getLogger("sokbo.ops.health")

_RESULT_WIDTH = 28


class Schedule(Protocol):
    """What status asks of the scheduler's side (`sokbo.schedule.jobs` is one): when each
    source runs next, and an adaptive source's interval now."""

    def next_runs(self, config: Config) -> dict[str, datetime | None]: ...

    def current_interval(
        self, config: Config, store: Store, source: SourceConfig
    ) -> timedelta | None: ...


@dataclass(frozen=True)
class LastRun:
    """A source's most recent recorded run, with the counts its Scrapy stats kept."""

    started: datetime
    finished: datetime
    reason: str  # Scrapy's close reason: "finished", "shutdown", ...
    exit_status: int | None  # the crawl's: 0 clean, 1 not, negative: killed by that signal
    errors: str | None  # what went wrong, in a line; None: nothing
    new: int
    updated: int
    dropped: int
    node: str | None = None  # the crawl node it ran on; None: the scheduler's machine
    # Stories (SiteConfig.stories): articles that started one, versions a story's post
    # now shows instead of an earlier one, versions not posted (their story's post covers them).
    stories: int = 0
    versions: int = 0
    duplicates: int = 0

    @property
    def duration(self) -> timedelta:
        """The crawl's own time, from its spider's start to its close (fetching, storing,
        publishing, feeds), without the process's start-up: the scheduler's log gives it
        as `crawl X s` beside the whole run's time. A crawl that died before recording
        its run has the time until the scheduler recorded it."""
        return self.finished - self.started

    @property
    def result(self) -> str:
        """`ok`, or what went wrong."""
        problems = []
        if self.exit_status is not None and self.exit_status < 0:
            problems.append(f"killed by signal {-self.exit_status}")
        elif self.exit_status and (self.exit_status != 1 or not self.errors):
            problems.append(f"exit {self.exit_status}")
        if self.errors:
            problems.append(self.errors.strip().splitlines()[0])
        return "; ".join(problems) or "ok"


@dataclass(frozen=True)
class SourceStatus:
    """One line of `sokbo status`."""

    source_id: str
    schedule: str  # as configured
    last_run: LastRun | None  # None: never ran
    new_last_24h: int  # articles first seen in the last 24 hours
    health: Tally  # what extraction found in the articles stored in the last 24 hours
    alerts: tuple[str, ...]
    next_run: datetime | None  # None: no scheduler runs, or it has no job for the source
    interval: timedelta | None  # the interval adaptive polling chose; None otherwise
    crawling: LiveHolder | None = None  # the crawl of the source running now, if one is
    latency: Latency | None = None  # publication to post, the last 24 hours' posts
    push: tuple[Subscription, ...] = ()  # its WebSub subscriptions ([push])


@dataclass(frozen=True)
class NodeState:
    """A crawl node ([cluster]) as it answers now: its jobs, or why it does not answer."""

    url: str
    slots: int
    load: Load | None
    problem: str | None = None


@dataclass(frozen=True)
class Overview:
    """Everything `sokbo status` says: each source, and whether a scheduler runs."""

    sources: list[SourceStatus]
    scheduler: LiveHolder | None  # None: no scheduler runs on this store
    store_missing: str | None = None  # why there is nothing to read yet (no store)
    nodes: tuple[NodeState, ...] = ()  # the crawl nodes, when there are


@dataclass(frozen=True)
class Alert:
    source_id: str
    reason: str


def last_run_from(row: Mapping[Any, Any]) -> LastRun:
    """A `runs` row as LastRun. A row recorded before runs kept an exit status and an
    error summary gets them from its stats, as they would have been recorded."""
    stats: Mapping[str, Any] = row["stats"] or {}
    reason: str = row["reason"]
    exit_status, errors = row.get("exit_status"), row.get("errors")
    if exit_status is None and errors is None:
        exit_status, errors = crawl_exit_status(reason, stats), crawl_errors(reason, stats)
    counts = crawl_counts(stats)
    return LastRun(
        started=row["started"],
        finished=row["finished"],
        reason=reason,
        exit_status=exit_status,
        errors=errors,
        new=counts["new"],
        updated=counts["updated"],
        dropped=counts["dropped"],
        node=row.get("node"),
        stories=counts["stories"],
        versions=counts["versions"],
        duplicates=counts["duplicates"],
    )


# -- reading the store ------------------------------------------------------------------


def read_last_run(store: Store, source_id: str) -> LastRun | None:
    row = store.last_run(source_id)
    return None if row is None else last_run_from(row)


@dataclass(frozen=True)
class History:
    """What a source's recent articles and posts say: counts, health, latency, alerts."""

    new_last_24h: int
    health: Tally
    latency: Latency | None  # of the posts of the last 24 hours; None: none
    alerts: tuple[str, ...]


def read_history(store: Store, source_id: str, now: datetime, last: LastRun | None) -> History:
    """New articles in the last 24 h, health over them, their posts' latency and the
    alerts, for one source."""
    since = now - DAY - HISTORY_DAYS * DAY
    found = [StoredMark(*mark) for mark in store.article_marks(source_id, since)]
    # A last run older than the history has nothing left to compare.
    window = (last.started, last.finished) if last and last.started >= since else None
    first = store.first_activity(source_id)
    history = build_history(found, now, first, window)
    latency = build_latency(store.post_delays(source_id, since), now, first)
    jump = latency_alert(latency)
    reasons = (*alerts(history), *([jump] if jump else []))
    return History(history.new_last_24h, history.last_24h, latency.last_24h, reasons)


def read_status(config: Config, schedule: Schedule, now: datetime | None = None) -> Overview:
    """The status, the store opened as it is and nothing created: a store not made yet
    means that nothing has run."""
    try:
        store = Store(
            config.store.url,
            busy_timeout=config.store.busy_timeout.total_seconds(),
            create=False,
        )
    except StoreMissing as exc:
        overview = replace(collect_status(config, None, schedule, now), store_missing=str(exc))
    else:
        try:
            overview = collect_status(config, store, schedule, now)
        finally:
            store.close()
    return replace(overview, nodes=tuple(node_states(config)))


def node_states(config: Config) -> list[NodeState]:
    """Each crawl node's load, asked now (a node that does not answer says why)."""
    cluster = config.cluster
    states = []
    for url in cluster.scrapyd:
        node = Scrapyd(url, cluster.username, cluster.password, timeout=3)
        try:
            states.append(NodeState(url, cluster.slots, node.load()))
        except ScrapydError as exc:
            states.append(NodeState(url, cluster.slots, None, str(exc)))
    return states


def collect_status(
    config: Config, store: Store | None, schedule: Schedule, now: datetime | None = None
) -> Overview:
    """Every source of the config, in its order, never-run ones included (all of them
    when there is no store), and the crawls and the scheduler running now."""
    now = now or datetime.now(UTC)
    # One question for all the locks (one query when they are PostgreSQL's); the key
    # None is the scheduler's.
    locks: dict[str | None, ProcessLock] = {None: scheduler_lock(config)}
    locks.update((source.id, source_lock(config, source.id)) for source in config.source)
    holders = live_holders(locks)
    scheduler = holders.pop(None, None)
    # A stopped scheduler leaves its next run times in the job store: they say nothing
    # until one runs again.
    next_runs = schedule.next_runs(config) if scheduler is not None else {}
    subscriptions: dict[str, list[Subscription]] = {}
    for sub in store.subscriptions() if store is not None else []:
        subscriptions.setdefault(sub.source_id, []).append(sub)
    rows = []
    for source in config.source:
        # Without a store, nothing has run: every source as never run.
        last: LastRun | None = None
        reasons: tuple[str, ...] = ()
        interval: timedelta | None = None
        new_last_24h, health, latency = 0, Tally(), None
        if store is not None:
            last = read_last_run(store, source.id)
            found = read_history(store, source.id, now, last)
            new_last_24h, health, latency, reasons = (
                found.new_last_24h,
                found.health,
                found.latency,
                found.alerts,
            )
            if source.schedule == ADAPTIVE:
                interval = schedule.current_interval(config, store, source)
        rows.append(
            SourceStatus(
                source_id=source.id,
                schedule=source.schedule,
                last_run=last,
                new_last_24h=new_last_24h,
                health=health,
                latency=latency,
                alerts=reasons,
                next_run=next_runs.get(source.id),
                interval=interval,
                crawling=holders.get(source.id),
                push=tuple(subscriptions.get(source.id, ())),
            )
        )
    return Overview(rows, scheduler)


def check_health(
    config: Config,
    store: Store,
    *,
    sources: Collection[str] | None = None,
    now: datetime | None = None,
) -> list[Alert]:
    """The alerts of the given sources (default: all), each logged at WARNING."""
    now = now or datetime.now(UTC)
    found = []
    for source in config.source:
        if sources is not None and source.id not in sources:
            continue
        last = read_last_run(store, source.id)
        reasons = read_history(store, source.id, now, last).alerts
        found += [Alert(source.id, reason) for reason in reasons]
    log_alerts(found)
    return found


def log_alerts(found: Sequence[Alert]) -> None:
    for alert in found:
        logger.warning("source '%s': %s", alert.source_id, alert.reason)


def alerts_of(rows: Sequence[SourceStatus]) -> list[Alert]:
    return [Alert(row.source_id, reason) for row in rows for reason in row.alerts]


# -- presenting it ----------------------------------------------------------------------

_HEADERS = (
    "",
    "SOURCE",
    "LAST RUN",
    "TOOK",
    "RESULT",
    "NEW",
    "UPD",
    "DROP",
    "24H",
    "BODY",
    "DATE",
    "IMAGE",
    "NEXT RUN",
    "SCHEDULE",
)
# Numbers and shares are right-aligned, so that their digits line up.
_RIGHT = frozenset({"NEW", "UPD", "DROP", "24H", "BODY", "DATE", "IMAGE", "STORIES", "LATENCY"})


def format_table(overview: Overview, now: datetime) -> str:
    """An aligned plain-text table; below it the scheduler and the crawls running now,
    then the alerts (marked `!` in the table). Without a store, a line that says so."""
    live = _live_lines(overview, now)
    if overview.store_missing:
        return "\n".join([f"no runs yet: {overview.store_missing}", *live])
    rows = overview.sources
    headers: tuple[str, ...] = _HEADERS
    cells = [_cells(row, now) for row in rows]
    if any(row.last_run and (row.last_run.versions or row.last_run.duplicates) for row in rows):
        # One story from several sources: new stories / new versions / duplicates not posted.
        headers = (*headers, "STORIES")
        cells = [(*line, _stories(row)) for line, row in zip(cells, rows, strict=True)]
    if any(row.latency for row in rows):  # publication to post: median/p90 of 24 hours
        headers = (*headers, "LATENCY")
        cells = [(*line, _latency(row)) for line, row in zip(cells, rows, strict=True)]
    if any(row.push for row in rows):  # WebSub: how its hub is doing
        headers = (*headers, "PUSH")
        cells = [(*line, push_summary(row, now)) for line, row in zip(cells, rows, strict=True)]
    if any(row.last_run and row.last_run.node for row in rows):  # crawl nodes: where it ran
        headers = (*headers, "NODE")
        cells = [(*line, _node(row)) for line, row in zip(cells, rows, strict=True)]
    cells.insert(0, headers)
    widths = [max(len(line[i]) for line in cells) for i in range(len(headers))]
    lines = []
    for line in cells:
        padded = [
            cell.rjust(width) if header in _RIGHT else cell.ljust(width)
            for header, cell, width in zip(headers, line, widths, strict=True)
        ]
        marker, *rest = padded
        lines.append(f"{marker} {'  '.join(rest)}".rstrip())
    lines += ["", *live]
    flagged = alerts_of(rows)
    if flagged:
        lines += ["", "alerts:"]
        lines += [f"  ! {alert.source_id}: {alert.reason}" for alert in flagged]
    return "\n".join(lines)


def _cells(row: SourceStatus, now: datetime) -> tuple[str, ...]:
    run = row.last_run
    if run is None:
        done: tuple[str, ...] = ("never", "-", "-", "-", "-", "-")
    else:
        done = (
            _ago(now - run.finished),
            _duration(run.duration),
            _shorten(run.result, _RESULT_WIDTH),
            str(run.new),
            str(run.updated),
            str(run.dropped),
        )
    shares = tuple(_share(row.health.share(name)) for name in FIELDS)
    schedule = row.schedule
    if row.interval is not None:
        schedule = f"{schedule} ({format_span(row.interval)})"
    upcoming = "-" if row.next_run is None else _until(row.next_run - now)
    marker = "!" if row.alerts else ""
    return (marker, row.source_id, *done, str(row.new_last_24h), *shares, upcoming, schedule)


def _stories(row: SourceStatus) -> str:
    """`new/versions/duplicates` of the last run, `-` when it never ran."""
    run = row.last_run
    return "-" if run is None else f"{run.stories}/{run.versions}/{run.duplicates}"


def _latency(row: SourceStatus) -> str:
    """`median/p90` of the last 24 hours' posts (`2m/9m`), `-` without any."""
    found = row.latency
    return "-" if found is None else f"{format_span(found.median)}/{format_span(found.p90)}"


def push_summary(row: SourceStatus, now: datetime) -> str:
    """How the source's hub delivers: `live 4m` (its last notification that long ago),
    `live` (none yet), `silent 47m` (polled on its schedule again), `subscribing`,
    `denied`, `unsubscribing`; `-` without a subscription. The best of several hubs."""
    if not row.push:
        return "-"
    sub = min(row.push, key=lambda s: (s.state != "active", s.silent_since is not None))
    if sub.state != "active":
        return sub.state
    if sub.silent_since is not None:
        return f"silent {format_span(now - (sub.last_notified or sub.created))}"
    return "live" if sub.last_notified is None else f"live {format_span(now - sub.last_notified)}"


def _node(row: SourceStatus) -> str:
    """The node the last run ran on (`crawl-1:6800`), `-` for this machine or none."""
    node = row.last_run.node if row.last_run else None
    return urlsplit(node).netloc if node else "-"


def _live_lines(overview: Overview, now: datetime) -> list[str]:
    """`scheduler: running on host-a (pid 4100, since 11:00:00 UTC)`, then a line per
    crawl running now."""
    scheduler = overview.scheduler
    if scheduler is None:
        lines = ["scheduler: not running: no source runs until `sokbo schedule` starts"]
    else:
        lines = [f"scheduler: running{_where(scheduler, now)}"]
    for row in overview.sources:
        if row.crawling is not None:
            took = (
                ""
                if row.crawling.since is None
                else f" for {format_span(now - row.crawling.since)}"
            )
            lines.append(f"crawling now: {row.source_id}{took}{_where(row.crawling, now)}")
    for node in overview.nodes:
        if node.load is None:
            lines.append(f"node {node.url}: down: {node.problem}")
        else:
            load = node.load
            lines.append(
                f"node {node.url}: {load.running} running, {load.pending} pending, "
                f"{node.slots} slots"
            )
    return lines


def _where(holder: LiveHolder, now: datetime) -> str:
    """` on host-a (pid 4242, since 12:00:01 UTC)`; the date too when it is not today."""
    place = f" on {holder.host}" if holder.host else ""
    facts = [f"pid {holder.pid}" if holder.pid else "pid unknown"]
    if holder.since is not None:
        since = holder.since.astimezone(UTC)
        shown = "%H:%M:%S" if since.date() == now.astimezone(UTC).date() else "%Y-%m-%d %H:%M:%S"
        facts.append(f"since {since.strftime(shown)} UTC")
    return f"{place} ({', '.join(facts)})"


def to_json(overview: Overview) -> str:
    """The same facts for machines: stable keys, UTC ISO 8601 times, seconds."""
    return json.dumps(
        {
            "store_exists": overview.store_missing is None,
            "scheduler": {"running": overview.scheduler is not None}
            | _json_holder(overview.scheduler),
            "sources": [_json_row(row) for row in overview.sources],
            "nodes": [_json_node(node) for node in overview.nodes],
        },
        indent=2,
    )


def _json_holder(holder: LiveHolder | None) -> dict[str, Any]:
    if holder is None:
        return {"pid": None, "host": None, "since": None}
    return {"pid": holder.pid, "host": holder.host, "since": _iso(holder.since)}


def _json_node(node: NodeState) -> dict[str, Any]:
    load = node.load
    return {
        "url": node.url,
        "up": load is not None,
        "running": None if load is None else load.running,
        "pending": None if load is None else load.pending,
        "slots": node.slots,
        "error": node.problem,
    }


def _json_row(row: SourceStatus) -> dict[str, Any]:
    run = row.last_run
    return {
        "source": row.source_id,
        "schedule": row.schedule,
        "interval_seconds": None if row.interval is None else row.interval.total_seconds(),
        "crawling": None if row.crawling is None else _json_holder(row.crawling),
        "next_run": _iso(row.next_run),
        "last_run": None
        if run is None
        else {
            "started": _iso(run.started),
            "finished": _iso(run.finished),
            "duration_seconds": run.duration.total_seconds(),
            "result": run.result,
            "reason": run.reason,
            "exit_status": run.exit_status,
            "errors": run.errors,
            "new": run.new,
            "updated": run.updated,
            "dropped": run.dropped,
            "stories": {
                "new": run.stories,
                "versions": run.versions,
                "duplicates": run.duplicates,
            },
            "node": run.node,
        },
        "new_last_24h": row.new_last_24h,
        "health": {
            "articles": row.health.articles,
            **{name: _rounded(row.health.share(name)) for name in FIELDS},
        },
        "latency": None
        if row.latency is None
        else {
            "posts": row.latency.posts,
            "median_seconds": row.latency.median.total_seconds(),
            "p90_seconds": row.latency.p90.total_seconds(),
        },
        "push": [
            {
                "hub": sub.hub,
                "topic": sub.topic,
                "state": sub.state,
                "expires": _iso(sub.expires),
                "last_notified": _iso(sub.last_notified),
                "silent_since": _iso(sub.silent_since),
                "error": sub.error,
            }
            for sub in row.push
        ],
        "alerts": list(row.alerts),
    }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _rounded(share: float | None) -> float | None:
    return None if share is None else round(share, 4)


def _share(share: float | None) -> str:
    return "-" if share is None else f"{round(share * 100)}%"


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _duration(delta: timedelta) -> str:
    """12.3s, 2m05s, 1h02m: how long a run took."""
    seconds = max(delta.total_seconds(), 0.0)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


def _ago(delta: timedelta) -> str:
    return "just now" if delta < timedelta(seconds=1) else f"{format_span(delta)} ago"


def _until(delta: timedelta) -> str:
    return "due" if delta <= timedelta(0) else f"in {format_span(delta)}"
