"""`sokbo schedule` (or `python scheduler.py --config sokbo.toml`): every source on its own
schedule with APScheduler 3, each crawl a process of its own, until SIGTERM.

Signals: SIGHUP reloads the config and brings the jobs in step (a broken config is
logged and the current jobs kept); SIGTERM or SIGINT stops taking new runs, lets the
running crawls finish within [schedule] stop_grace, then stops them cleanly (SIGINT, so
their JOBDIR stays resumable; SIGKILL after kill_grace) and exits 0.

With [push] enabled it also serves the WebSub callback (sokbo.push): a hub's notification
runs its source at once, and a source whose hub delivers is polled at [push]
safety_interval only.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from queue import SimpleQueue
from types import FrameType

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    EVENT_SCHEDULER_STARTED,
    JobExecutionEvent,
    JobSubmissionEvent,
    SchedulerEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING, STATE_STOPPED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import make_url

from sokbo.config import (
    ADAPTIVE,
    Config,
    ConfigError,
    format_duration,
    load_config,
)
from sokbo.crawl.runner import warm_up
from sokbo.exitcodes import EXIT_FAILED, EXIT_LOCKED, EXIT_OK
from sokbo.lock import Holder, scheduler_lock, source_lock
from sokbo.push.runs import PushRuns
from sokbo.push.service import PushService
from sokbo.schedule import runner, slices
from sokbo.schedule.crawls import CRAWLS
from sokbo.schedule.jobs import (
    JobStore,
    current_interval,
    job_id,
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
    """APScheduler 3's BlockingScheduler, minus one last job round after shutdown, its
    wait for the next job cut into slices.

    Its loop wakes once more after shutdown() and submits the jobs due at that instant
    to the executor just shut down: an error with a traceback in the log, and those
    runs' times moved on as if they had run. And its one wait until the next job (an
    hour, or for ever) would hold back a stop signal that the kernel hands to another
    thread for as long (see slices).
    """

    def _main_loop(self) -> None:
        wait: float | None = None
        while self.state != STATE_STOPPED:
            slices.wait_event(self._event, wait)
            self._event.clear()
            wait = self._process_jobs()

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
        self.stuck = 0  # runs left recording when the stop gave up waiting for them
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
        # WebSub ([push]): started with the scheduler, stopped with it.
        self.push = PushService(config, self.run_pushed) if config.push.enabled else None
        self._push_runs = PushRuns()
        self._slow: set[str] = set()  # sources polled at safety_interval: their hub delivers
        if self.push is not None:
            # After _ran (listeners are called in the order added): the pace it sets comes
            # first, the safety net's postponement after it.
            self.scheduler.add_listener(self._run_submitted, EVENT_JOB_SUBMITTED)
            ended = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
            self.scheduler.add_listener(self._run_ended, ended)

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
        if self.push is not None and not self.push.start():
            self.push = None  # said why; every source is polled as usual
        if runner.WARM_START and not self.config.cluster.scrapyd:
            warm_up(runner.CRAWL_MODULE)  # its imports overlap the scheduler's start
        try:
            # Paused until _started has brought the jobs in step with the config: a job
            # due now must not run on the schedule of a config that no longer says so.
            self.scheduler.start(paused=True)  # returns after shutdown
        except Exception as exc:  # the job store's database, most likely
            logger.exception("the scheduler failed")
            self.failure = f"the scheduler failed: {exc}"
        finally:
            if self.push is not None:
                self.push.stop()
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
            if self.push is not None:
                self.push.update_config(config)
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
        """After a run of an adaptive source: the next one comes the interval its policy
        chooses now after this one ended (the policy counts from now: the minute after a
        source's habit, the seconds after an article of a burst), even when the interval
        is the same as before, which the old trigger would count from its last start."""
        source_id = source_of(event.job_id)
        if source_id is None:
            return
        with self._lock:
            if self._stopping or self.scheduler.state != STATE_RUNNING:
                return
            source = self.config.find_source(source_id)
            if source is None or source.schedule != ADAPTIVE:
                return
            job = self.scheduler.get_job(event.job_id)
            interval = current_interval(self.config, self.store, source)
            if job is None or interval is None or not isinstance(job.trigger, IntervalTrigger):
                return
            before = job.trigger.interval
            self.scheduler.reschedule_job(job.id, trigger=make_trigger(source, interval))
            if before == interval:
                return
        logger.info(
            "%s: adaptive interval %s -> %s",
            source_id,
            format_duration(before),
            format_duration(interval),
        )

    # -- push (WebSub) -----------------------------------------------------------------

    def run_pushed(self, source_id: str) -> None:
        """A hub pushed new content of the source: run it now, or, when a run is going (it
        may have read the feed already), again as soon as that one ends."""
        source = self.config.find_source(source_id)
        if source is None:
            return
        schedule = self.config.schedule
        longest = source.timeout + schedule.kill_grace + schedule.misfire_grace
        if not self._push_runs.pushed(source_id, datetime.now(UTC), longest):
            logger.info("%s: pushed during a run; running it again when that one ends", source_id)
            return
        with self._lock:
            if self._stopping or self.scheduler.state != STATE_RUNNING:
                return
            try:
                self.scheduler.modify_job(job_id(source_id), next_run_time=datetime.now(UTC))
            except JobLookupError:
                return
        logger.info("%s: pushed; running it now", source_id)

    def _run_submitted(self, event: JobSubmissionEvent) -> None:
        source_id = source_of(event.job_id)
        if source_id is not None:
            self._push_runs.submitted(source_id, event.scheduled_run_times[-1])

    def _run_ended(self, event: JobExecutionEvent) -> None:
        """After a run: a push that came meanwhile runs the source again; a source whose
        hub delivers waits [push] safety_interval for its next poll, unless its own
        schedule comes later."""
        source_id = source_of(event.job_id)
        push = self.push
        if source_id is None or push is None:
            return
        ended = self._push_runs.ended(source_id, event.scheduled_run_time)
        push.wake()  # the crawl may have found a hub, or lost one
        if ended.again:
            self.run_pushed(source_id)
            return
        job = self.scheduler.get_job(event.job_id)
        if job is None or event.code == EVENT_JOB_MISSED:
            return
        now = datetime.now(UTC)
        interval = _interval_of(job.trigger, now)
        try:
            slow = push.after_run(source_id, event.scheduled_run_time, ended.by_push, interval, now)
        except Exception:
            logger.exception("%s: push: cannot tell whether its hub delivers", source_id)
            slow = False
        safety = push.settings.safety_interval
        with self._lock:
            if self._stopping or self.scheduler.state != STATE_RUNNING:
                return
            was_slow = source_id in self._slow
            (self._slow.add if slow else self._slow.discard)(source_id)
            job = self.scheduler.get_job(event.job_id)
            later = now + safety
            if slow and job is not None and job.next_run_time and job.next_run_time < later:
                self.scheduler.modify_job(job.id, next_run_time=later)
        if slow and not was_slow:
            logger.info(
                "%s: its hub delivers; polling every %s as a safety net",
                source_id,
                format_duration(safety),
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
        stops cleanly, its JOBDIR resumable), then SIGKILL what is left after kill_grace.
        A run whose crawl has ended but that cannot record it (a store that does not
        answer) is waited for kill_grace, then left: the next start closes its record."""
        CRAWLS.stop_taking()
        grace, kill_grace = self.config.schedule.stop_grace, self.config.schedule.kill_grace
        if CRAWLS.wait_idle(grace.total_seconds()):
            return
        if CRAWLS.running():
            logger.warning(
                "%s still running after %s; stopping (SIGINT)",
                ", ".join(CRAWLS.running()),
                format_duration(grace),
            )
            CRAWLS.interrupt_all(self._why)
            if CRAWLS.wait_idle(kill_grace.total_seconds()):
                return
        if CRAWLS.running():
            logger.warning(
                "%s still running %s after SIGINT; killing (SIGKILL)",
                ", ".join(CRAWLS.running()),
                format_duration(kill_grace),
            )
            CRAWLS.kill_all()
        if CRAWLS.wait_idle(kill_grace.total_seconds()):
            return
        self.stuck = CRAWLS.active()
        logger.error(
            "%d %s could not record how %s crawl ended within %s (is the store answering?); "
            "stopping without waiting longer: the next start closes %s record",
            self.stuck,
            "run" if self.stuck == 1 else "runs",
            "its" if self.stuck == 1 else "their",
            format_duration(kill_grace),
            "its" if self.stuck == 1 else "their",
        )


def _needs_restart(old: Config, new: Config) -> list[str]:
    """Settings the running process cannot change under itself."""
    fields = {
        "[schedule] jobstore": (old.jobstore_url, new.jobstore_url),
        "[schedule] max_parallel": (old.schedule.max_parallel, new.schedule.max_parallel),
        "[schedule] log_file": (old.log_file, new.log_file),
        "[push]": (old.push, new.push),
    }
    return [name for name, (before, after) in fields.items() if before != after]


def _interval_of(trigger: BaseTrigger, now: datetime) -> timedelta:
    """How often a job's trigger runs it (a cron trigger: from now to its second fire)."""
    if isinstance(trigger, IntervalTrigger):
        interval: timedelta = trigger.interval
        return interval
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first) if first else None
    return second - first if first and second else timedelta(days=1)


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
        status = scheduler.run()
    finally:
        lock.release()
    if scheduler.stuck:
        # A run's thread is blocked in the store: the interpreter would wait for it at
        # exit, for as long as the store takes. The log is written; leave now.
        logging.shutdown()
        os._exit(EXIT_FAILED)
    return status
