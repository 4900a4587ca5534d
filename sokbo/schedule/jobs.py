"""One APScheduler job per source: ids, triggers, keeping the job store in step with the
config, and reading the job store without a running scheduler (for `sokbo status`)."""

from __future__ import annotations

import logging
import pickle
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Column, Float, MetaData, Table, Unicode, create_engine, inspect, select
from sqlalchemy.engine import make_url

from sokbo.config import ADAPTIVE, Config, SourceConfig, format_duration, parse_interval
from sokbo.cron import cron_trigger
from sokbo.schedule.adaptive import HISTORY, WINDOW, adaptive_interval
from sokbo.store import Store

logger = logging.getLogger(__name__)

# Every sokbo job id starts with this; other jobs in a shared job store are left alone.
JOB_PREFIX = "crawl:"
# APScheduler's own default name, kept so that its documentation applies as written.
JOBS_TABLE = "apscheduler_jobs"
# The job function, by name: the job store keeps this reference (and the job's plain
# string arguments: the config path and the source id) for a later process to find.
RUN_JOB_REF = "sokbo.schedule.runner:run_job"
# Where the job function was before sokbo's modules moved into layers: jobs a scheduler
# of an older sokbo stored name it so.
_FORMER_RUN_JOB_REFS = frozenset({"sokbo.runner:run_job"})


class JobStore(SQLAlchemyJobStore):  # type: ignore[misc]  # untyped
    """APScheduler's SQLAlchemy job store, which also reads the jobs an older sokbo
    stored under the job function's former name, keeping their next run times (a job
    whose function cannot be imported would be dropped). The row is written with the
    new name the next time the job changes (after its next run at the latest)."""

    def __init__(self, url: str) -> None:
        super().__init__(url=url, tablename=JOBS_TABLE)

    def _reconstitute_job(self, job_state: bytes) -> Job:
        state = pickle.loads(job_state)
        if state.get("func") in _FORMER_RUN_JOB_REFS:
            state["func"] = RUN_JOB_REF
            job_state = pickle.dumps(state, self.pickle_protocol)
        return super()._reconstitute_job(job_state)


def job_id(source_id: str) -> str:
    """The job's id: fixed per source, so that re-adding a job replaces it."""
    return f"{JOB_PREFIX}{source_id}"


def source_of(job: str) -> str | None:
    """The source id of a sokbo job id; None for a job that is not sokbo's."""
    return job.removeprefix(JOB_PREFIX) if job.startswith(JOB_PREFIX) else None


def schedule_label(source: SourceConfig) -> str:
    """The job's name: its schedule in words, e.g. `yna: every 15m, jitter 30s`.

    Everything that shapes the trigger is in it, so that a job whose name still matches
    the config can be kept as it is, next run time included (see sync_jobs).
    """
    jitter = format_duration(source.jitter)
    if source.schedule == ADAPTIVE:
        bounds = (format_duration(source.min_interval), format_duration(source.max_interval))
        what = "adaptive {}-{}".format(*bounds)
    elif parse_interval(source.schedule) is not None:
        what = f"every {format_duration(_interval(source))}"
    else:
        what = f"cron '{source.schedule}' {source.timezone}"
    return f"{source.id}: {what}, jitter {jitter}"


def make_trigger(source: SourceConfig, adaptive: timedelta | None = None) -> BaseTrigger:
    """The source's trigger; an adaptive source runs every `adaptive` (default: its
    max_interval) until the next run recomputes it."""
    jitter = source.jitter.total_seconds() or None
    if source.schedule == ADAPTIVE:
        every = adaptive or source.max_interval
        # The policy places its polls (just after a burst's article, just after a
        # source's usual minute): a jitter of a tenth of the interval at most keeps them.
        if jitter is not None:
            jitter = min(jitter, every.total_seconds() / 10) or None
        return IntervalTrigger(seconds=every.total_seconds(), timezone=UTC, jitter=jitter)
    if parse_interval(source.schedule) is not None:
        every = _interval(source)
        return IntervalTrigger(seconds=every.total_seconds(), timezone=UTC, jitter=jitter)
    return cron_trigger(source.schedule, source.timezone, jitter)


def job_options(config: Config) -> dict[str, Any]:
    """Options every sokbo job has: never two runs of one source at once, one run for
    several missed ones, and a run later than misfire_grace skipped."""
    grace = max(1, round(config.schedule.misfire_grace.total_seconds()))
    return {"misfire_grace_time": grace, "coalesce": True, "max_instances": 1}


def sync_jobs(
    scheduler: BaseScheduler, config: Config, config_path: Path, store: Store
) -> list[str]:
    """Make the running scheduler's sokbo jobs exactly one per configured source; what
    changed, in words.

    A job whose schedule (its name, see schedule_label) is unchanged keeps its next run
    time, so that a restart neither postpones runs nor forgets one that came due while
    the scheduler was down (it runs if it is within misfire_grace). A changed schedule
    gets a new trigger; a source gone from the config loses its job.
    """
    changes: list[str] = []
    options = job_options(config)
    wanted = {job_id(source.id): source for source in config.source}
    existing = {job.id: job for job in scheduler.get_jobs() if source_of(job.id) is not None}
    for old in sorted(existing.keys() - wanted.keys()):
        scheduler.remove_job(old)
        changes.append(f"removed {old} (its source is no longer in the config)")
    config_file = str(config_path.resolve())
    for key, source in wanted.items():
        label = schedule_label(source)
        job_args = (config_file, source.id)
        job = existing.get(key)
        if job is not None and job.name == label:
            kept = {"func": RUN_JOB_REF, "args": job_args, **options}
            stale = {
                name: value
                for name, value in kept.items()
                if getattr(job, "func_ref" if name == "func" else name) != value
            }
            if stale:
                scheduler.modify_job(key, **stale)
            continue
        interval = current_interval(config, store, source)
        scheduler.add_job(
            RUN_JOB_REF,
            make_trigger(source, interval),
            id=key,
            name=label,
            args=job_args,
            replace_existing=True,
            **options,
        )
        changes.append(f"{'rescheduled' if job else 'added'} {key} ({label})")
    return changes


def current_interval(config: Config, store: Store, source: SourceConfig) -> timedelta | None:
    """The interval to an adaptive source's next run, counted from now, from when its
    articles of the last two weeks appeared (the store is the policy's whole state, so
    a restart changes nothing); None for a source on a fixed schedule."""
    if source.schedule != ADAPTIVE:
        return None
    now = datetime.now(UTC)
    times = store.article_arrivals(source.id, now - WINDOW, limit=HISTORY)
    interval = adaptive_interval(times, now, source.min_interval, source.max_interval)
    return timedelta(seconds=round(interval.total_seconds()))  # what a trigger can keep


def next_runs(config: Config) -> dict[str, datetime | None]:
    """When each configured source runs next, read from the persistent job store without
    starting a scheduler; None for a source with no job (the scheduler has not run since
    it was added) or a paused one."""
    found: dict[str, datetime | None] = dict.fromkeys((s.id for s in config.source), None)
    url = make_url(config.jobstore_url)
    on_disk = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if on_disk and not Path(str(url.database)).is_file():  # no scheduler yet: create nothing
        return found
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table(JOBS_TABLE):
            return found
        with engine.connect() as conn:
            for row in conn.execute(select(_jobs.c.id, _jobs.c.next_run_time)):
                source = source_of(row.id)
                if source in found:
                    when = row.next_run_time
                    found[source] = None if when is None else datetime.fromtimestamp(when, UTC)
    finally:
        engine.dispose()
    return found


# The two columns of APScheduler's SQLAlchemyJobStore table that say what runs when
# (next_run_time: a UTC timestamp, NULL for a paused job); the rest is a pickled job.
_jobs = Table(JOBS_TABLE, MetaData(), Column("id", Unicode(191)), Column("next_run_time", Float))


def _interval(source: SourceConfig) -> timedelta:
    interval = parse_interval(source.schedule)
    assert interval is not None
    return interval
