"""What every scheduled run records and says, whether it ran here or on a crawl node: its
result, the store opened just for the recording, the health check after it, its last
log line."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError

from sokbo.config import Config
from sokbo.ops.status import check_health as check_source_health
from sokbo.outcome import crawl_counts
from sokbo.store import SettledRun, Store, store_error

# The runner's logger: these lines are the runner's, wherever the run went.
logger = logging.getLogger("sokbo.schedule.runner")

T = TypeVar("T")


@dataclass(frozen=True)
class RunResult:
    """How one scheduled run went: the process's exit status and the counts it recorded."""

    source_id: str
    exit_status: int
    seconds: float  # the whole run: the process from its start to its exit
    counts: dict[str, int]
    errors: str | None
    skipped: bool = False
    # The crawl's own time as its run record has it (from its spider's start to its
    # close, without the process's start-up): what `sokbo status` shows as TOOK. None
    # when the crawl recorded no run.
    crawl_seconds: float | None = None


def ended(source_id: str, status: int, seconds: float, settled: SettledRun) -> RunResult:
    """The result of a run whose row is settled, said in the run's last log line."""
    result = RunResult(
        source_id,
        status,
        seconds,
        crawl_counts(settled.stats),
        settled.errors,
        crawl_seconds=settled.seconds,
    )
    log_end(result)
    return result


def in_store(config: Config, source_id: str, work: Callable[[Store], T]) -> T | None:
    """`work` on the store, opened for it and closed after (the store is not held open
    while a crawl runs); None after logging why, when the store fails."""
    try:
        store = Store.open(config.store)
        try:
            return work(store)
        finally:
            store.close()
    except SQLAlchemyError as exc:  # the crawl says so too; the next run records its own
        logger.error("%s: run not recorded: store: %s", source_id, store_error(exc))
        return None


def check_health(store: Store, config: Config, source_id: str) -> None:
    """A site that changed its layout shows as a sharp drop against the source's own
    past: said at WARNING after each run, so a log watcher sees it (sokbo.ops.status)."""

    try:
        check_source_health(config, store, sources=[source_id])
    except Exception:  # a health check must never fail a run
        logger.exception("%s: the health check failed", source_id)


def log_end(result: RunResult) -> None:
    """`yonhap: run ended in 2.8 s (crawl 0.5 s, exit 0): ...`: the whole run's time, then
    the crawl's own, which `sokbo status` shows (the rest: the process starting, ending)."""
    counts = result.counts
    crawl = "" if result.crawl_seconds is None else f"crawl {result.crawl_seconds:.1f} s, "
    line = (
        f"{result.source_id}: run ended in {result.seconds:.1f} s "
        f"({crawl}exit {result.exit_status}): "
        f"{counts.get('pages', 0)} pages, {counts.get('new', 0)} new, "
        f"{counts.get('updated', 0)} updated, {counts.get('unchanged', 0)} unchanged, "
        f"{counts.get('dropped', 0)} dropped; errors: {result.errors or 'none'}"
    )
    (logger.warning if result.errors else logger.info)(line)
