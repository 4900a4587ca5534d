"""Run one source's crawl on a crawl node ([cluster]): hand it to the Scrapyd with the
most free slots, follow it, stop it at its timeout, record the run, then publish what it
stored. The node reads the config from the store by id and writes no file; this process,
the one publisher, writes the posts and feeds (sokbo.publish.queue)."""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC, datetime
from pathlib import Path

from sokbo.config import ClusterConfig, Config, SourceConfig, format_duration
from sokbo.exitcodes import EXIT_FAILED, EXIT_LOCKED
from sokbo.outcome import crawl_counts
from sokbo.publish.queue import publish_pending
from sokbo.schedule.crawls import Crawls
from sokbo.schedule.runrecord import RunResult, check_health, in_store, log_end
from sokbo.schedule.scrapyd import Scrapyd, ScrapydError
from sokbo.store import Died, OpenRun, SettledRun, Store

logger = logging.getLogger("sokbo.schedule.runner")

# How often a job's state is asked of its node.
POLL_SECONDS = 1.0
# A node that does not answer for this long has lost the job (it died, or its network).
NODE_LOST_SECONDS = 60.0


def run_remote(
    config: Config, config_path: Path, source: SourceConfig, crawls: Crawls
) -> RunResult | None:
    clock = time.monotonic()
    now = datetime.now(UTC)
    text, base = config_path.read_text("utf-8"), str(config_path.resolve().parent)

    def prepare(store: Store) -> tuple[OpenRun, int]:
        return store.open_run(source.id, now), store.save_config(text, base, now)

    prepared = in_store(config, source.id, prepare)
    if prepared is None:
        return None
    run, config_id = prepared
    node = free_node(config.cluster)
    if node is None:
        logger.warning("%s: not started: no crawl node has a free slot", source.id)
        in_store(config, source.id, lambda store: store.discard_run(run))
        return RunResult(source.id, 0, time.monotonic() - clock, {}, None, skipped=True)
    job = f"{source.id}-{run.id}"
    arguments = {"source": source.id, "config_id": str(config_id), "run_id": str(run.id)}
    try:
        job = node.schedule(source.kind, arguments, job_id=job)
    except ScrapydError as exc:
        logger.error("%s: not started: %s", source.id, exc)
        in_store(config, source.id, lambda store: store.discard_run(run))
        return RunResult(source.id, EXIT_FAILED, time.monotonic() - clock, {}, str(exc))
    in_store(config, source.id, lambda store: store.assign_job(run, node.url, job))
    logger.info("%s: run started on %s (job %s)", source.id, node.url, job)
    why = follow(node, job, source, config.schedule.kill_grace.total_seconds(), crawls)
    if crawls.stopping and why is None:
        logger.info(
            "%s: job %s on %s keeps running; its crawl records it", source.id, job, node.url
        )
        return None
    return _settle(config, source, run, node, why, time.monotonic() - clock)


def free_node(cluster: ClusterConfig) -> Scrapyd | None:
    """The node with the most free slots (its running and pending jobs against `slots`);
    a node that does not answer is passed over, with a line."""
    best: tuple[int, Scrapyd] | None = None
    for url in cluster.scrapyd:
        node = Scrapyd(url, cluster.username, cluster.password)
        try:
            load = node.load()
        except ScrapydError as exc:
            logger.warning("crawl node down: %s", exc)
            continue
        free = cluster.slots - load.running - load.pending
        if free > 0 and (best is None or free > best[0]):
            best = (free, node)
    return None if best is None else best[1]


def follow(
    node: Scrapyd, job: str, source: SourceConfig, grace: float, crawls: Crawls
) -> str | None:
    """Wait for the job to finish; past the source's timeout, cancel it (SIGINT, Scrapy's
    clean stop) and, `grace` later, kill it. Why it did not end on its own, or None.
    Returns None at once when the scheduler is stopping: the job goes on without us."""
    deadline = time.monotonic() + source.timeout.total_seconds()
    why: str | None = None
    killed_at = math.inf
    silent_since: float | None = None
    while not crawls.stopping:
        try:
            state = node.jobs().get(job)
            silent_since = None
        except ScrapydError as exc:
            silent_since = silent_since or time.monotonic()
            if time.monotonic() - silent_since > NODE_LOST_SECONDS:
                return f"node lost: {exc}"
            time.sleep(POLL_SECONDS)
            continue
        if state is None:
            return "node lost: it no longer knows the job (Scrapyd restarted?)"
        if state.state == "finished":
            return why
        now = time.monotonic()
        try:
            if why is None and now > deadline:
                why = f"timed out after {format_duration(source.timeout)}"
                logger.warning("%s: %s; stopping job %s (SIGINT)", source.id, why, job)
                node.cancel(job)
                killed_at = now + grace
            elif now > killed_at:
                logger.warning("%s: job %s still running after SIGINT; killing it", source.id, job)
                node.cancel(job, "KILL")
                killed_at = math.inf
        except ScrapydError as exc:
            logger.warning("%s: %s", source.id, exc)
        time.sleep(POLL_SECONDS)
    return None


def _settle(
    config: Config,
    source: SourceConfig,
    run: OpenRun,
    node: Scrapyd,
    why: str | None,
    seconds: float,
) -> RunResult:
    """Record how the job ended, publish what it stored, check the source's health."""

    def settle(store: Store) -> tuple[SettledRun | None, int]:
        row = store.run_row(run.id)
        if row is None:  # the job found its source locked and removed its row
            return None, 0
        completed = row["reason"] != "running"
        status = int(row["exit_status"] or 0) if completed else EXIT_FAILED
        lost = Died("killed" if why else "exited", why or "the job ended without recording its run")
        settled = store.settle_run(run, datetime.now(UTC), status, why, lost)
        drained = publish_pending(store, config, datetime.now(UTC))
        for line in drained.failures:
            logger.error("%s: %s", source.id, line)
        if drained.posts or drained.feeds:
            logger.info(
                "%s: published %d posts and %d feed files",
                source.id,
                len(drained.posts),
                len(drained.feeds),
            )
        check_health(store, config, source.id)
        return settled, status

    outcome = in_store(config, source.id, settle)
    if outcome is None:
        return RunResult(source.id, EXIT_FAILED, seconds, {}, "run not recorded")
    settled, status = outcome
    if settled is None:
        logger.info(
            "%s: skipped on %s: already running (another crawl holds its lock)", source.id, node.url
        )
        return RunResult(source.id, EXIT_LOCKED, seconds, {}, None, skipped=True)
    result = RunResult(
        source.id,
        status,
        seconds,
        crawl_counts(settled.stats),
        settled.errors,
        crawl_seconds=settled.seconds,
    )
    log_end(result)
    return result
