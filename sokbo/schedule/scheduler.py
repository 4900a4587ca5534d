"""`sokbo schedule` (or `python scheduler.py --config sokbo.toml`): every source on its own
schedule with APScheduler 3, each crawl a process of its own, until SIGTERM.

Signals: SIGHUP reloads the config and brings the jobs in step (a broken config is
logged and the current jobs kept); SIGTERM or SIGINT stops taking new runs, lets the
running crawls finish within [schedule] stop_grace, then stops them cleanly (SIGINT, so
their JOBDIR stays resumable; SIGKILL after kill_grace) and exits 0.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from queue import SimpleQueue
from types import FrameType

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobExecutionEvent,
    JobSubmissionEvent,
    SchedulerEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import make_url

from sokbo.config import (
    ADAPTIVE,
    Config,
    ConfigError,
    format_duration,
    load_config,
)
from sokbo.exitcodes import EXIT_FAILED, EXIT_LOCKED, EXIT_OK
from sokbo.lock import Holder, scheduler_lock, source_lock
from sokbo.schedule.crawls import CRAWLS
from sokbo.schedule.jobs import (
    JobStore,
    current_interval,
    make_trigger,
    source_of,
    sync_jobs,
)
from sokbo.schedule.logsetup import setup_logging
from sokbo.schedule.remote import ready_nodes, reattach
from sokbo.store import Store

logger = logging.getLogger("sokbo.scheduler")

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class _BlockingScheduler(BlockingScheduler):  # type: ignore[misc]  # untyped
    """APScheduler 3's BlockingScheduler, minus one last job round after shutdown.

    Its loop wakes once more after shutdown() and submits the jobs due at that instant
    to the executor just shut down: an error with a traceback in the log, and those
    runs' times moved on as if they had run.
    """

    def _process_jobs(self) -> float | None:
        if not self.running:
            return None
        wait: float | None = super()._process_jobs()
        return wait


class Scheduler:
    """The long-running process: APScheduler's BlockingScheduler with a persistent job
    store, the signal handling around it and the graceful stop after it."""

    def __init__(self, config: Config, path: Path) -> None:
        self.config = config
        self.path = path.resolve()
        self.failure: str | None = None
        config.crawl.state_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store.open(config.store)
        self._close_abandoned_runs()
        # Held across the job syncs, the adaptive reschedules and the stop, which come
        # from three threads (main, signals, workers) and must not interleave.
        self._lock = threading.RLock()
        self._stopping = False
        self._why = "scheduler stopped"  # said in the run records of crawls it stops
        # Signal handlers only put the signal here (SimpleQueue.put is safe in a
        # handler); the control thread does the work, free to take locks.
        self._signals: SimpleQueue[int] = SimpleQueue()
        self.scheduler = _BlockingScheduler(
            jobstores={"default": JobStore(config.jobstore_url)},
            executors={"default": ThreadPoolExecutor(config.schedule.max_parallel)},
            timezone=UTC,
        )
        self.scheduler.add_listener(self._started, EVENT_SCHEDULER_STARTED)
        self.scheduler.add_listener(self._ran, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        self.scheduler.add_listener(self._missed, EVENT_JOB_MISSED)
        self.scheduler.add_listener(self._busy, EVENT_JOB_MAX_INSTANCES)

    def _close_abandoned_runs(self) -> None:
        """Run records a killed scheduler left open: closed for the sources no crawl holds
        now (a crawl it started may outlive it and complete its own)."""
        free = set()
        for source_id in self.store.sources_with_open_runs():  # most starts: none
            lock = source_lock(self.config, source_id)
            try:
                if lock.try_acquire():
                    free.add(source_id)
            finally:
                lock.release()
        # The runs handed to crawl nodes are followed to their end (remote.reattach).
        cluster = bool(self.config.cluster.scrapyd)
        closed = self.store.abandon_open_runs(datetime.now(UTC), free, but_jobs=cluster)
        if closed:
            logger.warning("closed %d run records left open by a scheduler that stopped", closed)

    def run(self) -> int:
        """Schedule until stopped; EXIT_OK after a clean stop."""
        for signum in (*_STOP_SIGNALS, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        threading.Thread(target=self._control, name="signals", daemon=True).start()
        logger.info(
            "scheduler starting (pid %d): %d sources from %s, jobs in %s, at most %d crawls "
            "at once",
            os.getpid(),
            len(self.config.source),
            self.path,
            _safe_url(self.config.jobstore_url),
            self.config.schedule.max_parallel,
        )
        if self.config.cluster.scrapyd:
            ready_nodes(self.config.cluster)
            reattach(self.config, CRAWLS)  # jobs an earlier scheduler left on crawl nodes
        try:
            # Paused until _started has brought the jobs in step with the config: a job
            # due now must not run on the schedule of a config that no longer says so.
            self.scheduler.start(paused=True)  # returns after shutdown
        except Exception as exc:  # the job store's database, most likely
            logger.exception("the scheduler failed")
            self.failure = f"the scheduler failed: {exc}"
        finally:
            self._drain()
            self.store.close()
        if self.failure:
            logger.error("scheduler stopped: %s", self.failure)
            return EXIT_FAILED
        logger.info("scheduler stopped")
        return EXIT_OK

    # -- signals -----------------------------------------------------------------------

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._signals.put(signum)

    def _control(self) -> None:
        while True:
            signum = self._signals.get()
            if signum == signal.SIGHUP:
                self.reload()
            else:
                self.stop(signal.Signals(signum).name)

    def stop(self, why: str) -> None:
        """Take no new runs; the main thread then lets the running ones finish."""
        with self._lock:
            if self._stopping:
                # Asked twice: the operator does not want to wait out the grace period.
                logger.warning("%s again: stopping the running crawls now (SIGINT)", why)
                CRAWLS.interrupt_all(f"scheduler stopped ({why} twice)")
                return
            self._stopping = True
            CRAWLS.stop_taking()
            running = CRAWLS.running()
            grace = format_duration(self.config.schedule.stop_grace)
            if running:
                logger.info(
                    "%s: taking no new runs; %s may finish within %s",
                    why,
                    ", ".join(running),
                    grace,
                )
            else:
                logger.info("%s: taking no new runs; no crawl is running", why)
            self._why = f"scheduler stopped ({why})"
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)

    def reload(self) -> None:
        """SIGHUP: read the config again and bring the jobs in step; keep the current
        jobs when the new config has errors."""
        try:
            config = load_config(self.path)
        except ConfigError as exc:
            logger.error("SIGHUP: %s has errors; keeping the current jobs:\n%s", self.path, exc)
            return
        with self._lock:
            if self._stopping:
                return
            if config.store.url != self.config.store.url:
                self.store.close()
                self.store = Store.open(config.store)
            try:
                changes = sync_jobs(self.scheduler, config, self.path, self.store)
            except Exception:
                logger.exception("SIGHUP: the jobs could not be updated; keeping the current jobs")
                return
            later = _needs_restart(self.config, config)
            self.config = config
        logger.info("SIGHUP: reloaded %s: %s", self.path, "; ".join(changes) or "no job changed")
        if later:
            logger.warning("SIGHUP: %s changed; that takes effect on restart", ", ".join(later))

    # -- scheduler events --------------------------------------------------------------

    def _started(self, _event: SchedulerEvent) -> None:
        """The job store is open: sync the jobs, then let them run."""
        with self._lock:
            if not self._stopping:
                try:
                    changes = sync_jobs(self.scheduler, self.config, self.path, self.store)
                except Exception as exc:
                    logger.exception("the jobs could not be set up")
                    self.failure = f"the jobs could not be set up: {exc}"
                    self._stopping = True
                    CRAWLS.stop_taking()
                else:
                    for change in changes:
                        logger.info("jobs: %s", change)
                    for job in self.scheduler.get_jobs():
                        if source_of(job.id) is not None:
                            logger.info("%s; next run %s", job.name, _when(job.next_run_time))
            if self._stopping:  # a stop (or a failure) came before the first run
                self.scheduler.shutdown(wait=False)
            elif self.scheduler.state == STATE_PAUSED:
                self.scheduler.resume()

    def _ran(self, event: JobExecutionEvent) -> None:
        """After a run of an adaptive source: the next one comes at its new pace."""
        source_id = source_of(event.job_id)
        if source_id is None:
            return
        with self._lock:
            if self._stopping or self.scheduler.state != STATE_RUNNING:
                return
            source = next((s for s in self.config.source if s.id == source_id), None)
            if source is None or source.schedule != ADAPTIVE:
                return
            job = self.scheduler.get_job(event.job_id)
            interval = current_interval(self.config, self.store, source)
            if job is None or interval is None or not isinstance(job.trigger, IntervalTrigger):
                return
            before = job.trigger.interval
            if before == interval:
                return
            self.scheduler.reschedule_job(job.id, trigger=make_trigger(source, interval))
        logger.info(
            "%s: adaptive interval %s -> %s",
            source_id,
            format_duration(before),
            format_duration(interval),
        )

    def _missed(self, event: JobExecutionEvent) -> None:
        due = event.scheduled_run_time
        logger.warning(
            "%s: run due at %s skipped: missed by %s (more than [schedule] misfire_grace %s)",
            source_of(event.job_id) or event.job_id,
            _when(due),
            format_duration(datetime.now(UTC) - due),
            format_duration(self.config.schedule.misfire_grace),
        )

    def _busy(self, event: JobSubmissionEvent) -> None:
        logger.warning(
            "%s: run due at %s skipped: the previous run is still going",
            source_of(event.job_id) or event.job_id,
            _when(event.scheduled_run_times[-1]),
        )

    # -- stopping ----------------------------------------------------------------------

    def _drain(self) -> None:
        """Let the running crawls finish within stop_grace, then SIGINT them (Scrapy
        stops cleanly, its JOBDIR resumable), then SIGKILL what is left after kill_grace."""
        CRAWLS.stop_taking()
        grace, kill_grace = self.config.schedule.stop_grace, self.config.schedule.kill_grace
        why = self._why
        if CRAWLS.wait_idle(grace.total_seconds()):
            return
        logger.warning(
            "%s still running after %s; stopping (SIGINT)",
            ", ".join(CRAWLS.running()) or "a crawl",
            format_duration(grace),
        )
        CRAWLS.interrupt_all(why)
        if CRAWLS.wait_idle(kill_grace.total_seconds()):
            return
        logger.warning(
            "%s still running %s after SIGINT; killing (SIGKILL)",
            ", ".join(CRAWLS.running()) or "a crawl",
            format_duration(kill_grace),
        )
        CRAWLS.kill_all()
        CRAWLS.wait_idle(None)


def _needs_restart(old: Config, new: Config) -> list[str]:
    """Settings the running process cannot change under itself."""
    fields = {
        "[schedule] jobstore": (old.jobstore_url, new.jobstore_url),
        "[schedule] max_parallel": (old.schedule.max_parallel, new.schedule.max_parallel),
        "[schedule] log_file": (old.log_file, new.log_file),
    }
    return [name for name, (before, after) in fields.items() if before != after]


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "never (paused)"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _safe_url(url: str) -> str:
    """A database URL fit for a log: without its password."""

    return make_url(url).render_as_string(hide_password=True)


def run_scheduler(config: Config, path: Path) -> int:
    """`sokbo schedule`: log, schedule until SIGTERM, exit 0 after a clean stop; exit 3
    when another scheduler already runs on the same store."""
    setup_logging(config)
    try:
        lock = scheduler_lock(config)
        if not lock.try_acquire():
            holder = lock.holder() or Holder(None, None)
            logger.error(
                "another scheduler is running on this store (%s); not starting",
                holder.describe(),
            )
            lock.release()
            return EXIT_LOCKED
        try:
            scheduler = Scheduler(config, path)
        except Exception:
            lock.release()
            raise
    except Exception as exc:  # the job store's or the store's database, most likely
        logger.exception("scheduler: cannot start: %s", exc)
        return EXIT_FAILED
    try:
        return scheduler.run()
    finally:
        lock.release()
