"""Run one source's crawl on a crawl node ([cluster]): hand it to the Scrapyd with the
most free slots, follow it, stop it at its timeout, record the run, then publish what it
stored. The node reads the config from the store by id and writes no file; this process,
the one publisher, writes the posts and feeds (sokbo.publish.queue)."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sokbo.config import ClusterConfig, Config, SourceConfig, format_duration
from sokbo.exitcodes import EXIT_FAILED, EXIT_LOCKED
from sokbo.publish.queue import publish_pending
from sokbo.schedule.crawls import Crawls
from sokbo.schedule.runrecord import RunResult, check_health, ended, in_store
from sokbo.scrapyd import Scrapyd, ScrapydError
from sokbo.store import Died, OpenRun, SettledRun, Store

logger = logging.getLogger("sokbo.schedule.runner")

# How often a job's state is asked of its node.
POLL_SECONDS = 0.5
_HANDING_OUT = threading.Lock()
_BEING_HANDED: Counter[str] = Counter()  # jobs being handed to each node, by its URL
# How long a run waits for hand-outs in flight to end when no node has a free slot.
RESERVE_SECONDS = 5.0
# A node that does not answer for this long has lost the job (it died, or its network).
NODE_LOST_SECONDS = 60.0


def run_remote(
    config: Config, config_path: Path, source: SourceConfig, crawls: Crawls
) -> RunResult | None:
    clock = time.monotonic()
    now = datetime.now(UTC)
    text, base = config_path.read_text("utf-8"), str(config_path.resolve().parent)

    def hand_out(store: Store) -> tuple[OpenRun, Scrapyd, str] | tuple[()]:
        """The run handed to a node: (its row, the node, the job); () when no node has a
        free slot (the row removed)."""
        run = store.open_run(source.id, now)
        job = f"{source.id}-{run.id}"
        config_id = store.save_config(text, base, now)
        arguments = {"source": source.id, "config_id": str(config_id), "run_id": str(run.id)}
        node = _reserve(config.cluster)
        if node is None:
            store.discard_run(run)
            return ()
        try:
            # Recorded before the node has the job: a scheduler killed in between leaves a
            # row that the next one follows (and records as lost, the node not knowing the
            # job), never a job that runs unfollowed.
            store.assign_job(run, node.url, job)
            node.schedule(source.kind, arguments, job_id=job)
        except ScrapydError:
            store.discard_run(run)
            raise
        finally:
            with _HANDING_OUT:
                _BEING_HANDED[node.url] -= 1
        return run, node, job

    try:
        handed = in_store(config, source.id, hand_out)
    except ScrapydError as exc:
        logger.error("%s: not started: %s", source.id, exc)
        return RunResult(source.id, EXIT_FAILED, time.monotonic() - clock, {}, str(exc))
    if handed is None:
        return None
    if not handed:
        logger.warning("%s: not started: no crawl node has a free slot", source.id)
        return RunResult(source.id, 0, time.monotonic() - clock, {}, None, skipped=True)
    run, node, job = handed
    logger.info("%s: run started on %s (job %s)", source.id, node.url, job)
    return _follow_and_settle(config, source, run, node, job, crawls, clock)


def ready_nodes(cluster: ClusterConfig) -> None:
    """At a scheduler's start: ask every node, at once, for sokbo's spiders, and say in a
    line what each answered. A node lists them with a job's runner: its first job then
    does not wait for that (Scrapyd answers nothing else meanwhile), nor for the warm-up
    of the process its jobs fork from."""

    def ask(url: str) -> None:
        node = Scrapyd(url, cluster.username, cluster.password)
        try:
            spiders = node.spiders()
        except ScrapydError as exc:
            logger.warning("crawl node down: %s", exc)
            return
        if {"feed", "listing", "sitemap"} <= set(spiders):
            logger.info("crawl node %s: ready", url)
        else:
            logger.error("crawl node %s: the sokbo project has spiders %s", url, spiders)

    threads = [threading.Thread(target=ask, args=(url,)) for url in cluster.scrapyd]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def reattach(config: Config, crawls: Crawls) -> list[threading.Thread]:
    """At a scheduler's start: publish what waits, and follow to their end the jobs an
    earlier scheduler handed to crawl nodes and did not see end (each in a thread, counted
    as a run in progress, so a stop waits for its recording)."""
    cluster = config.cluster

    def drain_and_list(store: Store) -> list[tuple[OpenRun, str, str]]:
        _publish(store, config, "scheduler")
        return store.open_jobs()

    opened = in_store(config, "scheduler", drain_and_list)
    threads: list[threading.Thread] = []
    for run, url, job in opened or []:
        source = config.find_source(run.source_id)
        if source is None or not crawls.begin():
            continue
        node = Scrapyd(url, cluster.username, cluster.password)
        thread = threading.Thread(
            target=_reattached,
            args=(config, source, run, node, job, crawls),
            name=f"job-{job}",
            daemon=True,
        )
        thread.start()
        threads.append(thread)
    return threads


def _reattached(
    config: Config, source: SourceConfig, run: OpenRun, node: Scrapyd, job: str, crawls: Crawls
) -> None:
    try:
        logger.info(
            "%s: following job %s on %s, started before this scheduler", source.id, job, node.url
        )
        _follow_and_settle(config, source, run, node, job, crawls, time.monotonic())
    finally:
        crawls.end()


def _follow_and_settle(
    config: Config,
    source: SourceConfig,
    run: OpenRun,
    node: Scrapyd,
    job: str,
    crawls: Crawls,
    clock: float,
) -> RunResult | None:
    # The timeout counts from the run's start, which may be an earlier scheduler's.
    left = (run.started + source.timeout - datetime.now(UTC)).total_seconds()
    grace = config.schedule.kill_grace.total_seconds()
    why = follow(node, job, source, time.monotonic() + left, grace, crawls)
    if crawls.stopping and why is None:
        logger.info("%s: job %s on %s goes on; its crawl records it", source.id, job, node.url)
        return None
    return _settle(config, source, run, node, why, time.monotonic() - clock)


def _reserve(cluster: ClusterConfig) -> Scrapyd | None:
    """A node with a free slot, that slot counted as taken until the hand-out has ended.

    One choice at a time, each counting the jobs being handed out (not yet in their node's
    load): runs due together would all pick the same node. The hand-out itself is not
    waited for, so a node slow to answer delays no other. A job that has reached its node
    but whose hand-out has not returned yet is counted twice: while that may be why no
    slot is free, the choice is made again shortly."""
    deadline = time.monotonic() + RESERVE_SECONDS
    while True:
        with _HANDING_OUT:
            node = free_node(cluster)
            if node is not None:
                _BEING_HANDED[node.url] += 1
                return node
            if not any(_BEING_HANDED.values()) or time.monotonic() > deadline:
                return None
        time.sleep(POLL_SECONDS / 5)


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
        free = cluster.slots - load.running - load.pending - _BEING_HANDED[url]
        if free > 0 and (best is None or free > best[0]):
            best = (free, node)
    return None if best is None else best[1]


def follow(
    node: Scrapyd, job: str, source: SourceConfig, deadline: float, grace: float, crawls: Crawls
) -> str | None:
    """Wait for the job to finish; past `deadline` (time.monotonic: the source's timeout),
    cancel it (SIGINT, Scrapy's clean stop) and, `grace` later, kill it. Why it did not
    end on its own, or None. Returns None at once when the scheduler is stopping: the job
    goes on without us."""
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
            return "node lost: it does not know the job (Scrapyd restarted, or never had it)"
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
        _publish(store, config, source.id)
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
    return ended(source.id, status, seconds, settled)


def _publish(store: Store, config: Config, who: str) -> None:
    """Every site's pending posts and queued feeds (this process is the one publisher)."""
    drained = publish_pending(store, config, datetime.now(UTC))
    for line in drained.failures:
        logger.error("%s: %s", who, line)
    if drained.posts or drained.feeds:
        logger.info(
            "%s: published %d posts and %d feed files", who, len(drained.posts), len(drained.feeds)
        )
