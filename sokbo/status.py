"""`sokbo status`: how each source is doing, read from the store and the scheduler's jobs."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from sokbo.config import ADAPTIVE, Config
from sokbo.health import DAY, FIELDS, HISTORY_DAYS, StoredMark, Tally, alerts, build_history
from sokbo.outcome import crawl_counts, crawl_errors, crawl_exit_status
from sokbo.store import Store, articles, runs

logger = logging.getLogger("sokbo.health")

_RESULT_WIDTH = 28


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

    @property
    def duration(self) -> timedelta:
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
    next_run: datetime | None  # None: no scheduled job (the scheduler never ran it)
    interval: timedelta | None  # the interval adaptive polling chose; None otherwise


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
    )


# -- reading the store ------------------------------------------------------------------


def read_last_run(store: Store, source_id: str) -> LastRun | None:
    query = (
        select(runs)
        .where(runs.c.source_id == source_id)
        .order_by(runs.c.started.desc(), runs.c.id.desc())
        .limit(1)
    )
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else last_run_from(row._mapping)


def read_history(
    store: Store, source_id: str, now: datetime, last: LastRun | None
) -> tuple[int, Tally, tuple[str, ...]]:
    """(new articles in the last 24 h, health over them, alerts) for one source."""
    since = now - DAY - HISTORY_DAYS * DAY
    marks = select(articles.c.first_seen, articles.c.changed, articles.c.evidence).where(
        (articles.c.source_id == source_id) & (articles.c.changed >= since)
    )
    first_run = select(func.min(runs.c.started)).where(runs.c.source_id == source_id)
    first_article = select(func.min(articles.c.first_seen)).where(articles.c.source_id == source_id)
    with store.engine.connect() as conn:
        found = [StoredMark(*row) for row in conn.execute(marks)]
        firsts = [conn.execute(first_run).scalar(), conn.execute(first_article).scalar()]
    known = [first for first in firsts if first is not None]
    # A last run older than the history has nothing left to compare.
    window = (last.started, last.finished) if last and last.started >= since else None
    history = build_history(found, now, min(known) if known else None, window)
    return history.new_last_24h, history.last_24h, tuple(alerts(history))


def collect_status(config: Config, store: Store, now: datetime | None = None) -> list[SourceStatus]:
    """Every source of the config, in its order, never-run ones included."""
    from sokbo import jobs

    now = now or datetime.now(UTC)
    next_runs = jobs.next_runs(config)
    rows = []
    for source in config.source:
        last = read_last_run(store, source.id)
        new_last_24h, health, reasons = read_history(store, source.id, now, last)
        interval = (
            jobs.current_interval(config, store, source) if source.schedule == ADAPTIVE else None
        )
        rows.append(
            SourceStatus(
                source_id=source.id,
                schedule=source.schedule,
                last_run=last,
                new_last_24h=new_last_24h,
                health=health,
                alerts=reasons,
                next_run=next_runs.get(source.id),
                interval=interval,
            )
        )
    return rows


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
        _new, _health, reasons = read_history(store, source.id, now, last)
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
_RIGHT = frozenset({"NEW", "UPD", "DROP", "24H", "BODY", "DATE", "IMAGE"})


def format_table(rows: Sequence[SourceStatus], now: datetime) -> str:
    """An aligned plain-text table, alerts marked `!` and spelled out below it."""
    cells = [_HEADERS, *(_cells(row, now) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_HEADERS))]
    lines = []
    for line in cells:
        padded = [
            cell.rjust(width) if header in _RIGHT else cell.ljust(width)
            for header, cell, width in zip(_HEADERS, line, widths, strict=True)
        ]
        marker, *rest = padded
        lines.append(f"{marker} {'  '.join(rest)}".rstrip())
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
        schedule = f"{schedule} ({_span(row.interval)})"
    upcoming = "-" if row.next_run is None else _until(row.next_run - now)
    marker = "!" if row.alerts else ""
    return (marker, row.source_id, *done, str(row.new_last_24h), *shares, upcoming, schedule)


def to_json(rows: Sequence[SourceStatus]) -> str:
    """The same figures for machines: stable keys, UTC ISO 8601 times, seconds."""
    return json.dumps({"sources": [_json_row(row) for row in rows]}, indent=2)


def _json_row(row: SourceStatus) -> dict[str, Any]:
    run = row.last_run
    return {
        "source": row.source_id,
        "schedule": row.schedule,
        "interval_seconds": None if row.interval is None else row.interval.total_seconds(),
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
        },
        "new_last_24h": row.new_last_24h,
        "health": {
            "articles": row.health.articles,
            **{name: _rounded(row.health.share(name)) for name in FIELDS},
        },
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


def _span(delta: timedelta) -> str:
    """A coarse length of time: 40s, 12m, 5h, 3d (rounded down); 1h30m kept whole."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 2 * 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    return f"{seconds // 86400}d"


def _ago(delta: timedelta) -> str:
    return "just now" if delta < timedelta(seconds=1) else f"{_span(delta)} ago"


def _until(delta: timedelta) -> str:
    return "due" if delta <= timedelta(0) else f"in {_span(delta)}"
