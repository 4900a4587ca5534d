"""The record of every crawl run, and what the operator's views read about a source.

A run's row has one writer at a time, found by its id. A scheduled run: the runner opens
the row (reason RUNNING) before it starts the crawl process and passes the id; the crawl
completes that row when its spider closes; the runner then adds the process's exit status
(and closes the row itself when the crawl died before it could). A crawl run by hand
(`sokbo crawl`, `scrapy crawl`) records its own row when it closes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from sokbo.store.schema import articles, require_aware, runs

# The reason of a run whose crawl has not closed yet. A row left RUNNING by a runner
# that died is closed by the next scheduler's start (`abandon_open_runs`).
RUNNING = "running"


@dataclass(frozen=True)
class OpenRun:
    """A run's row opened before its crawl starts."""

    id: int
    source_id: str
    started: datetime


@dataclass(frozen=True)
class Died:
    """How a crawl ended that did not complete its row: the row's reason and errors."""

    reason: str  # "timeout", "shutdown", "killed", "exited"
    errors: str


@dataclass(frozen=True)
class SettledRun:
    """A run's row once its process has exited: what the crawl counted and said."""

    stats: dict[str, Any]
    errors: str | None
    seconds: float | None  # the crawl's own, spider start to close; None: it recorded none


def _json_safe(stats: Mapping[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = json.loads(json.dumps(dict(stats), default=str))
    return safe


class RunRows:
    """Runs: opened, completed and read by id; the source's history for `sokbo status`."""

    engine: Engine

    def record_run(
        self,
        source_id: str,
        started: datetime,
        finished: datetime,
        reason: str,
        stats: Mapping[str, Any],
        *,
        exit_status: int | None = None,
        errors: str | None = None,
    ) -> int:
        """A whole run in one row (a crawl run by hand); its id."""
        require_aware(started, finished)
        with self.engine.begin() as conn:
            result = conn.execute(
                runs.insert().values(
                    source_id=source_id,
                    started=started,
                    finished=finished,
                    reason=reason,
                    stats=_json_safe(stats),
                    exit_status=exit_status,
                    errors=errors,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def open_run(self, source_id: str, started: datetime) -> OpenRun:
        """A row for a run about to start; its id is for the crawl to complete."""
        return OpenRun(
            self.record_run(source_id, started, started, RUNNING, {}), source_id, started
        )

    def complete_run(
        self,
        run_id: int,
        started: datetime,
        finished: datetime,
        reason: str,
        stats: Mapping[str, Any],
        *,
        exit_status: int | None,
        errors: str | None,
    ) -> bool:
        """The crawl's start and end, on the row opened for it; False when there is no
        such row. `started` is when the crawl itself began (the process had started)."""
        require_aware(started, finished)
        values = {
            "started": started,
            "finished": finished,
            "reason": reason,
            "stats": _json_safe(stats),
            "exit_status": exit_status,
            "errors": errors,
        }
        with self.engine.begin() as conn:
            done = conn.execute(runs.update().where(runs.c.id == run_id).values(**values))
            return bool(done.rowcount)

    def settle_run(
        self, run: OpenRun, finished: datetime, exit_status: int, why: str | None, died: Died
    ) -> SettledRun:
        """Add the exit status of the run's process to its row. `why` is the runner's own
        reason for stopping it (a timeout, a shutdown), joined to the crawl's errors; a row
        the crawl never completed (killed, crashed) is closed as `died` says."""
        require_aware(finished)
        ended = {"finished": finished, "reason": died.reason, "errors": died.errors}
        with self.engine.begin() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run.id)).first()
            if row is None:  # deleted meanwhile: recorded again rather than lost
                of_run = {"source_id": run.source_id, "started": run.started, "stats": {}}
                conn.execute(runs.insert().values(**of_run, **ended, exit_status=exit_status))
                return SettledRun({}, died.errors, None)
            if row.reason == RUNNING:
                update = ended | {"exit_status": exit_status}
                conn.execute(runs.update().where(runs.c.id == run.id).values(**update))
                return SettledRun({}, died.errors, None)
            errors = "; ".join(part for part in (why, row.errors) if part) or None
            update = {"exit_status": exit_status, "errors": errors}
            conn.execute(runs.update().where(runs.c.id == run.id).values(**update))
            return SettledRun(dict(row.stats), errors, (row.finished - row.started).total_seconds())

    def discard_run(self, run: OpenRun | int) -> None:
        """Forget a row opened for a run that did not happen (its source was busy)."""
        run_id = run if isinstance(run, int) else run.id
        with self.engine.begin() as conn:
            conn.execute(runs.delete().where((runs.c.id == run_id) & (runs.c.reason == RUNNING)))

    def assign_job(self, run: OpenRun, node: str, job: str) -> None:
        """Note the crawl node and Scrapyd job a run was handed to."""
        with self.engine.begin() as conn:
            conn.execute(runs.update().where(runs.c.id == run.id).values(node=node, job=job))

    def run_row(self, run_id: int) -> Mapping[str, Any] | None:
        """A run's row as it stands; None when it is gone (a discarded run)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
        return None if row is None else dict(row._mapping)

    def open_jobs(self) -> list[tuple[OpenRun, str, str]]:
        """The runs handed to crawl nodes whose rows are still RUNNING: (run, node, job)."""
        query = (
            select(runs.c.id, runs.c.source_id, runs.c.started, runs.c.node, runs.c.job)
            .where((runs.c.reason == RUNNING) & runs.c.job.is_not(None))
            .order_by(runs.c.id)
        )
        with self.engine.connect() as conn:
            return [
                (OpenRun(row.id, row.source_id, row.started), row.node, row.job)
                for row in conn.execute(query)
            ]

    def sources_with_open_runs(self) -> set[str]:
        """The sources with a row still RUNNING."""
        query = select(runs.c.source_id).where(runs.c.reason == RUNNING).distinct()
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def abandon_open_runs(
        self, finished: datetime, source_ids: set[str], *, but_jobs: bool = False
    ) -> int:
        """Close the RUNNING rows of these sources (no crawl of them runs now: their runner
        died before it could settle them); how many. `but_jobs`: not those of runs handed
        to crawl nodes (a scheduler follows them to their end: `open_jobs`)."""
        require_aware(finished)
        if not source_ids:
            return 0
        which = (runs.c.reason == RUNNING) & runs.c.source_id.in_(sorted(source_ids))
        if but_jobs:
            which &= runs.c.job.is_(None)
        query = (
            runs.update()
            .where(which)
            .values(
                reason="abandoned",
                finished=finished,
                errors="the scheduler stopped before the run ended",
            )
        )
        with self.engine.begin() as conn:
            return int(conn.execute(query).rowcount)

    def last_run(self, source_id: str) -> Mapping[str, Any] | None:
        """The source's newest ended run, as a row mapping (a running one is not ended)."""
        query = (
            select(runs)
            .where((runs.c.source_id == source_id) & (runs.c.reason != RUNNING))
            .order_by(runs.c.started.desc(), runs.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else dict(row._mapping)

    def article_marks(
        self, source_id: str, changed_since: datetime
    ) -> list[tuple[datetime, datetime, Any]]:
        """(first seen, changed, evidence) of the source's articles changed since then."""
        query = select(articles.c.first_seen, articles.c.changed, articles.c.evidence).where(
            (articles.c.source_id == source_id) & (articles.c.changed >= changed_since)
        )
        with self.engine.connect() as conn:
            return [(row[0], row[1], row[2]) for row in conn.execute(query)]

    def first_activity(self, source_id: str) -> datetime | None:
        """When sokbo first ran the source or stored one of its articles; None: never."""
        first_run = select(func.min(runs.c.started)).where(runs.c.source_id == source_id)
        first_article = select(func.min(articles.c.first_seen)).where(
            articles.c.source_id == source_id
        )
        with self.engine.connect() as conn:
            found = [conn.execute(first_run).scalar(), conn.execute(first_article).scalar()]
        known = [first for first in found if first is not None]
        return min(known) if known else None

    def article_arrivals(
        self, source_id: str, since: datetime, limit: int | None = None
    ) -> list[datetime]:
        """When each of the source's articles since `since` appeared, oldest first: its
        publication time, or when sokbo first saw it if that was earlier (a date set in
        the future); with `limit`, only the newest that many (by publication time)."""
        query = (
            select(articles.c.published, articles.c.first_seen)
            .where(
                (articles.c.source_id == source_id)
                & (articles.c.published >= since)
                & (articles.c.first_seen >= since)
            )
            .order_by(articles.c.published.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return sorted(min(row.published, row.first_seen) for row in conn.execute(query))
