"""Run one source's crawl in a child process, stop it when it overruns, record the run
(or, with [cluster], hand it to a crawl node: sokbo.schedule.remote).

Scrapy's reactor cannot be restarted in one process, so every scheduled crawl is a
`sokbo crawl SOURCE` of its own; the scheduler only starts, watches and stops them. A new
Python process spends about a second importing Scrapy, Twisted, SQLAlchemy and sokbo
before its first request, so the crawl is forked from a warm process that has imported
them once (sokbo.crawl.zygote): the scheduler starts `python -m sokbo.crawl.runner`, a
small process that hands the command over, passes on the signals it gets and exits as the
crawl does (its pid is the one the scheduler follows and signals); when no warm process
can be had, that process runs the command itself. Either way it first names the crawl's
pid (the lock's holder), which the run's first log line gives.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sokbo.config import Config, ConfigError, SourceConfig, format_duration, load_config
from sokbo.crawl.runner import crawl_pid
from sokbo.exitcodes import EXIT_LOCKED
from sokbo.publish.feeds.write import write_queued_feeds
from sokbo.schedule.crawls import CRAWLS, Crawls
from sokbo.schedule.remote import run_remote
from sokbo.schedule.runrecord import RunResult, check_health, ended, in_store
from sokbo.store import Died, OpenRun, SettledRun, Store

logger = logging.getLogger(__name__)


# How the runner says that it stopped a crawl past its timeout (the run's reason: timeout).
TIMED_OUT = "timed out"
# The crawl's last stderr lines, kept for the error summary of a crawl that died.
_TAIL_LINES = 5


# Whether crawls are forked from the warm process (see above); else each is a new
# Python process (bench/startup.py compares the two).
WARM_START = True
CRAWL_MODULE = "sokbo.cli"  # a crawl is `python -m sokbo.cli crawl SOURCE ...`


def crawl_command(
    config_path: Path, source_id: str, run: OpenRun | None, *, warm: bool = True
) -> list[str]:
    """The crawl process's command; it completes the run's row `run` when there is one.
    `warm`: forked from the warm process (sokbo.crawl.runner), else a new process."""
    crawl = ["crawl", source_id, "--config", str(config_path)]
    crawl += ["--run-id", str(run.id)] if run else []
    if warm:
        runner = [sys.executable, "-m", "sokbo.crawl.runner", "--module", CRAWL_MODULE]
        return [*runner, *crawl]
    return [sys.executable, "-m", CRAWL_MODULE, *crawl]


def run_job(config_path: str, source_id: str) -> None:
    """The scheduler's job function: crawl one source with the config as it is on disk.

    Module-level with plain string arguments, because the job store keeps a reference to
    it and its arguments for a later scheduler process to find again.
    """
    try:
        config = load_config(config_path)
        config.get_source(source_id)
    except ConfigError as exc:
        logger.error("%s: not run: %s (fix the config, then send SIGHUP)", source_id, exc)
        return
    run_source(config, Path(config_path), source_id)


def run_source(
    config: Config, config_path: Path, source_id: str, crawls: Crawls = CRAWLS
) -> RunResult | None:
    """Crawl one source in a child process and record the run; None when the process is
    stopping and the run was not started."""
    if not crawls.begin():
        logger.info("%s: not started: the scheduler is stopping", source_id)
        return None
    try:
        source = config.get_source(source_id)
        if config.cluster.scrapyd:  # on a crawl node (sokbo.schedule.remote)
            return run_remote(config, config_path, source, crawls)
        return _run(config, config_path, source, crawls)
    finally:
        crawls.end()


def _run(
    config: Config, config_path: Path, source: SourceConfig, crawls: Crawls
) -> RunResult | None:
    clock = time.monotonic()
    run = in_store(config, source.id, lambda store: store.open_run(source.id, datetime.now(UTC)))
    warm = WARM_START
    process = crawls.spawn(
        source.id, crawl_command(config_path, source.id, run, warm=warm), config_path.parent
    )
    if process is None:
        logger.info("%s: not started: the scheduler is stopping", source.id)
        _discard(config, run)
        return None
    if not warm:  # else the runner names the crawl's pid (_forward_stderr)
        logger.info("%s: run started (pid %d)", source.id, process.pid)
    tail: deque[str] = deque(maxlen=_TAIL_LINES)
    reader = threading.Thread(
        target=_forward_stderr, args=(process, source.id, tail), name=f"stderr-{source.id}"
    )
    reader.start()
    try:
        _wait(process, source, config.schedule.kill_grace, crawls)
    finally:
        why = crawls.forget(source.id)
        reader.join()
    status = process.returncode
    seconds = time.monotonic() - clock
    if status == EXIT_LOCKED:
        logger.info("%s: skipped: already running (another crawl holds its lock)", source.id)
        _discard(config, run)
        return RunResult(source.id, status, seconds, {}, None, skipped=True)
    died = _died(status, why, tail)

    def settle(store: Store) -> SettledRun:
        settled = store.settle_run(run, datetime.now(UTC), status, why, died) if run else None
        _rebuild_queued_feeds(store, config, source.id)
        check_health(store, config, source.id)
        return settled or SettledRun({}, died.errors, None)

    settled = in_store(config, source.id, settle) or SettledRun({}, died.errors, None)
    return ended(source.id, status, seconds, settled)


def _discard(config: Config, run: OpenRun | None) -> None:
    """Forget the row of a run that did not happen."""
    if run is not None:
        in_store(config, run.source_id, lambda store: store.discard_run(run))


def _wait(
    process: subprocess.Popen[str], source: SourceConfig, grace: timedelta, crawls: Crawls
) -> None:
    """Wait for the crawl; past the source's timeout, SIGINT it, and SIGKILL it when it
    has not stopped `grace` later."""
    try:
        process.wait(timeout=source.timeout.total_seconds())
        return
    except subprocess.TimeoutExpired:
        pass
    why = f"{TIMED_OUT} after {format_duration(source.timeout)}"
    logger.warning("%s: %s; stopping it (SIGINT)", source.id, why)
    crawls.interrupt(source.id, why)
    try:
        process.wait(timeout=grace.total_seconds())
        return
    except subprocess.TimeoutExpired:
        pass
    logger.warning(
        "%s: still running %s after SIGINT; killing it (SIGKILL)",
        source.id,
        format_duration(grace),
    )
    crawls.kill(source.id)
    process.wait()


def _forward_stderr(process: subprocess.Popen[str], source_id: str, tail: deque[str]) -> None:
    """The crawl's warnings and errors into the scheduler's log, the last few kept; the
    runner's line naming the crawl's pid is the run's first."""
    assert process.stderr is not None
    for line in process.stderr:
        line = line.rstrip()
        pid = crawl_pid(line)
        if pid is not None:
            logger.info("%s: run started (pid %d)", source_id, pid)
        elif line:
            tail.append(line)
            logger.info("%s | %s", source_id, line)
    process.stderr.close()


def _died(status: int, why: str | None, tail: deque[str]) -> Died:
    """How the run ended if the crawl recorded nothing: its reason, and errors such as
    `timed out after 30m; killed by SIGKILL` or `exited 1: <its last stderr line>`."""
    if status < 0:
        ended = f"killed by {signal.Signals(-status).name}"
    else:
        ended = f"exited {status}" + (f": {tail[-1]}" if tail else "")
    if why:
        reason = "timeout" if why.startswith(TIMED_OUT) else "shutdown"
        return Died(reason, f"{why}; {ended}")
    return Died("killed" if status < 0 else "exited", ended)


def _rebuild_queued_feeds(store: Store, config: Config, source_id: str) -> None:
    """Build the feeds the crawl queued but did not build (it was stopped before its feed
    stage); after a clean crawl the queue is empty and nothing is built."""

    for site in config.sites_for(source_id):
        try:
            written = [path for path, changed in write_queued_feeds(store, site) if changed]
        except Exception:  # the next run, or `sokbo feeds`, builds them
            logger.exception(
                "%s: rebuilding the queued feeds of site '%s' failed", source_id, site.id
            )
            continue
        if written:
            logger.info(
                "%s: wrote %d queued feed files of site '%s'", source_id, len(written), site.id
            )
